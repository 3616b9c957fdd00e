/**
 * Survey answers of a window as columns (nps, csat, imp_<need>, sat_<need>, kano_f_<need>,
 * kano_d_<need>) for drift, each a sorted array of its values. Every such value is a small
 * whole number (0–10, 1–5), so Postgres counts each column's values and the sorted column
 * is the counts laid out: the same values as reading every answer, without sending a row
 * per answer to node (a 20M-event night's two windows hold about 1,700,000 answers).
 */
import { sql, type Kysely } from 'kysely';
import { SURVEY_ANSWER_PREFIXES } from '../ingest/contracts.js';
import type { Database } from '../schema.js';
import type { Population } from './drift-windows.js';

/** Each column's values, ascending, from (column, value, count) rows ordered by column then value. */
function layOut(counts: readonly { col: string; v: number; n: string }[], columns: Map<string, Float64Array>): void {
  const totals = new Map<string, number>();
  for (const c of counts) totals.set(c.col, (totals.get(c.col) ?? 0) + Number(c.n));
  const filled = new Map<string, number>();
  for (const c of counts) {
    const at = filled.get(c.col) ?? 0;
    if (at === 0) columns.set(c.col, new Float64Array(totals.get(c.col)!));
    columns.get(c.col)!.fill(c.v, at, at + Number(c.n));
    filled.set(c.col, at + Number(c.n));
  }
}

export async function surveyColumns(db: Kysely<Database>, p: Population): Promise<Map<string, Float64Array>> {
  const segment = p.segment === undefined ? sql`` : sql`join user_segments s on s.user_id = r.user_id and s.segment_run_id = ${p.segment.runId} and s.segment_id = ${p.segment.segmentId}`;
  const where = sql`where r.submitted_at >= ${p.window.from} and r.submitted_at < ${p.window.to}`;
  const columns = new Map<string, Float64Array>([['nps', new Float64Array(0)], ['csat', new Float64Array(0)]]);
  const responses = await sql<{ col: string; v: number; n: string }>`
    select x.col, x.v, count(*) as n
      from survey_responses r ${segment}
      cross join lateral (values (1, 'nps', r.nps), (2, 'csat', r.csat)) x(k, col, v)
      ${where} and x.v is not null
     group by x.k, x.col, x.v order by x.k, x.v`.execute(db);
  layOut(responses.rows, columns);
  // Per need (by id), its answers in the survey file's order: importance, satisfaction, the two Kano answers.
  const answerValues = sql.join(SURVEY_ANSWER_PREFIXES.map(([, column], k) => sql`(${sql.lit(k)}, a.${sql.ref(column)})`));
  const answers = await sql<{ need_id: string; k: number; v: number; n: string }>`
    select a.need_id, x.k, x.v, count(*) as n
      from survey_answers a join survey_responses r using (response_id) ${segment}
      cross join lateral (values ${answerValues}) x(k, v)
      ${where} and x.v is not null
     group by a.need_id, x.k, x.v order by a.need_id, x.k, x.v`.execute(db);
  layOut(answers.rows.map((a) => ({ col: `${SURVEY_ANSWER_PREFIXES[a.k][0]}${a.need_id}`, v: a.v, n: a.n })), columns);
  return columns;
}
