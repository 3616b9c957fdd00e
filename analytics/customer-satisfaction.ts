import type { ScoreWithInterval } from './net-promoter-score.js';
import { tallyBetween, tallyTotal, type Tally } from './tally.js';
import { wilsonInterval } from './wilson-interval.js';

/**
 * CSAT from a tally of 1–5 answers: the percentage (0–100) answering 4 or 5, with a 95%
 * Wilson interval.
 *
 * @example customerSatisfaction(tally([5, 4, 3, 1], 1, 5)) // value 50, n 4
 */
export function customerSatisfaction(answers: Tally): ScoreWithInterval {
  const n = tallyTotal(answers);
  const satisfied = tallyBetween(answers, 4, 5);
  const interval = wilsonInterval(satisfied, n);
  if (interval === null) return { value: null, low: null, high: null, n };
  return { value: (100 * satisfied) / n, low: 100 * interval.low, high: 100 * interval.high, n };
}
