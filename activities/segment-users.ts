/**
 * Segments the users active in a window: features in SQL, k-means in analytics/, the
 * result and every user's segment stored for the report and for drift per segment.
 *
 * The users' features are computed into a temporary table (db/queries/user-feature-table.ts).
 * Up to SEGMENT_SAMPLE_FROM users, node reads them all and fits on them all. Beyond, the
 * features stay in Postgres: k-means is fitted
 * on a seeded sample of that many users, standardised with every user's means and spreads,
 * and each user is assigned to the nearest centre in SQL, where the segments' sizes and means
 * are counted too — node never holds the whole population.
 */
import { AUTO_FIT_ROWS, describeSegments, segmentUsers, type Segmentation } from '../analytics/index.js';
import type { DatabaseHandle } from '../db/connection.js';
import { storeSegmentRun } from '../db/queries/segment-runs.js';
import { resolveWindow } from '../db/queries/time-window.js';
import { assignToNearest, sampleUserFeatures, storeAssignedSegments, withUserFeatureTable } from '../db/queries/user-feature-table.js';
import { AnalysisError } from './analyze-needs.js';

export interface SegmentInput {
  from?: Date;
  to?: Date;
  k: number | 'auto';
  seed: string;
  pipelineRunId?: string | null;
  /** Fit on a sample, assign in SQL, from this many users (default SEGMENT_SAMPLE_FROM). */
  sampleFrom?: number;
  /** Whether the result lists every user's segment (default true; the pipeline needs only the count). */
  withAssignments?: boolean;
}

/** From this many active users, segmentation fits on a sample of this many and assigns the rest in SQL. */
export const SEGMENT_SAMPLE_FROM = AUTO_FIT_ROWS;

export interface SegmentResult extends Omit<Segmentation, 'assignments' | 'scaling' | 'centers'> {
  /** The usage window the features came from; null for a features file. */
  window: { from: string; to: string } | null;
  features: string[];
  /** Users segmented. */
  users: number;
  /** Every user's segment (empty when not asked for: withAssignments false). */
  assignments: { user_id: string; segment: number }[];
  /** Users k-means was fitted on: all of them, or a sample (then assigned in SQL). */
  fitted_on: number;
  segment_run_id: string | null;
}

/** Turns a segmentation of rows into the result users read (assignments by user id). */
export function segmentResult(userIds: readonly string[], features: readonly string[], segmentation: Segmentation, extra: { window: SegmentResult['window']; segment_run_id: string | null }): SegmentResult {
  const { assignments, scaling: _scaling, centers: _centers, ...rest } = segmentation;
  return { ...extra, ...rest, features: [...features], users: userIds.length, assignments: userIds.map((user_id, i) => ({ user_id, segment: assignments[i] })), fitted_on: userIds.length };
}

export async function segmentUsersInWindow(deps: { handle: DatabaseHandle }, input: SegmentInput): Promise<SegmentResult> {
  const { db } = deps.handle;
  const window = await resolveWindow(db, 'usage_events', input);
  if (window === null) throw new AnalysisError('no usage events are stored yet: ingest a usage file first (needloop ingest usage.jsonl)');
  const cannot = (error: string) => new AnalysisError(`cannot segment the users active from ${window.from.toISOString()} to ${window.to.toISOString()}: ${error}`);
  const sampleFrom = input.sampleFrom ?? SEGMENT_SAMPLE_FROM;
  const shown = { from: window.from.toISOString(), to: window.to.toISOString() };
  return withUserFeatureTable(db, window, async (table) => {
    if (table.users <= sampleFrom) {
      // Every user's features, in user id order: fitted on them all.
      const { userIds, matrix } = await sampleUserFeatures(table, table.users, input.seed);
      const segmentation = segmentUsers(table.features, matrix, { k: input.k, seed: input.seed });
      if ('error' in segmentation) throw cannot(segmentation.error);
      const id = await storeSegmentRun(table.db, { window, kRequested: input.k, seed: input.seed, features: { names: table.features, ...segmentation.scaling }, userIds, segmentation, pipelineRunId: input.pipelineRunId });
      const result = segmentResult(userIds, table.features, segmentation, { window: shown, segment_run_id: id });
      return input.withAssignments === false ? { ...result, assignments: [] } : result;
    }
    const scaling = { means: table.means, stds: table.stds };
    const sample = await sampleUserFeatures(table, sampleFrom, input.seed);
    const fitted = segmentUsers(table.features, sample.matrix, { k: input.k, seed: input.seed, scaling });
    if ('error' in fitted) throw cannot(fitted.error);
    const assigned = await assignToNearest(table, fitted.centers, fitted.k);
    const { segments, ids } = describeSegments(table.features, assigned.sizes, assigned.means, scaling);
    const segmentation = { k: fitted.k, silhouette: fitted.silhouette, tried: fitted.tried, segments, assignments: [] };
    const id = await storeSegmentRun(table.db, {
      window, kRequested: input.k, seed: input.seed, features: { names: table.features, ...scaling }, userIds: [], segmentation, pipelineRunId: input.pipelineRunId,
      alsoStore: (trx, runId) => storeAssignedSegments(trx, runId, ids),
    });
    const assignments = input.withAssignments === false ? [] : await segmentAssignments(table.db, id);
    return { window: shown, k: fitted.k, silhouette: fitted.silhouette, tried: fitted.tried, segments, features: table.features, users: table.users, assignments, fitted_on: sample.userIds.length, segment_run_id: id };
  });
}

async function segmentAssignments(db: DatabaseHandle['db'], segmentRunId: string): Promise<{ user_id: string; segment: number }[]> {
  const rows = await db.selectFrom('user_segments').select(['user_id', 'segment_id']).where('segment_run_id', '=', segmentRunId).orderBy('user_id').execute();
  return rows.map((r) => ({ user_id: r.user_id, segment: r.segment_id }));
}
