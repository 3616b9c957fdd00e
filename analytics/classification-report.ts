/**
 * What a classifier's evaluation shows beyond accuracy: precision, recall and F1 per
 * class, the confusion matrix, and expected calibration error.
 */
import type { PairCount } from './classification-metrics.js';

export interface ClassScore {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Examples whose true label this is. */
  support: number;
}

/** Per class (every label that occurs as a prediction or a truth), sorted by label. */
export function perClassScores(pairs: readonly PairCount[]): ClassScore[] {
  const tp = new Map<string, number>();
  const predicted = new Map<string, number>();
  const actual = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
  for (const p of pairs) {
    add(predicted, p.predicted, p.count);
    add(actual, p.actual, p.count);
    if (p.predicted === p.actual) add(tp, p.actual, p.count);
  }
  return [...new Set([...predicted.keys(), ...actual.keys()])].sort().map((label) => {
    const t = tp.get(label) ?? 0;
    const precision = t === 0 ? 0 : t / predicted.get(label)!;
    const recall = t === 0 ? 0 : t / actual.get(label)!;
    return { label, precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall), support: actual.get(label) ?? 0 };
  });
}

/**
 * Counts with rows = true label and columns = predicted label, over `labels` (pairs with
 * other labels are ignored; pass every label that occurs to keep them all).
 */
export function confusionMatrix(pairs: readonly PairCount[], labels: readonly string[]): number[][] {
  const index = new Map(labels.map((l, i) => [l, i]));
  const matrix = labels.map(() => new Array<number>(labels.length).fill(0));
  for (const p of pairs) {
    const r = index.get(p.actual);
    const c = index.get(p.predicted);
    if (r !== undefined && c !== undefined) matrix[r][c] += p.count;
  }
  return matrix;
}

export interface CalibrationBin {
  /** Lower edge of the confidence bin. */
  from: number;
  n: number;
  confidence: number | null;
  accuracy: number | null;
}

/**
 * Expected calibration error over equal-width confidence bins: the mean of
 * |accuracy − confidence| per bin, weighted by the bin's share of predictions.
 * Null for no predictions.
 *
 * @example expectedCalibrationError([0.9, 0.9], [true, false]).ece // 0.4
 */
export function expectedCalibrationError(confidences: ArrayLike<number>, correct: ArrayLike<boolean>, bins = 10): { ece: number | null; bins: CalibrationBin[] } {
  const n = new Array<number>(bins).fill(0);
  const sumConfidence = new Array<number>(bins).fill(0);
  const hits = new Array<number>(bins).fill(0);
  for (let i = 0; i < confidences.length; i++) {
    const b = Math.min(bins - 1, Math.floor(confidences[i] * bins));
    n[b]++;
    sumConfidence[b] += confidences[i];
    if (correct[i]) hits[b]++;
  }
  const total = confidences.length;
  let ece = 0;
  const out = n.map((count, b) => {
    if (count > 0) ece += (count / total) * Math.abs(hits[b] / count - sumConfidence[b] / count);
    return { from: b / bins, n: count, confidence: count === 0 ? null : sumConfidence[b] / count, accuracy: count === 0 ? null : hits[b] / count };
  });
  return { ece: total === 0 ? null : ece, bins: out };
}
