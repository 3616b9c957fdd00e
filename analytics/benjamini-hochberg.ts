/**
 * Benjamini–Hochberg adjusted p-values (false discovery rate), in the input's order;
 * nulls stay null and do not count as tests.
 *
 * @example benjaminiHochberg([0.01, 0.04, 0.03]) // [0.03, 0.04, 0.04]
 */
export function benjaminiHochberg(pValues: readonly (number | null)[]): (number | null)[] {
  const tested = pValues.map((p, i) => ({ p, i })).filter((t): t is { p: number; i: number } => t.p !== null);
  const m = tested.length;
  const adjusted: (number | null)[] = pValues.map(() => null);
  tested.sort((a, b) => b.p - a.p);
  let running = 1;
  tested.forEach(({ p, i }, rankFromTop) => {
    const rank = m - rankFromTop;
    running = Math.min(running, (p * m) / rank);
    adjusted[i] = running;
  });
  return adjusted;
}
