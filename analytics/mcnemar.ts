/**
 * McNemar's exact test for two classifiers judged on the same examples: only the
 * examples where they disagree count — `b` where the first is right and the second
 * wrong, `c` the other way round — and under "equally good" each disagreement is a fair
 * coin (an exact binomial test on b of b + c, via @stdlib/stats-binomial-test).
 */
import binomialTest from '@stdlib/stats-binomial-test';

export interface McNemar {
  /** The first right, the second wrong. */
  b: number;
  /** The second right, the first wrong. */
  c: number;
  /** One-sided p-value of "the first is better" (b large). */
  p_better: number;
  /** One-sided p-value of "the first is worse" (c large). */
  p_worse: number;
}

/** Pairs up correctness per example: `first[i]` and `second[i]` are about the same example. */
export function mcnemar(first: readonly boolean[], second: readonly boolean[]): McNemar {
  if (first.length !== second.length) throw new Error(`mcnemar: ${first.length} and ${second.length} examples are not paired`);
  let b = 0;
  let c = 0;
  for (let i = 0; i < first.length; i++) {
    if (first[i] && !second[i]) b++;
    else if (!first[i] && second[i]) c++;
  }
  if (b + c === 0) return { b, c, p_better: 1, p_worse: 1 };
  return {
    b, c,
    p_better: binomialTest(b, b + c, { alternative: 'greater' }).pValue,
    p_worse: binomialTest(b, b + c, { alternative: 'less' }).pValue,
  };
}

/** One-sided p-value that `hits` of `n` beat a success rate of `rate` (exact binomial test). */
export function binomialGreaterP(hits: number, n: number, rate: number): number {
  if (n === 0) return 1;
  if (rate <= 0) return hits > 0 ? 0 : 1;
  if (rate >= 1) return 1;
  return binomialTest(hits, n, { alternative: 'greater', p: rate }).pValue;
}
