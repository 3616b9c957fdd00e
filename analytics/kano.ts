/**
 * Kano classification. Answers are 1 like it, 2 expect it, 3 neutral, 4 can live with
 * it, 5 dislike it; the standard evaluation table maps (functional, dysfunctional) to
 * A attractive, O one-dimensional, M must-be, I indifferent, R reverse, Q questionable.
 */
export type KanoClass = 'A' | 'O' | 'M' | 'I' | 'R' | 'Q';

// Rows: functional answer 1..5; columns: dysfunctional answer 1..5.
const TABLE: readonly (readonly KanoClass[])[] = [
  ['Q', 'A', 'A', 'A', 'O'],
  ['R', 'I', 'I', 'I', 'M'],
  ['R', 'I', 'I', 'I', 'M'],
  ['R', 'I', 'I', 'I', 'M'],
  ['R', 'R', 'R', 'R', 'Q'],
];

/** The class of one response, or null when either answer is blank or off the scale. */
export function kanoClass(functional: number | null, dysfunctional: number | null): KanoClass | null {
  if (functional === null || dysfunctional === null) return null;
  return TABLE[functional - 1]?.[dysfunctional - 1] ?? null;
}

export interface KanoSummary {
  /** The most frequent of A, O, M, I (ties: M > O > A > I); null with no such answer. */
  category: 'A' | 'O' | 'M' | 'I' | null;
  A: number;
  O: number;
  M: number;
  I: number;
  R: number;
  Q: number;
  /** (A + O) / (A + O + M + I): how much satisfaction the need's presence adds. */
  better: number | null;
  /** −(O + M) / (A + O + M + I): how much dissatisfaction its absence causes. */
  worse: number | null;
}

/**
 * Summarises responses from a 5 × 5 matrix of counts, `pairs[f - 1][d - 1]`.
 *
 * @example kanoSummary(kanoPairs([[1, 5], [1, 5], [2, 5]]))  // category 'O', better 2/3, worse -1
 */
export function kanoSummary(pairs: readonly (readonly number[])[]): KanoSummary {
  const n: Record<KanoClass, number> = { A: 0, O: 0, M: 0, I: 0, R: 0, Q: 0 };
  for (let f = 0; f < 5; f++) for (let d = 0; d < 5; d++) n[TABLE[f][d]] += pairs[f]?.[d] ?? 0;
  const decisive = n.A + n.O + n.M + n.I;
  let category: KanoSummary['category'] = null;
  for (const c of ['M', 'O', 'A', 'I'] as const) if (n[c] > 0 && (category === null || n[c] > n[category])) category = c;
  return {
    category,
    ...n,
    better: decisive === 0 ? null : (n.A + n.O) / decisive,
    worse: decisive === 0 ? null : n.O + n.M === 0 ? 0 : -(n.O + n.M) / decisive,
  };
}

/** The 5 × 5 count matrix of (functional, dysfunctional) pairs; pairs with a blank are skipped. */
export function kanoPairs<T>(responses: Iterable<T>, valueof: (r: T) => readonly [number | null, number | null] = (r) => r as unknown as [number, number]): number[][] {
  const pairs = Array.from({ length: 5 }, () => new Array<number>(5).fill(0));
  for (const r of responses) {
    const [f, d] = valueof(r);
    if (f !== null && d !== null && f >= 1 && f <= 5 && d >= 1 && d <= 5 && Number.isInteger(f) && Number.isInteger(d)) pairs[f - 1][d - 1]++;
  }
  return pairs;
}
