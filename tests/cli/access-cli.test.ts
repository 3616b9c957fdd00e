/**
 * Who may decide, and the record of it (issue 15): approvers and viewers are added,
 * re-issued and removed from the CLI; every token change and every CLI decision is
 * audited with its source; and the audit log cannot be changed, even by the app.
 */
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useTestDatabase } from '../helpers/fixtures.js';

const db = useTestDatabase();
let env: Record<string, string>;

beforeAll(() => {
  env = { DATABASE_URL: db.handle.url };
});

const json = (out: string) => JSON.parse(out) as Record<string, unknown>;

let aliceToken = '';

describe('needloop approver and viewer', () => {
  it('adds, re-issues and removes tokens, audited with their source', async () => {
    const first = json((await runCli(['approver', 'add', 'alice', '--json'], env)).stdout);
    expect(first).toMatchObject({ name: 'alice', role: 'approver' });
    const second = json((await runCli(['approver', 'add', 'alice', '--json'], env)).stdout);
    expect(second.token).not.toBe(first.token);
    aliceToken = String(second.token);
    const vera = (await runCli(['viewer', 'add', 'vera'], env)).stdout;
    expect(vera).toMatch(/^Viewer vera added\. Token \(shown once, to sign in to needloop serve\): \S{32}\n$/);
    const veraToken = vera.trim().split(' ').at(-1)!;

    const approvers = json((await runCli(['approver', 'list', '--json'], env)).stdout).approvers as { name: string }[];
    expect(approvers.map((a) => a.name)).toEqual(['alice']);
    expect((json((await runCli(['viewer', 'list', '--json'], env)).stdout).viewers as { name: string }[]).map((v) => v.name)).toEqual(['vera']);

    // A viewer is not an approver: it cannot decide, nor be removed as one.
    const wrongRole = await runCli(['approver', 'remove', 'vera'], env);
    expect(wrongRole.code).toBe(1);
    expect(wrongRole.stderr).toBe('needloop: there is no approver named "vera" (needloop approver list)\n');
    const approveAsViewer = await runCli(['promote', '1', '--by', 'vera'], { ...env, NEEDLOOP_TOKEN: veraToken });
    expect(approveAsViewer.stderr).toBe('needloop: refused: the token given belongs to no approver (needloop approver list; a viewer cannot decide)\n');
    // The old token of a re-issued approver decides nothing either.
    expect((await runCli(['promote', '1'], { ...env, NEEDLOOP_TOKEN: String(first.token) })).code).toBe(1);
    expect((await runCli(['viewer', 'remove', 'vera'], env)).stdout).toBe('Viewer vera removed: their token no longer signs in, and their sessions have ended.\n');

    const rows = await db.handle.db.selectFrom('audit_log').select(['actor', 'action', 'target', 'outcome', 'detail', 'source']).orderBy('id').execute();
    expect(rows.map((r) => [r.action, r.target, r.outcome])).toEqual([
      ['approver added', 'alice', 'accepted'],
      ['token re-issued', 'alice', 'accepted'],
      ['viewer added', 'vera', 'accepted'],
      ['approver removed', 'vera', 'refused'],
      ['promote', 'model 1', 'refused'],
      ['promote', 'model 1', 'refused'],
      ['viewer removed', 'vera', 'accepted'],
    ]);
    expect(rows.every((r) => /^cli \(os user .+ on .+\)$/.test(r.source ?? ''))).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(String(first.token));
  });

  it('audits an approval or a rejection from the CLI, refused ones with the reason', async () => {
    const approve = await runCli(['approve', '424242', '--comment', 'ship it'], { ...env, NEEDLOOP_TOKEN: aliceToken });
    expect(approve.code).toBe(1);
    expect(approve.stderr).toBe('needloop: refused: pipeline run 424242 does not exist\n');
    const last = await db.handle.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(last).toMatchObject({ actor: 'alice', action: 'approve', target: 'run 424242', outcome: 'refused', detail: 'pipeline run 424242 does not exist' });
  });

  it('keeps the audit log append-only: no role may change, delete or truncate its rows', async () => {
    const count = async () => Number((await db.handle.db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    expect(before).toBeGreaterThan(0);
    await expect(db.handle.db.deleteFrom('audit_log').execute()).rejects.toThrow('audit_log is append-only');
    await expect(db.handle.db.updateTable('audit_log').set({ actor: 'mallory' }).execute()).rejects.toThrow('audit_log is append-only');
    await expect(sql`truncate audit_log`.execute(db.handle.db)).rejects.toThrow('audit_log is append-only');
    expect(await count()).toBe(before);
  });
});
