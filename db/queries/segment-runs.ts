import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { TimeWindow } from './time-window.js';

export interface StoredSegmentation {
  window: TimeWindow;
  kRequested: number | 'auto';
  seed: string;
  features: { names: string[]; means: number[]; stds: number[] };
  userIds: readonly string[];
  segmentation: {
    k: number;
    silhouette: number | null;
    tried: { k: number; silhouette: number | null }[];
    segments: { id: number; name: string; size: number; centroid: Record<string, number>; distinctive: { feature: string; z: number; value: number; overall: number }[] }[];
    assignments: ArrayLike<number>;
  };
  pipelineRunId?: string | null;
  /** More to store in the same transaction (users assigned in SQL: user-feature-table.ts). */
  alsoStore?: (trx: Kysely<Database>, segmentRunId: string) => Promise<void>;
}

/** Stores a segmentation and every user's segment in one transaction; returns its id. */
export async function storeSegmentRun(db: Kysely<Database>, run: StoredSegmentation): Promise<string> {
  const id = await db.transaction().execute(async (trx) => {
    const { id } = await trx
      .insertInto('segment_runs')
      .values({
        pipeline_run_id: run.pipelineRunId ?? null,
        window_from: run.window.from,
        window_to: run.window.to,
        k: run.segmentation.k,
        k_requested: String(run.kRequested),
        seed: run.seed,
        silhouette: run.segmentation.silhouette,
        features: JSON.stringify(run.features),
        tried: JSON.stringify(run.segmentation.tried),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('segments')
      .values(run.segmentation.segments.map((s) => ({ segment_run_id: id, segment_id: s.id, name: s.name, size: s.size, centroid: JSON.stringify(s.centroid), distinctive: JSON.stringify(s.distinctive) })))
      .execute();
    const CHUNK = 5000;
    for (let i = 0; i < run.userIds.length; i += CHUNK) {
      await trx
        .insertInto('user_segments')
        .values(run.userIds.slice(i, i + CHUNK).map((user_id, j) => ({ segment_run_id: id, user_id, segment_id: run.segmentation.assignments[i + j] })))
        .execute();
    }
    await run.alsoStore?.(trx, id);
    return id;
  });
  // Drift per segment joins on these rows straight away: give the planner their numbers.
  await sql`analyze user_segments`.execute(db);
  return id;
}

/** The most recent segment run, with its segments; null when none exists. */
export async function latestSegmentRun(db: Kysely<Database>) {
  const run = await db.selectFrom('segment_runs').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (run === undefined) return null;
  const segments = await db.selectFrom('segments').selectAll().where('segment_run_id', '=', run.id).orderBy('segment_id').execute();
  return { run, segments };
}
