import { sql, type Kysely } from 'kysely';
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
  const column = table === 'usage_events' ? sql.ref('ts') : sql.ref('submitted_at');
  const { rows } = await sql<{ last: Date | null }>`select max(${column}) as last from ${sql.table(table)}`.execute(db);
  return rows[0].last === null ? null : new Date(rows[0].last.getTime() + 1);
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
