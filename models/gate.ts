/**
 * The promotion gate ("blessing"): whether a candidate may be offered to an engineer for
 * approval. Every check yields a reason, passed or failed, which is stored with the
 * verdict. Against a production model the candidate must be better on the recent holdout
 * and no worse elsewhere; the first model is judged on absolute thresholds.
 */
import type { Latency, ModelReport } from './evaluate.js';

export interface GateConfig {
  /** Holdout macro-F1 must reach production's plus this. */
  minMacroF1Gain: number;
  /** No slice with at least `minSliceExamples` may lose more accuracy than this. */
  maxSliceAccuracyDrop: number;
  minSliceExamples: number;
  /** Golden-set accuracy may drop by at most this. */
  maxGoldenAccuracyDrop: number;
  /** Candidate p95 latency at most this multiple of production's… */
  maxLatencyRatio: number;
  /**
   * …unless it is within this many milliseconds of production's: a difference that small
   * is below what a caller notices and below what timing one prediction on a busy machine
   * resolves.
   */
  latencyToleranceMs: number;
  /** The first model: holdout macro-F1 and golden-set accuracy at least these. */
  firstModelMinMacroF1: number;
  firstModelMinGoldenAccuracy: number;
}

export const DEFAULT_GATE: GateConfig = {
  minMacroF1Gain: 0.01,
  maxSliceAccuracyDrop: 0.03,
  minSliceExamples: 50,
  maxGoldenAccuracyDrop: 0.01,
  maxLatencyRatio: 1.5,
  latencyToleranceMs: 1,
  firstModelMinMacroF1: 0.85,
  firstModelMinGoldenAccuracy: 0.85,
};

export interface ModelEvaluation {
  holdout: ModelReport;
  golden: ModelReport;
  latency: Latency;
}

export interface GateVerdict {
  blessed: boolean;
  /** One line per check, starting with PASS or FAIL. */
  reasons: string[];
}

const f = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));

export function gateCandidate(candidate: ModelEvaluation, production: ModelEvaluation | null, config: GateConfig = DEFAULT_GATE): GateVerdict {
  const reasons: string[] = [];
  const check = (passed: boolean, text: string) => reasons.push(`${passed ? 'PASS' : 'FAIL'} ${text}`);
  const f1 = candidate.holdout.macro_f1;
  const golden = candidate.golden.accuracy;
  if (f1 === null) check(false, 'the holdout has no labelled examples: nothing to judge the candidate on');
  if (production === null) {
    if (f1 !== null) check(f1 >= config.firstModelMinMacroF1, `first model: holdout macro-F1 ${f(f1)} ≥ ${f(config.firstModelMinMacroF1)}`);
    if (golden !== null) check(golden >= config.firstModelMinGoldenAccuracy, `first model: golden-set accuracy ${f(golden)} ≥ ${f(config.firstModelMinGoldenAccuracy)}`);
    return { blessed: reasons.every((r) => r.startsWith('PASS')), reasons };
  }
  const prodF1 = production.holdout.macro_f1 ?? 0;
  if (f1 !== null) check(f1 >= prodF1 + config.minMacroF1Gain, `holdout macro-F1 ${f(f1)} ≥ production ${f(prodF1)} + ${config.minMacroF1Gain}`);
  const prodSlices = new Map(production.holdout.slices.map((s) => [`${s.dimension}=${s.value}`, s]));
  let slicesChecked = 0;
  for (const s of candidate.holdout.slices) {
    const p = prodSlices.get(`${s.dimension}=${s.value}`);
    if (p === undefined || s.n < config.minSliceExamples) continue;
    slicesChecked++;
    const drop = p.accuracy - s.accuracy;
    if (drop > config.maxSliceAccuracyDrop) check(false, `slice ${s.dimension}=${s.value} (${s.n} examples): accuracy ${f(s.accuracy)} is ${f(drop)} below production's ${f(p.accuracy)} (at most ${config.maxSliceAccuracyDrop})`);
  }
  if (!reasons.some((r) => r.startsWith('FAIL slice'))) check(true, `no slice with ≥ ${config.minSliceExamples} examples loses more than ${config.maxSliceAccuracyDrop} accuracy (${slicesChecked} slices)`);
  const prodGolden = production.golden.accuracy;
  if (golden !== null && prodGolden !== null) check(golden >= prodGolden - config.maxGoldenAccuracyDrop, `golden-set accuracy ${f(golden)} ≥ production ${f(prodGolden)} − ${config.maxGoldenAccuracyDrop}`);
  const ratio = candidate.latency.p95_ms / Math.max(production.latency.p95_ms, 1e-6);
  const within = candidate.latency.p95_ms - production.latency.p95_ms <= config.latencyToleranceMs;
  check(ratio <= config.maxLatencyRatio || within, `p95 latency ${candidate.latency.p95_ms.toFixed(2)} ms is ${ratio.toFixed(2)}× production's ${production.latency.p95_ms.toFixed(2)} ms (at most ${config.maxLatencyRatio}×, or within ${config.latencyToleranceMs} ms)`);
  return { blessed: reasons.every((r) => r.startsWith('PASS')), reasons };
}
