/**
 * Kysely's view of the needloop database. Column names are snake_case as in Postgres;
 * `Generated<>` marks columns with defaults; nullable columns are `T | null`.
 */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** bigint columns come back from pg as strings; we insert numbers. */
type BigId = ColumnType<string, number | string, number | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;

export type IngestKind = 'users' | 'surveys' | 'usage';
export type Plan = 'free' | 'pro' | 'enterprise';
export type Outcome = 'success' | 'failure' | 'abandoned';
export type Feedback = 'confirmed' | 'corrected';

export interface NeedsTable {
  id: string;
  label_en: string;
  label_zh: string;
  category: 'functional' | 'emotional' | 'sustainability' | 'price';
}

export interface IngestBatchesTable {
  id: Generated<string>;
  file_name: string;
  checksum: string;
  kind: IngestKind;
  status: 'complete' | 'empty';
  bytes: BigId;
  rows_total: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  started_at: Timestamp;
  finished_at: Generated<Timestamp>;
}

export interface RejectedRowsTable {
  id: Generated<string>;
  batch_id: BigId;
  file_name: string;
  line: number;
  reason: string;
  /** The record's first bytes (at most 4 KiB), personal data replaced. */
  raw: Buffer;
  /** The record's whole size and the sha256 (hex) of its original bytes; null for rows rejected before they were kept. */
  raw_bytes: number | null;
  raw_sha256: string | null;
}

export interface UsersTable {
  user_id: string;
  signup_at: Timestamp;
  plan: Plan;
  country: string | null;
  industry: string | null;
  /** Optional groups for fairness across users. */
  age_band: string | null;
  gender: string | null;
  batch_id: BigId;
}

export interface SurveyResponsesTable {
  response_id: string;
  user_id: string;
  submitted_at: Timestamp;
  nps: number | null;
  csat: number | null;
  comment: string | null;
  batch_id: BigId;
}

export interface SurveyAnswersTable {
  response_id: string;
  need_id: string;
  importance: number | null;
  satisfaction: number | null;
  kano_functional: number | null;
  kano_dysfunctional: number | null;
}

export interface UsageEventsTable {
  event_id: string;
  user_id: string;
  ts: Timestamp;
  session_id: string | null;
  feature: string;
  request_text: string | null;
  predicted_intent: string | null;
  confidence: number | null;
  model_version: string | null;
  /** The serving model found the request none of its needs; null in logs from before models said so. */
  out_of_scope: boolean | null;
  outcome: Outcome;
  latency_ms: number | null;
  rating: number | null;
  feedback: Feedback | null;
  corrected_intent: string | null;
  batch_id: BigId;
}

type Json<T> = ColumnType<T, string, string>;

export type PipelineRunStatus = 'running' | 'awaiting_approval' | 'completed' | 'completed_with_errors' | 'failed';

export interface PipelineRunsTable {
  id: Generated<string>;
  kind: string;
  status: PipelineRunStatus;
  runner: ColumnType<'local' | 'temporal', 'local' | 'temporal' | undefined, 'local' | 'temporal'>;
  /** The Temporal workflow id; null for local runs. */
  run_key: string | null;
  /** The night (UTC date) a Temporal run is for: one run per night. */
  night: ColumnType<string | null, string | null | undefined, string | null>;
  step: string | null;
  candidate_id: BigId | null;
  approval_deadline: Timestamp | null;
  decision: Json<Record<string, unknown>> | null;
  results: Json<Record<string, unknown>> | null;
  error: string | null;
  window_from: Timestamp | null;
  window_to: Timestamp | null;
  started_at: ColumnType<Date, Date | string | undefined, Date | string>;
  finished_at: Timestamp | null;
}

export interface PipelineStepsTable {
  pipeline_run_id: BigId;
  seq: number;
  name: string;
  output: Json<unknown>;
  finished_at: Generated<Timestamp>;
}

export interface PipelineStepTimesTable {
  pipeline_run_id: BigId;
  step: string;
  started_at: ColumnType<Date, Date | string | undefined, Date | string>;
  finished_at: Timestamp | null;
}

