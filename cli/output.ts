/** How commands answer: JSON on stdout for machines, sentences for people. */

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** C0 and C1 control characters (ESC among them), and DEL. */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Text users wrote, made safe to print on a terminal: control characters (ESC and the rest
 * of C0 and C1, which could move the cursor, recolour or retitle the terminal) are shown as
 * \u escapes instead of acting.
 */
export function printable(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
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
