import { describe, expect, it } from 'vitest';
import type { ModelReport } from '../../models/evaluate.js';
import { DEFAULT_GATE, gateCandidate, type ModelEvaluation, type PairedExample, type PairedExamples } from '../../models/gate.js';

function evaluation(o: { accuracy: number; golden: number; p95: number; perIntent?: [string, number][] }): ModelEvaluation {
  const report = (accuracy: number): ModelReport => ({
    n: 400, accuracy, accuracy_interval: null, macro_f1: accuracy, ece: 0.02, calibration: [], confusion: { labels: [], matrix: [] }, slices: [], fairness: [],
    per_intent: (o.perIntent ?? [['a', 200], ['b', 200]]).map(([label, support]) => ({ label, precision: accuracy, recall: accuracy, f1: accuracy, support })),
  });
  return { holdout: report(o.accuracy), golden: report(o.golden), latency: { p50_ms: o.p95 / 2, p95_ms: o.p95, requests: 200 } };
}

/** Paired rows: `both` right for both, `cand` only the candidate, `prod` only production, `none` neither. */
function paired(counts: { both: number; cand: number; prod: number; none: number }, o: { intent?: string; slices?: string[]; labels?: string[] } = {}): PairedExamples {
  const row = (candidate: boolean, production: boolean) => ({ intent: o.intent ?? 'a', slices: o.slices ?? ['plan=free'], candidate, production });
  const holdout = [
    ...Array.from({ length: counts.both }, () => row(true, true)),
    ...Array.from({ length: counts.cand }, () => row(true, false)),
    ...Array.from({ length: counts.prod }, () => row(false, true)),
    ...Array.from({ length: counts.none }, () => row(false, false)),
  ];
  return { productionLabels: o.labels ?? ['a', 'b'], holdout, golden: holdout.map((r) => ({ candidate: r.candidate, production: r.production })) };
}