export interface ReportsTable {
  id: Generated<string>;
  pipeline_run_id: BigId | null;
  path: string;
  bytes: number;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ApproversTable {
  name: string;
  token_sha256: string;
  /** 'viewer': may sign in to read reports and call /api/predict, not decide. */
  role: ColumnType<'approver' | 'viewer', 'approver' | 'viewer' | undefined, 'approver' | 'viewer'>;
  token_issued_at: ColumnType<Date, Date | string | undefined, Date | string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface SegmentRunsTable {
  id: Generated<string>;
  pipeline_run_id: BigId | null;
  window_from: Timestamp;
  window_to: Timestamp;
  k: number;
  k_requested: string;
  seed: string;
  silhouette: number | null;
  features: Json<{ names: string[]; means: number[]; stds: number[] }>;
  tried: Json<{ k: number; silhouette: number | null }[]>;
  created_at: Generated<Timestamp>;
}

export interface SegmentsTable {
  segment_run_id: BigId;
  segment_id: number;
  name: string;
  size: number;
  centroid: Json<Record<string, number>>;
  distinctive: Json<{ feature: string; z: number; value: number; overall: number }[]>;
}

export interface UserSegmentsTable {
  segment_run_id: BigId;
  user_id: string;
  segment_id: number;
}

export interface NeedAnalysesTable {
  id: Generated<string>;
  pipeline_run_id: BigId | null;
  segment_run_id: BigId | null;
  window_from: Timestamp;
  window_to: Timestamp;
  result: Json<unknown>;
  created_at: Generated<Timestamp>;
}

export interface NeedScoresTable {
  need_analysis_id: BigId;
  need_id: string;
  segment_id: number;
  n: number;
  importance: number | null;
  satisfaction: number | null;
  opportunity: number | null;
  kano_category: string | null;
  kano: Json<Record<string, number | string | null>>;
}

export interface DriftRunsTable {
  id: Generated<string>;
  pipeline_run_id: BigId | null;
  segment_run_id: BigId | null;
  reference_from: Timestamp;
  reference_to: Timestamp;
  current_from: Timestamp;
  current_to: Timestamp;
  dataset_drift: boolean;
  drift_share: number;
  retrain: boolean;
  result: Json<unknown>;
  created_at: Generated<Timestamp>;
}

export interface DriftResultsTable {
  drift_run_id: BigId;
  segment_id: number;
  column_name: string;
  drifted: boolean | null;
  method: string | null;
  reason: string;
  statistics: Json<Record<string, unknown>>;
}

export type ModelStatus = 'candidate' | 'awaiting_approval' | 'production' | 'rejected' | 'archived';

export interface ModelVersionsTable {
  id: Generated<string>;
  parent_id: BigId | null;
  status: ModelStatus;
  data_from: Timestamp;
  data_to: Timestamp;
  holdout_from: Timestamp;
  holdout_to: Timestamp;
  labels: Json<string[]>;
  hyperparameters: Json<Record<string, unknown>>;
  backend: string;
  device: string;
  artifact_sha256: string;
  artifact_path: string;
  /** Examples, epochs, the training curve, timing. */
  training: Json<Record<string, unknown>>;
  /** The latest evaluation's headline figures, for listings. */
  metrics: Json<Record<string, unknown>> | null;
  status_reason: string | null;
  approved_by: string | null;
  approved_at: Timestamp | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface EvaluationsTable {
  id: Generated<string>;
  candidate_id: BigId;
  production_id: BigId | null;
  blessed: boolean;
  reasons: Json<string[]>;
  gate: Json<Record<string, unknown>>;
  report: Json<unknown>;
  created_at: Generated<Timestamp>;
}

export interface PromotionsTable {
  id: Generated<string>;
  model_id: BigId;
  action: 'promote' | 'reject' | 'rollback';
  previous_production_id: BigId | null;
  decided_by: string;
  comment: string | null;
  decided_at: Generated<Timestamp>;
}

export interface GoldenExamplesTable {
  event_id: string;
  text: string;
  intent: string;
  frozen_by_model_id: BigId;
}

export interface AuditLogTable {
  id: Generated<string>;
  /** Set by the database when the row is written (a value given is replaced). */
  at: ColumnType<Date, never, never>;
  actor: string | null;
  action: string;
  target: string | null;
  outcome: 'accepted' | 'refused';
  detail: string | null;
  /** Where it came from: `cli (os user U)`, or `web 1.2.3.4, session ab12…`. */
  source: string | null;
  /** The database role that wrote it, set by the database (older rows: null). */
  db_user: ColumnType<string | null, never, never>;
}

export interface NeedCandidatesTable {
  id: Generated<string>;
  label: string;
  /** The cluster's unit centroid in analytics/discover-needs.ts's hashed space. */
  centroid: number[];
  status: ColumnType<'open' | 'dismissed' | 'adopted', 'open' | 'dismissed' | 'adopted' | undefined, 'open' | 'dismissed' | 'adopted'>;
  adopted_as: string | null;
  first_seen: Timestamp;
  last_seen: Timestamp;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface NeedCandidateSightingsTable {
  id: Generated<string>;
  candidate_id: BigId;
  pipeline_run_id: BigId | null;
  window_from: Timestamp;
  window_to: Timestamp;
  label: string;
  size: number;
  users: number;
  previous_size: number;
  growth: number | null;
  growth_p: number | null;
  cohesion: number;
  opportunity: number;
  detail: ColumnType<unknown, string, string>;
  event_ids: string[];
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface AdoptedNeedsTable {
  id: string;
  label_en: string;
  label_zh: string;
  category: string;
  candidate_id: BigId | null;
  adopted_by: string | null;
  adopted_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface AdoptedExamplesTable {
  event_id: string;
  intent: string;
  candidate_id: BigId | null;
  adopted_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface SimulationNightsTable {
  night: number;
  date: ColumnType<string, string, string>;
  scenario: string;
  pipeline_run_id: string | null;
  production_model: string | null;
  requests: number;
  accuracy: number | null;
  changed_need: string | null;
  changed_need_recall: number | null;
  retrain: boolean;
  reasons: Json<string[]>;
  candidate: string | null;
  promoted: string | null;
  created_at: Generated<Date>;
}

export interface Database {
  needs: NeedsTable;
  ingest_batches: IngestBatchesTable;
  rejected_rows: RejectedRowsTable;
  users: UsersTable;
  survey_responses: SurveyResponsesTable;
  survey_answers: SurveyAnswersTable;
  usage_events: UsageEventsTable;
  pipeline_runs: PipelineRunsTable;
  segment_runs: SegmentRunsTable;
  segments: SegmentsTable;
  user_segments: UserSegmentsTable;
  need_analyses: NeedAnalysesTable;
  need_scores: NeedScoresTable;
  drift_runs: DriftRunsTable;
  drift_results: DriftResultsTable;
  model_versions: ModelVersionsTable;
  evaluations: EvaluationsTable;
  promotions: PromotionsTable;
  golden_examples: GoldenExamplesTable;
  pipeline_steps: PipelineStepsTable;
  pipeline_step_times: PipelineStepTimesTable;
  reports: ReportsTable;
  approvers: ApproversTable;
  audit_log: AuditLogTable;
  simulation_nights: SimulationNightsTable;
  need_candidates: NeedCandidatesTable;
  need_candidate_sightings: NeedCandidateSightingsTable;
  adopted_needs: AdoptedNeedsTable;
  adopted_examples: AdoptedExamplesTable;
}

export type IngestBatch = Selectable<IngestBatchesTable>;
export type RejectedRow = Selectable<RejectedRowsTable>;
export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type SurveyResponse = Selectable<SurveyResponsesTable>;
export type SurveyAnswer = Selectable<SurveyAnswersTable>;
export type UsageEvent = Selectable<UsageEventsTable>;
export type ModelVersion = Selectable<ModelVersionsTable>;
export type Evaluation = Selectable<EvaluationsTable>;
export type PipelineRun = Selectable<PipelineRunsTable>;
