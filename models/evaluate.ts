/**
 * Evaluation of a model on labelled examples: accuracy, macro-F1, per-intent precision /
 * recall / F1, expected calibration error, the confusion matrix, slices by segment, plan
 * and locale, and single-request prediction latency.
 */
import { performance } from 'node:perf_hooks';
import {
  classificationMetrics, confusionMatrix, expectedCalibrationError, groupBy, perClassScores, quantileSorted, wilsonInterval,
  type CalibrationBin, type ClassScore, type PairCount,
} from '../analytics/index.js';
import { localeOf } from './dataset.js';
import { fairnessReport, type AttributeFairness, type FairnessExample } from './fairness.js';

/** Groups of fewer users are withheld from reports (NEEDLOOP_MIN_GROUP's default). */
export const MIN_GROUP_USERS = 10;
import { predictIntents, type LoadedModel, type Prediction } from './predict.js';

export interface EvaluationExample extends FairnessExample {
  text: string;
  intent: string;
  plan?: string | null;
  segment?: string | null;
}

export type SliceDimension = 'segment' | 'plan' | 'locale';
export const SLICE_DIMENSIONS: readonly SliceDimension[] = ['segment', 'plan', 'locale'];

export interface SliceScore {
  dimension: SliceDimension;
  value: string;
  n: number;
  accuracy: number;
  macro_f1: number;
}

export interface ModelReport {
  n: number;
  accuracy: number | null;
  /** Accuracy's 95 % Wilson interval over these n examples; null without any. */
  accuracy_interval: { low: number; high: number } | null;
  macro_f1: number | null;
  per_intent: ClassScore[];
  /** Expected calibration error over 10 confidence bins. */
  ece: number | null;
  calibration: CalibrationBin[];
  confusion: { labels: string[]; matrix: number[][] };
  slices: SliceScore[];
  /** Accuracy and recall per group of users (plan, country, age band, gender); small groups withheld. */
  fairness: AttributeFairness[];
}

function pairsOf(truth: readonly string[], predicted: readonly string[]): PairCount[] {
  const counts = new Map<string, PairCount>();
  truth.forEach((actual, i) => {
    const key = `${predicted[i]}\u0000${actual}`;
    const pair = counts.get(key) ?? { predicted: predicted[i], actual, count: 0 };
    pair.count++;
    counts.set(key, pair);
  });
  return [...counts.values()];
}

export function sliceValue(e: EvaluationExample, dimension: SliceDimension): string | null {
  if (dimension === 'locale') return localeOf(e.text);
  return e[dimension] ?? null;
}

/** The report of predictions against the examples' intents (pure: no model involved). */
export function scorePredictions(examples: readonly EvaluationExample[], predictions: readonly Prediction[], options: { minGroupUsers?: number } = {}): ModelReport {
  const truth = examples.map((e) => e.intent);
  const predicted = predictions.map((p) => p.intent);
  const pairs = pairsOf(truth, predicted);
  const overall = classificationMetrics(pairs);
  const calibration = expectedCalibrationError(predictions.map((p) => p.confidence), predictions.map((p, i) => p.intent === truth[i]));
  const labels = [...new Set([...truth, ...predicted])].sort();
  const minGroupUsers = options.minGroupUsers ?? MIN_GROUP_USERS;
  const slices: SliceScore[] = [];
  for (const dimension of SLICE_DIMENSIONS) {
    const groups = groupBy(examples.map((_, i) => i), (i) => sliceValue(examples[i], dimension));
    for (const [value, rows] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
      // A slice of fewer users than a report may show is not reported (the gate still judges it).
      if (new Set(rows.map((i) => examples[i].user_id ?? `request ${i}`)).size < minGroupUsers) continue;
      const m = classificationMetrics(pairsOf(rows.map((i) => truth[i]), rows.map((i) => predicted[i])));
      slices.push({ dimension, value, n: m.n, accuracy: m.accuracy!, macro_f1: m.macro_f1! });
    }
  }
  return {
    n: overall.n, accuracy: overall.accuracy, accuracy_interval: wilsonInterval(pairs.reduce((right, p) => right + (p.predicted === p.actual ? p.count : 0), 0), overall.n), macro_f1: overall.macro_f1,
    per_intent: perClassScores(pairs), ece: calibration.ece, calibration: calibration.bins,
    confusion: { labels, matrix: confusionMatrix(pairs, labels) }, slices,
    fairness: fairnessReport(examples, predicted.map((p, i) => p === truth[i]), minGroupUsers),
  };
}

export interface Latency {
  p50_ms: number;
  p95_ms: number;
  requests: number;
}

/**
 * Single-request latency of each model, as /api/predict sees it: one text per call. The
 * models take turns request by request (in ABBA order, so neither always goes first), and
 * the whole measurement is repeated: each model keeps its best round, since a pause of
 * the machine (GC, another process) only ever adds time.
 */
export function measureLatency(models: readonly LoadedModel[], texts: readonly string[], requests = 200, rounds = 5): Latency[] {
  if (texts.length === 0) return models.map(() => ({ p50_ms: 0, p95_ms: 0, requests: 0 }));
  for (const m of models) for (let i = 0; i < 20; i++) predictIntents(m, [texts[i % texts.length]]); // warm-up
  const best = models.map(() => ({ p50_ms: Infinity, p95_ms: Infinity, requests }));
  for (let round = 0; round < rounds; round++) {
    const times = models.map(() => [] as number[]);
    for (let r = 0; r < requests; r++) {
      const text = texts[r % texts.length];
      const order = r % 2 === 0 ? models.map((_, i) => i) : models.map((_, i) => models.length - 1 - i);
      for (const i of order) {
        const start = performance.now();
        predictIntents(models[i], [text]);
        times[i].push(performance.now() - start);
      }
    }
    times.forEach((t, i) => {
      const sorted = Float64Array.from(t).sort();
      best[i].p50_ms = Math.min(best[i].p50_ms, quantileSorted(sorted, 0.5));
      best[i].p95_ms = Math.min(best[i].p95_ms, quantileSorted(sorted, 0.95));
    });
  }
  return best;
}
