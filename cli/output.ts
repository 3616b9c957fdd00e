/** How commands answer: JSON on stdout for machines, sentences for people. */

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** An error the user can act on: printed without a stack trace, with an exit code. */
export class UserError extends Error {
  override name = 'UserError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** A warning for the person at the terminal: on stderr, so stdout stays the command's answer. */
export function warn(line: string): void {
  process.stderr.write(`${line}\n`);
}
