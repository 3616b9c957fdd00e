/**
 * Distances between two distributions given as counts over the same bins or categories:
 * the population stability index and the Jensen–Shannon distance.
 */

/** Shares of a count vector, each at least `floor` when given (as monitoring tools do). */
function shares(counts: readonly number[], floor = 0): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => Math.max(total === 0 ? 0 : c / total, floor));
}

export const PSI_FLOOR = 0.0001;

/**
 * PSI = Σ (cur − ref) · ln(cur / ref) over bins, shares floored at 0.0001.
 *
 * @example psi([50, 50], [50, 50]) // 0
 */
export function psi(reference: readonly number[], current: readonly number[], floor = PSI_FLOOR): number {
  const r = shares(reference, floor);
  const c = shares(current, floor);
  let sum = 0;
  for (let i = 0; i < r.length; i++) sum += (c[i] - r[i]) * Math.log(c[i] / r[i]);
  return sum;
}

/**
 * Jensen–Shannon distance (the square root of the divergence), base 2, so it lies in
 * [0, 1] — scipy.spatial.distance.jensenshannon(p, q, base=2).
 *
 * @example jensenShannon([1, 0], [0, 1]) // 1
 */
export function jensenShannon(reference: readonly number[], current: readonly number[]): number {
  const p = shares(reference);
  const q = shares(current);
  let divergence = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i] + q[i]) / 2;
    if (p[i] > 0) divergence += 0.5 * p[i] * Math.log2(p[i] / m);
    if (q[i] > 0) divergence += 0.5 * q[i] * Math.log2(q[i] / m);
  }
  return Math.sqrt(Math.max(0, divergence));
}
