// Inputs, outputs and state shared by the nightly workflow, its plan and the local runner.
import type { PipelineActivities } from '../activities/pipeline-activities.js';

export type { PipelineActivities };
export type ActivityName = keyof PipelineActivities;
export type ActivityInput<K extends ActivityName> = Parameters<PipelineActivities[K]>[0];
export type ActivityOutput<K extends ActivityName> = Awaited<ReturnType<PipelineActivities[K]>>;

export const DEFAULT_TASK_QUEUE = 'needloop';

/** How a configured source (NEEDLOOP_SOURCES) is named among a run's `ingested`, where inbox files go by their path. */
export function sourceLabel(name: string, where?: string): string {
  return `source ${name}${where === undefined ? '' : ` (${where})`}`;
}

export function isSourceLabel(file: string): boolean {
  return file.startsWith('source ');
}
/**
 * The training queue of a pipeline queue: `<queue>-training`, so that two environments on
 * one namespace (needloop, needloop-staging) never take each other's training.
 */
export function trainingTaskQueue(queue: string): string {
  return `${queue}-training`;
}
/** Where inbox files are loaded (disk and Postgres bound): `<queue>-ingest`. */
export function ingestTaskQueue(queue: string): string {
  return `${queue}-ingest`;
}
/** Where the night's analytics run (CPU and Postgres bound): `<queue>-analytics`. */
export function analyticsTaskQueue(queue: string): string {
  return `${queue}-analytics`;
}
/** The activities served on the analytics queue; the short bookkeeping ones stay on the workflow's queue. */
export const ANALYTICS_ACTIVITIES: readonly string[] = ['segmentUsers', 'analyzeNeeds', 'detectDrift', 'discoverNeeds', 'evaluateCandidate', 'publishReport'];
/** How long a blessed candidate waits for an engineer before it expires. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 72 * 3600 * 1000;

export interface PipelineInput {
  /** Folder whose data files are ingested first; null to analyse what is stored. */
  inbox: string | null;
  approvalTimeoutMs: number;
  seed: number;
  /**
   * Temporal: how long an activity may go without a heartbeat before Temporal counts its
   * worker lost and retries it on another (default 2 minutes; NEEDLOOP_HEARTBEAT_SECONDS).
   * Absent in runs started before.
   */
  heartbeatMs?: number;
  /** The same, for training only: what runs started on 2026-12-06 carry. */
  trainingHeartbeatMs?: number;
  /**
   * Temporal: the night (YYYY-MM-DD) the run is for, one run per night; default: the day
   * the Schedule meant it for (its scheduled time, in `timezone`), else the day it starts (UTC).
   */
  night?: string;
  /** The Schedule's IANA time zone, in which its scheduled time names the night. */
  timezone?: string;
}

export type PipelineStep = 'ingest' | 'segment' | 'needs' | 'drift' | 'decide' | 'train' | 'evaluate' | 'awaiting_approval' | 'promote' | 'report' | 'done';

export interface PendingApproval {
  candidate_id: string;
  evaluation_id: string;
  reasons: string[];
  /** When the candidate expires, ISO 8601. */
  deadline: string;
}

export interface ApprovalInput {
  candidate: string;
  by: string;
  comment?: string | null;
}

export interface RejectionInput {
  candidate: string;
  by: string;
  reason: string;
}

export interface ApprovalDecision {
  kind: 'approve' | 'reject';
  by: string;
  comment: string | null;
  at: string;
}

export interface PipelineResults {
  run_id?: string;
  ingested?: ActivityOutput<'ingestFile'>[];
  segments?: ActivityOutput<'segmentUsers'>;
  needs?: ActivityOutput<'analyzeNeeds'>;
  drift?: ActivityOutput<'detectDrift'>;
  /** Candidate needs nobody has named yet (null without usage events). */
  discovery?: ActivityOutput<'discoverNeeds'>;
  decision?: ActivityOutput<'decideRetraining'>;
  training?: ActivityOutput<'fineTune'>;
  evaluation?: ActivityOutput<'evaluateCandidate'>;
  approval?: { kind: 'approve' | 'reject' | 'expired' | 'pending'; by?: string; comment?: string | null; at?: string; deadline?: string };
  promotion?: ActivityOutput<'promoteCandidate'>;
  report?: ActivityOutput<'publishReport'>;
  error?: string;
}

export interface PipelineStatus {
  run_id: string | null;
  step: PipelineStep;
  /** The candidate awaiting an engineer's decision, if any. */
  pending: PendingApproval | null;
  decision: ApprovalDecision | null;
  results: PipelineResults;
}
