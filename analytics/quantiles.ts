/**
 * The p-quantile of sorted values by linear interpolation between closest ranks —
 * numpy's default ("linear", R type 7) and Postgres's percentile_cont.
 *
 * @example quantileSorted([1, 2, 3, 4], 0.5) // 2.5
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Reference deciles q1..q9 with duplicates merged: the inner edges of the drift bins. */
export function decileEdges(sorted: ArrayLike<number>): number[] {
  const edges: number[] = [];
  for (let k = 1; k <= 9; k++) {
    const q = quantileSorted(sorted, k / 10);
    if (edges.length === 0 || q !== edges[edges.length - 1]) edges.push(q);
  }
  return edges;
}

/**
 * Counts of sorted values in the bins (−∞, e1], (e1, e2], …, (ek, +∞).
 *
 * @example binCounts([1, 2, 3, 4], [2, 3]) // [2, 1, 1]
 */
export function binCounts(sorted: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  let bin = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (bin < edges.length && sorted[i] > edges[bin]) bin++;
    counts[bin]++;
  }
  return counts;
}
