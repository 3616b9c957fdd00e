/**
 * What a model's probabilities mean, fitted on its validation split and stored with it:
 * temperature scaling (one number dividing the log-probabilities, chosen to minimise the
 * validation cross-entropy — Guo et al., 2017), so that "0.8 sure" is right about 80 % of
 * the time; and the out-of-scope threshold, the calibrated probability of the most likely
 * need below which a request is "none of the known needs". The threshold is the highest
 * that costs the in-scope answers at most 2 points of accuracy on validation: flagging a
 * request the model would have answered wrongly costs nothing, flagging a right answer
 * costs a point per hundred.
 */
export interface ModelCalibration {
  temperature: number;
  /** A calibrated top probability below this flags the request as out of scope. */
  out_of_scope_below: number;
  /** The share of in-scope validation requests kept (not flagged) at the threshold. */
  in_scope_recall: number;
  /** Accuracy of the in-scope validation requests answered (not flagged) at the threshold; absent in older models. */
  answered_accuracy?: number;
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
 */
export function calibrate(rows: readonly ArrayLike<number>[], labels: ArrayLike<number>, maxAccuracyLoss = MAX_ACCURACY_LOSS, outOfScopeLabel = -1): ModelCalibration {
  if (rows.length === 0) return UNCALIBRATED;
  const temperature = fitTemperature(rows, labels);
  const buffer = new Float64Array(rows[0].length);
  const answers: { top: number; right: boolean }[] = [];
  rows.forEach((p, i) => {
    if (labels[i] === outOfScopeLabel) return;
    const scaled = temperatureScale(p, temperature, buffer);
    const best = bestNeed(scaled, outOfScopeLabel);
    answers.push({ top: scaled[best], right: best === labels[i] });
  });
  if (answers.length === 0) return { temperature, out_of_scope_below: 0, in_scope_recall: 1 };
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
  };
}

/** The most likely need: the largest probability, the learnt out-of-scope class (index `outOfScope`, or −1) aside. */
export function bestNeed(probabilities: ArrayLike<number>, outOfScope = -1): number {
  let best = outOfScope === 0 ? 1 : 0;
  for (let c = best + 1; c < probabilities.length; c++) if (c !== outOfScope && probabilities[c] > probabilities[best]) best = c;
  return best;
}
