/**
 * Segments the users active in a window: features in SQL, k-means in analytics/, the
 * result and every user's segment stored for the report and for drift per segment.
 */
import { segmentUsers, type Segmentation } from '../analytics/index.js';
import type { DatabaseHandle } from '../db/connection.js';
import { storeSegmentRun } from '../db/queries/segment-runs.js';
import { resolveWindow } from '../db/queries/time-window.js';
import { extractUserFeatures } from '../db/queries/user-features.js';
import { AnalysisError } from './analyze-needs.js';

export interface SegmentInput {
  from?: Date;
  to?: Date;
  k: number | 'auto';
  seed: string;
  pipelineRunId?: string | null;
}

export interface SegmentResult extends Omit<Segmentation, 'assignments' | 'scaling'> {
  /** The usage window the features came from; null for a features file. */
  window: { from: string; to: string } | null;
  features: string[];
  assignments: { user_id: string; segment: number }[];
  segment_run_id: string | null;
}

/** Turns a segmentation of rows into the result users read (assignments by user id). */
export function segmentResult(userIds: readonly string[], features: readonly string[], segmentation: Segmentation, extra: { window: SegmentResult['window']; segment_run_id: string | null }): SegmentResult {
  const { assignments, scaling: _scaling, ...rest } = segmentation;
  return { ...extra, ...rest, features: [...features], assignments: userIds.map((user_id, i) => ({ user_id, segment: assignments[i] })) };
}

export async function segmentUsersInWindow(deps: { handle: DatabaseHandle }, input: SegmentInput): Promise<SegmentResult> {
  const { db } = deps.handle;
  const window = await resolveWindow(db, 'usage_events', input);
  if (window === null) throw new AnalysisError('no usage events are stored yet: ingest a usage file first (needloop ingest usage.jsonl)');
  const { userIds, features, matrix } = await extractUserFeatures(db, window);
  const segmentation = segmentUsers(features, matrix, { k: input.k, seed: input.seed });
  if ('error' in segmentation) throw new AnalysisError(`cannot segment the users active from ${window.from.toISOString()} to ${window.to.toISOString()}: ${segmentation.error}`);
  const id = await storeSegmentRun(db, { window, kRequested: input.k, seed: input.seed, features: { names: features, ...segmentation.scaling }, userIds, segmentation, pipelineRunId: input.pipelineRunId });
  return segmentResult(userIds, features, segmentation, { window: { from: window.from.toISOString(), to: window.to.toISOString() }, segment_run_id: id });
}
