/**
 * The model registry's rows and its state changes. Every change of status runs in one
 * transaction under one advisory lock, so two approvers (or an approval and a rollback)
 * are applied one after the other; a unique index keeps production to one version.
 */
import { sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import type { Database, ModelStatus, ModelVersion, ModelVersionsTable } from '../schema.js';
import type { DecisionProof } from './pipeline-runs.js';

export class RegistryError extends Error {
  override name = 'RegistryError';
}

/** How a registry version is named in usage logs (`model_version`) and in /api/predict's answers. */
export function modelTag(id: string): string {
  return `needloop-${id}`;
}

const REGISTRY_LOCK = sql`select pg_advisory_xact_lock(hashtext('needloop:model-registry'))`;

export async function findModelVersion(db: Kysely<Database>, id: string): Promise<ModelVersion | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  return (await db.selectFrom('model_versions').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

export async function findProductionModel(db: Kysely<Database>): Promise<ModelVersion | null> {
  return (await db.selectFrom('model_versions').selectAll().where('status', '=', 'production').executeTakeFirst()) ?? null;
}

export async function listModelVersions(db: Kysely<Database>): Promise<ModelVersion[]> {
  return db.selectFrom('model_versions').selectAll().orderBy('id', 'desc').execute();
}

/** Registers a trained candidate and, for the first model, freezes the golden set with it. */
export async function registerCandidate(
  db: Kysely<Database>,
  row: Omit<Insertable<ModelVersionsTable>, 'status'>,
  golden: readonly { event_id: string; text: string; intent: string }[],
): Promise<ModelVersion> {
  return db.transaction().execute(async (trx) => {
    const version = await trx.insertInto('model_versions').values({ ...row, status: 'candidate' }).returningAll().executeTakeFirstOrThrow();
    for (let i = 0; i < golden.length; i += 1000) {
      await trx.insertInto('golden_examples').values(golden.slice(i, i + 1000).map((g) => ({ ...g, frozen_by_model_id: version.id }))).execute();
    }
    return version;
  });
}

async function lockedVersion(trx: Transaction<Database>, id: string): Promise<ModelVersion> {
  await REGISTRY_LOCK.execute(trx);
  const version = await trx.selectFrom('model_versions').selectAll().where('id', '=', id).executeTakeFirst();
  if (version === undefined) throw new RegistryError(`model ${id} does not exist (see needloop models)`);
  return version;
}

/** Stores an evaluation; the candidate awaits approval when blessed and is rejected otherwise. */
export async function recordEvaluation(
  db: Kysely<Database>,
  e: { candidateId: string; productionId: string | null; blessed: boolean; reasons: string[]; gate: object; report: object; metrics: object },
): Promise<{ evaluationId: string; status: ModelStatus }> {
  return db.transaction().execute(async (trx) => {
    const candidate = await lockedVersion(trx, e.candidateId);
    if (candidate.status !== 'candidate' && candidate.status !== 'awaiting_approval') {
      throw new RegistryError(`model ${candidate.id} is ${candidate.status}: only a candidate can be evaluated`);
    }
    const { id } = await trx.insertInto('evaluations').values({
      candidate_id: e.candidateId, production_id: e.productionId, blessed: e.blessed,
      reasons: JSON.stringify(e.reasons), gate: JSON.stringify(e.gate), report: JSON.stringify(e.report),
    }).returning('id').executeTakeFirstOrThrow();
    const status: ModelStatus = e.blessed ? 'awaiting_approval' : 'rejected';
    const reason = e.blessed ? 'blessed by the gate' : `refused by the gate: ${e.reasons.filter((r) => r.startsWith('FAIL')).join('; ')}`;
    await trx.updateTable('model_versions').set({ status, status_reason: reason, metrics: JSON.stringify(e.metrics) }).where('id', '=', e.candidateId).execute();
    return { evaluationId: id, status };
  });
}

/**
 * Proves, inside TRX, that BY decides ACTION: with PROOF the database checks the approver's
 * token and the audit row is written in the same transaction; without, a decision on
 * record for MODEL's run is taken as the proof (the step that acts on an approval), and
 * needloop's own rejections need none. A role that does not own the tables can change
 * production only so (db/migrations/2026-12-07T00-00-decisions.ts).
 */
async function proveDecision(trx: Kysely<Database>, action: 'promote' | 'reject' | 'rollback', model: string | null, decision: { by: string; comment?: string | null; proof?: DecisionProof }, target: string): Promise<void> {
  if (decision.proof !== undefined) {
    const who = (await sql<{ who: string }>`select needloop_authorize(${decision.proof.token}, ${action}) as who`.execute(trx)).rows[0].who;
    if (who !== decision.by) throw new RegistryError(`the token given is ${who}'s, not ${decision.by}'s`);
    await trx.insertInto('audit_log').values({ actor: who, action, target, outcome: 'accepted', detail: decision.comment ?? null, source: decision.proof.source }).execute();
  } else if (model !== null && decision.by !== 'needloop') {
    await sql`select needloop_authorize_decided(${model}, ${action})`.execute(trx);
  }
}

/** Makes a blessed candidate the production version; the previous one is archived. */
export async function promoteModel(db: Kysely<Database>, id: string, decision: { by: string; comment?: string | null; /** A person's `needloop promote`: a candidate a pipeline run holds is decided through that run (its deadline, its state), not here. */ outsideRun?: boolean; proof?: DecisionProof }): Promise<{ promoted: ModelVersion; previous: string | null }> {
  return db.transaction().execute(async (trx) => {
    const candidate = await lockedVersion(trx, id);
    if (candidate.status !== 'awaiting_approval') {
      throw new RegistryError(`model ${id} is ${candidate.status}: only a candidate the gate blessed (awaiting_approval) can be promoted`);
    }
    if (decision.outsideRun === true) {
      const run = await trx.selectFrom('pipeline_runs').select(['id', 'status', 'approval_deadline']).where('candidate_id', '=', id).orderBy('id', 'desc').executeTakeFirst();
      if (run !== undefined && run.status === 'awaiting_approval') {
        const late = run.approval_deadline !== null && new Date(run.approval_deadline).getTime() < Date.now();
        throw new RegistryError(late
          ? `model ${id} waited in pipeline run ${run.id}, whose approval deadline passed at ${new Date(run.approval_deadline!).toISOString()}: it can no longer be promoted; the next run trains a new candidate`
          : `model ${id} waits for approval in pipeline run ${run.id}: decide it there, so that the run ends as decided (needloop approve ${run.id} --token-file FILE)`);
      }
      if (run !== undefined) throw new RegistryError(`model ${id} was the candidate of pipeline run ${run.id}, which ended ${run.status} without promoting it: it can no longer be promoted`);
    }
    await proveDecision(trx, 'promote', id, decision, `model ${id}`);
    const previous = await trx.selectFrom('model_versions').select('id').where('status', '=', 'production').executeTakeFirst();
    if (previous !== undefined) {
      await trx.updateTable('model_versions').set({ status: 'archived', status_reason: `replaced by model ${id}` }).where('id', '=', previous.id).execute();
    }
    const promoted = await trx.updateTable('model_versions')
      .set({ status: 'production', status_reason: `promoted by ${decision.by}`, approved_by: decision.by, approved_at: new Date() })
      .where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    await trx.insertInto('promotions').values({ model_id: id, action: 'promote', previous_production_id: previous?.id ?? null, decided_by: decision.by, comment: decision.comment ?? null }).execute();
    return { promoted, previous: previous?.id ?? null };
  });
}

/** An engineer's refusal of a candidate awaiting approval. */
export async function rejectModel(db: Kysely<Database>, id: string, decision: { by: string; reason: string; proof?: DecisionProof }): Promise<ModelVersion> {
  return db.transaction().execute(async (trx) => {
    const candidate = await lockedVersion(trx, id);
    if (candidate.status !== 'awaiting_approval' && candidate.status !== 'candidate') {
      throw new RegistryError(`model ${id} is ${candidate.status}: only a candidate can be rejected`);
    }
    await proveDecision(trx, 'reject', id, { ...decision, comment: decision.reason }, `model ${id}`);
    await trx.insertInto('promotions').values({ model_id: id, action: 'reject', previous_production_id: null, decided_by: decision.by, comment: decision.reason }).execute();
    return trx.updateTable('model_versions').set({ status: 'rejected', status_reason: `rejected by ${decision.by}: ${decision.reason}` })
      .where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  });
}

/**
 * Puts back the version that production replaced: the current one is archived, the one
 * before it serves again.
 */
export async function rollbackModel(db: Kysely<Database>, decision: { by: string; comment?: string | null; proof?: DecisionProof }): Promise<{ restored: ModelVersion; retired: string }> {
  return db.transaction().execute(async (trx) => {
    await REGISTRY_LOCK.execute(trx);
    const current = await trx.selectFrom('model_versions').select('id').where('status', '=', 'production').executeTakeFirst();
    if (current === undefined) throw new RegistryError('there is no production model to roll back');
    const promotion = await trx.selectFrom('promotions').select('previous_production_id')
      .where('model_id', '=', current.id).where('action', '=', 'promote').orderBy('id', 'desc').limit(1).executeTakeFirst();
    const target = promotion?.previous_production_id ?? null;
    if (target === null) throw new RegistryError(`model ${current.id} is the first production model: there is nothing earlier to roll back to`);
    await proveDecision(trx, 'rollback', null, decision, 'production');
    await trx.updateTable('model_versions').set({ status: 'archived', status_reason: `rolled back by ${decision.by}` }).where('id', '=', current.id).execute();
    const restored = await trx.updateTable('model_versions').set({ status: 'production', status_reason: `restored by ${decision.by} (rollback of model ${current.id})` })
      .where('id', '=', target).returningAll().executeTakeFirstOrThrow();
    await trx.insertInto('promotions').values({ model_id: target, action: 'rollback', previous_production_id: current.id, decided_by: decision.by, comment: decision.comment ?? null }).execute();
    return { restored, retired: current.id };
  });
}
