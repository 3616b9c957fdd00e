import { Z95 } from './wilson-interval.js';

/**
 * Ulwick's opportunity score (ODI): importance + max(importance − satisfaction, 0), both
 * on 0–10. An unmet important need scores up to 20; null when either part is missing.
 */
export function opportunity(importance: number | null, satisfaction: number | null): number | null {
  if (importance === null || satisfaction === null) return null;
  return importance + Math.max(importance - satisfaction, 0);
}

/**
 * Top-two-box counts behind an opportunity score: of `importance.n` importance answers,
 * `importance.top` were 4 or 5 (likewise satisfaction); of the `both.n` responses that
 * answered both, `both.importance` and `both.satisfaction` were top-two on each and
 * `both.top` on both — what ties the two shares together when the same people answer.
 */
export interface OpportunityCounts {
  importance: { n: number; top: number };
  satisfaction: { n: number; top: number };
  both: { n: number; importance: number; satisfaction: number; top: number };
}

/**
 * A 95 % interval of the opportunity score by the delta method, clipped to 0–20: with
 * shares i and s, the score is 10·(2i − s) when i > s and 10·i otherwise; its variance
 * takes the two shares' covariance over the respondents who answered both. Where i and s
 * are within noise of each other (the score's kink), the wider of the two branches'
 * variances is used. Null without answers on both.
 *
 * @example opportunityInterval({ importance: { n: 100, top: 80 }, satisfaction: { n: 100, top: 30 }, both: { n: 100, importance: 80, satisfaction: 30, top: 24 } })
 * // { value: 13, low: 11.2, high: 14.8 } (rounded)
 */
export function opportunityInterval(c: OpportunityCounts, z = Z95): { value: number; low: number; high: number } | null {
  const [ni, ns] = [c.importance.n, c.satisfaction.n];
  if (ni === 0 || ns === 0) return null;
  const [i, s] = [c.importance.top / ni, c.satisfaction.top / ns];
  const [vi, vs] = [(i * (1 - i)) / ni, (s * (1 - s)) / ns];
  // Covariance of the two shares: the joint answers' covariance, scaled by the overlap.
  const nb = c.both.n;
  const cov = nb === 0 ? 0 : ((c.both.top / nb - (c.both.importance / nb) * (c.both.satisfaction / nb)) * nb) / (ni * ns);
  const unmet = Math.max(4 * vi + vs - 4 * cov, 0);
  const gapSe = Math.sqrt(Math.max(vi + vs - 2 * cov, 0));
  const variance = Math.abs(i - s) <= z * gapSe ? Math.max(unmet, vi) : i > s ? unmet : vi;
  const value = 10 * (i + Math.max(i - s, 0));
  const half = 10 * z * Math.sqrt(variance);
  return { value, low: Math.max(0, value - half), high: Math.min(20, value + half) };
}
