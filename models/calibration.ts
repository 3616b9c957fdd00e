/**
 * What a model's probabilities mean, fitted on its validation split and stored with it:
 * temperature scaling (one number dividing the log-probabilities, chosen to minimise the
 * validation cross-entropy — Guo et al., 2017), so that "0.8 sure" is right about 80 % of
 * the time; and the out-of-scope threshold, the calibrated top probability below which a
 * request is "none of the known needs", set so that a stated share of in-scope validation
 * requests stays above it.
 */
export interface ModelCalibration {
  temperature: number;
  /** A calibrated top probability below this flags the request as out of scope. */
  out_of_scope_below: number;
  /** The share of in-scope validation requests kept above the threshold. */
  in_scope_recall: number;
}

/** Models made before calibration: probabilities as the network gives them, nothing flagged. */
export const UNCALIBRATED: ModelCalibration = { temperature: 1, out_of_scope_below: 0, in_scope_recall: 1 };
export const IN_SCOPE_RECALL = 0.95;

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
 * true label indices.
 */
export function calibrate(rows: readonly ArrayLike<number>[], labels: ArrayLike<number>, inScopeRecall = IN_SCOPE_RECALL): ModelCalibration {
  if (rows.length === 0) return UNCALIBRATED;
  const temperature = fitTemperature(rows, labels);
  const buffer = new Float64Array(rows[0].length);
  const top = rows.map((p) => Math.max(...temperatureScale(p, temperature, buffer))).sort((x, y) => x - y);
  const out_of_scope_below = top[Math.floor((1 - inScopeRecall) * top.length)];
  return { temperature, out_of_scope_below, in_scope_recall: inScopeRecall };
}
