/**
 * Whether a rate (accuracy, recall) fell between two independent samples: the pooled
 * two-proportion z-test, one-sided, with the normal CDF of @stdlib. A small sample on
 * either side gives a large p-value, so it cannot trigger anything on its own.
 */
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';

export interface ProportionDrop {
  reference: number | null;
  current: number | null;
  /** reference − current; positive when the rate fell. */
  drop: number | null;
  /** One-sided p-value of "the current rate is lower". */
  p: number;
}

export function proportionDrop(reference: { hits: number; n: number }, current: { hits: number; n: number }): ProportionDrop {
  if (reference.n === 0 || current.n === 0) {
    return { reference: reference.n === 0 ? null : reference.hits / reference.n, current: current.n === 0 ? null : current.hits / current.n, drop: null, p: 1 };
  }
  const r = reference.hits / reference.n;
  const c = current.hits / current.n;
  const pooled = (reference.hits + current.hits) / (reference.n + current.n);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / reference.n + 1 / current.n));
  const p = se === 0 ? (c < r ? 0 : 1) : 1 - normalCdf((r - c) / se, 0, 1);
  return { reference: r, current: c, drop: r - c, p };
}
