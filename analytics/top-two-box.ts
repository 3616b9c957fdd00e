import { tallyBetween, tallyTotal, type Tally } from './tally.js';

/**
 * Top-two-box score on a 0–10 scale: the share of 1–5 answers that are 4 or 5, times 10.
 * Blanks are not in the tally; null when nobody answered.
 *
 * @example topTwoBox(tally([5, 4, 2, 1], 1, 5)) // 5
 */
export function topTwoBox(answers: Tally): number | null {
  const n = tallyTotal(answers);
  return n === 0 ? null : (10 * tallyBetween(answers, 4, 5)) / n;
}
