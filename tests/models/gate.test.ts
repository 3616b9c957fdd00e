import { describe, expect, it } from 'vitest';
import type { ModelReport } from '../../models/evaluate.js';
import { gateCandidate, type ModelEvaluation } from '../../models/gate.js';

function evaluation(o: { f1: number; golden: number; p95: number; slices?: [string, number, number][] }): ModelEvaluation {
  const report = (accuracy: number, macro_f1: number, slices: ModelReport['slices'] = []): ModelReport => ({
    n: 1000, accuracy, macro_f1, per_intent: [], ece: 0.02, calibration: [], confusion: { labels: [], matrix: [] }, slices,
  });
  const slices = (o.slices ?? []).map(([value, n, accuracy]) => ({ dimension: 'plan' as const, value, n, accuracy, macro_f1: accuracy }));
  return { holdout: report(o.f1, o.f1, slices), golden: report(o.golden, o.golden), latency: { p50_ms: o.p95 / 2, p95_ms: o.p95, requests: 200 } };
}

describe('gateCandidate', () => {
  it('gateCandidate(first model) checks absolute thresholds only', () => {
    expect(gateCandidate(evaluation({ f1: 0.9, golden: 0.95, p95: 50 }), null)).toEqual({
      blessed: true, reasons: ['PASS first model: holdout macro-F1 0.900 ≥ 0.850', 'PASS first model: golden-set accuracy 0.950 ≥ 0.850'],
    });
    expect(gateCandidate(evaluation({ f1: 0.8, golden: 0.95, p95: 1 }), null).blessed).toBe(false);
  });

  it('gateCandidate(candidate, production) needs +0.01 macro-F1, no slice or golden regression, and comparable latency', () => {
    const production = evaluation({ f1: 0.8, golden: 0.97, p95: 0.3, slices: [['free', 400, 0.9], ['pro', 40, 0.9]] });
    const good = gateCandidate(evaluation({ f1: 0.95, golden: 0.965, p95: 0.9, slices: [['free', 400, 0.88], ['pro', 40, 0.5]] }), production);
    // 0.9 ms is 3× production's 0.3 ms, but within 1 ms of it; the small "pro" slice does not count.
    expect(good.blessed).toBe(true);
    expect(good.reasons).toEqual([
      'PASS holdout macro-F1 0.950 ≥ production 0.800 + 0.01',
      'PASS no slice with ≥ 50 examples loses more than 0.03 accuracy (1 slices)',
      'PASS golden-set accuracy 0.965 ≥ production 0.970 − 0.01',
      "PASS p95 latency 0.90 ms is 3.00× production's 0.30 ms (at most 1.5×, or within 1 ms)",
    ]);
    const bad = gateCandidate(evaluation({ f1: 0.805, golden: 0.9, p95: 5, slices: [['free', 400, 0.8]] }), evaluation({ f1: 0.8, golden: 0.97, p95: 2, slices: [['free', 400, 0.9]] }));
    expect(bad.blessed).toBe(false);
    expect(bad.reasons.filter((r) => r.startsWith('FAIL'))).toEqual([
      'FAIL holdout macro-F1 0.805 ≥ production 0.800 + 0.01',
      'FAIL slice plan=free (400 examples): accuracy 0.800 is 0.100 below production\'s 0.900 (at most 0.03)',
      'FAIL golden-set accuracy 0.900 ≥ production 0.970 − 0.01',
      "FAIL p95 latency 5.00 ms is 2.50× production's 2.00 ms (at most 1.5×, or within 1 ms)",
    ]);
  });
});
