import { describe, expect, it } from 'vitest';
import {
  applyPersistence,
  benjaminiHochberg,
  binCounts,
  categoricalColumnDrift,
  chiSquare2xC,
  classificationMetrics,
  datasetDrift,
  decileEdges,
  emergingNeeds,
  mcnemar,
  proportionDrop,
  estimateAccuracy,
  fitReliability,
  reliabilityAt,
  jensenShannon,
  ksTwoSample,
  numericColumnDrift,
  numericWindows,
  psi,
  quantileSorted,
  retrainDecision,
  textDrift,
  wasserstein,
} from '../../analytics/index.js';

const sorted = (values: number[]) => Float64Array.from(values).sort();
// Two small samples; expected values worked by hand and checked against scipy.stats.
const A = sorted([1.2, 3.4, 2.2, 5.0, 4.4, 3.3, 2.8, 1.9, 6.1, 3.0]);
const B = sorted([2.5, 4.1, 5.5, 6.2, 3.9, 4.8, 5.1, 7.0]);

describe('numeric statistics', () => {
  it('ksTwoSample(a, b): D and the exact two-sided p-value', () => {
    expect(ksTwoSample(A, B)).toEqual({ d: 0.575, p: expect.closeTo(0.07043283513871751, 12) });
    expect(ksTwoSample([1, 2, 3], [4, 5, 6])).toEqual({ d: 1, p: expect.closeTo(0.1, 12) });
    // Ties: D is measured after all equal values.
    expect(ksTwoSample([1, 2, 2, 3, 3, 3], [2, 3, 3, 4])).toEqual({ d: 0.25, p: expect.closeTo(0.9952380952380953, 12) });
    expect(ksTwoSample([], [1])).toBeNull();
  });

  it('ksTwoSample uses the asymptotic p-value for large samples', () => {
    const a = sorted(Array.from({ length: 3000 }, (_, i) => Math.sin(i) * 10));
    const b = sorted(Array.from({ length: 2000 }, (_, i) => Math.sin(i * 1.3) * 10 + 0.5));
    const r = ksTwoSample(a, b)!;
    expect(r.d).toBeCloseTo(0.1035, 12);
    // scipy: exact 1.25e-11, asymptotic 1.20e-11
    expect(r.p).toBeGreaterThan(1.0e-11);
    expect(r.p).toBeLessThan(1.3e-11);
  });

  it('wasserstein(a, b) is the area between the empirical CDFs', () => {
    expect(wasserstein(A, B)).toBeCloseTo(1.5575, 12);
    expect(wasserstein([0, 1], [1, 2])).toBe(1);
  });

  it('quantileSorted interpolates linearly like numpy; decileEdges merges duplicates', () => {
    expect(quantileSorted(A, 0.35)).toBeCloseTo(2.83, 12);
    expect(decileEdges(A).map((v) => Math.round(v * 100) / 100)).toEqual([1.83, 2.14, 2.62, 2.92, 3.15, 3.34, 3.7, 4.52, 5.11]);
    expect(decileEdges(sorted([1, 1, 1, 1, 1, 1, 1, 1, 2, 3])).map((v) => Math.round(v * 1e9) / 1e9)).toEqual([1, 1.2, 2.1]);
  });

  it('binCounts puts a value equal to an edge in the bin that edge closes', () => {
    expect(binCounts(sorted([1, 2, 2.5, 3, 4]), [2, 3])).toEqual([2, 2, 1]);
    expect(binCounts(A, decileEdges(A))).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(binCounts(B, decileEdges(A))).toEqual([0, 0, 1, 0, 0, 0, 0, 2, 2, 3]);
  });

  it('psi floors empty bins at 0.0001; jensenShannon is base 2', () => {
    const ref = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    const cur = [0, 0, 1, 0, 0, 0, 0, 2, 2, 3];
    expect(psi(ref, cur)).toBeCloseTo(4.784457178562134, 10);
    expect(jensenShannon(ref, cur)).toBeCloseTo(0.6403678212587082, 12);
    expect(psi([5, 5], [5, 5])).toBe(0);
    expect(jensenShannon([1, 0], [0, 1])).toBe(1);
  });
});

