/**
 * Survey answers counted in Postgres for the need analysis: identical answers are grouped
 * (per need, segment and week), so node receives counts, not responses.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { TimeWindow } from './time-window.js';

/** `count` responses gave this need these answers (null = blank). */
export interface AnswerCount {
  need: string;
  segment: number | null;
  week: string;
  importance: number | null;
  satisfaction: number | null;
  kano_functional: number | null;
  kano_dysfunctional: number | null;
  count: number;
}

/** `count` responses gave this NPS and CSAT. */
export interface ResponseCount {
  segment: number | null;
  week: string;
  nps: number | null;
  csat: number | null;
  count: number;
}

function segmentJoin(segmentRunId: string | null) {
  return segmentRunId === null
    ? sql`left join (select null::text as user_id, null::int as segment_id) s on false`
    : sql`left join user_segments s on s.user_id = r.user_id and s.segment_run_id = ${segmentRunId}`;
}

export async function countNeedAnswers(db: Kysely<Database>, window: TimeWindow, segmentRunId: string | null): Promise<AnswerCount[]> {
  const { rows } = await sql<{ need: string; segment: number | null; week: string; importance: number | null; satisfaction: number | null; kano_functional: number | null; kano_dysfunctional: number | null; count: string }>`
    select a.need_id as need, s.segment_id as segment,
           to_char(date_trunc('week', r.submitted_at at time zone 'UTC'), 'YYYY-MM-DD') as week,
           a.importance, a.satisfaction, a.kano_functional, a.kano_dysfunctional, count(*) as count
      from survey_answers a
      join survey_responses r using (response_id)
      ${segmentJoin(segmentRunId)}
     where r.submitted_at >= ${window.from} and r.submitted_at < ${window.to}
     group by 1, 2, 3, 4, 5, 6, 7`.execute(db);
  return rows.map((r) => ({ ...r, count: Number(r.count) }));
}

export async function countResponses(db: Kysely<Database>, window: TimeWindow, segmentRunId: string | null): Promise<ResponseCount[]> {
  const { rows } = await sql<{ segment: number | null; week: string; nps: number | null; csat: number | null; count: string }>`
    select s.segment_id as segment,
           to_char(date_trunc('week', r.submitted_at at time zone 'UTC'), 'YYYY-MM-DD') as week,
           r.nps, r.csat, count(*) as count
      from survey_responses r
      ${segmentJoin(segmentRunId)}
     where r.submitted_at >= ${window.from} and r.submitted_at < ${window.to}
     group by 1, 2, 3, 4`.execute(db);
  return rows.map((r) => ({ ...r, count: Number(r.count) }));
}

/** Survey comments in a window (for term growth and the needs they are about). */
export async function surveyComments(db: Kysely<Database>, window: TimeWindow): Promise<string[]> {
  const rows = await db
    .selectFrom('survey_responses')
    .select('comment')
    .where('submitted_at', '>=', window.from)
    .where('submitted_at', '<', window.to)
    .where('comment', 'is not', null)
    .orderBy('submitted_at')
    .execute();
  return rows.map((r) => r.comment!);
}
