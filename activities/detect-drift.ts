/**
 * Drift between a reference and a current window of the stored data: usage columns,
 * survey answers, request texts, predictions and model performance, for all users and for
 * each segment of the latest segmentation — summarised in Postgres, judged in analytics/,
 * stored for the report, ending in a retraining decision.
 */
import { OUT_OF_SCOPE } from '../db/need-catalogue.js';
import {
  applyPersistence,
  datasetDrift,
  DEFAULT_DRIFT_SHARE,
  DEFAULT_RETRAIN_THRESHOLDS,
  emergingNeeds,
  numericColumnDrift,
  numericWindows,
  proportionDrop,
  retrainDecision,
  type ColumnDrift,
  type DatasetDrift,
  type DriftRule,
  type EmergingNeed,
  type RetrainDecision,
  type RetrainThresholds,
  type ServingPerformance,
  type TextDrift,
} from '../analytics/index.js';
import type { DatabaseHandle } from '../db/connection.js';
import type { CountGroup, PopulationKey } from '../db/queries/drift-summaries.js';
import type { DriftTable, Population } from '../db/queries/drift-windows.js';
import { driftHistory, storeDriftRun } from '../db/queries/drift-runs.js';
import { correctedExamples } from '../db/queries/feedback.js';
import { findProductionModel, modelTag } from '../db/queries/model-versions.js';
import { latestSegmentRun } from '../db/queries/segment-runs.js';
import { surveyColumns } from '../db/queries/survey-values.js';
import { latestTime, type TimeWindow } from '../db/queries/time-window.js';
import type { ModelStore } from '../models/model-store.js';
import { AnalysisError } from './analyze-needs.js';
import { categoryIndex, countWhere, numericIndex, tableDrift, valuesOf, type ServedVersion } from './drift-populations.js';
import { judgeServingModel } from './serving-model.js';

/**
 * The usage columns checked for drift (request_text is judged as text): what users do.
 * The model's own outputs (`served`) are compared only between windows served by one
 * model version; which version served a request is no drift of users at all.
 */
export const DRIFT_TABLE: DriftTable = {
  table: 'usage_events',
  time: 'ts',
  key: 'event_id',
  user: 'user_id',
  version: 'model_version',
  text: 't.request_text',
  columns: [
    { name: 'feature', type: 'categorical', expression: 't.feature' },
    { name: 'outcome', type: 'categorical', expression: 't.outcome' },
    { name: 'latency_ms', type: 'numeric', expression: 't.latency_ms' },
    { name: 'rating', type: 'numeric', expression: 't.rating' },
    { name: 'feedback', type: 'categorical', expression: 't.feedback' },
    { name: 'corrected_intent', type: 'categorical', expression: 't.corrected_intent' },
    { name: 'request_length', type: 'numeric', expression: 'char_length(t.request_text)' },
    { name: 'predicted_intent', type: 'categorical', expression: 't.predicted_intent', served: true },
    { name: 'confidence', type: 'numeric', expression: 't.confidence', served: true },
  ],
};
/** What users do: DRIFT_TABLE without the model's outputs. */
export const USAGE_DRIFT_TABLE: DriftTable = { ...DRIFT_TABLE, columns: DRIFT_TABLE.columns.filter((c) => !c.served) };
/** The model's outputs alone, for a population of one version's requests. */
export const MODEL_DRIFT_TABLE: DriftTable = { ...DRIFT_TABLE, columns: DRIFT_TABLE.columns.filter((c) => c.served === true) };
export const PREDICTION_COLUMNS = MODEL_DRIFT_TABLE.columns.map((c) => c.name);
export const DEFAULT_CURRENT_DAYS = 7;
export const DEFAULT_REFERENCE_DAYS = 28;
const DAY_MS = 86_400_000;
/** Requests a version must have served in each window for its predictions to be compared. */
const MIN_SERVED = 100;

export interface DriftWindowsInput {
  referenceFrom?: Date;
  referenceTo?: Date;
  currentFrom?: Date;
  currentTo?: Date;
}

export interface DriftInput extends DriftWindowsInput {
  /** Only these columns (usage or survey names); all when absent. */
  columns?: readonly string[];
  rules?: Readonly<Record<string, DriftRule>>;
  driftShare?: number;
  /** A column counts as drifted only after this many consecutive drifted windows. */
  persistence?: number;
  /** Per-segment drift when a segmentation exists (default true). */
  bySegment?: boolean;
  thresholds?: Partial<RetrainThresholds>;
  pipelineRunId?: string | null;
}

/** A window of the database, or an exported file. */
export type DriftSource = { from: string; to: string } | { file: string };

export interface DriftResult extends DatasetDrift {
  reference: DriftSource;
  current: DriftSource;
  /** Request texts of the window against the production model's training period (or the reference window without one). */
  text: TextDrift | null;
  /** The production model re-scoring what it never trained on; null without one. */
  performance: ServingPerformance | null;
  /** The model version whose predictions the prediction columns compare; null when no version served both windows. */
  predictions_of: string | null;
  emerging_needs: EmergingNeed[];
  retrain: RetrainDecision;
  segments: ({ segment: number; name: string; text: TextDrift | null } & DatasetDrift)[];
  segment_run_id: string | null;
  drift_run_id: string | null;
}