describe('categorical statistics', () => {
  it('chiSquare2xC has no continuity correction and C − 1 degrees of freedom', () => {
    const r = chiSquare2xC([10, 20, 30], [25, 15, 5])!;
    expect(r.statistic).toBeCloseTo(23.333333333333336, 10);
    expect(r.p).toBeCloseTo(8.57493910267228e-6, 15);
    expect(r.dof).toBe(2);
    // 2 × 2 by hand: expected 15 in every cell → 4 · 25/15 = 6.667, p = 0.00982
    expect(chiSquare2xC([10, 20], [20, 10])!.p).toBeCloseTo(0.009823274507519235, 12);
  });

  it('benjaminiHochberg adjusts in input order and keeps nulls', () => {
    expect(benjaminiHochberg([0.01, 0.04, 0.03, null, 0.5])).toEqual([0.04, expect.closeTo(0.0533333, 6), expect.closeTo(0.0533333, 6), null, 0.5]);
  });
});

describe('drift decisions', () => {
  it('with ≤ 1000 reference rows a numeric column is judged by KS at p < 0.05', () => {
    const w = numericWindows([...A], [...B]);
    const c = numericColumnDrift('x', w.reference, w.current);
    expect(c).toMatchObject({ method: 'ks', threshold: 0.05, drifted: false, ks_d: 0.575, n_reference: 10, n_current: 8 });
    expect(c.reason).toBe('KS p = 0.070 ≥ 0.05 (default for ≤ 1000 reference rows)');
    // population variance of A: Σ(x − 3.33)² / 10 = 19.861 / 10
    expect(c.wasserstein_norm).toBeCloseTo(1.5575 / Math.sqrt(1.9861), 10);
  });

  it('with > 1000 reference rows a numeric column is judged by Wasserstein / sd ≥ 0.1', () => {
    const ref = Array.from({ length: 2000 }, (_, i) => i % 100);
    const w = numericWindows(ref, ref.map((v) => v + 5));
    const c = numericColumnDrift('latency', w.reference, w.current);
    expect(c.method).toBe('wasserstein');
    expect(c.wasserstein_norm).toBeCloseTo(5 / 28.86607004772212, 10);
    expect(c.drifted).toBe(true);
  });

  it('a rule sets the method and threshold of a column', () => {
    const w = numericWindows([...A], [...B]);
    const c = numericColumnDrift('x', w.reference, w.current, { method: 'psi', threshold: 5 });
    expect(c).toMatchObject({ method: 'psi', threshold: 5, drifted: false });
    expect(c.reason).toBe('PSI = 4.784 < 5 (configured)');
  });

  it('categorical columns: chi-square when the reference is small, Jensen–Shannon when large', () => {
    const small = categoricalColumnDrift('plan', new Map([['free', 10], ['pro', 20]]), new Map([['free', 20], ['pro', 10]]));
    expect(small).toMatchObject({ method: 'chi2', drifted: true, chi2: expect.closeTo(6.6667, 4) });
    const large = categoricalColumnDrift('plan', new Map([['free', 1000], ['pro', 1000]]), new Map([['free', 1100], ['pro', 900], ['enterprise', 5]]));
    expect(large.method).toBe('js');
    expect(large.drifted).toBe(false);
  });

  it('a column with no reference values but current ones has appeared: drifted', () => {
    const w = numericWindows([], [4, 5, 5]);
    expect(numericColumnDrift('imp_new', w.reference, w.current)).toMatchObject({ drifted: true, reason: 'no reference values, 3 current ones: the column appeared' });
  });

  it('datasetDrift: dataset drift when at least half of the judged columns drifted', () => {
    const w = numericWindows([...A], [...B]);
    const same = numericWindows([...A], [...A]);
    const drifted = numericColumnDrift('a', w.reference, w.current, { method: 'psi', threshold: 1 });
    const result = datasetDrift([drifted, numericColumnDrift('b', same.reference, same.current)]);
    expect(result).toMatchObject({ dataset_drift: true, drift_share: 0.5 });
    expect(result.columns[0].p_adjusted).toBeCloseTo(Math.min(1, 0.07043283513871751 * 2), 10);
  });

  it('applyPersistence counts a column only after n consecutive drifted windows', () => {
    const w = numericWindows([...A], [...B]);
    const c = numericColumnDrift('a', w.reference, w.current, { method: 'psi', threshold: 1 });
    expect(applyPersistence(c, [true, true], 3).drifted).toBe(true);
    const held = applyPersistence(c, [true, false], 3);
    expect(held.drifted).toBe(false);
    expect(held.reason).toContain('but only 1 of the 3 consecutive windows the persistence rule needs');
    expect(applyPersistence(c, [], 1)).toBe(c);
  });
});

