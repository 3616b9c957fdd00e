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
import type { PopulationKey, SummaryOptions } from './drift-summaries.js';
import type { TimeWindow } from './time-window.js';

/** Each column's values, ascending, from (column, value, count) rows ordered by column then value. */
function layOut(counts: readonly { col: string; v: number; n: number }[], columns: Map<string, Float64Array>): void {
  const totals = new Map<string, number>();
  for (const c of counts) totals.set(c.col, (totals.get(c.col) ?? 0) + c.n);
  const filled = new Map<string, number>();
  for (const c of counts) {
    const at = filled.get(c.col) ?? 0;
    if (at === 0) columns.set(c.col, new Float64Array(totals.get(c.col)!));
    columns.get(c.col)!.fill(c.v, at, at + c.n);
    filled.set(c.col, at + c.n);
  }
}

/**
 * Each population's survey columns in WINDOW: all respondents (`all`) and, split by a
 * segment run, each segment's (a respondent the run did not place counts for all only).
 * Both queries count per segment; all respondents' counts are their sums.
 */
export async function surveyColumns(db: Kysely<Database>, window: TimeWindow, options: SummaryOptions = {}): Promise<Map<PopulationKey, Map<string, Float64Array>>> {
  const split = options.segmentRunId !== undefined && options.segmentRunId !== null;
  const segment = split ? sql`s.segment_id` : sql`null::integer`;
  const join = split ? sql`left join user_segments s on s.user_id = r.user_id and s.segment_run_id = ${options.segmentRunId}` : sql``;
  const where = sql`where r.submitted_at >= ${window.from} and r.submitted_at < ${window.to}`;
  const responses = await sql<{ segment: number | null; col: string; v: number; n: string }>`
    select ${segment} as segment, x.col, x.v, count(*) as n
      from survey_responses r ${join}
      cross join lateral (values (1, 'nps', r.nps), (2, 'csat', r.csat)) x(k, col, v)
      ${where} and x.v is not null
     group by 1, x.k, x.col, x.v order by x.k, x.v, 1`.execute(db);
  // Per need (by id), its answers in the survey file's order: importance, satisfaction, the two Kano answers.
  const answerValues = sql.join(SURVEY_ANSWER_PREFIXES.map(([, column], k) => sql`(${sql.lit(k)}, a.${sql.ref(column)})`));
  const answers = await sql<{ segment: number | null; need_id: string; k: number; v: number; n: string }>`
    select ${segment} as segment, a.need_id, x.k, x.v, count(*) as n
      from survey_answers a join survey_responses r using (response_id) ${join}
      cross join lateral (values ${answerValues}) x(k, v)
      ${where} and x.v is not null
     group by 1, a.need_id, x.k, x.v order by a.need_id, x.k, x.v, 1`.execute(db);
  const counts = [
    ...responses.rows,
    ...answers.rows.map((a) => ({ segment: a.segment, col: `${SURVEY_ANSWER_PREFIXES[a.k][0]}${a.need_id}`, v: a.v, n: a.n })),
  ];
  // Rows come ordered by column and value: each population's share of them keeps that order.
  const byPopulation = new Map<PopulationKey, Map<string, { col: string; v: number; n: number }>>([['all', new Map()]]);
  for (const c of counts) {
    for (const key of c.segment === null ? ['all' as const] : ['all' as const, c.segment]) {
      if (!byPopulation.has(key)) byPopulation.set(key, new Map());
      const at = byPopulation.get(key)!;
      const id = `${c.col}\u0000${c.v}`;
      const seen = at.get(id);
      if (seen === undefined) at.set(id, { col: c.col, v: c.v, n: Number(c.n) });
      else seen.n += Number(c.n);
    }
  }
  const out = new Map<PopulationKey, Map<string, Float64Array>>();
  for (const [key, at] of byPopulation) {
    const columns = new Map<string, Float64Array>([['nps', new Float64Array(0)], ['csat', new Float64Array(0)]]);
    layOut([...at.values()], columns);
    out.set(key, columns);
  }
  return out;
}