describe('gateCandidate', () => {
  it('gateCandidate(first model) must beat always answering the most common need, and match a baseline fitted in the same run', () => {
    const pairs = (counts: { both: number; cand: number; base: number; none: number }) => [
      ...Array.from({ length: counts.both }, () => ({ candidate: true, baseline: true })),
      ...Array.from({ length: counts.cand }, () => ({ candidate: true, baseline: false })),
      ...Array.from({ length: counts.base }, () => ({ candidate: false, baseline: true })),
      ...Array.from({ length: counts.none }, () => ({ candidate: false, baseline: false })),
    ];
    const nb = (holdout: ReturnType<typeof pairs>, golden: ReturnType<typeof pairs>) => ({ name: 'Naive Bayes on words and bigrams', holdout, golden });
    const good = gateCandidate(evaluation({ accuracy: 0.9, golden: 0.95, p95: 50 }), null, null, DEFAULT_GATE, nb(pairs({ both: 300, cand: 60, base: 10, none: 30 }), pairs({ both: 90, cand: 5, base: 0, none: 5 })));
    expect(good.blessed).toBe(true);
    expect(good.reasons).toEqual([
      'PASS first model: holdout accuracy 0.900 beats always answering the most common need (0.500), p < 0.001 < 0.05',
      'PASS first model: holdout accuracy 0.900 against 0.775 of a Naive Bayes on words and bigrams fitted on the same examples in this run: not significantly worse (p = 1.000)',
      'PASS first model: golden-set accuracy 0.950 against 0.900 of a Naive Bayes on words and bigrams fitted on the same examples in this run: not significantly worse (p = 1.000)',
    ]);
    // Guessing the majority of a 90/10 task scores 0.9: a model at 0.9 has learnt nothing.
    const lazy = gateCandidate(evaluation({ accuracy: 0.9, golden: 0.9, p95: 1, perIntent: [['a', 360], ['b', 40]] }), null, null);
    expect(lazy.blessed).toBe(false);
    expect(lazy.reasons[0]).toMatch(/^FAIL first model: holdout accuracy 0\.900 beats always answering the most common need \(0\.900\)/);
    // Beating guessing is not enough when the simplest fitted classifier does significantly better.
    const weak = gateCandidate(evaluation({ accuracy: 0.7, golden: 0.9, p95: 1 }), null, null, DEFAULT_GATE, nb(pairs({ both: 250, cand: 30, base: 90, none: 30 }), []));
    expect(weak.blessed).toBe(false);
    expect(weak.reasons[1]).toBe('FAIL first model: holdout accuracy 0.700 against 0.850 of a Naive Bayes on words and bigrams fitted on the same examples in this run: significantly worse (p < 0.001); a first model must at least match it — more labelled feedback, or more epochs');
  });

  it('a significantly better candidate is blessed; one as good is "nothing to gain", even at the ceiling', () => {
    const production = evaluation({ accuracy: 0.8, golden: 0.9, p95: 0.3 });
    const better = gateCandidate(evaluation({ accuracy: 0.9, golden: 0.9, p95: 0.9 }), production, paired({ both: 300, cand: 40, prod: 10, none: 50 }));
    expect(better.blessed, better.reasons.join('\n')).toBe(true);
    expect(better.reasons[0]).toBe("PASS significantly better: holdout accuracy 0.850 against production's 0.775 on the same 400 requests (candidate alone right on 40, production alone on 10; McNemar p < 0.001)");
    expect(better.paired).toMatchObject({ b: 40, c: 10 });

    const tie = gateCandidate(evaluation({ accuracy: 1, golden: 1, p95: 0.3 }), evaluation({ accuracy: 1, golden: 1, p95: 0.3 }), paired({ both: 400, cand: 0, prod: 0, none: 0 }));
    expect(tie.blessed).toBe(false);
    expect(tie.nothing_to_gain).toBe(true);
    expect(tie.reasons.filter((r) => r.startsWith('FAIL'))).toEqual([
      "FAIL nothing to gain: not significantly better than production — holdout accuracy 1.000 against production's 1.000 on the same 400 requests (candidate alone right on 0, production alone on 0; McNemar p = 1.000)",
    ]);
  });

  it('a candidate that knows a need production lacks is blessed when it is no worse on the needs production knows', () => {
    const production = evaluation({ accuracy: 0.8, golden: 0.9, p95: 0.3 });
    const known = paired({ both: 300, cand: 5, prod: 6, none: 10 });
    const fresh = paired({ both: 0, cand: 30, prod: 0, none: 5 }, { intent: 'automate' });
    const rows: PairedExamples = { productionLabels: ['a', 'b'], holdout: [...known.holdout, ...fresh.holdout], golden: known.golden };
    const v = gateCandidate(evaluation({ accuracy: 0.85, golden: 0.9, p95: 0.3 }), production, rows);
    expect(v.blessed, v.reasons.join('\n')).toBe(true);
    expect(v.new_needs).toEqual(['automate']);
    // Learning it by forgetting the others is refused.
    const worse = paired({ both: 250, cand: 5, prod: 60, none: 10 });
    const refused = gateCandidate(evaluation({ accuracy: 0.7, golden: 0.9, p95: 0.3 }), production, { ...rows, holdout: [...worse.holdout, ...fresh.holdout] });
    expect(refused.blessed).toBe(false);
    expect(refused.nothing_to_gain).toBe(false);
    expect(refused.reasons[0]).toMatch(/^FAIL learns automate but is significantly worse on the needs production knows \(60 worse, 5 better/);
  });

  it('no slice and not the golden set significantly worse beyond the margin; latency within bounds', () => {
    const production = evaluation({ accuracy: 0.8, golden: 0.97, p95: 2 });
    const good = paired({ both: 300, cand: 90, prod: 10, none: 50 });
    const badSlice = paired({ both: 20, cand: 0, prod: 30, none: 10 }, { slices: ['plan=pro'] });
    const rows: PairedExamples = { productionLabels: ['a', 'b'], holdout: [...good.holdout, ...badSlice.holdout], golden: badSlice.golden };
    const v = gateCandidate(evaluation({ accuracy: 0.85, golden: 0.5, p95: 5 }), production, rows);
    expect(v.blessed).toBe(false);
    const failed = v.reasons.filter((r) => r.startsWith('FAIL'));
    expect(failed).toHaveLength(3);
    expect(failed[0]).toMatch(/^FAIL slice plan=pro \(60 examples\): accuracy 0\.500 below production's, significantly \(p < 0\.001; at most 0\.03\)$/);
    expect(failed[1]).toMatch(/^FAIL golden-set accuracy 0\.500 against production's 0\.970: significantly worse by more than 0\.01/);
    expect(failed[2]).toBe("FAIL p95 latency 5.00 ms is 2.50× production's 2.00 ms (at most 1.5×, or within 1 ms)");
  });

  it('refuses a candidate that hurts one group of users, naming the group, though it is better overall', () => {
    // 40 users per group, 3 requests each: country=de gains a lot, country=br loses.
    const rows: PairedExample[] = [];
    const add = (country: string, counts: { both: number; cand: number; prod: number; none: number }) => {
      let i = 0;
      for (const [k, candidate, production] of [['both', true, true], ['cand', true, false], ['prod', false, true], ['none', false, false]] as const) {
        for (let j = 0; j < counts[k]; j++, i++) rows.push({ intent: 'a', slices: [], groups: [`country=${country}`, 'plan=free'], user: `${country}-${i % 40}`, candidate, production });
      }
    };
    add('de', { both: 80, cand: 35, prod: 0, none: 5 });
    add('fr', { both: 100, cand: 10, prod: 2, none: 8 });
    add('br', { both: 70, cand: 2, prod: 22, none: 26 });
    const pairs: PairedExamples = { productionLabels: ['a'], holdout: rows, golden: [] };
    const verdict = gateCandidate(evaluation({ accuracy: 0.8, golden: 0.9, p95: 1 }), evaluation({ accuracy: 0.75, golden: 0.9, p95: 1 }), pairs);
    expect(verdict.reasons[0]).toMatch(/^PASS significantly better/);
    expect(verdict.blessed).toBe(false);
    expect(verdict.nothing_to_gain).toBe(false);
    const fails = verdict.reasons.filter((r) => r.startsWith('FAIL'));
    expect(fails[0]).toBe("FAIL fairness: country=br (120 requests), among the worst-served groups, is significantly worse under the candidate: accuracy 0.600 against production's 0.767 (p < 0.001)");
    // de − br: −0.100 under production (br served better), 0.358 under the candidate; the paired
    // widening 0.458 less 1.645 × its standard error 0.056 (worked by hand) is 0.366.
    expect(fails[1]).toBe('FAIL fairness: the accuracy gap between country=de and country=br widens from -0.100 to 0.358, significantly more than 0.05 (95 % lower bound 0.366)');

    // The same gains in every group: fair, blessed.
    rows.length = 0;
    for (const country of ['de', 'fr', 'br']) add(country, { both: 90, cand: 14, prod: 2, none: 14 });
    const fair = gateCandidate(evaluation({ accuracy: 0.8, golden: 0.9, p95: 1 }), evaluation({ accuracy: 0.75, golden: 0.9, p95: 1 }), { ...pairs, holdout: rows });
    expect(fair.reasons.filter((r) => r.startsWith('FAIL'))).toEqual([]);
    expect(fair.reasons).toContain('PASS fairness: no worst-served group of users is significantly worse under the candidate, and no gap between groups widens by more than 0.05 (3 groups judged)');

    // Groups of fewer than 10 users are not judged (and are withheld from reports).
    const tiny = rows.map((r) => ({ ...r, user: r.user!.replace(/-(\d+)$/, (_, n) => `-${Number(n) % 5}`) }));
    const small = gateCandidate(evaluation({ accuracy: 0.8, golden: 0.9, p95: 1 }), evaluation({ accuracy: 0.75, golden: 0.9, p95: 1 }), { ...pairs, holdout: tiny });
    expect(small.reasons.filter((r) => r.includes('fairness'))).toEqual(['PASS fairness: no attribute of users has two groups of ≥ 10 users and ≥ 30 requests to compare']);
  });
});