describe('text, performance and the retrain decision', () => {
  it('textDrift: new words count as unseen, and the terms that grew are named', () => {
    const ref = ['summarize this report', 'summarize the contract', 'translate this text'];
    const cur = ['tl;dr this report', 'tl;dr the contract', 'tl;dr my notes', 'translate this text'];
    const t = textDrift(ref, cur);
    // "tl;dr" is two words. Current words: (tl dr this report) (tl dr the contract)
    // (tl dr my notes) (translate this text) = 15; unseen: tl ×3, dr ×3, my, notes = 8.
    expect(t.unseen_share).toBeCloseTo(8 / 15, 12);
    expect(t.new_terms.map((x) => x.term)).toEqual(['dr', 'tl']);
    expect(textDrift(ref, ref).js).toBe(0);
  });

  it('classificationMetrics: accuracy and macro-F1 over classes seen as prediction or label', () => {
    // predicted→actual: a→a ×3, a→b ×1, b→b ×1, c→b ×1. Accuracy 4/6.
    // F1: a precision 3/4 recall 1 → 1.5/1.75; b precision 1/1 recall 1/3 → 0.5; c → 0.
    const m = classificationMetrics([
      { predicted: 'a', actual: 'a', count: 3 },
      { predicted: 'a', actual: 'b', count: 1 },
      { predicted: 'b', actual: 'b', count: 1 },
      { predicted: 'c', actual: 'b', count: 1 },
    ]);
    expect(m.accuracy).toBeCloseTo(4 / 6, 12);
    expect(m.macro_f1).toBeCloseTo((1.5 / 1.75 + 0.5 + 0) / 3, 12);
  });

  it('fitReliability pools adjacent violators; estimateAccuracy averages the curve over unlabelled predictions', () => {
    // Confidence 0.2 right 0 of 2, 0.5 right 2 of 2, 0.6 right 0 of 1 (a violator: pooled with 0.5), 0.9 right 3 of 4.
    const curve = fitReliability([0.9, 0.2, 0.5, 0.9, 0.6, 0.2, 0.9, 0.5, 0.9], [true, false, true, true, false, false, false, true, true]);
    expect(curve).toEqual({ upto: [0.2, 0.6, 0.9], accuracy: [0, 2 / 3, 3 / 4], n: [2, 3, 4] });
    expect([0.1, 0.2, 0.3, 0.6, 0.61, 0.95].map((c) => reliabilityAt(curve, c))).toEqual([0, 0, 2 / 3, 2 / 3, 3 / 4, 3 / 4]);
    expect(estimateAccuracy(curve, [0.2, 0.55, 0.9, 0.99])).toBeCloseTo((0 + 2 / 3 + 3 / 4 + 3 / 4) / 4, 12);
    // The same model, less sure tonight: the estimate falls with it, with no label.
    expect(estimateAccuracy(curve, [0.3, 0.3, 0.95, 0.95])!).toBeLessThan(estimateAccuracy(curve, [0.95, 0.95, 0.95, 0.95])!);
    expect(estimateAccuracy(curve, [])).toBeNull();
    expect(estimateAccuracy(fitReliability([], []), [0.5])).toBeNull();
    // Monotone whatever the order of the labels.
    const many = fitReliability(Array.from({ length: 500 }, (_, i) => (i * 7919) % 1000 / 1000), Array.from({ length: 500 }, (_, i) => (i * 104729) % 3 !== 0));
    expect(many.accuracy.every((a, i) => i === 0 || a > many.accuracy[i - 1])).toBe(true);
    expect(many.n.reduce((x, y) => x + y, 0)).toBe(500);
  });

  it('emergingNeeds: a corrected intent the model never predicted, growing past the minimum as a share of events', () => {
    const rows = { reference: 4000, current: 1000 };
    const found = emergingNeeds(
      [
        { intent: 'automate', reference: 60, current: 40 }, // 1.5% of events before, 4% now: growing
        { intent: 'shrinking', reference: 200, current: 30 }, // 5% before, 3% now
        { intent: 'email', reference: 10, current: 50 }, // known to the model
        { intent: 'rare', reference: 0, current: 3 }, // too few
      ],
      new Set(['email']),
      rows,
    );
    expect(found).toEqual([{ need: 'automate', current: 40, reference: 60 }]);
  });

  it('proportionDrop and mcnemar agree with scipy (two-proportion z, exact binomial on discordant pairs)', () => {
    // scipy: 1 - norm.cdf((0.9 - 0.8) / se) with the pooled se; binomtest(3, 20, alternative='less').
    expect(proportionDrop({ hits: 90, n: 100 }, { hits: 80, n: 100 }).p).toBeCloseTo(0.02383519032808068, 10);
    const m = mcnemar([...Array(3).fill(true), ...Array(17).fill(false), true], [...Array(3).fill(false), ...Array(17).fill(true), true]);
    expect([m.b, m.c]).toEqual([3, 17]);
    expect(m.p_better).toBeCloseTo(0.9997987747192383, 12);
    expect(m.p_worse).toBeCloseTo(0.0012884140014648438, 12);
  });

  it('retrainDecision: a significant rise in the share production calls none of its needs is a reason, with no labels; noise, small samples and held labels are not', () => {
    const oos = (ref: number, cur: number, n: number) => {
      const d = proportionDrop({ hits: Math.round((1 - ref) * n), n }, { hits: Math.round((1 - cur) * n), n });
      return { reference: ref, current: cur, n_reference: n, n_current: n, rise: d.drop, p: d.p };
    };
    const serving = (out_of_scope: ReturnType<typeof oos>, labels = 0, accuracy: [number, number] = [0.9, 0.9]) => ({
      model: '2', judged_on: 'needloop-2', judged_on_production: true,
      accuracy: { n_reference: labels, n_current: labels, ...proportionDrop({ hits: Math.round(accuracy[0] * labels), n: labels }, { hits: Math.round(accuracy[1] * labels), n: labels }) },
      needs: [], confidence: { reference: 0.9, current: 0.9, n_reference: 1000, n_current: 1000 }, out_of_scope,
    });
    const decide = (s: ReturnType<typeof serving>) => retrainDecision({ model: '2', performance: s, text: null, emerging: [], predictionDrift: [] });
    const shifted = decide(serving(oos(0.043, 0.099, 1500)));
    expect(shifted.retrain).toBe(true);
    expect(shifted.reasons).toEqual([{ kind: 'out_of_scope', message: "model 2 calls 9.9 % of this week's requests (1500) against 4.3 % on its training period (1500) none of its needs: a rise of 0.056 ≥ 0.05, p < 0.001 — users ask in ways it does not recognise" }]);
    // Two points more is noise-sized, not a shift; the same rise on 100 texts is not judged.
    expect(decide(serving(oos(0.043, 0.063, 1500))).retrain).toBe(false);
    expect(decide(serving(oos(0.043, 0.099, 100))).retrain).toBe(false);
    // Production's own labels held: they overrule the proxy, and say so.
    const held = decide(serving(oos(0.043, 0.099, 1500), 200, [0.9, 0.9]));
    expect(held.retrain).toBe(false);
    expect(held.notes).toContain("model 2 calls 9.9 % of this week's requests (1500) against 4.3 % on its training period (1500) none of its needs, but its accuracy on labelled requests held (0.900 against 0.900): not news");
  });

  it('retrainDecision(model) gives every reason that applies, names the model, and none for a model that holds up', () => {
    const serving = (a: number, b: number, n = 400, conf: [number, number] = [0.9, 0.9]) => ({
      model: '3', judged_on: 'needloop-3',
      accuracy: { n_reference: n, n_current: n, ...proportionDrop({ hits: Math.round(a * n), n }, { hits: Math.round(b * n), n }) },
      needs: [],
      confidence: { reference: conf[0], current: conf[1], n_reference: n, n_current: n },
    });
    const calm = retrainDecision({ model: '3', performance: serving(0.9, 0.89), text: null, emerging: [], predictionDrift: ['predicted_intent'] });
    expect(calm.retrain).toBe(false);
    expect(calm.reasons).toEqual([]);
    expect(calm.notes[1]).toBe("predicted_intent drifted among the predictions of model 3: users ask for other things, no fault of the model's");
    // A tie at the ceiling: nothing to retrain for.
    expect(retrainDecision({ model: '3', performance: serving(1, 1), text: null, emerging: [], predictionDrift: [] }).retrain).toBe(false);
    // The same 5-point drop is not judged on 40 labels, not significant on 400, significant on 800.
    expect(retrainDecision({ model: '3', performance: serving(0.9, 0.85, 400), text: null, emerging: [], predictionDrift: [] }).retrain).toBe(false);
    expect(retrainDecision({ model: '3', performance: serving(0.9, 0.85, 40), text: null, emerging: [], predictionDrift: [] }).retrain).toBe(false);
    const d = retrainDecision({ model: '3', performance: serving(0.9, 0.85, 800), text: null, emerging: [{ need: 'automate', current: 40, reference: 0, examples: ['set up an agent'] }], predictionDrift: [] });
    expect(d.retrain).toBe(true);
    expect(d.model).toBe('3');
    expect(d.reasons.map((r) => r.kind)).toEqual(['performance', 'emerging_need']);
    expect(d.reasons[0].message).toBe("model 3's accuracy on labelled requests served by needloop-3 fell from 0.900 (800) to 0.850 (800): a drop of 0.050 ≥ 0.03, p = 0.001");
    expect(d.reasons[1].message).toBe('emerging need "automate": 40 requests corrected to it this week (0 in the weeks before), a need model 3 does not know; e.g. "set up an agent"');
  });

  it('retrainDecision: a need\'s recall drop counts only when significant after adjusting for every need tested', () => {
    const need = (name: string, p: number) => ({ need: name, reference: 0.8, current: 0.55, drop: 0.25, p, n_reference: 150, n_current: 40 });
    const serving = (needs: ReturnType<typeof need>[]) => ({
      model: '3', judged_on: null, accuracy: { n_reference: 0, n_current: 0, reference: null, current: null, drop: null, p: 1 }, needs,
      confidence: { reference: null, current: null, n_reference: 0, n_current: 0 },
    });
    const quiet = Array.from({ length: 11 }, (_, i) => need(`n${i}`, 0.5));
    // p = 0.002 alone among 12 needs is 0.024 adjusted: chance, at α = 0.01.
    expect(retrainDecision({ model: '3', performance: serving([...quiet, need('meeting_notes', 0.002)]), text: null, emerging: [], predictionDrift: [] }).retrain).toBe(false);
    const d = retrainDecision({ model: '3', performance: serving([...quiet, need('meeting_notes', 0.00001)]), text: null, emerging: [], predictionDrift: [] });
    expect(d.reasons).toEqual([{ kind: 'need_recall', message: 'model 3\'s recall on "meeting_notes" fell from 0.800 (150) to 0.550 (40), p < 0.001 adjusted for 12 needs: users ask for it in ways it has not learnt' }]);
  });

  it('retrainDecision: texts that moved are news only when the model is less sure of them', () => {
    const text = textDrift(['summarize this report', 'summarize the contract'], ['tl;dr this report', 'boil the contract down']);
    const serving = (current: number) => ({
      model: '3', judged_on: null, accuracy: { n_reference: 0, n_current: 0, reference: null, current: null, drop: null, p: 1 }, needs: [],
      confidence: { reference: 0.92, current, n_reference: 500, n_current: 500 },
    });
    expect(retrainDecision({ model: '3', performance: serving(0.9), text, emerging: [], predictionDrift: [] }).retrain).toBe(false);
    const d = retrainDecision({ model: '3', performance: serving(0.8), text, emerging: [], predictionDrift: [] });
    expect(d.reasons.map((r) => r.kind)).toEqual(['text_drift']);
    expect(d.reasons[0].message).toMatch(/^request texts moved away from what model 3 was trained on .* model 3 is less sure of them: mean confidence 0\.800 against 0\.920/);
    // Labels overrule the proxy: its accuracy on 300 labelled requests a side held, so the new phrasings are not news.
    const judged = (current: number, own = true) => ({ ...serving(0.8), judged_on: 'needloop-3', judged_on_production: own, accuracy: { n_reference: 300, n_current: 300, reference: 0.96, current, drop: 0.96 - current, p: 0.5 } });
    const held = retrainDecision({ model: '3', performance: judged(0.955), text, emerging: [], predictionDrift: [] });
    expect(held.retrain).toBe(false);
    expect(held.notes.at(-1)).toBe("request texts moved from model 3's training data (Jensen–Shannon 0.652) and it is less sure of them (mean confidence 0.800 against 0.920), but its accuracy on labelled requests held (0.955 against 0.960): not news");
    expect(retrainDecision({ model: '3', performance: judged(0.94), text, emerging: [], predictionDrift: [] }).reasons.map((r) => r.kind)).toEqual(['text_drift']);
    // Labels of requests an older version answered are of older texts: they overrule nothing.
    expect(retrainDecision({ model: '3', performance: judged(0.955, false), text, emerging: [], predictionDrift: [] }).reasons.map((r) => r.kind)).toEqual(['text_drift']);
  });
});
