import { describe, expect, it } from 'vitest';
import { opportunity, opportunityInterval, type OpportunityCounts } from '../../analytics/opportunity.js';

/** A seeded generator (mulberry32): the same draws on every machine. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n respondents answering both: top-two on importance with pI; on satisfaction with pS, less often when important (rho < 0). */
function survey(n: number, pI: number, pS: number, random: () => number): OpportunityCounts {
  const c = { importance: { n, top: 0 }, satisfaction: { n, top: 0 }, both: { n, importance: 0, satisfaction: 0, top: 0 } };
  for (let k = 0; k < n; k++) {
    const important = random() < pI;
    const satisfied = random() < (important ? pS * 0.8 : Math.min(1, pS * 1.2));
    c.importance.top += Number(important);
    c.satisfaction.top += Number(satisfied);
    c.both.importance += Number(important);
    c.both.satisfaction += Number(satisfied);
    c.both.top += Number(important && satisfied);
  }
  return c;
}

describe('the opportunity score\'s 95 % interval', () => {
  it('brackets the score as the formula gives it, and narrows as answers grow', () => {
    const counts = { importance: { n: 100, top: 80 }, satisfaction: { n: 100, top: 30 }, both: { n: 100, importance: 80, satisfaction: 30, top: 24 } };
    const i = opportunityInterval(counts)!;
    expect(i.value).toBeCloseTo(opportunity(8, 3)!, 10);
    expect(i.low).toBeCloseTo(11.2, 1);
    expect(i.high).toBeCloseTo(14.8, 1);
    const ten = opportunityInterval({ importance: { n: 10, top: 8 }, satisfaction: { n: 10, top: 3 }, both: { n: 10, importance: 8, satisfaction: 3, top: 2 } })!;
    expect(ten.high - ten.low).toBeGreaterThan(2 * (i.high - i.low));
    expect(opportunityInterval({ importance: { n: 0, top: 0 }, satisfaction: { n: 5, top: 1 }, both: { n: 0, importance: 0, satisfaction: 0, top: 0 } })).toBeNull();
  });

  it('covers the true score about 95 % of the time, over- and underserved, and stays within 0–20', () => {
    for (const [pI, pS] of [[0.7, 0.3], [0.5, 0.6], [0.9, 0.1]]) {
      // The true satisfaction share under the generator: pI·0.8·pS + (1 − pI)·min(1, 1.2·pS).
      const s = pI * 0.8 * pS + (1 - pI) * Math.min(1, 1.2 * pS);
      const score = 10 * (pI + Math.max(pI - s, 0));
      const random = rng(Math.round(pI * 1000 + pS * 10));
      let covered = 0;
      const reps = 600;
      for (let r = 0; r < reps; r++) {
        const i = opportunityInterval(survey(150, pI, pS, random))!;
        expect(i.low).toBeGreaterThanOrEqual(0);
        expect(i.high).toBeLessThanOrEqual(20);
        if (i.low <= score && score <= i.high) covered++;
      }
      expect(covered / reps, `importance ${pI}, satisfaction ${s.toFixed(2)}`).toBeGreaterThan(0.91);
      expect(covered / reps, `importance ${pI}, satisfaction ${s.toFixed(2)}`).toBeLessThan(0.99);
    }
  });
});
