/**
 * bench/evaluate — the evaluation's own work on a large holdout: scoring predictions
 * (metrics, slices, fairness groups) and the gate's paired checks, at 20,000, 200,000 and
 * 2,000,000 requests, with the ratio between sizes (linear: 10× per step). The models'
 * predictions are given, so this measures what evaluation adds to them. (Its slicing grew
 * each group by copying it: 20,000 requests took 24 s, 100,000 over 10 minutes.)
 *
 *   node bin/run-ts.js bench/evaluate.ts [--json]
 */
import { scorePredictions } from '../models/evaluate.js';
import { DEFAULT_GATE, gateCandidate, type PairedExample } from '../models/gate.js';
import type { Prediction } from '../models/predict.js';
import { log, report } from './bench-kit.js';

const intents = Array.from({ length: 40 }, (_, i) => `need_${i}`);
const rows: Record<string, string | number>[] = [];
let previous: number | null = null;
for (const n of [20_000, 200_000, 2_000_000]) {
  log(`${n} requests…`);
  const examples = Array.from({ length: n }, (_, i) => ({
    text: 'x', intent: intents[i % 40], plan: ['free', 'pro', 'enterprise'][i % 3], segment: `segment ${i % 6}`, user_id: `u${i % Math.max(1000, n / 20)}`,
    country: ['DE', 'US', 'CN', 'GB', 'IN'][i % 5], age_band: ['18-24', '25-34', '35-44'][i % 3], gender: i % 2 ? 'female' : 'male',
  }));
  const predictions: Prediction[] = examples.map((e, i) => ({ intent: i % 10 ? e.intent : intents[(i + 1) % 40], confidence: 0.5 + (i % 50) / 100, out_of_scope: false, top: [] }));
  const t0 = performance.now();
  const scored = scorePredictions(examples, predictions);
  const t1 = performance.now();
  const paired: PairedExample[] = examples.map((e, i) => ({ intent: e.intent, slices: [`plan=${e.plan}`, `segment=${e.segment}`], groups: [`plan=${e.plan}`, `country=${e.country}`, `gender=${e.gender}`], user: e.user_id, candidate: i % 10 !== 0, production: i % 9 !== 0 }));
  const evaluation = { holdout: scored, golden: scored, latency: { p50_ms: 1, p95_ms: 1, requests: 1 } };
  gateCandidate(evaluation, evaluation, { productionLabels: intents, holdout: paired, golden: [] }, DEFAULT_GATE);
  const t2 = performance.now();
  const seconds = (t2 - t0) / 1000;
  rows.push({ requests: n, 'score (s)': ((t1 - t0) / 1000).toFixed(2), 'gate (s)': ((t2 - t1) / 1000).toFixed(2), 'requests/s': Math.round(n / seconds), 'ratio to the size before': previous === null ? '–' : (seconds / previous).toFixed(1) });
  previous = seconds;
}
report('bench/evaluate', rows, {});
