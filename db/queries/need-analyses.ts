import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { TimeWindow } from './time-window.js';

export interface NeedScoreRow {
  need: string;
  segment: number | null;
  n: number;
  importance: number | null;
  satisfaction: number | null;
  opportunity: number | null;
  kano: { category: string | null };
}

/** Stores a need analysis: the whole result for the report, and one row per need and segment. */
export async function storeNeedAnalysis(
  db: Kysely<Database>,
  input: { window: TimeWindow; segmentRunId: string | null; needs: readonly NeedScoreRow[]; result: unknown; pipelineRunId?: string | null },
): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const { id } = await trx
      .insertInto('need_analyses')
      .values({ pipeline_run_id: input.pipelineRunId ?? null, segment_run_id: input.segmentRunId, window_from: input.window.from, window_to: input.window.to, result: JSON.stringify(input.result) })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (input.needs.length > 0) {
      await trx
        .insertInto('need_scores')
        .values(
          input.needs.map((r) => ({
            need_analysis_id: id,
            need_id: r.need,
            segment_id: r.segment ?? -1,
            n: r.n,
            importance: r.importance,
            satisfaction: r.satisfaction,
            opportunity: r.opportunity,
            kano_category: r.kano.category,
            kano: JSON.stringify(r.kano),
          })),
        )
        .execute();
    }
    return id;
  });
}
