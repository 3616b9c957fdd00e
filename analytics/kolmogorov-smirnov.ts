import { kolmogorovSurvival } from './special-functions.js';

/** Above this many pairs (n × m) the p-value is asymptotic instead of exact. */
export const KS_EXACT_MAX_PAIRS = 1_000_000;

/**
 * Two-sample Kolmogorov–Smirnov test on sorted samples: D = max |F_a(x) − F_b(x)| and the
 * two-sided p-value — exact (the lattice-path count scipy uses) when n × m ≤ 1,000,000,
 * otherwise from Kolmogorov's limit with Stephens' small-sample correction.
 *
 * @example ksTwoSample([1, 2, 3], [4, 5, 6]) // { d: 1, p: 0.1 }
 */
export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>): { d: number; p: number } | null {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return null;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = Math.min(a[i], b[j]);
    while (i < n && a[i] <= x) i++;
    while (j < m && b[j] <= x) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  return { d, p: n * m <= KS_EXACT_MAX_PAIRS ? ksExactP(d, n, m) : ksAsymptoticP(d, n, m) };
}

function ksAsymptoticP(d: number, n: number, m: number): number {
  const en = Math.sqrt((n * m) / (n + m));
  return kolmogorovSurvival((en + 0.12 + 0.11 / en) * d);
}

/**
 * P(D ≥ d) for the two-sided statistic: one minus the probability that a uniformly random
 * lattice path from (0, 0) to (n, m) stays strictly inside |i/n − j/m| < d. At (i, j) a
 * path steps to i + 1 with probability (n − i) / (n + m − i − j); probabilities rather
 * than path counts keep the numbers in range.
 */
function ksExactP(d: number, n: number, m: number): number {
  if (d <= 0) return 1;
  // On the integer lattice: inside when |i·m − j·n| < d·n·m, nudged so that D itself
  // counts as reaching d (as scipy does).
  const limit = d * n * m - 1e-7 * n * m;
  let prob = new Float64Array(m + 1);
  prob[0] = 1;
  for (let j = 1; j <= m; j++) prob[j] = j * n < limit ? (prob[j - 1] * (m - j + 1)) / (n + m - j + 1) : 0;
  for (let i = 1; i <= n; i++) {
    const next = new Float64Array(m + 1);
    for (let j = 0; j <= m; j++) {
      if (Math.abs(i * m - j * n) >= limit) continue;
      const remaining = n + m - i - j + 1;
      next[j] = (prob[j] * (n - i + 1)) / remaining + (j > 0 ? (next[j - 1] * (m - j + 1)) / remaining : 0);
    }
    prob = next;
  }
  return Math.min(1, Math.max(0, 1 - prob[m]));
}
