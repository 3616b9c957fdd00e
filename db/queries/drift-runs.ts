import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { TimeWindow } from './time-window.js';

export interface StoredColumn {
  segment: number | null;
  column: string;
  drifted: boolean | null;
  method: string | null;
  reason: string;
  statistics: Record<string, unknown>;
}

export async function storeDriftRun(
  db: Kysely<Database>,
  run: { reference: TimeWindow; current: TimeWindow; segmentRunId: string | null; datasetDrift: boolean; driftShare: number; retrain: boolean; result: unknown; columns: readonly StoredColumn[]; pipelineRunId?: string | null },
): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const { id } = await trx
      .insertInto('drift_runs')
      .values({
        pipeline_run_id: run.pipelineRunId ?? null,
        segment_run_id: run.segmentRunId,
        reference_from: run.reference.from,
        reference_to: run.reference.to,
        current_from: run.current.from,
        current_to: run.current.to,
        dataset_drift: run.datasetDrift,
        drift_share: run.driftShare,
        retrain: run.retrain,
        result: JSON.stringify(run.result),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (run.columns.length > 0) {
      await trx
        .insertInto('drift_results')
        .values(run.columns.map((c) => ({ drift_run_id: id, segment_id: c.segment ?? -1, column_name: c.column, drifted: c.drifted, method: c.method, reason: c.reason, statistics: JSON.stringify(c.statistics) })))
        .execute();
    }
    return id;
  });
}

/**
 * Earlier decisions for each column of all users, oldest first, from the most recent
 * `limit` checks whose current window ended before `before`.
 */
export async function driftHistory(db: Kysely<Database>, before: Date, limit: number): Promise<Map<string, (boolean | null)[]>> {
  const runs = await db.selectFrom('drift_runs').select('id').where('current_to', '<=', before).orderBy('current_to', 'desc').orderBy('id', 'desc').limit(limit).execute();
  const history = new Map<string, (boolean | null)[]>();
  if (runs.length === 0) return history;
  const ids = runs.map((r) => r.id).reverse();
  const rows = await db.selectFrom('drift_results').select(['drift_run_id', 'column_name', 'drifted']).where('segment_id', '=', -1).where('drift_run_id', 'in', ids).execute();
  for (const id of ids) {
    for (const r of rows.filter((row) => row.drift_run_id === id)) {
      let list = history.get(r.column_name);
      if (list === undefined) history.set(r.column_name, (list = []));
      list.push(r.drifted);
    }
  }
  return history;
}
