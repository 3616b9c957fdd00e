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

/** Intents the logged predictions of a window name: what the model that served it knew. */
export async function loggedIntents(db: Kysely<Database>, window: TimeWindow): Promise<string[]> {
  const { rows } = await sql<{ intent: string }>`
    select distinct e.predicted_intent as intent from usage_events e
     where e.ts >= ${window.from} and e.ts < ${window.to} and e.predicted_intent is not null`.execute(db);
  return rows.map((r) => r.intent);
}

/** Requests each model version served in both windows, most served in both first. */
export async function servedVersions(db: Kysely<Database>, reference: TimeWindow, current: TimeWindow): Promise<{ version: string; reference: number; current: number; both: number }[]> {
  const { rows } = await sql<{ version: string; reference: string; current: string }>`
    select e.model_version as version,
           count(*) filter (where e.ts >= ${reference.from} and e.ts < ${reference.to}) as reference,
           count(*) filter (where e.ts >= ${current.from} and e.ts < ${current.to}) as current
      from usage_events e
     where e.model_version is not null and ((e.ts >= ${reference.from} and e.ts < ${reference.to}) or (e.ts >= ${current.from} and e.ts < ${current.to}))
     group by 1`.execute(db);
  return rows
    .map((r) => ({ version: r.version, reference: Number(r.reference), current: Number(r.current), both: Math.min(Number(r.reference), Number(r.current)) }))
    .sort((a, b) => b.both - a.both || (a.version < b.version ? -1 : 1));
}

export async function correctionsByIntent(db: Kysely<Database>, p: Population): Promise<Map<string, number>> {
  const { rows } = await sql<{ intent: string; n: string }>`
    select e.corrected_intent as intent, count(*) as n ${population(p)} and e.feedback = 'corrected' group by 1`.execute(db);
  return new Map(rows.map((r) => [r.intent, Number(r.n)]));
}

export async function correctedExamples(db: Kysely<Database>, p: Population, intent: string, limit = 5): Promise<string[]> {
  const { rows } = await sql<{ text: string }>`
    select e.request_text as text ${population(p)} and e.corrected_intent = ${intent} and e.request_text is not null
     order by e.ts desc limit ${limit}`.execute(db);
  return rows.map((r) => r.text);
}

/**
 * What the logs say of the model that served a window: accuracy of its logged predictions
 * on the labelled ones and its mean logged confidence, among requests served by `version`.
 */
export async function loggedServing(db: Kysely<Database>, window: TimeWindow, version: string): Promise<{ labelled: number; right: number; confidence: number | null; predictions: number }> {
  const { rows } = await sql<{ labelled: string; right: string; confidence: number | null; predictions: string }>`
    select count(*) filter (where e.feedback is not null and (e.feedback = 'confirmed' or e.corrected_intent is not null)) as labelled,
           count(*) filter (where e.feedback = 'confirmed' or (e.feedback = 'corrected' and e.corrected_intent = e.predicted_intent)) as right,
           avg(e.confidence) as confidence, count(e.confidence) as predictions
      from usage_events e
     where e.ts >= ${window.from} and e.ts < ${window.to} and e.model_version = ${version} and e.predicted_intent is not null`.execute(db);
  const r = rows[0];
  return { labelled: Number(r.labelled), right: Number(r.right), confidence: r.confidence === null ? null : Number(r.confidence), predictions: Number(r.predictions) };
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
