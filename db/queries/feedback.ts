/**
 * What the logs say about models and feedback in a window, counted in Postgres: which
 * versions served, what they predicted, and corrections per intent.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Population } from './drift-windows.js';
import type { TimeWindow } from './time-window.js';

function population(p: Population) {
  const segment = p.segment === undefined ? sql`` : sql`join user_segments s on s.user_id = e.user_id and s.segment_run_id = ${p.segment.runId} and s.segment_id = ${p.segment.segmentId}`;
  return sql`from usage_events e ${segment} where e.ts >= ${p.window.from} and e.ts < ${p.window.to}`;
}

export async function correctedExamples(db: Kysely<Database>, p: Population, intent: string, limit = 5): Promise<string[]> {
  const { rows } = await sql<{ text: string }>`
    select e.request_text as text ${population(p)} and e.corrected_intent = ${intent} and e.request_text is not null
     order by e.ts desc limit ${limit}`.execute(db);
  return rows.map((r) => r.text);
}

export interface OutOfScopeDay {
  /** UTC date, YYYY-MM-DD. */
  date: string;
  /** Requests answered by a model that says whether a request is out of scope. */
  answered: number;
  flagged: number;
}

/** Per day of `window`: requests whose logged prediction says whether it was out of scope, and how many were. */
export async function outOfScopeByDay(db: Kysely<Database>, window: TimeWindow): Promise<OutOfScopeDay[]> {
  const { rows } = await sql<{ date: string; answered: string; flagged: string }>`
    select to_char(date_trunc('day', e.ts at time zone 'UTC'), 'YYYY-MM-DD') as date,
           count(*) as answered, count(*) filter (where e.out_of_scope) as flagged
      from usage_events e
     where e.ts >= ${window.from} and e.ts < ${window.to} and e.out_of_scope is not null
     group by 1 order by 1`.execute(db);
  return rows.map((r) => ({ date: r.date, answered: Number(r.answered), flagged: Number(r.flagged) }));
}

/** The newest requests of `window` that the serving model found to be none of its needs: a first hint of an unnamed need. */
export async function outOfScopeExamples(db: Kysely<Database>, window: TimeWindow, limit = 8): Promise<{ ts: Date; text: string; guess: string | null; confidence: number | null }[]> {
  const { rows } = await sql<{ ts: Date; text: string; guess: string | null; confidence: number | null }>`
    select e.ts, e.request_text as text, e.predicted_intent as guess, e.confidence
      from usage_events e
     where e.ts >= ${window.from} and e.ts < ${window.to} and e.out_of_scope and e.request_text is not null
     order by e.ts desc, e.event_id limit ${limit}`.execute(db);
  return rows;
}
