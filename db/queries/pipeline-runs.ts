/**
 * Pipeline runs, the local runner's journal of finished steps, and approvers. A decision
 * on a run is written once: the update only applies while the run awaits one.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Pool } from 'pg';
import type { Database, PipelineRun, PipelineRunStatus } from '../schema.js';

export interface Decision {
  kind: 'approve' | 'reject';
  by: string;
  comment: string | null;
  at: string;
}

/**
 * A Temporal run for NIGHT (YYYY-MM-DD): the run of this workflow id if it exists (a retried
 * activity), else a new one — unless another run, not failed, already covers that night
 * (a Schedule's run and a manual one, say): then null and that run.
 */
export async function beginNightRun(db: Kysely<Database>, run: { runKey: string; night: string }): Promise<{ run_id: string } | { taken_by: { id: string; run_key: string | null } }> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`needloop-night:${run.night}`}, 0))`.execute(trx);
    const mine = await trx.selectFrom('pipeline_runs').select('id').where('run_key', '=', run.runKey).executeTakeFirst();
    if (mine !== undefined) return { run_id: mine.id };
    const other = await trx.selectFrom('pipeline_runs').select(['id', 'run_key']).where('runner', '=', 'temporal').where('night', '=', run.night).where('status', '<>', 'failed').executeTakeFirst();
    if (other !== undefined) return { taken_by: other };
    const row = await trx.insertInto('pipeline_runs').values({ kind: 'nightly', status: 'running', runner: 'temporal', run_key: run.runKey, night: run.night }).returning('id').executeTakeFirstOrThrow();
    return { run_id: row.id };
  });
}

/**
 * Another run still training or evaluating a candidate, if any: a second candidate must wait
 * for it. Only runs started in the last day count: training stops within 12 hours, so an
 * older one was terminated and will not finish (it must not block every later night).
 */
export async function runTrainingElsewhere(db: Kysely<Database>, runId: string | undefined): Promise<string | null> {
  const row = await db.selectFrom('pipeline_runs').select('id').where('status', '=', 'running').where('step', 'in', ['train', 'evaluate'])
    .where('started_at', '>', sql<Date>`now() - interval '1 day'`)
    .$if(runId !== undefined, (q) => q.where('id', '<>', runId!)).orderBy('id').executeTakeFirst();
  return row?.id ?? null;
}

export async function createPipelineRun(db: Kysely<Database>, run: { runner: 'local' | 'temporal'; runKey: string | null }): Promise<string> {
  // A retried Temporal activity finds the run its first attempt created.
  const row = await db.insertInto('pipeline_runs').values({ kind: 'nightly', status: 'running', runner: run.runner, run_key: run.runKey })
    .onConflict((oc) => oc.column('run_key').doUpdateSet({ run_key: run.runKey }))
    .returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function findPipelineRun(db: Kysely<Database>, id: string): Promise<PipelineRun | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  return (await db.selectFrom('pipeline_runs').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

export async function latestPipelineRun(db: Kysely<Database>): Promise<PipelineRun | null> {
  return (await db.selectFrom('pipeline_runs').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst()) ?? null;
}

export async function updatePipelineRun(
  db: Kysely<Database>,
  id: string,
  change: { status?: PipelineRunStatus; step?: string; candidateId?: string | null; approvalDeadline?: Date | null; results?: unknown; error?: string | null; finished?: boolean },
): Promise<void> {
  await db.updateTable('pipeline_runs').set({
    ...(change.status === undefined ? {} : { status: change.status }),
    ...(change.step === undefined ? {} : { step: change.step }),
    ...(change.candidateId === undefined ? {} : { candidate_id: change.candidateId }),
    ...(change.approvalDeadline === undefined ? {} : { approval_deadline: change.approvalDeadline }),
    ...(change.results === undefined ? {} : { results: JSON.stringify(change.results) }),
    ...(change.error === undefined ? {} : { error: change.error }),
    ...(change.finished ? { finished_at: new Date() } : {}),
  }).where('id', '=', id).execute();
}

/**
 * What proves a decision: the token of the approver deciding (checked by the database, in
 * the same transaction as the decision and its audit row), and where it came from.
 * Without one, only the tables' owner may decide (tests, single-role setups).
 */
export interface DecisionProof {
  token: string;
  /** Where it came from, for the audit row: `cli (os user …)`, `web 1.2.3.4, session …`. */
  source: string;
}

/** The approver a token belongs to, checked by the database; a viewer's or an unknown token: null. */
export async function approverOfToken(db: Kysely<Database>, token: string): Promise<string | null> {
  const holder = await holderOfToken(db, token);
  return holder?.role === 'approver' ? holder.name : null;
}

/**
 * Stores a decision unless one exists, with its audit row, in one transaction; false when
 * the run was not awaiting one. With PROOF the database checks the approver's token and the
 * decision is theirs (`decision.by` must name them).
 */
export async function recordDecision(db: Kysely<Database>, id: string, decision: Decision, proof?: DecisionProof): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (proof !== undefined) {
      const who = (await sql<{ who: string }>`select needloop_authorize(${proof.token}, ${decision.kind}) as who`.execute(trx)).rows[0].who;
      if (who !== decision.by) throw new DecisionProofError(`the token given is ${who}'s, not ${decision.by}'s`);
    }
    const result = await trx.updateTable('pipeline_runs').set({ decision: JSON.stringify(decision) })
      .where('id', '=', id).where('status', '=', 'awaiting_approval').where('decision', 'is', null).returning('candidate_id').executeTakeFirst();
    if (result === undefined) return false;
    await trx.insertInto('audit_log').values({
      actor: decision.by, action: decision.kind, target: `run ${id}${result.candidate_id === null ? '' : `, model ${result.candidate_id}`}`, outcome: 'accepted', detail: decision.comment, source: proof?.source ?? 'needloop',
    }).execute();
    return true;
  });
}

/** A decision's proof did not hold: a token of someone else than the name given. */
export class DecisionProofError extends Error {
  override name = 'DecisionProofError';
}

export async function journal(db: Kysely<Database>, runId: string): Promise<{ seq: number; name: string; output: unknown }[]> {
  return db.selectFrom('pipeline_steps').select(['seq', 'name', 'output']).where('pipeline_run_id', '=', runId).orderBy('seq').execute();
}

export async function journalStep(db: Kysely<Database>, runId: string, step: { seq: number; name: string; output: unknown }): Promise<void> {
  try {
    await db.insertInto('pipeline_steps').values({ pipeline_run_id: runId, seq: step.seq, name: step.name, output: JSON.stringify(step.output ?? null) }).execute();
  } catch (error) {
    // Runs are carried on under their lock (withRunLock): this is a bug, said plainly.
    if ((error as { code?: string }).code === '23505') throw new Error(`pipeline run ${runId} was carried on by another command at the same time: its step ${step.seq} (${step.name}) was written meanwhile`);
    throw error;
  }
}

/**
 * Marks the start of STEP in a run's step times: the step still open ends now. Called again
 * for the step already open (a retried activity) it changes nothing; 'done' only closes.
 */
export async function startStepTime(db: Kysely<Database>, runId: string, step: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const open = await trx.selectFrom('pipeline_step_times').select('step').where('pipeline_run_id', '=', runId).where('finished_at', 'is', null).forUpdate().executeTakeFirst();
    if (open?.step === step) return;
    await trx.updateTable('pipeline_step_times').set({ finished_at: sql<Date>`clock_timestamp()` }).where('pipeline_run_id', '=', runId).where('finished_at', 'is', null).execute();
    if (step !== 'done') await trx.insertInto('pipeline_step_times').values({ pipeline_run_id: runId, step }).execute();
  });
}

export interface StepTime {
  step: string;
  started_at: Date;
  finished_at: Date | null;
  /** Null while the step runs. */
  seconds: number | null;
}

/** How long each step of a run took, in order; a step still running has no end. */
export async function stepTimes(db: Kysely<Database>, runId: string): Promise<StepTime[]> {
  const rows = await db.selectFrom('pipeline_step_times').select(['step', 'started_at', 'finished_at']).where('pipeline_run_id', '=', runId).orderBy('started_at').execute();
  return rows.map((r) => {
    const finished = r.finished_at;
    return { step: r.step, started_at: r.started_at, finished_at: finished, seconds: finished === null ? null : (finished.getTime() - r.started_at.getTime()) / 1000 };
  });
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export type AccessRole = 'approver' | 'viewer';

/**
 * Registers an approver (or a viewer) with a token, stored only as its sha256; for a name
 * already registered the new token replaces the old one, and sessions signed in with the
 * old one end (they are checked against the current token on every request).
 */
export async function addApprover(db: Kysely<Database>, name: string, token: string, role: AccessRole = 'approver'): Promise<void> {
  await db.insertInto('approvers').values({ name, token_sha256: sha256(token), role })
    .onConflict((oc) => oc.column('name').doUpdateSet({ token_sha256: sha256(token), role, token_issued_at: sql`now()` })).execute();
}

/** Removes an approver or viewer; false when there was none of that name. */
export async function removeApprover(db: Kysely<Database>, name: string): Promise<boolean> {
  return Number((await db.deleteFrom('approvers').where('name', '=', name).executeTakeFirst()).numDeletedRows) > 0;
}

/** Those who may decide on a candidate (viewers may not). */
export async function approverNames(db: Kysely<Database>): Promise<string[]> {
  return (await db.selectFrom('approvers').select('name').where('role', '=', 'approver').orderBy('name').execute()).map((r) => r.name);
}

export async function accessList(db: Kysely<Database>): Promise<{ name: string; role: AccessRole; token_issued_at: Date }[]> {
  return db.selectFrom('approvers').select(['name', 'role', 'token_issued_at']).orderBy('name').execute();
}

/**
 * Whose token this is, and their role; null for a token nobody holds. The database
 * compares the hashes (needloop_token_holder): the application's role cannot read them.
 */
export async function holderOfToken(db: Kysely<Database>, token: string): Promise<{ name: string; role: AccessRole; token_sha256: string } | null> {
  const row = (await sql<{ name: string; role: AccessRole }>`select name, role from needloop_token_holder(${token})`.execute(db)).rows[0];
  return row === undefined ? null : { name: row.name, role: row.role, token_sha256: sha256(token) };
}

/** Runs whose blessed candidate awaits a decision, with the candidate's evaluation. */
export async function pendingApprovals(db: Kysely<Database>) {
  const runs = await db.selectFrom('pipeline_runs as r')
    .innerJoin('model_versions as m', 'm.id', 'r.candidate_id')
    .select((eb) => [
      'r.id as run_id', 'r.runner', 'r.run_key', 'r.approval_deadline as deadline', 'm.id as candidate_id', 'm.parent_id as production_id', 'm.metrics',
      // The gate's checks from the candidate's latest evaluation.
      eb.selectFrom('evaluations as e').select('e.reasons').whereRef('e.candidate_id', '=', 'm.id').orderBy('e.id', 'desc').limit(1).as('reasons'),
    ])
    .where('r.status', '=', 'awaiting_approval').where('m.status', '=', 'awaiting_approval').orderBy('r.id').execute();
  return runs.map((run) => ({ ...run, reasons: run.reasons ?? [], metrics: run.metrics as Record<string, unknown> | null }));
}

export interface AuditEntry {
  actor: string | null;
  action: string;
  target: string | null;
  outcome: 'accepted' | 'refused';
  detail?: string | null;
  /** Where it came from: `cli (os user U on HOST)`, `web 1.2.3.4, session ab12…`. */
  source: string;
}

/**
 * Appends to the audit log (append-only: a trigger refuses changes and deletions; the
 * database sets the time and its user). An accepted decision is written with the decision
 * itself (recordDecision, the registry's promote and rollback), never through here.
 */
export async function audit(db: Kysely<Database>, entry: AuditEntry): Promise<void> {
  await db.insertInto('audit_log').values({ ...entry, detail: entry.detail ?? null }).execute();
}

/**
 * Runs WORK holding run RUN_ID's lock, waiting for it: one command at a time carries a run
 * on (a decision, an expiry), so two decisions made at once end with one decided and the
 * other told so. The lock goes with its connection, even if the process is killed.
 */
export async function withRunLock<T>(pool: Pool, runId: string, work: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  const key = `needloop-run:${runId}`;
  try {
    await client.query('select pg_advisory_lock(hashtextextended($1, 0))', [key]);
    try {
      return await work();
    } finally {
      if (!broken) await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch(onError);
    }
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}

export class PipelineBusy extends Error {
  override name = 'PipelineBusy';
}

/**
 * Runs `work` while holding the pipeline's advisory lock on a connection of its own, so
 * that one local pipeline runs at a time; the lock goes when the connection does, even
 * if the process is killed.
 */
export async function withPipelineLock<T>(pool: Pool, work: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // The lock's connection sits idle while the work runs: if Postgres goes away it emits
  // 'error' here, and the work's own queries fail and report it.
  let broken = false;
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  try {
    const { rows } = await client.query<{ locked: boolean }>("select pg_try_advisory_lock(hashtext('needloop:pipeline')) as locked");
    if (!rows[0].locked) throw new PipelineBusy('another pipeline run is in progress on this database: try again when it has finished (needloop status)');
    try {
      return await work();
    } finally {
      if (!broken) await client.query("select pg_advisory_unlock(hashtext('needloop:pipeline'))").catch(onError);
    }
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}

/**
 * Local runs left `running` by a process that stopped, marked failed, and the candidates
 * they registered but never offered for approval rejected. Call only while holding the
 * pipeline lock.
 */
/** How a Temporal workflow stands, as the server says: RUNNING, TERMINATED, …; NOT_FOUND when it has none. */
export type WorkflowState = string;

/**
 * Temporal runs whose workflow no longer runs — terminated, timed out, or gone — while the
 * database still shows them running or awaiting approval: a terminated workflow runs no
 * clean-up of its own. Each is closed as failed, saying why, and its candidate (never
 * decided) is rejected, both audited as needloop's. `stateOf` asks the server; the run of
 * `except` (the caller's own workflow) is left alone. Returns the runs closed.
 */
export async function closeEndedTemporalRuns(db: Kysely<Database>, stateOf: (runKey: string) => Promise<WorkflowState>, except: string | null): Promise<{ run_id: string; run_key: string; state: string; rejected: string | null }[]> {
  const open = await db.selectFrom('pipeline_runs').select(['id', 'run_key', 'candidate_id', 'status'])
    .where('runner', '=', 'temporal').where('status', 'in', ['running', 'awaiting_approval']).where('run_key', 'is not', null).orderBy('id').execute();
  const closed: { run_id: string; run_key: string; state: string; rejected: string | null }[] = [];
  for (const run of open) {
    if (run.run_key === except) continue;
    const state = await stateOf(run.run_key!);
    if (state === 'RUNNING') continue;
    const why = state === 'NOT_FOUND' ? `its workflow ${run.run_key} is unknown to Temporal` : `its workflow ${run.run_key} ended on Temporal (${state.toLowerCase().replaceAll('_', ' ')}) before the run finished`;
    const rejected = await db.transaction().execute(async (trx) => {
      const done = await trx.updateTable('pipeline_runs').set({ status: 'failed', error: why, finished_at: new Date() })
        .where('id', '=', run.id).where('status', 'in', ['running', 'awaiting_approval']).executeTakeFirst();
      if (Number(done.numUpdatedRows) === 0) return undefined; // closed meanwhile by the run itself
      let candidate: string | null = null;
      if (run.candidate_id !== null) {
        const r = await trx.updateTable('model_versions').set({ status: 'rejected', status_reason: `nobody decided: ${why}` })
          .where('id', '=', run.candidate_id).where('status', 'in', ['candidate', 'awaiting_approval']).executeTakeFirst();
        if (Number(r.numUpdatedRows) > 0) candidate = run.candidate_id;
      }
      await trx.insertInto('audit_log').values({ actor: 'needloop', action: 'run closed', target: `run ${run.id}${candidate === null ? '' : `, model ${candidate}`}`, outcome: 'accepted', detail: `${why}${candidate === null ? '' : `; candidate model ${candidate} rejected`}`, source: 'temporal sweeper' }).execute();
      return candidate;
    });
    if (rejected !== undefined) closed.push({ run_id: run.id, run_key: run.run_key!, state, rejected });
  }
  return closed;
}

export async function closeInterruptedRuns(db: Kysely<Database>): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    const runs = await trx.updateTable('pipeline_runs')
      .set({ status: 'failed', error: 'interrupted: the process stopped before the run finished', finished_at: new Date() })
      .where('runner', '=', 'local').where('status', '=', 'running').returning(['id', 'started_at']).execute();
    if (runs.length > 0) {
      const since = new Date(Math.min(...runs.map((r) => r.started_at.getTime())));
      await trx.updateTable('model_versions').set({ status: 'rejected', status_reason: 'its pipeline run was interrupted before the approval step' })
        .where('status', 'in', ['candidate', 'awaiting_approval']).where('created_at', '>=', since)
        .where('id', 'not in', trx.selectFrom('pipeline_runs').select('candidate_id').where('status', '=', 'awaiting_approval').where('candidate_id', 'is not', null).$narrowType<{ candidate_id: string }>())
        .execute();
    }
    return runs.map((r) => r.id);
  });
}
