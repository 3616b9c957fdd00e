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

/** A segment of one run and the persona it continues from the run before, by the users they share. */
export interface PersonaMatch {
  segment_id: number;
  previous: { segment_id: number; name: string; size: number; shared: number } | null;
}

/**
 * Which segment of the segment run before `runId` each of its segments continues: the one
 * holding most of its users, when that is also most of the earlier segment's users (a
 * persona renamed because its traits shifted is the same persona; one that merely shares
 * a name is not). Counted in Postgres over the two runs' assignments.
 */
export async function personaMatches(db: Kysely<Database>, runId: string): Promise<PersonaMatch[]> {
  const { rows } = await sql<{ segment_id: number; previous_id: number | null; name: string | null; size: number | null; shared: string | null; own: number }>`
    with prev as (select max(id) as id from segment_runs where id < ${runId}),
    shared as (
      select c.segment_id, p.segment_id as previous_id, count(*) as shared
        from user_segments c join user_segments p on p.user_id = c.user_id and p.segment_run_id = (select id from prev)
       where c.segment_run_id = ${runId}
       group by 1, 2),
    best as (select distinct on (segment_id) segment_id, previous_id, shared from shared order by segment_id, shared desc, previous_id)
    select s.segment_id, s.size as own, b.previous_id, p.name, p.size, b.shared
      from segments s
      left join best b on b.segment_id = s.segment_id
      left join segments p on p.segment_run_id = (select id from prev) and p.segment_id = b.previous_id
     where s.segment_run_id = ${runId}
     order by s.segment_id`.execute(db);
  return rows.map((r) => {
    const shared = Number(r.shared ?? 0);
    const same = r.previous_id !== null && r.size !== null && shared * 2 > r.own && shared * 2 > r.size;
    return { segment_id: r.segment_id, previous: same ? { segment_id: r.previous_id!, name: r.name!, size: r.size!, shared } : null };
  });
}
