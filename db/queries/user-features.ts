/**
 * Per-user features for segmentation, computed in Postgres over a window of usage events:
 * node receives one row per user, never the events themselves.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../schema.js';
import type { TimeWindow } from './time-window.js';

export interface UserFeatures {
  userIds: string[];
  /** Column names of `matrix`; `share_<feature>` for each product feature used in the window. */
  features: string[];
  /** One row per user, row-major; NaN where a user has no value (no ratings, no survey answer). */
  matrix: { rows: number; columns: number; data: Float64Array };
}

const FIXED = [
  'events_per_day', 'active_days', 'recency_days', 'success_rate', 'failure_rate', 'abandon_rate',
  'mean_latency_ms', 'mean_rating', 'feedback_rate', 'plan_free', 'plan_pro', 'plan_enterprise', 'nps', 'csat',
] as const;

/**
 * The query of one row per user active in WINDOW (user_id, then a column per feature), its
 * features' names and their columns in the rows.
 */
export async function userFeatureQuery(db: Kysely<Database>, window: TimeWindow): Promise<{ query: RawBuilder<Record<string, string | number | null>>; features: string[]; columns: string[] }> {
  const days = Math.max(1, (window.to.getTime() - window.from.getTime()) / 86_400_000);
  const products = await sql<{ feature: string }>`
    select distinct feature from usage_events where ts >= ${window.from} and ts < ${window.to} order by feature`.execute(db);
  const productFeatures = products.rows.map((r) => r.feature);
  // One filtered count per product feature; the values travel as parameters.
  const shares = productFeatures.length === 0
    ? sql``
    : sql`, ${sql.join(productFeatures.map((f, i) => sql`count(*) filter (where e.feature = ${f})::float8 / count(*) as ${sql.ref(`share_${i}`)}`))}`;
  const query = sql<Record<string, string | number | null>>`
    with activity as (
      select e.user_id,
             count(*)::float8 / ${days}::float8 as events_per_day,
             count(distinct date_trunc('day', e.ts at time zone 'UTC'))::float8 as active_days,
             extract(epoch from (${window.to}::timestamptz - max(e.ts))) / 86400 as recency_days,
             avg((e.outcome = 'success')::int) as success_rate,
             avg((e.outcome = 'failure')::int) as failure_rate,
             avg((e.outcome = 'abandoned')::int) as abandon_rate,
             avg(e.latency_ms) as mean_latency_ms,
             avg(e.rating) as mean_rating,
             avg((e.feedback is not null)::int) as feedback_rate
             ${shares}
        from usage_events e
       where e.ts >= ${window.from} and e.ts < ${window.to}
       group by e.user_id),
    latest_nps as (
      select distinct on (user_id) user_id, nps from survey_responses
       where nps is not null and submitted_at < ${window.to} order by user_id, submitted_at desc),
    latest_csat as (
      select distinct on (user_id) user_id, csat from survey_responses
       where csat is not null and submitted_at < ${window.to} order by user_id, submitted_at desc)
    select a.*,
           case when u.plan is null then null else (u.plan = 'free')::int end as plan_free,
           case when u.plan is null then null else (u.plan = 'pro')::int end as plan_pro,
           case when u.plan is null then null else (u.plan = 'enterprise')::int end as plan_enterprise,
           n.nps, c.csat
      from activity a
      left join users u using (user_id)
      left join latest_nps n using (user_id)
      left join latest_csat c using (user_id)
     order by a.user_id`;
  return { query, features: [...FIXED, ...productFeatures.map((f) => `share_${f}`)], columns: [...FIXED, ...productFeatures.map((_, i) => `share_${i}`)] };
}

/** Rows of user features as user ids and a matrix (NaN where a user has no value). */
export function rowsToMatrix(rows: readonly Record<string, string | number | null>[], columns: readonly string[]): Omit<UserFeatures, 'features'> {
  const data = new Float64Array(rows.length * columns.length);
  rows.forEach((row, r) => {
    columns.forEach((column, c) => {
      const v = row[column];
      data[r * columns.length + c] = v === null || v === undefined ? NaN : Number(v);
    });
  });
  return { userIds: rows.map((r) => String(r.user_id)), matrix: { rows: rows.length, columns: columns.length, data } };
}

export async function extractUserFeatures(db: Kysely<Database>, window: TimeWindow): Promise<UserFeatures> {
  const { query, features, columns } = await userFeatureQuery(db, window);
  const { rows } = await query.execute(db);
  return { features, ...rowsToMatrix(rows, columns) };
}
