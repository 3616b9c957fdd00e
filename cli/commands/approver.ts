/** `needloop approver add NAME` and `needloop approver list`: who may approve promotions. */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { Config } from '../../config.js';
import { addApprover, approverNames } from '../../db/queries/pipeline-runs.js';
import { printJson, say, UserError } from '../output.js';
import { withDatabase } from './with-database.js';

const NAME = /^[\p{L}\p{N}._@-]{1,64}$/u;

export function registerApprover(program: Command, config: () => Config): void {
  const approver = program.command('approver').description('engineers who may approve or reject a candidate model');
  approver
    .command('add')
    .description('register an approver and print their token (shown once; stored only hashed); again for a new token')
    .argument('<name>', 'the approver\'s name, as given to --by')
    .option('--json', 'print {name, token} as JSON')
    .action(async (name: string, flags: { json?: boolean }) => {
      if (!NAME.test(name)) throw new UserError(`approver name ${JSON.stringify(name)} must be 1–64 letters, digits, dots, dashes, underscores or @`);
      const token = randomBytes(24).toString('base64url');
      await withDatabase(config(), (handle) => addApprover(handle.db, name, token));
      if (flags.json) printJson({ name, token });
      else say(`Approver ${name} added. Token (shown once, for the approval page): ${token}`);
    });
  approver
    .command('list')
    .description('the registered approvers')
    .option('--json', 'print {approvers: [...]} as JSON')
    .action(async (flags: { json?: boolean }) => {
      const names = await withDatabase(config(), (handle) => approverNames(handle.db));
      if (flags.json) printJson({ approvers: names });
      else say(names.length === 0 ? 'No approvers yet: needloop approver add NAME' : names.join('\n'));
    });
}
