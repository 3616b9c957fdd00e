/**
 * Drift between a reference and a current window of the stored data: usage columns,
 * survey answers, request texts, predictions and model performance, for all users and for
 * each segment of the latest segmentation — summarised in Postgres, judged in analytics/,
 * stored for the report, ending in a retraining decision.
 */
import { OUT_OF_SCOPE } from '../db/need-catalogue.js';
import {
  applyPersistence,
  categoricalColumnDrift,
  datasetDrift,
  DEFAULT_DRIFT_SHARE,
  DEFAULT_RETRAIN_THRESHOLDS,
  emergingNeeds,
  NONE,
  decileEdges,
  numericColumnDrift,
  numericWindows,
  populationStd,
  proportionDrop,
  retrainDecision,
  textDrift,
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
import { binCountsOf, categoryCountsOf, numericSamples, textSample, windowRows, withSegmentRows, type DriftTable, type Population } from '../db/queries/drift-windows.js';
import { driftHistory, storeDriftRun } from '../db/queries/drift-runs.js';
import { correctedExamples, correctionsByIntent, loggedIntents, loggedServing, servedVersions } from '../db/queries/feedback.js';
import { findProductionModel, modelTag } from '../db/queries/model-versions.js';
import { latestSegmentRun } from '../db/queries/segment-runs.js';
import { surveyColumns } from '../db/queries/survey-values.js';
import { latestTime, type TimeWindow } from '../db/queries/time-window.js';
import type { ModelStore } from '../models/model-store.js';
import { AnalysisError } from './analyze-needs.js';
import { judgeServingModel } from './serving-model.js';

/**
 * The usage columns checked for drift (request_text is judged as text). What users do;
 * the model's own outputs are MODEL_DRIFT_TABLE's, and which version served a request is
 * no drift of users at all.
 */
export const USAGE_DRIFT_TABLE: DriftTable = {
  table: 'usage_events',
  time: 'ts',
  key: 'event_id',
  user: 'user_id',
  columns: [
    { name: 'feature', type: 'categorical', expression: 't.feature' },
    { name: 'outcome', type: 'categorical', expression: 't.outcome' },
    { name: 'latency_ms', type: 'numeric', expression: 't.latency_ms' },
    { name: 'rating', type: 'numeric', expression: 't.rating' },
    { name: 'feedback', type: 'categorical', expression: 't.feedback' },
    { name: 'corrected_intent', type: 'categorical', expression: 't.corrected_intent' },
    { name: 'request_length', type: 'numeric', expression: 'char_length(t.request_text)' },
  ],
};
/** The model's outputs: compared only between windows served by one model version. */
export const MODEL_DRIFT_TABLE: DriftTable = {
  ...USAGE_DRIFT_TABLE,
  columns: [
    { name: 'predicted_intent', type: 'categorical', expression: 't.predicted_intent' },
    { name: 'confidence', type: 'numeric', expression: 't.confidence' },
  ],
};
export const PREDICTION_COLUMNS = ['predicted_intent', 'confidence'];
/**
 * Below this many events in the two windows, segments query the window directly, side by
 * side on the pool's connections (building the temporary table costs more than it saves);
 * from it on, they read one temporary table on one connection (at 2M events: 68 s → 41 s).
 */
export const SEGMENT_TABLE_FROM = 200_000;
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
  /**
   * From how many events in the two windows the segments read a temporary table of them
   * (withSegmentRows) instead of each querying the window (default SEGMENT_TABLE_FROM).
   */
  segmentTableFrom?: number;
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

/**
 * Column drift of one table between two populations, every statistic summarised in
 * Postgres: category counts (and so the rows), then sorted samples (the reference's
 * deciles and spread among them), then bin counts over those deciles — each step for
 * both windows at once.
 */
export async function tableColumnDrift(handle: DatabaseHandle, spec: DriftTable, ref: Population, cur: Population, rules: Readonly<Record<string, DriftRule>> = {}): Promise<ColumnDrift[]> {
  const { db } = handle;
  const [refCats, curCats] = await Promise.all([categoryCountsOf(db, spec, ref, NONE), categoryCountsOf(db, spec, cur, NONE)]);
  // Every row has a category in each categorical column ("(none)" for null): the first one's counts sum to the rows.
  const first = spec.columns.find((c) => c.type === 'categorical');
  const rowsOf = async (counts: Map<string, Map<string, number>>, p: Population) =>
    first === undefined ? windowRows(db, spec, p) : [...counts.get(first.name)!.values()].reduce((a, b) => a + b, 0);
  const [refRows, curRows] = await Promise.all([rowsOf(refCats, ref), rowsOf(curCats, cur)]);
  const [refSample, curSample] = await Promise.all([numericSamples(db, spec, ref, refRows), numericSamples(db, spec, cur, curRows)]);
  const edges = new Map([...refSample].map(([name, values]) => [name, values.length === 0 ? [] : decileEdges(values)]));
  const [refBins, curBins] = await Promise.all([binCountsOf(db, spec, ref, edges), binCountsOf(db, spec, cur, edges)]);
  return spec.columns.map((c) => {
    const rule = rules[c.name] ?? {};
    if (c.type === 'categorical') return categoricalColumnDrift(c.name, refCats.get(c.name)!, curCats.get(c.name)!, rule);
    return numericColumnDrift(
      c.name,
      { n: refBins.n.get(c.name)!, std: populationStd(refSample.get(c.name)!), edges: edges.get(c.name)!, sample: refSample.get(c.name)!, bins: refBins.bins.get(c.name)! },
      { n: curBins.n.get(c.name)!, sample: curSample.get(c.name)!, bins: curBins.bins.get(c.name)! },
      rule,
    );
  });
}

/**
 * Column drift of one population (all users or one segment): usage columns, the model's
 * predictions among requests served by `version` in both windows, then survey answers.
 */
async function populationColumns(handle: DatabaseHandle, ref: Population, cur: Population, rules: Readonly<Record<string, DriftRule>>, version: string | null): Promise<ColumnDrift[]> {
  const served = (p: Population): Population => ({ ...p, modelVersion: version ?? undefined });
  const [usage, predictions, refSurvey, curSurvey] = await Promise.all([
    tableColumnDrift(handle, USAGE_DRIFT_TABLE, ref, cur, rules),
    version === null ? Promise.resolve([]) : tableColumnDrift(handle, MODEL_DRIFT_TABLE, served(ref), served(cur), rules),
    surveyColumns(handle.db, ref),
    surveyColumns(handle.db, cur),
  ]);
  const surveyNames = [...new Set([...refSurvey.keys(), ...curSurvey.keys()])].filter((n) => (refSurvey.get(n)?.length ?? 0) + (curSurvey.get(n)?.length ?? 0) > 0);
  return [
    ...usage,
    ...predictions,
    ...surveyNames.map((name) => {
      const w = numericWindows(refSurvey.get(name) ?? [], curSurvey.get(name) ?? []);
      return numericColumnDrift(name, w.reference, w.current, rules[name] ?? {});
    }),
  ];
}

/**
 * Events in each window: the count of `feature`, which no event lacks. Read it from the
 * population's full column list — `--columns` may have narrowed the reported one.
 */
function eventCounts(columns: readonly ColumnDrift[]): { reference: number; current: number } {
  const feature = columns.find((c) => c.column === 'feature');
  if (feature === undefined) throw new Error('usage drift always checks the feature column');
  return { reference: feature.n_reference, current: feature.n_current };
}

/** Text drift of request texts, sampled like the numeric columns. */
async function requestTextDrift(handle: DatabaseHandle, ref: Population, cur: Population, rows: { reference: number; current: number }): Promise<TextDrift> {
  const [a, b] = await Promise.all([
    textSample(handle.db, USAGE_DRIFT_TABLE, ref, 't.request_text', rows.reference),
    textSample(handle.db, USAGE_DRIFT_TABLE, cur, 't.request_text', rows.current),
  ]);
  return textDrift(a, b);
}

/**
 * Without a production model to re-score, what the logs say of the model that served
 * both windows: its own predictions against the feedback on them, and its confidence.
 */
async function loggedPerformance(db: DatabaseHandle['db'], version: string, reference: TimeWindow, current: TimeWindow): Promise<ServingPerformance> {
  const [a, b] = await Promise.all([loggedServing(db, reference, version), loggedServing(db, current, version)]);
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
  const ref: Population = { window: reference };
  const cur: Population = { window: current };

  const production = await findProductionModel(db);
  // Predictions compare between windows served by one version: production's when it served both.
  const versions = await servedVersions(db, reference, current);
  const tag = production === null ? null : modelTag(production.id);
  const version = versions.find((v) => v.version === tag && v.both >= MIN_SERVED)?.version ?? versions.find((v) => v.both >= MIN_SERVED)?.version ?? null;
  const all = await populationColumns(handle, ref, cur, rules, version);
  if (input.columns !== undefined) {
    const unknown = input.columns.filter((c) => !all.some((a) => a.column === c) && c !== 'request_text');
    if (unknown.length > 0) throw new AnalysisError(`unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; valid: ${[...all.map((a) => a.column), 'request_text'].join(', ')}`);
  }
  const persistence = input.persistence ?? 1;
  const history = persistence > 1 ? await driftHistory(db, current.from, persistence - 1) : new Map<string, (boolean | null)[]>();
  const overall = datasetDrift(pick(all, input.columns).map((c) => applyPersistence(c, history.get(c.column) ?? [], persistence)), input.driftShare ?? DEFAULT_DRIFT_SHARE);

  const wantText = input.columns === undefined || input.columns.includes('request_text');
  const rows = eventCounts(all);
  const serving = production !== null && deps.store !== undefined ? await judgeServingModel({ handle, store: deps.store }, production, { reference, current }) : null;
  const text = serving?.text ?? (wantText ? await requestTextDrift(handle, ref, cur, rows) : null);
  const performance = serving?.performance ?? (version === null ? null : await loggedPerformance(db, version, reference, current));
  // The needs the model knows are its labels in the registry; without a model, what the logs predicted.
  const known = production !== null ? new Set(production.labels) : new Set(versions.length > 0 ? await loggedIntents(db, reference) : []);
  const [refCorrections, curCorrections] = await Promise.all([correctionsByIntent(db, ref), correctionsByIntent(db, cur)]);
  const corrections = [...curCorrections].map(([intent, n]) => ({ intent, current: n, reference: refCorrections.get(intent) ?? 0 }));
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
  let segmentRunId: string | null = null;
  const latest = input.bySegment === false ? null : await latestSegmentRun(db);
  if (latest !== null) {
    segmentRunId = latest.run.id;
    const run = latest.run.id;
    const one = async (h: DatabaseHandle, s: (typeof latest.segments)[number], rowsTable?: string) => {
      const segment = { runId: run, segmentId: s.segment_id, rows: rowsTable };
      const [segRef, segCur] = [{ window: reference, segment }, { window: current, segment }];
      const columns = await populationColumns(h, segRef, segCur, rules, version);
      return {
        segment: s.segment_id,
        name: s.name,
        ...datasetDrift(pick(columns, input.columns), input.driftShare ?? DEFAULT_DRIFT_SHARE),
        text: wantText ? await requestTextDrift(h, segRef, segCur, eventCounts(columns)) : null,
      };
    };
    if (rows.reference + rows.current < (input.segmentTableFrom ?? SEGMENT_TABLE_FROM)) {
      // Segments are independent: check them side by side (Postgres serves each on its own connection).
      segments.push(...(await Promise.all(latest.segments.map((s) => one(handle, s)))));
    } else {
      // Each segment reads its own rows of one temporary table of both windows (withSegmentRows).
      const window = { from: new Date(Math.min(reference.from.getTime(), current.from.getTime())), to: new Date(Math.max(reference.to.getTime(), current.to.getTime())) };
      segments.push(...(await withSegmentRows(db, run, window, async (conn, rowsTable) => {
        const out: DriftResult['segments'] = [];
        for (const s of latest.segments) out.push(await one({ ...handle, db: conn }, s, rowsTable));
        return out;
      })));
    }
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
    segment_run_id: segmentRunId,
    drift_run_id: null,
  };
  const stored = [
    ...overall.columns.map((c) => ({ segment: null, c })),
    ...segments.flatMap((s) => s.columns.map((c) => ({ segment: s.segment, c }))),
  ].map(({ segment, c }) => ({ segment, column: c.column, drifted: c.drifted, method: c.method, reason: c.reason, statistics: { ...c } as Record<string, unknown> }));
  result.drift_run_id = await storeDriftRun(db, { reference, current, segmentRunId, datasetDrift: overall.dataset_drift, driftShare: overall.drift_share, retrain: retrain.retrain, result, columns: stored, pipelineRunId: input.pipelineRunId });
  return result;
}

