import { chiSquareSurvival } from './special-functions.js';

/**
 * Pearson's chi-square test of homogeneity on a 2 × C table (reference and current counts
 * per category), without continuity correction. Categories empty in both are dropped.
 *
 * @example chiSquare2xC([10, 20], [20, 10]) // { statistic: 6.667, p: 0.0098, dof: 1 }
 */
export function chiSquare2xC(reference: readonly number[], current: readonly number[]): { statistic: number; p: number; dof: number } | null {
  const cols = reference.map((r, i) => [r, current[i]] as const).filter(([r, c]) => r + c > 0);
  const nr = cols.reduce((s, [r]) => s + r, 0);
  const nc = cols.reduce((s, [, c]) => s + c, 0);
  if (nr === 0 || nc === 0 || cols.length < 2) return null;
  const n = nr + nc;
  let statistic = 0;
  for (const [r, c] of cols) {
    const total = r + c;
    const er = (nr * total) / n;
    const ec = (nc * total) / n;
    statistic += (r - er) ** 2 / er + (c - ec) ** 2 / ec;
  }
  const dof = cols.length - 1;
  return { statistic, p: chiSquareSurvival(statistic, dof), dof };
}
