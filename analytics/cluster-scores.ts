/**
 * How well a clustering recovers the true classes, in the terms new-intent discovery is
 * published in (TEXTOIR, DeepAligned): normalised mutual information (arithmetic-mean
 * normalisation, scikit-learn's default) and clustering accuracy — the share of items
 * whose cluster maps to their class under the best one-to-one mapping of clusters to
 * classes (the Hungarian algorithm, from the `munkres` package). The adjusted Rand index
 * is in adjusted-rand-index.ts.
 *
 * @example normalizedMutualInformation(['a', 'a', 'b'], [1, 1, 2]) // 1
 * @example clusteringAccuracy(['a', 'a', 'b', 'b'], [1, 1, 1, 2]) // 0.75
 */
import { munkres } from 'munkres';

function contingency<A, B>(a: readonly A[], b: readonly B[]): { table: number[][]; rows: number[]; cols: number[]; n: number } {
  if (a.length !== b.length) throw new RangeError(`labelings differ in length (${a.length} vs ${b.length})`);
  const ra = new Map<A, number>();
  const cb = new Map<B, number>();
  for (const x of a) if (!ra.has(x)) ra.set(x, ra.size);
  for (const y of b) if (!cb.has(y)) cb.set(y, cb.size);
  const table = Array.from({ length: ra.size }, () => new Array<number>(cb.size).fill(0));
  for (let i = 0; i < a.length; i++) table[ra.get(a[i])!][cb.get(b[i])!]++;
  return { table, rows: table.map((r) => r.reduce((s, v) => s + v, 0)), cols: [...cb.keys()].map((_, j) => table.reduce((s, r) => s + r[j], 0)), n: a.length };
}

function entropy(counts: readonly number[], n: number): number {
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / n) * Math.log(c / n);
  return h;
}

/** NMI = I(A; B) / ((H(A) + H(B)) / 2); 1 when both labelings are one cluster each. */
export function normalizedMutualInformation<A, B>(a: readonly A[], b: readonly B[]): number {
  const { table, rows, cols, n } = contingency(a, b);
  if (n === 0) throw new RangeError('no items to compare');
  let mi = 0;
  table.forEach((row, i) => row.forEach((c, j) => {
    if (c > 0) mi += (c / n) * Math.log((c * n) / (rows[i] * cols[j]));
  }));
  const [ha, hb] = [entropy(rows, n), entropy(cols, n)];
  if (ha === 0 && hb === 0) return 1;
  return Math.max(0, mi / ((ha + hb) / 2));
}

/** The share of items right under the best one-to-one mapping of B's clusters to A's classes. */
export function clusteringAccuracy<A, B>(truth: readonly A[], clusters: readonly B[]): number {
  const { table, n } = contingency(truth, clusters);
  if (n === 0) throw new RangeError('no items to compare');
  const max = Math.max(...table.flat());
  // Rows: clusters (workers), columns: classes (jobs); munkres minimises, so costs are max - count.
  const cost = table[0].map((_, j) => table.map((row) => max - row[j]));
  let right = 0;
  for (const [cluster, cls] of munkres(cost)) right += table[cls][cluster];
  return right / n;
}
