/**
 * Accuracy and macro-F1 from counts of (predicted, actual) pairs, and the confidence-based
 * estimate of accuracy (as NannyML's CBPE does) when labels are missing.
 */
export interface PairCount {
  predicted: string;
  actual: string;
  count: number;
}

export interface ClassificationMetrics {
  n: number;
  accuracy: number | null;
  /** Mean F1 over every class that occurs as a prediction or a label. */
  macro_f1: number | null;
}

export function classificationMetrics(pairs: readonly PairCount[]): ClassificationMetrics {
  const n = pairs.reduce((s, p) => s + p.count, 0);
  if (n === 0) return { n, accuracy: null, macro_f1: null };
  const tp = new Map<string, number>();
  const predicted = new Map<string, number>();
  const actual = new Map<string, number>();
  let correct = 0;
  for (const p of pairs) {
    predicted.set(p.predicted, (predicted.get(p.predicted) ?? 0) + p.count);
    actual.set(p.actual, (actual.get(p.actual) ?? 0) + p.count);
    if (p.predicted === p.actual) {
      correct += p.count;
      tp.set(p.actual, (tp.get(p.actual) ?? 0) + p.count);
    }
  }
  const classes = new Set([...predicted.keys(), ...actual.keys()]);
  let f1 = 0;
  for (const c of classes) {
    const t = tp.get(c) ?? 0;
    const precision = t === 0 ? 0 : t / predicted.get(c)!;
    const recall = t === 0 ? 0 : t / actual.get(c)!;
    f1 += precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  }
  return { n, accuracy: correct / n, macro_f1: f1 / classes.size };
}

export const CONFIDENCE_BINS = 10;
const MIN_LABELS_PER_BIN = 20;

/** Per confidence bin (0.0–0.1, …, 0.9–1.0): how many predictions, and how many labelled correct. */
export interface ConfidenceBin {
  bin: number;
  n: number;
  labelled: number;
  correct: number;
}

/**
 * Estimated accuracy of `current` predictions from their confidence alone: each bin's
 * confidence is first calibrated on the reference window's labelled predictions (the
 * bin's observed accuracy, or its midpoint with fewer than 20 labels), then averaged
 * over the current predictions.
 */
export function estimateAccuracy(reference: readonly ConfidenceBin[], current: readonly ConfidenceBin[]): number | null {
  const calibrated = new Map<number, number>();
  for (const b of reference) if (b.labelled >= MIN_LABELS_PER_BIN) calibrated.set(b.bin, b.correct / b.labelled);
  let n = 0;
  let expected = 0;
  for (const b of current) {
    n += b.n;
    expected += b.n * (calibrated.get(b.bin) ?? (b.bin + 0.5) / CONFIDENCE_BINS);
  }
  return n === 0 ? null : expected / n;
}
