/**
 * First Wasserstein distance between two samples (sorted): the area between their
 * empirical CDFs, ∫ |F_a − F_b| dx, as scipy.stats.wasserstein_distance computes it.
 *
 * @example wasserstein([0, 1], [1, 2]) // 1
 */
export function wasserstein(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return null;
  let i = 0;
  let j = 0;
  let area = 0;
  let x = Math.min(a[0], b[0]);
  while (i < n || j < m) {
    const next = Math.min(i < n ? a[i] : Infinity, j < m ? b[j] : Infinity);
    area += Math.abs(i / n - j / m) * (next - x);
    x = next;
    while (i < n && a[i] <= x) i++;
    while (j < m && b[j] <= x) j++;
  }
  return area;
}
