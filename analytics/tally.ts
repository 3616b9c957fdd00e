/**
 * Counts of answers on an integer scale: `counts[v - min]` answers had value v. Need
 * scores are computed from tallies, so the same code serves a file read in Node and
 * counts grouped in Postgres.
 */
export interface Tally {
  min: number;
  counts: number[];
}

/**
 * Tallies the values that are whole numbers within [min, max]; blanks (null, undefined,
 * NaN) and anything else are left out.
 *
 * @example tally([5, 4, null, 2], 1, 5) // { min: 1, counts: [0, 1, 0, 1, 1] }
 */
export function tally<T>(values: Iterable<T>, min: number, max: number, valueof: (v: T) => number | null | undefined = (v) => v as number): Tally {
  const counts = new Array<number>(max - min + 1).fill(0);
  for (const item of values) {
    const v = valueof(item);
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) counts[v - min]++;
  }
  return { min, counts };
}

export function tallyTotal(t: Tally): number {
  return t.counts.reduce((a, b) => a + b, 0);
}

/** Answers with a value from `from` to `to` inclusive. */
export function tallyBetween(t: Tally, from: number, to: number): number {
  let n = 0;
  for (let v = from; v <= to; v++) n += t.counts[v - t.min] ?? 0;
  return n;
}
