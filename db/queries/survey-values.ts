/**
 * Survey answers of a window as columns (nps, csat, imp_<need>, sat_<need>, kano_f_<need>,
 * kano_d_<need>) for drift. Survey windows hold hundreds or thousands of responses, so
 * their values are read whole.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Population } from './drift-windows.js';

export async function surveyColumns(db: Kysely<Database>, p: Population): Promise<Map<string, number[]>> {
  const segment = p.segment === undefined ? sql`` : sql`join user_segments s on s.user_id = r.user_id and s.segment_run_id = ${p.segment.runId} and s.segment_id = ${p.segment.segmentId}`;
  const where = sql`where r.submitted_at >= ${p.window.from} and r.submitted_at < ${p.window.to}`;
  const columns = new Map<string, number[]>([['nps', []], ['csat', []]]);
  const push = (name: string, v: number | null) => {
    if (v === null) return;
    let list = columns.get(name);
    if (list === undefined) columns.set(name, (list = []));
    list.push(v);
  };
  const responses = await sql<{ nps: number | null; csat: number | null }>`select r.nps, r.csat from survey_responses r ${segment} ${where}`.execute(db);
  for (const r of responses.rows) {
    push('nps', r.nps);
    push('csat', r.csat);
  }
  const answers = await sql<{ need_id: string; importance: number | null; satisfaction: number | null; kano_functional: number | null; kano_dysfunctional: number | null }>`
    select a.need_id, a.importance, a.satisfaction, a.kano_functional, a.kano_dysfunctional
      from survey_answers a join survey_responses r using (response_id) ${segment} ${where}`.execute(db);
  for (const a of answers.rows) {
    push(`imp_${a.need_id}`, a.importance);
    push(`sat_${a.need_id}`, a.satisfaction);
    push(`kano_f_${a.need_id}`, a.kano_functional);
    push(`kano_d_${a.need_id}`, a.kano_dysfunctional);
  }
  return columns;
}
