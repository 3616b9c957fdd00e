/**
 * What a model's probabilities mean, fitted on its validation split and stored with it:
 * temperature scaling (one number dividing the log-probabilities, chosen to minimise the
 * validation cross-entropy — Guo et al., 2017), so that "0.8 sure" is right about 80 % of
 * the time; and the out-of-scope threshold, the calibrated probability of the most likely
 * need below which a request is "none of the known needs". The threshold is the highest
 * that costs the in-scope answers at most 2 points of accuracy on validation: flagging a
 * request the model would have answered wrongly costs nothing, flagging a right answer
 * costs a point per hundred.
 *
 * Each need's region: the unit centroid of its training requests in the model's own
 * representation (the pooled bag the head reads), stored with the version. A request the
 * model calls need N but that lies away from N's requests is out of scope even when the
 * head is sure: the score the threshold applies to is the calibrated probability times the
 * cosine to N's region (a product, so either one being low flags it). On BANKING77 with 10
 * intents held out, at the same 2-point budget, this catches 0.24 / 0.39 / 0.26 of the
 * held-out intents' requests (three different sets held out), against 0.22 / 0.31 / 0.20
 * for the probability alone (bench/banking77, bench/RESULTS.md). Per-need thresholds were
 * tried and cost twice the budget on test: ~20 validation requests per need cannot place a
 * 2 % quantile; k-nearest-neighbour distances and energy scores did no better.
 */
export interface ModelCalibration {
  temperature: number;
  /** An out-of-scope score (`outOfScopeScore`: the calibrated top probability, times the closeness to that need's region when `regions` is stored) below this flags the request as out of scope. */
  out_of_scope_below: number;
  /** The share of in-scope validation requests kept (not flagged) at the threshold. */
  in_scope_recall: number;
  /** Accuracy of the in-scope validation requests answered (not flagged) at the threshold; absent in older models. */
  answered_accuracy?: number;
  /**
   * Each label's region: the unit centroid of its training requests' pooled bags (label
   * order; empty for a label without requests). When present, `out_of_scope_below` applies
   * to `outOfScopeScore(probability, closeness)`; absent in older models, where it applies
   * to the probability alone.
   */
  regions?: number[][];
}

/** Least closeness counted: a request opposite its need's region scores as one barely off it, so the probability still ranks them. */
const MIN_CLOSENESS = 0.01;

/** What the out-of-scope threshold applies to: the calibrated top probability, times the closeness to that need's region when the model has regions. */
export function outOfScopeScore(probability: number, closeness: number | null): number {
  return closeness === null ? probability : probability * Math.max(closeness, MIN_CLOSENESS);
}

/** Cosine of a pooled bag to a unit region centroid; null when the region is empty. */
export function regionCloseness(pooled: ArrayLike<number>, region: ArrayLike<number> | undefined): number | null {
  if (region === undefined || region.length === 0) return null;
  let dot = 0;
  let norm = 0;
  for (let d = 0; d < region.length; d++) {
    dot += pooled[d] * region[d];
    norm += pooled[d] * pooled[d];
  }
  return norm === 0 ? 0 : dot / Math.sqrt(norm);
}

/** Unit centroids of the pooled bags of each label's rows (`classes` of them; a label without rows gets []). */
export function needRegions(pooled: readonly ArrayLike<number>[], labels: ArrayLike<number>, classes: number): number[][] {
  const dims = pooled[0]?.length ?? 0;
  const sums = Array.from({ length: classes }, () => new Float64Array(dims));
  const counts = new Int32Array(classes);
  pooled.forEach((row, i) => {
    let norm = 0;
    for (let d = 0; d < dims; d++) norm += row[d] * row[d];
    if (norm === 0) return;
    const inv = 1 / Math.sqrt(norm);
    const sum = sums[labels[i]];
    for (let d = 0; d < dims; d++) sum[d] += row[d] * inv;
    counts[labels[i]]++;
  });
  return sums.map((sum, c) => {
    if (counts[c] === 0) return [];
    const norm = Math.sqrt(sum.reduce((a, v) => a + v * v, 0));
    return Array.from(sum, (v) => Number((v / norm).toPrecision(6)));
  });
}

/** Models made before calibration: probabilities as the network gives them, nothing flagged. */
export const UNCALIBRATED: ModelCalibration = { temperature: 1, out_of_scope_below: 0, in_scope_recall: 1 };
/** In-scope accuracy the out-of-scope flag may cost on validation, in share of requests. */
export const MAX_ACCURACY_LOSS = 0.02;