/** Default windows: the last week of data, against the four weeks before it. */
export async function resolveDriftWindows(handle: DatabaseHandle, input: DriftWindowsInput): Promise<{ reference: TimeWindow; current: TimeWindow }> {
  const currentTo = input.currentTo ?? (await latestTime(handle.db, 'usage_events'));
  if (currentTo === null) throw new AnalysisError('no usage events are stored yet: ingest a usage file first');
  const current = { from: input.currentFrom ?? new Date(currentTo.getTime() - DEFAULT_CURRENT_DAYS * DAY_MS), to: currentTo };
  const referenceTo = input.referenceTo ?? current.from;
  const reference = { from: input.referenceFrom ?? new Date(referenceTo.getTime() - DEFAULT_REFERENCE_DAYS * DAY_MS), to: referenceTo };
  for (const [name, w] of [['reference', reference], ['current', current]] as const) {
    if (w.from >= w.to) throw new AnalysisError(`the ${name} window is empty: ${w.from.toISOString()} is not before ${w.to.toISOString()}`);
  }
  return { reference, current };
}

function pick(columns: ColumnDrift[], wanted: readonly string[] | undefined): ColumnDrift[] {
  return wanted === undefined ? columns : columns.filter((c) => wanted.includes(c.column));
}

/** Survey answers' drift of one population, columns in the order the survey gives them. */
function surveyDrift(refSurvey: ReadonlyMap<string, Float64Array>, curSurvey: ReadonlyMap<string, Float64Array>, rules: Readonly<Record<string, DriftRule>>): ColumnDrift[] {
  const names = [...new Set([...refSurvey.keys(), ...curSurvey.keys()])].filter((n) => (refSurvey.get(n)?.length ?? 0) + (curSurvey.get(n)?.length ?? 0) > 0);
  return names.map((name) => {
    const w = numericWindows(refSurvey.get(name) ?? [], curSurvey.get(name) ?? []);
    return numericColumnDrift(name, w.reference, w.current, rules[name] ?? {});
  });
}

/**
 * What the logs say of the model that served both windows: its own predictions against
 * the feedback on them, and its mean confidence, among the requests `version` served.
 */
function loggedPerformance(groups: { reference: readonly CountGroup[]; current: readonly CountGroup[] }, version: string): ServingPerformance {
  const [feedback, corrected, predicted] = ['feedback', 'corrected_intent', 'predicted_intent'].map((c) => categoryIndex(DRIFT_TABLE, c));
  const confidence = numericIndex(DRIFT_TABLE, 'confidence');
  const logged = (rows: readonly CountGroup[]) => {
    let [labelled, right, sum, predictions] = [0, 0, 0, 0];
    for (const g of rows) {
      if (g.version !== version || g.values[predicted] === null) continue;
      const [fb, to] = [g.values[feedback], g.values[corrected]];
      if (fb === 'confirmed' || (fb !== null && to !== null)) labelled += g.rows;
      if (fb === 'confirmed' || (fb === 'corrected' && to === g.values[predicted])) right += g.rows;
      sum += g.numeric[confidence].sum;
      predictions += g.numeric[confidence].count;
    }
    return { labelled, right, predictions, confidence: predictions === 0 ? null : sum / predictions };
  };
  const [a, b] = [logged(groups.reference), logged(groups.current)];
  return {
    model: '',
    judged_on: version,
    accuracy: { n_reference: a.labelled, n_current: b.labelled, ...proportionDrop({ hits: a.right, n: a.labelled }, { hits: b.right, n: b.labelled }) },
    needs: [],
    confidence: { reference: a.confidence, current: b.confidence, n_reference: a.predictions, n_current: b.predictions },
  };
}

/**
 * Drift and the retraining decision. With `store`, the decision is about the production
 * model itself (see judgeServingModel); without one (or without a production model) it
 * rests on what the logs say.
 */
