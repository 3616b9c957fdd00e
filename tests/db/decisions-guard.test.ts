/**
 * The application's role cannot rewrite history (issue 33, findings 7–9): on the embedded
 * default, needloop works as needloop_app, which may not forge an audit row, move the
 * audit log's numbering, name another approver, add an approver with a token of its
 * choosing, read token hashes, or change what serves — except through a decision proven
 * by an approver's token, written with its audit row in one transaction.
 */
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { openDatabase, type DatabaseHandle } from '../../db/connection.js';
import { promoteModel, rollbackModel } from '../../db/queries/model-versions.js';
import { addApprover, audit, createPipelineRun, recordDecision, updatePipelineRun } from '../../db/queries/pipeline-runs.js';
import { tempDir } from '../helpers/files.js';

let files: Awaited<ReturnType<typeof tempDir>>;
let handle: DatabaseHandle;
const ALICE = 'alice-token-0123456789abcdef';
const VERA = 'vera-token-0123456789abcdef';

/** A model version as training registers one (its artifact is not needed to decide on it). */
async function version(status: string): Promise<string> {
  const row = await handle.asOwner((owner) => sql<{ id: string }>`insert into model_versions (status, data_from, data_to, holdout_from, holdout_to, labels, hyperparameters, backend, device, artifact_sha256, artifact_path, training)
    values (${status}, now(), now(), now(), now(), '[]', '{}', 'cpu', 'CPU', 'x', 'x', '{}') returning id`.execute(owner));
  return row.rows[0].id;
}

const refused = async (work: Promise<unknown>) => {
  const error = await work.then(() => null, (e: unknown) => e as { code?: string; message?: string });
  expect(error, 'the database should refuse').not.toBeNull();
  return error!;
};

beforeAll(async () => {
  files = await tempDir();
  await chmod(files.dir, 0o755); // the embedded Postgres runs as its own user
  handle = await openDatabase(loadConfig({ DATABASE_URL: '', NEEDLOOP_HOME: join(files.dir, 'home'), NEEDLOOP_PG_PORT: '' }));
  await handle.asOwner(async (owner) => {
    await addApprover(owner, 'alice', ALICE);
    await addApprover(owner, 'vera', VERA, 'viewer');
  });
}, 120_000);
afterAll(async () => {
  await handle?.close();
  await files.cleanup();
});