/** Probabilities p^(1/T), renormalised: softmax of the log-probabilities divided by T. */
export function temperatureScale(probabilities: ArrayLike<number>, temperature: number, out: Float64Array = new Float64Array(probabilities.length)): Float64Array {
  let max = -Infinity;
  for (let c = 0; c < probabilities.length; c++) {
    out[c] = Math.log(Math.max(probabilities[c], 1e-12)) / temperature;
    if (out[c] > max) max = out[c];
  }
  let sum = 0;
  for (let c = 0; c < probabilities.length; c++) {
    out[c] = Math.exp(out[c] - max);
    sum += out[c];
  }
  for (let c = 0; c < probabilities.length; c++) out[c] /= sum;
  return out;
}

function meanNll(rows: readonly ArrayLike<number>[], labels: ArrayLike<number>, temperature: number): number {
  let total = 0;
  const buffer = new Float64Array(rows[0]?.length ?? 0);
  rows.forEach((p, i) => {
    total -= Math.log(Math.max(temperatureScale(p, temperature, buffer)[labels[i]], 1e-12));
  });
  return total / Math.max(rows.length, 1);
}

/** The temperature (0.05 to 20) that minimises the mean cross-entropy, by golden-section search on log T. */
export function fitTemperature(rows: readonly ArrayLike<number>[], labels: ArrayLike<number>): number {
  if (rows.length === 0) return 1;
  let [a, b] = [Math.log(0.05), Math.log(20)];
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = meanNll(rows, labels, Math.exp(c));
  let fd = meanNll(rows, labels, Math.exp(d));
  for (let i = 0; i < 40; i++) {
    if (fc < fd) {
      [b, d, fd] = [d, c, fc];
      c = b - g * (b - a);
      fc = meanNll(rows, labels, Math.exp(c));
    } else {
      [a, c, fc] = [c, d, fd];
      d = a + g * (b - a);
      fd = meanNll(rows, labels, Math.exp(d));
    }
  }
  return Math.exp((a + b) / 2);
}

/**
 * Temperature and threshold from validation rows (the network's probabilities) and their
 * true label indices. `outOfScopeLabel` is the index of the learnt "none of these" class
 * (from feedback), or −1: its rows count as out of scope, not as answers to keep.
 * `regions` (from `needRegions` on the training rows) and `pooled` (the validation rows'
 * bags) make the threshold one on `outOfScopeScore`; the regions are stored with it.
 */
export function calibrate(
  rows: readonly ArrayLike<number>[],
  labels: ArrayLike<number>,
  maxAccuracyLoss = MAX_ACCURACY_LOSS,
  outOfScopeLabel = -1,
  space: { regions: number[][]; pooled: readonly ArrayLike<number>[] } | null = null,
): ModelCalibration {
  if (rows.length === 0) return UNCALIBRATED;
  const temperature = fitTemperature(rows, labels);
  const buffer = new Float64Array(rows[0].length);
  const answers: { top: number; right: boolean }[] = [];
  rows.forEach((p, i) => {
    if (labels[i] === outOfScopeLabel) return;
    const scaled = temperatureScale(p, temperature, buffer);
    const best = bestNeed(scaled, outOfScopeLabel);
    const closeness = space === null ? null : regionCloseness(space.pooled[i], space.regions[best]);
    answers.push({ top: outOfScopeScore(scaled[best], closeness), right: best === labels[i] });
  });
  const regions = space === null ? {} : { regions: space.regions };
  if (answers.length === 0) return { temperature, out_of_scope_below: 0, in_scope_recall: 1, ...regions };
  answers.sort((a, b) => a.top - b.top);
  // Flag the least sure answers while the right ones among them stay within the budget.
  const budget = Math.floor(maxAccuracyLoss * answers.length);
  let lost = 0;
  let flagged = 0;
  while (flagged < answers.length) {
    // Ties move together: a threshold cannot split equal probabilities.
    let end = flagged;
    let rightInTie = 0;
    while (end < answers.length && answers[end].top === answers[flagged].top) rightInTie += answers[end++].right ? 1 : 0;
    if (lost + rightInTie > budget) break;
    lost += rightInTie;
    flagged = end;
  }
  const kept = answers.slice(flagged);
  return {
    temperature,
    out_of_scope_below: flagged === 0 ? 0 : flagged === answers.length ? answers[flagged - 1].top + 1e-9 : answers[flagged].top,
    in_scope_recall: kept.length / answers.length,
    answered_accuracy: kept.length === 0 ? 0 : kept.filter((a) => a.right).length / kept.length,
    ...regions,
  };
}

/** The most likely need: the largest probability, the learnt out-of-scope class (index `outOfScope`, or −1) aside. */
export function bestNeed(probabilities: ArrayLike<number>, outOfScope = -1): number {
  let best = outOfScope === 0 ? 1 : 0;
  for (let c = best + 1; c < probabilities.length; c++) if (c !== outOfScope && probabilities[c] > probabilities[best]) best = c;
  return best;
}