export async function detectDrift(deps: { handle: DatabaseHandle; store?: ModelStore }, input: DriftInput = {}): Promise<DriftResult> {
  const { handle } = deps;
  const { db } = handle;
  const { reference, current } = await resolveDriftWindows(handle, input);
  const thresholds = { ...DEFAULT_RETRAIN_THRESHOLDS, ...input.thresholds };
  const rules = input.rules ?? {};
  const driftShare = input.driftShare ?? DEFAULT_DRIFT_SHARE;
  const production = await findProductionModel(db);
  const tag = production === null ? null : modelTag(production.id);
  const latest = input.bySegment === false ? null : await latestSegmentRun(db);

  // Usage and predictions of all users and of every segment, from three scans a window.
  // Predictions compare between windows served by one version: production's when it served both.
  const chooseVersion = (versions: readonly ServedVersion[]) =>
    versions.find((v) => v.version === tag && v.both >= MIN_SERVED)?.version ?? versions.find((v) => v.both >= MIN_SERVED)?.version ?? null;
  const wantText = input.columns === undefined || input.columns.includes('request_text');
  const split = { segmentRunId: latest?.run.id ?? null };
  const [usage, refSurvey, curSurvey] = await Promise.all([
    tableDrift(handle, DRIFT_TABLE, { reference, current }, {
      segments: latest === null ? undefined : { runId: latest.run.id, ids: latest.segments.map((s) => s.segment_id) },
      chooseVersion,
      rules,
      text: wantText,
    }),
    surveyColumns(db, reference, split),
    surveyColumns(db, current, split),
  ]);
  const { version, versions } = usage;
  const none = new Map<string, Float64Array>();
  const columnsOf = (key: PopulationKey) => [
    ...usage.populations.get(key)!.columns,
    ...surveyDrift(refSurvey.get(key) ?? none, curSurvey.get(key) ?? none, rules),
  ];
  const overallUsage = usage.populations.get('all')!;
  const all = columnsOf('all');
  if (input.columns !== undefined) {
    const unknown = input.columns.filter((c) => !all.some((a) => a.column === c) && c !== 'request_text');
    if (unknown.length > 0) throw new AnalysisError(`unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; valid: ${[...all.map((a) => a.column), 'request_text'].join(', ')}`);
  }
  const persistence = input.persistence ?? 1;
  const history = persistence > 1 ? await driftHistory(db, current.from, persistence - 1) : new Map<string, (boolean | null)[]>();
  const overall = datasetDrift(pick(all, input.columns).map((c) => applyPersistence(c, history.get(c.column) ?? [], persistence)), driftShare);

  const rows = { reference: overallUsage.reference.rows, current: overallUsage.current.rows };
  const serving = production !== null && deps.store !== undefined ? await judgeServingModel({ handle, store: deps.store }, production, { reference, current }) : null;
  const text = serving?.text ?? overallUsage.text;
  const performance = serving?.performance ?? (version === null ? null : loggedPerformance(usage.counts, version));
  // The needs the model knows are its labels in the registry; without a model, what the logs predicted.
  const known = production !== null ? new Set(production.labels) : new Set(versions.length > 0 ? valuesOf(DRIFT_TABLE, usage.counts.reference, 'predicted_intent') : []);
  const correctionsIn = (groups: readonly CountGroup[]) => countWhere(DRIFT_TABLE, groups, 'corrected_intent', { column: 'feedback', is: 'corrected' });
  const [refCorrections, curCorrections] = [correctionsIn(usage.counts.reference), correctionsIn(usage.counts.current)];
  const corrections = [...curCorrections].map(([intent, n]) => ({ intent, current: n, reference: refCorrections.get(intent) ?? 0 }));
  const cur: Population = { window: current };
  const emerging: EmergingNeed[] = [];
  // Windows differ in length (a week against four): the reasons give the earlier one per week.
  const weeks = (w: { from: Date; to: Date }) => (w.to.getTime() - w.from.getTime()) / (7 * DAY_MS);
  for (const e of emergingNeeds(corrections, known, rows, thresholds.minEmerging)) {
    emerging.push({ ...e, examples: await correctedExamples(db, cur, e.need), reference_weeks: weeks(reference), current_weeks: weeks(current) });
  }
  const predictionDrift = all.filter((c) => PREDICTION_COLUMNS.includes(c.column) && c.drifted === true).map((c) => c.column);
  const retrain = retrainDecision({ model: production?.id ?? null, performance, text, emerging, predictionDrift, outOfScopeLabel: OUT_OF_SCOPE }, thresholds);
  if (version === null) retrain.notes.push('predictions are not compared: no model version served both windows');
  else if (version !== tag && production !== null) retrain.notes.push(`predictions are compared among requests served by ${version}, the version that served both windows`);

  const segments: DriftResult['segments'] = [];
  for (const s of latest?.segments ?? []) {
    const population = usage.populations.get(s.segment_id)!;
    const columns = columnsOf(s.segment_id);
    segments.push({
      segment: s.segment_id,
      name: s.name,
      ...datasetDrift(pick(columns, input.columns), driftShare),
      text: population.text,
    });
  }

  const result: DriftResult = {
    reference: { from: reference.from.toISOString(), to: reference.to.toISOString() },
    current: { from: current.from.toISOString(), to: current.to.toISOString() },
    ...overall,
    text,
    performance,
    predictions_of: version,
    emerging_needs: emerging,
    retrain,
    segments,
    segment_run_id: latest?.run.id ?? null,
    drift_run_id: null,
  };
  const stored = [
    ...overall.columns.map((c) => ({ segment: null, c })),
    ...segments.flatMap((s) => s.columns.map((c) => ({ segment: s.segment, c }))),
  ].map(({ segment, c }) => ({ segment, column: c.column, drifted: c.drifted, method: c.method, reason: c.reason, statistics: { ...c } as Record<string, unknown> }));
  result.drift_run_id = await storeDriftRun(db, { reference, current, segmentRunId: latest?.run.id ?? null, datasetDrift: overall.dataset_drift, driftShare: overall.drift_share, retrain: retrain.retrain, result, columns: stored, pipelineRunId: input.pipelineRunId });
  return result;
}

