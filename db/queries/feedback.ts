/**
 * What users' feedback says about the production model's predictions in a window, counted
 * in Postgres: (predicted, actual) pairs — confirmed means the prediction was right,
 * corrected gives the right intent — confidence bins, and corrections per intent.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Population } from './drift-windows.js';

function population(p: Population) {
  const segment = p.segment === undefined ? sql`` : sql`join user_segments s on s.user_id = e.user_id and s.segment_run_id = ${p.segment.runId} and s.segment_id = ${p.segment.segmentId}`;
  return sql`from usage_events e ${segment} where e.ts >= ${p.window.from} and e.ts < ${p.window.to}`;
}

export async function labelledPairs(db: Kysely<Database>, p: Population): Promise<{ predicted: string; actual: string; count: number }[]> {
  const { rows } = await sql<{ predicted: string; actual: string; count: string }>`
    select e.predicted_intent as predicted,
           case e.feedback when 'confirmed' then e.predicted_intent else e.corrected_intent end as actual,
           count(*) as count
      ${population(p)} and e.feedback is not null and e.predicted_intent is not null
     group by 1, 2`.execute(db);
  return rows.map((r) => ({ ...r, count: Number(r.count) }));
}

/** Predictions per confidence tenth, with how many were labelled and how many of those right. */
export async function confidenceBins(db: Kysely<Database>, p: Population): Promise<{ bin: number; n: number; labelled: number; correct: number }[]> {
  const { rows } = await sql<{ bin: number; n: string; labelled: string; correct: string }>`
    select least(floor(e.confidence * 10), 9)::int as bin, count(*) as n,
           count(*) filter (where e.feedback is not null) as labelled,
           count(*) filter (where e.feedback = 'confirmed') as correct
      ${population(p)} and e.confidence is not null and e.predicted_intent is not null
     group by 1`.execute(db);
  return rows.map((r) => ({ bin: r.bin, n: Number(r.n), labelled: Number(r.labelled), correct: Number(r.correct) }));
}

/** Intents the model predicted in a window: what it knows. */
export async function predictedIntents(db: Kysely<Database>, p: Population): Promise<Set<string>> {
  const { rows } = await sql<{ intent: string }>`select distinct e.predicted_intent as intent ${population(p)} and e.predicted_intent is not null`.execute(db);
  return new Set(rows.map((r) => r.intent));
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
