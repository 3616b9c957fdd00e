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

/**
 * How often a model is right at each confidence, fitted on labelled predictions: isotonic
 * regression (pool-adjacent-violators), the calibration NannyML's CBPE fits on its
 * reference. Blocks of confidence, each up to `upto[i]` (inclusive), right `accuracy[i]` of
 * the time on `n[i]` predictions; non-decreasing. Written here, not taken from a package:
 * the algorithm is twenty lines, and no maintained JS package offers it (ml-isotonic-regression
 * and the like are single-author and years old).
 */
export interface ReliabilityCurve {
  upto: number[];
  accuracy: number[];
  n: number[];
}

export function fitReliability(confidences: ArrayLike<number>, correct: ArrayLike<boolean>): ReliabilityCurve {
  const order = Array.from({ length: confidences.length }, (_, i) => i).sort((a, b) => confidences[a] - confidences[b]);
  const blocks: { hits: number; n: number; upto: number }[] = [];
  for (let k = 0; k < order.length;) {
    // Equal confidences are one point: a curve cannot tell them apart.
    const c = confidences[order[k]];
    const point = { hits: 0, n: 0, upto: c };
    for (; k < order.length && confidences[order[k]] === c; k++) {
      point.n++;
      if (correct[order[k]]) point.hits++;
    }
    blocks.push(point);
    // Pool while the newest block is not more accurate than the one before it.
    while (blocks.length > 1) {
      const [a, b] = [blocks[blocks.length - 2], blocks[blocks.length - 1]];
      if (a.hits / a.n < b.hits / b.n) break;
      a.hits += b.hits;
      a.n += b.n;
      a.upto = b.upto;
      blocks.pop();
    }
  }
  return { upto: blocks.map((b) => b.upto), accuracy: blocks.map((b) => b.hits / b.n), n: blocks.map((b) => b.n) };
}

/** The curve's accuracy at one confidence: its block's (the first block below it, the last above). */
export function reliabilityAt(curve: ReliabilityCurve, confidence: number): number {
  let lo = 0;
  let hi = curve.upto.length - 1;
  // The first block whose upper edge is at or above the confidence.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (curve.upto[mid] >= confidence) hi = mid;
    else lo = mid + 1;
  }
  return curve.accuracy[lo];
}

/**
 * Estimated accuracy of predictions from their confidence alone (NannyML's CBPE for
 * accuracy): the mean, over the predictions, of how often the reference's labelled
 * predictions were right at that confidence (`fitReliability`). Null without predictions
 * or without a reference.
 */
export function estimateAccuracy(reference: ReliabilityCurve, confidences: ArrayLike<number>): number | null {
  if (confidences.length === 0 || reference.upto.length === 0) return null;
  let sum = 0;
  for (let i = 0; i < confidences.length; i++) sum += reliabilityAt(reference, confidences[i]);
  return sum / confidences.length;
}
