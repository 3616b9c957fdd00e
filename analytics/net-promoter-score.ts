import { tallyBetween, tallyTotal, type Tally } from './tally.js';
import { Z95 } from './wilson-interval.js';

export interface ScoreWithInterval {
  value: number | null;
  low: number | null;
  high: number | null;
  n: number;
}

/**
 * Net Promoter Score from a tally of 0–10 answers: 100 × (share of 9–10 − share of 0–6),
 * with a 95% interval from its variance (p + d − (p − d)²) / n, clipped to [−100, 100].
 *
 * @example netPromoterScore(tally([10, 9, 8, 3], 0, 10)) // value 25, n 4
 */
export function netPromoterScore(answers: Tally): ScoreWithInterval {
  const n = tallyTotal(answers);
  if (n === 0) return { value: null, low: null, high: null, n };
  const p = tallyBetween(answers, 9, 10) / n;
  const d = tallyBetween(answers, 0, 6) / n;
  const se = Math.sqrt((p + d - (p - d) ** 2) / n);
  const clip = (v: number) => Math.max(-100, Math.min(100, v));
  return { value: 100 * (p - d), low: clip(100 * (p - d - Z95 * se)), high: clip(100 * (p - d + Z95 * se)), n };
}
