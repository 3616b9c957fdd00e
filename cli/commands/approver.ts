/**
 * `needloop approver add|remove|list` and `needloop viewer add|remove`: who may approve
 * promotions, and who may only read reports and call /api/predict on a server bound
 * beyond loopback. Every token issued and every removal is audited with its source.
 */
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { describe } from './index.js';
import type { Config } from '../../config.js';
import { accessList, addApprover, audit, removeApprover, type AccessRole } from '../../db/queries/pipeline-runs.js';
import { printJson, say, UserError } from '../output.js';
import { cliSource } from '../source.js';
import { withDatabase } from './with-database.js';

const NAME = /^[\p{L}\p{N}._@-]{1,64}$/u;

function checkName(name: string): void {
  if (!NAME.test(name)) throw new UserError(`name ${JSON.stringify(name)} must be 1–64 letters, digits, dots, dashes, underscores or @`);
}

function registerRole(program: Command, config: () => Config, role: AccessRole): void {
  const what = role === 'approver'
    ? program.command('approver').description(describe('approver'))
    : program.command('viewer').description(describe('viewer'));
  what
    .command('add')
    .description(`register ${role === 'approver' ? 'an approver' : 'a viewer'} and print their token (shown once; stored only hashed); again for a new token, which ends the old token's sessions`)
    .argument('<name>', role === 'approver' ? 'the approver\'s name, as given to --by' : 'the viewer\'s name')
    .option('--token-file <file>', 'write the token to this new file (readable by you only) instead of printing it; give the same file to approve, reject, promote, rollback')
    .option('--json', 'print {name, role, token} as JSON (no token with --token-file)')
    .action(async (name: string, flags: { json?: boolean; tokenFile?: string }) => {
      checkName(name);
      const token = randomBytes(24).toString('base64url');
      if (flags.tokenFile !== undefined) {
        // Created new, for its owner only, never through a link or over another file.
        await writeFile(flags.tokenFile, `${token}\n`, { flag: 'wx', mode: 0o600 }).catch((error: NodeJS.ErrnoException) => {
          throw new UserError(`--token-file ${flags.tokenFile}: ${error.code === 'EEXIST' ? 'exists already: name a new file (or remove the old one first)' : error.message}`, 1);
        });
      }
      try {
        await withDatabase(config(), async (handle) => {
          const before = (await accessList(handle.db)).find((a) => a.name === name);
          // The application's role may not change who decides: the operator's command does it as the tables' owner.
          await handle.asOwner((owner) => addApprover(owner, name, token, role));
          await audit(handle.db, { actor: name, action: before === undefined ? `${role} added` : 'token re-issued', target: name, outcome: 'accepted', detail: before !== undefined && before.role !== role ? `was ${before.role}, now ${role}` : null, source: cliSource() });
        });
      } catch (error) {
        if (flags.tokenFile !== undefined) await rm(flags.tokenFile, { force: true });
        throw error;
      }
      if (flags.json) printJson({ name, role, ...(flags.tokenFile === undefined ? { token } : { token_file: flags.tokenFile }) });
      else if (flags.tokenFile !== undefined) say(`${role === 'approver' ? 'Approver' : 'Viewer'} ${name} added. Token written to ${flags.tokenFile} (readable by you only): sign in to needloop serve with it${role === 'approver' ? `, and decide with --token-file ${flags.tokenFile}` : ''}.`);
      else say(`${role === 'approver' ? 'Approver' : 'Viewer'} ${name} added. Token (shown once, to sign in to needloop serve${role === 'approver' ? ', and to decide: NEEDLOOP_TOKEN or --token-file' : ''}): ${token}`);
    });
  what
    .command('remove')
    .description(`remove ${role === 'approver' ? 'an approver' : 'a viewer'}: their token stops working and their sessions end at once`)
    .argument('<name>')
    .option('--json', 'print {name, removed} as JSON')
    .action(async (name: string, flags: { json?: boolean }) => {
      const removed = await withDatabase(config(), async (handle) => {
        const holder = (await accessList(handle.db)).find((a) => a.name === name);
        if (holder === undefined || holder.role !== role) {
          await audit(handle.db, { actor: null, action: `${role} removed`, target: name, outcome: 'refused', detail: `no ${role} of that name`, source: cliSource() });
          return false;
        }
        await handle.asOwner((owner) => removeApprover(owner, name));
        await audit(handle.db, { actor: null, action: `${role} removed`, target: name, outcome: 'accepted', source: cliSource() });
        return true;
      });
      if (!removed) throw new UserError(`there is no ${role} named ${JSON.stringify(name)} (needloop ${role} list)`, 1);
      if (flags.json) printJson({ name, removed: true });
      else say(`${role === 'approver' ? 'Approver' : 'Viewer'} ${name} removed: their token no longer signs in, and their sessions have ended.`);
    });
  what
    .command('list')
    .description(`the registered ${role}s, with when their token was issued`)
    .option('--json', `print {${role}s: [{name, token_issued_at}]} as JSON`)
    .action(async (flags: { json?: boolean }) => {
      const holders = (await withDatabase(config(), (handle) => accessList(handle.db))).filter((a) => a.role === role);
      if (flags.json) printJson({ [`${role}s`]: holders.map((h) => ({ name: h.name, token_issued_at: h.token_issued_at })) });
      else say(holders.length === 0 ? `No ${role}s yet: needloop ${role} add NAME` : holders.map((h) => `${h.name}\ttoken issued ${h.token_issued_at.toISOString().slice(0, 16).replace('T', ' ')} UTC`).join('\n'));
    });
}

export function registerApprover(program: Command, config: () => Config): void {
  registerRole(program, config, 'approver');
  registerRole(program, config, 'viewer');
}
