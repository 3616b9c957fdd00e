import { describe, expect, it } from 'vitest';
import {
  analyzeNeedAnswers,
  customerSatisfaction,
  isoWeekStart,
  kanoClass,
  kanoPairs,
  kanoSummary,
  netPromoterScore,
  opportunity,
  tally,
  topTwoBox,
  wilsonInterval,
  type AnswerCount,
} from '../../analytics/index.js';

describe('top-two-box and opportunity', () => {
  it('topTwoBox(tally) is 10 × the share of 4s and 5s, blanks excluded', () => {
    expect(topTwoBox(tally([5, 5, 4, 2, null, undefined], 1, 5))).toBe(7.5);
    expect(topTwoBox(tally([1, 2, 3], 1, 5))).toBe(0);
    expect(topTwoBox(tally([null], 1, 5))).toBeNull();
  });

  it('opportunity(importance, satisfaction) adds the unmet part only', () => {
    // importance: 5,5,4,2 → 7.5; satisfaction: 5,2,1,1 → 2.5; 7.5 + (7.5 − 2.5) = 12.5
    const importance = topTwoBox(tally([5, 5, 4, 2], 1, 5));
    const satisfaction = topTwoBox(tally([5, 2, 1, 1], 1, 5));
    expect(opportunity(importance, satisfaction)).toBe(12.5);
    expect(opportunity(2.5, 7.5)).toBe(2.5);
    expect(opportunity(6, null)).toBeNull();
  });
});

describe('Kano', () => {
  // Rows: functional 1..5 (like, expect, neutral, live with, dislike); columns: dysfunctional.
  const table = [
    ['Q', 'A', 'A', 'A', 'O'],
    ['R', 'I', 'I', 'I', 'M'],
    ['R', 'I', 'I', 'I', 'M'],
    ['R', 'I', 'I', 'I', 'M'],
    ['R', 'R', 'R', 'R', 'Q'],
  ];
  const cells = table.flatMap((row, f) => row.map((cls, d) => [f + 1, d + 1, cls] as const));
  it.each(cells)('kanoClass(%i, %i) is %s', (f, d, cls) => {
    expect(kanoClass(f, d)).toBe(cls);
  });

  it('kanoClass is null when an answer is blank or off the scale', () => {
    expect(kanoClass(null, 3)).toBeNull();
    expect(kanoClass(6, 1)).toBeNull();
  });

  it('kanoSummary counts all six classes and computes better and worse over A, O, M, I', () => {
    const s = kanoSummary(kanoPairs([[1, 3], [1, 3], [1, 5], [2, 5], [3, 3], [5, 1], [1, 1], [null, 5]] as [number | null, number | null][]));
    expect(s).toEqual({ category: 'A', A: 2, O: 1, M: 1, I: 1, R: 1, Q: 1, better: 0.6, worse: -0.4 });
  });

  it('kanoSummary breaks ties M > O > A > I', () => {
    expect(kanoSummary(kanoPairs([[1, 5], [2, 5]])).category).toBe('M');
    expect(kanoSummary(kanoPairs([[1, 5], [1, 2]])).category).toBe('O');
    expect(kanoSummary(kanoPairs([[1, 2], [3, 3]])).category).toBe('A');
  });

  it('kanoSummary has no category, better or worse without a decisive answer', () => {
    expect(kanoSummary(kanoPairs([[5, 1], [1, 1]]))).toMatchObject({ category: null, R: 1, Q: 1, better: null, worse: null });
  });
});

describe('NPS and CSAT', () => {
  it('netPromoterScore(tally) with its variance-based 95% interval', () => {
    // p = 2/5, d = 1/5; var = (0.4 + 0.2 − 0.04) / 5 = 0.112
    const s = netPromoterScore(tally([10, 9, 8, 7, 3, null], 0, 10));
    expect(s.value).toBeCloseTo(20, 10);
    expect(s.low).toBeCloseTo(-45.59294077244457, 10);
    expect(s.high).toBeCloseTo(85.59294077244456, 10);
    expect(s.n).toBe(5);
  });

  it('netPromoterScore of a single promoter is 100 with no spread; of nobody, null', () => {
    expect(netPromoterScore(tally([10], 0, 10))).toEqual({ value: 100, low: 100, high: 100, n: 1 });
    expect(netPromoterScore(tally([], 0, 10))).toEqual({ value: null, low: null, high: null, n: 0 });
  });

  it('netPromoterScore clips its interval to [−100, 100]', () => {
    const s = netPromoterScore(tally([10, 10, 9, 1], 0, 10));
    expect(s.value).toBe(50);
    expect(s.high).toBe(100);
  });

  it('customerSatisfaction(tally) is the percentage of 4s and 5s with a Wilson interval', () => {
    const s = customerSatisfaction(tally([5, 4, 3, 1, null], 1, 5));
    expect(s.value).toBe(50);
    expect(s.low).toBeCloseTo(15.003898915214947, 10);
    expect(s.high).toBeCloseTo(84.99610108478505, 10);
    expect(customerSatisfaction(tally([5], 1, 5)).low).toBeCloseTo(20.654931437723747, 10);
  });

  it('wilsonInterval(7, 12) matches the textbook interval', () => {
    const i = wilsonInterval(7, 12)!;
    expect(i.low).toBeCloseTo(0.31951131254954973, 12);
    expect(i.high).toBeCloseTo(0.8067396863412435, 12);
    expect(wilsonInterval(0, 3)!.low).toBe(0);
  });
});

describe('analyzeNeedAnswers', () => {
  const answer = (need: string, segment: number | null, week: string, importance: number | null, satisfaction: number | null, count = 1): AnswerCount => ({
    need,
    segment,
    week,
    importance,
    satisfaction,
    kano_functional: null,
    kano_dysfunctional: null,
    count,
  });

  it('scores each need overall and per segment, and weekly trends', () => {
    const result = analyzeNeedAnswers(
      [answer('a', 0, '2026-09-07', 5, 1, 3), answer('a', 1, '2026-09-14', 2, 5), answer('b', 1, '2026-09-14', null, 4)],
      [
        { segment: 0, week: '2026-09-07', nps: 10, csat: 5, count: 3 },
        { segment: 1, week: '2026-09-14', nps: 0, csat: null, count: 1 },
      ],
      ['a', 'b', 'c'],
    );
    const overall = result.needs.filter((r) => r.segment === null);
    expect(overall.map((r) => [r.need, r.n, r.importance, r.satisfaction, r.opportunity])).toEqual([
      ['a', 4, 7.5, 2.5, 12.5],
      ['b', 1, null, 10, null],
      ['c', 0, null, null, null],
    ]);
    expect(result.needs.find((r) => r.need === 'a' && r.segment === 1)).toMatchObject({ n: 1, importance: 0, satisfaction: 10, opportunity: 0 });
    expect(result.nps).toMatchObject({ value: 50, n: 4 });
    expect(result.segments.map((s) => [s.segment, s.nps.value, s.csat.n])).toEqual([
      [0, 100, 3],
      [1, -100, 0],
    ]);
    expect(result.trends.needs.map((t) => [t.week, t.need, t.importance])).toEqual([
      ['2026-09-07', 'a', 10],
      ['2026-09-14', 'a', 0],
      ['2026-09-14', 'b', null],
    ]);
  });

  it('isoWeekStart(date) is the Monday of its week', () => {
    expect(isoWeekStart(new Date('2026-09-06T23:00:00Z'))).toBe('2026-08-31');
    expect(isoWeekStart(new Date('2026-09-07T00:00:00Z'))).toBe('2026-09-07');
  });
});
