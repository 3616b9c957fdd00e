/**
 * Who decides, proven: a decision made on the command line (approve, reject, promote,
 * rollback, adopting or dismissing a candidate need) carries the approver's token, read
 * from NEEDLOOP_TOKEN or from the first line of --token-file FILE (never an argument:
 * those show in `ps`). The database checks it; the name comes from the token.
 */
import { readFile } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { approverOfToken, audit } from '../db/queries/pipeline-runs.js';
import { UserError } from './output.js';
import { cliSource } from './source.js';

export interface TokenFlags {
  tokenFile?: string;
  by?: string;
}

/** The token given, or a clear refusal saying how to give one. */
export async function cliToken(flags: TokenFlags, what: string): Promise<string> {
  if (flags.tokenFile !== undefined) {
    const text = await readFile(flags.tokenFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new UserError(`--token-file ${flags.tokenFile}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`, 2);
    });
    const token = text.split(/\r?\n/)[0].trim();
    if (token === '') throw new UserError(`--token-file ${flags.tokenFile}: its first line is empty: it holds the token that \`needloop approver add NAME\` printed`, 2);
    return token;
  }
  const token = (process.env.NEEDLOOP_TOKEN ?? '').trim();
  if (token === '') {
    throw new UserError(`${what} is decided by an approver, who proves it with their token: set NEEDLOOP_TOKEN, or pass --token-file FILE (the token \`needloop approver add NAME\` printed)`, 2);
  }
  return token;
}

/**
 * The approver deciding: the holder of the token given. A token nobody (or only a viewer)
 * holds, or a --by that names someone else, is refused and audited.
 */
export async function cliDecider(db: Kysely<Database>, flags: TokenFlags, d: { action: string; target: string; what: string }): Promise<{ by: string; token: string; source: string }> {
  const token = await cliToken(flags, d.what);
  const source = cliSource();
  const holder = await approverOfToken(db, token);
  const named = flags.by?.trim();
  const refuse = async (reason: string) => {
    await audit(db, { actor: named ?? null, action: d.action, target: d.target, outcome: 'refused', detail: reason, source });
    return new UserError(`refused: ${reason}`, 1);
  };
  if (holder === null) throw await refuse('the token given belongs to no approver (needloop approver list; a viewer cannot decide)');
  if (named !== undefined && named !== holder) throw await refuse(`the token given is ${holder}'s, not ${named}'s`);
  return { by: holder, token, source };
}