describe('as the application role (needloop_app)', () => {
  it('cannot forge an audit row, choose its time, or move its numbering', async () => {
    const forged = await refused(audit(handle.db, { actor: 'alice', action: 'promote', target: 'model 1', outcome: 'accepted', source: 'cli (os user alice on prod)' }));
    expect(forged.message).toBe('an accepted decision enters the audit log with the decision itself, under the approver who made it');
    // A row it may write (a refusal, a sign-in) gets the database's time and role, whatever it says.
    await sql`insert into audit_log (at, actor, action, outcome, source) values ('2001-01-01', 'mallory', 'sign-in', 'refused', 'web')`.execute(handle.db);
    const row = await handle.db.selectFrom('audit_log').select(['at', 'db_user']).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(Math.abs(row.at.getTime() - Date.now())).toBeLessThan(60_000);
    expect(row.db_user).toBe('needloop_app');
    expect((await refused(sql`select setval('audit_log_id_seq', 1)`.execute(handle.db))).message).toMatch(/permission denied for sequence audit_log_id_seq/);
    await audit(handle.db, { actor: null, action: 'sign-in', target: null, outcome: 'refused', source: 'web' }); // numbering intact
  });

  it('cannot add an approver with a token of its choosing, nor read token hashes', async () => {
    expect((await refused(sql`insert into approvers (name, token_sha256) values ('mallory', encode(sha256('known'), 'hex'))`.execute(handle.db))).message).toMatch(/^approvers and viewers are added and removed by the operator/);
    expect((await refused(sql`update approvers set role = 'approver' where name = 'vera'`.execute(handle.db))).code).toBe('42501');
    expect((await refused(sql`select token_sha256 from approvers`.execute(handle.db))).message).toMatch(/permission denied for table approvers/);
    // What the server needs still works: names, roles, and whose token this is.
    expect((await handle.db.selectFrom('approvers').select(['name', 'role']).orderBy('name').execute()).map((a) => a.name)).toEqual(['alice', 'vera']);
  });

  it('cannot promote, roll back or rewrite who approved without a token; with alice\'s token, decision and audit row are one', async () => {
    const production = await version('awaiting_approval');
    const candidate = await version('awaiting_approval');
    // No proof: refused, and nothing changed.
    expect((await refused(promoteModel(handle.db, production, { by: 'mallory' }))).message).toMatch(/^which model serves, and who approved it, change only by an approver's decision/);
    expect((await refused(sql`update model_versions set status = 'production' where id = ${production}`.execute(handle.db))).code).toBe('42501');
    // A viewer's token or someone else's name: refused.
    expect((await refused(promoteModel(handle.db, production, { by: 'vera', proof: { token: VERA, source: 'test' } }))).message).toMatch(/^this token belongs to no approver/);
    expect((await refused(promoteModel(handle.db, production, { by: 'mallory', proof: { token: ALICE, source: 'test' } }))).message).toBe("the token given is alice's, not mallory's");
    expect(await handle.db.selectFrom('audit_log').select('id').where('action', '=', 'promote').execute()).toEqual([]);

    await promoteModel(handle.db, production, { by: 'alice', comment: 'first', proof: { token: ALICE, source: 'test' } });
    await promoteModel(handle.db, candidate, { by: 'alice', comment: 'second', proof: { token: ALICE, source: 'test' } });
    const audited = await handle.db.selectFrom('audit_log').select(['actor', 'action', 'target', 'outcome', 'db_user']).where('action', '=', 'promote').orderBy('id').execute();
    expect(audited).toEqual([
      { actor: 'alice', action: 'promote', target: `model ${production}`, outcome: 'accepted', db_user: 'needloop_app' },
      { actor: 'alice', action: 'promote', target: `model ${candidate}`, outcome: 'accepted', db_user: 'needloop_app' },
    ]);
    // History stays as decided.
    expect((await refused(sql`update promotions set decided_by = 'mallory'`.execute(handle.db))).message).toMatch(/^promotions is a record of decisions/);
    expect((await refused(sql`update model_versions set approved_by = 'mallory' where id = ${candidate}`.execute(handle.db))).code).toBe('42501');
    expect((await refused(sql`insert into promotions (model_id, action, decided_by) values (${production}, 'rollback', 'alice')`.execute(handle.db))).code).toBe('42501');
    expect((await refused(rollbackModel(handle.db, { by: 'alice' }))).code).toBe('42501');
    await rollbackModel(handle.db, { by: 'alice', proof: { token: ALICE, source: 'test' } });
    const serving = await handle.db.selectFrom('model_versions').select(['id', 'approved_by']).where('status', '=', 'production').executeTakeFirstOrThrow();
    expect(serving).toEqual({ id: production, approved_by: 'alice' });
  });

  it('records a decision on a run only with the token of the approver it names; the step that promotes finds it on record', async () => {
    const candidate = await version('awaiting_approval');
    const run = await createPipelineRun(handle.db, { runner: 'local', runKey: null });
    await updatePipelineRun(handle.db, run, { status: 'awaiting_approval', candidateId: candidate, approvalDeadline: new Date(Date.now() + 3_600_000) });
    const decision = { kind: 'approve' as const, by: 'alice', comment: null, at: new Date().toISOString() };
    expect((await refused(recordDecision(handle.db, run, decision))).message).toMatch(/^a decision on a pipeline run is recorded once, with the token of the approver it names/);
    expect((await refused(sql`update pipeline_runs set decision = '{"kind":"approve","by":"alice"}' where id = ${run}`.execute(handle.db))).code).toBe('42501');
    // Without a decision on record, the promoting step cannot promote in alice's name.
    expect((await refused(promoteModel(handle.db, candidate, { by: 'alice' }))).code).toBe('42501');
    expect(await recordDecision(handle.db, run, decision, { token: ALICE, source: 'test' })).toBe(true);
    // Recorded once: a second decision is refused.
    expect((await refused(sql`update pipeline_runs set decision = '{"kind":"reject","by":"alice"}' where id = ${run}`.execute(handle.db))).code).toBe('42501');
    await promoteModel(handle.db, candidate, { by: 'alice' });
    expect((await handle.db.selectFrom('model_versions').select('status').where('id', '=', candidate).executeTakeFirstOrThrow()).status).toBe('production');
    const rows = await handle.db.selectFrom('audit_log').select(['actor', 'action', 'target', 'outcome']).where('action', '=', 'approve').execute();
    expect(rows).toEqual([{ actor: 'alice', action: 'approve', target: `run ${run}, model ${candidate}`, outcome: 'accepted' }]);
  });
});
