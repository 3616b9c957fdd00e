import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../schema.js';

/** A half-open interval of time [from, to). */
export interface TimeWindow {
  from: Date;
  to: Date;
}

export class WindowError extends Error {
  override name = 'WindowError';
}

const DAY_MS = 86_400_000;
/** A window without bounds is the last four weeks of data ("L28"). */
export const DEFAULT_WINDOW_DAYS = 28;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Parses `--from` / `--to` style dates: a YYYY-MM-DD `to` includes that whole day. */
export function parseWindowBound(value: string, flag: string, end: boolean): Date {
  const ms = Date.parse(DATE.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) throw new WindowError(`${flag} ${JSON.stringify(value)} is not a date (use YYYY-MM-DD or an ISO 8601 time)`);
  return new Date(end && DATE.test(value) ? ms + DAY_MS : ms);
}

/** Just after the latest row of `table` (the end of a window holding it); null when empty. */
export async function latestTime(db: Kysely<Database>, table: 'usage_events' | 'survey_responses'): Promise<Date | null> {
  const last = table === 'usage_events' ? await latestEvent(db) : await maxTime(db, sql<{ last: Date | null }>`select max(submitted_at) as last from survey_responses`);
  return last === null ? null : new Date(last.getTime() + 1);
}

async function maxTime(db: Kysely<Database>, query: RawBuilder<{ last: Date | null }>): Promise<Date | null> {
  return (await query.execute(db)).rows[0].last;
}

/** A month partition's bounds as pg_get_expr writes them: FOR VALUES FROM ('…') TO ('…'). */
const PARTITION_BOUNDS = String.raw`FROM \('([^']+)'\) TO \('([^']+)'\)`;

/**
 * The latest event's time. usage_events is partitioned by month: a plain max(ts) plans and
 * locks every month (each answers from its key, which leads with ts); this reads the
 * partitions newest first, up to the first that holds an event (then anything newer, in
 * the default partition, too).
 */
async function latestEvent(db: Kysely<Database>): Promise<Date | null> {
  const { rows: months } = await sql<{ lower: Date; upper: Date }>`
    select b[1]::timestamptz as lower, b[2]::timestamptz as upper
      from (select regexp_match(pg_get_expr(c.relpartbound, 0), ${PARTITION_BOUNDS}) as b
              from pg_inherits i join pg_class c on c.oid = i.inhrelid
             where i.inhparent = to_regclass('usage_events')) p
     where b is not null
     order by upper desc`.execute(db);
  for (const { lower, upper } of months) {
    const last = await maxTime(db, sql<{ last: Date | null }>`select max(ts) as last from usage_events where ts >= ${lower} and ts < ${upper}`);
    if (last === null) continue;
    const newer = await maxTime(db, sql<{ last: Date | null }>`select max(ts) as last from usage_events where ts >= ${upper}`);
    return newer !== null && newer > last ? newer : last;
  }
  return maxTime(db, sql<{ last: Date | null }>`select max(ts) as last from usage_events`);
}

/**
 * The window asked for. A missing `to` is just after the last row of `table`; a missing
 * `from` is 28 days before `to`. Null when a bound is missing and there is no data.
 */
export async function resolveWindow(
  db: Kysely<Database>,
  table: 'usage_events' | 'survey_responses',
  bounds: { from?: Date; to?: Date },
): Promise<TimeWindow | null> {
  let { from, to } = bounds;
  if (to === undefined) {
    const last = await latestTime(db, table);
    if (last === null) return null;
    to = last;
  }
  from ??= new Date(to.getTime() - DEFAULT_WINDOW_DAYS * DAY_MS);
  if (from >= to) throw new WindowError(`the window is empty: --from ${from.toISOString()} is not before --to ${to.toISOString()}`);
  return { from, to };
}
