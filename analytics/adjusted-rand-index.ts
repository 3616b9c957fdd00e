/**
 * Adjusted Rand index of two labelings of the same items: 1 for identical partitions
 * (whatever the label names), about 0 for random ones.
 *
 * @example adjustedRandIndex(['a', 'a', 'b'], [1, 1, 2]) // 1
 */
export function adjustedRandIndex<A, B>(a: readonly A[], b: readonly B[]): number {
  if (a.length !== b.length) throw new RangeError(`labelings differ in length (${a.length} vs ${b.length})`);
  const n = a.length;
  const pairs = (x: number) => (x * (x - 1)) / 2;
  const cells = new Map<string, number>();
  const rows = new Map<A, number>();
  const cols = new Map<B, number>();
  for (let i = 0; i < n; i++) {
    const key = `${String(a[i])}\u0000${String(b[i])}`;
    cells.set(key, (cells.get(key) ?? 0) + 1);
    rows.set(a[i], (rows.get(a[i]) ?? 0) + 1);
    cols.set(b[i], (cols.get(b[i]) ?? 0) + 1);
  }
  let index = 0;
  for (const c of cells.values()) index += pairs(c);
  let sumRows = 0;
  for (const r of rows.values()) sumRows += pairs(r);
  let sumCols = 0;
  for (const c of cols.values()) sumCols += pairs(c);
  const expected = (sumRows * sumCols) / pairs(n);
  const max = (sumRows + sumCols) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}
