/**
 * Training and evaluation examples for the intent model, from usage feedback: a
 * confirmed prediction labels its request with the predicted intent, a correction with
 * the corrected one; a request a product manager labelled by adopting a discovered need
 * (`needloop needs adopt`) carries that need, whatever its feedback said. The frozen golden set is kept apart and never trained on.
 *
 * Every event belongs for good to one of two partitions, by a hash of its id: the
 * holdout partition (30 %) is never trained on by any model, so any model can be judged
 * on it, old or new; the training partition is what models learn from. A change in what
 * users ask can then be learnt the night it is seen, while the judges stay unseen data.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { TimeWindow } from './time-window.js';

export interface LabelledExample {
  event_id: string;
  ts: Date;
  text: string;
  intent: string;
  user_id: string;
  plan: string | null;
  /** The user's persona in the given segmentation; null without one. */
  segment: string | null;
  /** Optional attributes from the users file, for fairness across groups. */
  country: string | null;
  age_band: string | null;
  gender: string | null;
}

/** Share of events in the holdout partition (a byte of md5(event_id) below 77 of 256). */
export const HOLDOUT_SHARE = 0.3;
const HOLDOUT_BYTE = Math.round(HOLDOUT_SHARE * 256);

/** Whether the usage event aliased `e` is in the holdout partition (SQL). */
export function inHoldout(alias = 'e') {
  return sql`(get_byte(decode(md5(${sql.ref(`${alias}.event_id`)}), 'hex'), 0) < ${sql.lit(HOLDOUT_BYTE)})`;
}

export type Partition = 'train' | 'holdout' | 'all';

export interface ExampleQuery {
  window: TimeWindow;
  /** Segmentation whose persona names label the examples. */
  segmentRunId: string | null;
  /** At most this many: the most recent, or a deterministic sample when `sampleSeed` is set. */
  limit?: number;
  sampleSeed?: string;
  /** Which partition (default: all). */
  partition?: Partition;
}

/** The labelled examples of a query, unordered and unlimited (SQL). */
function labelledSelect(q: ExampleQuery) {
  const partition = q.partition === 'train' ? sql`and not ${inHoldout()}` : q.partition === 'holdout' ? sql`and ${inHoldout()}` : sql``;
  return sql`
    select e.event_id, e.ts, e.request_text as text,
           coalesce(a.intent, case e.feedback when 'confirmed' then e.predicted_intent else e.corrected_intent end) as intent,
           e.user_id, u.plan, s.name as segment, u.country, u.age_band, u.gender
      from usage_events e
      left join adopted_examples a on a.event_id = e.event_id
      left join users u on u.user_id = e.user_id
      left join user_segments us on us.user_id = e.user_id and us.segment_run_id = ${q.segmentRunId}
      left join segments s on s.segment_run_id = us.segment_run_id and s.segment_id = us.segment_id
     where e.ts >= ${q.window.from} and e.ts < ${q.window.to}
       and e.request_text is not null
       and coalesce(a.intent, case e.feedback when 'confirmed' then e.predicted_intent else e.corrected_intent end) is not null
       and not exists (select 1 from golden_examples g where g.event_id = e.event_id)
       ${partition}`;
}

/** Oldest first, whichever rows a query chose. */
const byTime = <T extends { ts: Date; event_id: string }>(rows: T[]) => rows.sort((a, b) => a.ts.getTime() - b.ts.getTime() || (a.event_id < b.event_id ? -1 : 1));

export async function labelledExamples(db: Kysely<Database>, q: ExampleQuery): Promise<LabelledExample[]> {
  const order = q.sampleSeed === undefined ? sql`e.ts desc, e.event_id` : sql`md5(e.event_id || ${q.sampleSeed})`;
  const limit = q.limit === undefined ? sql`` : sql`limit ${q.limit}`;
  const { rows } = await sql<LabelledExample>`${labelledSelect(q)} order by ${order} ${limit}`.execute(db);
  return byTime(rows);
}

/**
 * At most about `limit` of a query's examples (one more per intent at worst), a sample
 * stratified by intent: every intent keeps the same share of its examples, rounded up (so
 * each keeps at least one), drawn by a hash of the event id and `sampleSeed`. The sample is
 * self-weighting — accuracy over it estimates accuracy over all the examples — and the same
 * rows come back each time. At or below `limit`, every example. `total`: how many there were.
 */
export async function stratifiedExamples(db: Kysely<Database>, q: ExampleQuery & { limit: number }): Promise<{ examples: LabelledExample[]; total: number }> {
  const seed = q.sampleSeed ?? 'stratified';
  const { rows } = await sql<LabelledExample & { total: string; in_intent: string; draw: string }>`
    with labelled as (${labelledSelect(q)}),
    drawn as (
      select l.*, count(*) over () as total, count(*) over (partition by l.intent) as in_intent,
             row_number() over (partition by l.intent order by md5(l.event_id || ${seed})) as draw
        from labelled l)
    select * from drawn where total <= ${q.limit} or draw <= ceil(${q.limit}::numeric * in_intent / total)`.execute(db);
  const total = rows.length === 0 ? 0 : Number(rows[0].total);
  return { examples: byTime(rows.map(({ total: _t, in_intent: _i, draw: _d, ...example }) => example)), total };
}

/** The earliest labelled example's time; null when there is none. */
export async function firstLabelledTime(db: Kysely<Database>): Promise<Date | null> {
  const { rows } = await sql<{ first: Date | null }>`select min(ts) as first from usage_events where feedback is not null and request_text is not null`.execute(db);
  return rows[0].first;
}

export async function goldenExamples(db: Kysely<Database>): Promise<{ event_id: string; text: string; intent: string }[]> {
  return db.selectFrom('golden_examples').select(['event_id', 'text', 'intent']).orderBy('event_id').execute();
}
