/**
 * The promotion gate ("blessing"): whether a candidate may be offered to an engineer for
 * approval. Every check yields a reason, passed or failed, which is stored with the
 * verdict.
 *
 * Against a production model, both are judged on the same recent holdout, example by
 * example: the candidate must be better where it matters — significantly better overall
 * (McNemar's exact test on the examples where they disagree), or knowing needs production
 * lacks with no significant regression on the needs production knows — and no worse
 * anywhere: no slice and not the golden set significantly worse by more than a margin.
 * A candidate that is merely as good is "nothing to gain": production stays, calmly.
 *
 * Fair across groups of users (plan, country, age band, gender — models/fairness.ts): per
 * attribute, the group worst served by the candidate and the group worst served by
 * production must not be significantly worse under the candidate than under production
 * (McNemar, one-sided), and the gap between the best- and worst-served groups must not
 * widen by more than `maxGroupGapWidening`, significantly (a one-sided 95 % bound on the
 * paired difference). Groups of fewer than `minGroupUsers` users or `minGroupExamples`
 * requests are too small to judge (and are withheld from reports).
 *
 * The first model is judged against what guessing and the simplest fitted classifier
 * score: significantly more accurate than always answering the most common need, and not
 * significantly worse than a Naive Bayes fitted in the same run on the same examples
 * (models/baseline.ts), on the holdout and the golden set — floors that scale with the task
 * (its number of needs, how hard they are to tell apart) instead of fixed ones.
 */
import { binomialGreaterP, groupBy, groupByEach, mcnemar, type McNemar } from '../analytics/index.js';

/** One-sided 95 % normal quantile. */
const Z95_ONE_SIDED = 1.6449;
import type { Latency, ModelReport } from './evaluate.js';

export interface GateConfig {
  /** Significance level of every test the gate makes. */
  alpha: number;
  /** A slice with at least `minSliceExamples` fails when significantly worse by more than this. */
  maxSliceAccuracyDrop: number;
  minSliceExamples: number;
  /** Golden-set accuracy fails when significantly worse by more than this. */
  maxGoldenAccuracyDrop: number;
  /** A need production lacks counts as learnt with this many holdout examples and this recall. */
  minNewNeedExamples: number;
  minNewNeedRecall: number;
  /** Candidate p95 latency at most this multiple of production's… */
  maxLatencyRatio: number;
  /**
   * …unless it is within this many milliseconds of production's: a difference that small
   * is below what a caller notices and below what timing one prediction on a busy machine
   * resolves.
   */
  latencyToleranceMs: number;
  /** Groups of users judged for fairness: at least this many users and requests. */
  minGroupUsers: number;
  minGroupExamples: number;
  /** The gap in accuracy between groups may widen by at most this much (significantly). */
  maxGroupGapWidening: number;
}

export const DEFAULT_GATE: GateConfig = {
  alpha: 0.05,
  maxSliceAccuracyDrop: 0.03,
  minSliceExamples: 50,
  maxGoldenAccuracyDrop: 0.01,
  minNewNeedExamples: 5,
  minNewNeedRecall: 0.5,
  maxLatencyRatio: 1.5,
  latencyToleranceMs: 1,
  minGroupUsers: 10,
  minGroupExamples: 30,
  maxGroupGapWidening: 0.05,
};

/** The gate with the installation's settings for groups of users (NEEDLOOP_MIN_GROUP, NEEDLOOP_FAIRNESS_MAX_GAP_WIDENING). */
export function gateFor(config: { minGroup: number; maxGroupGapWidening: number }): GateConfig {
  return { ...DEFAULT_GATE, minGroupUsers: config.minGroup, maxGroupGapWidening: config.maxGroupGapWidening };
}

export interface ModelEvaluation {
  holdout: ModelReport;
  golden: ModelReport;
  latency: Latency;
}

/** One holdout example as both models saw it. */
export interface PairedExample {
  intent: string;
  /** `dimension=value` of each slice the example is in. */
  slices: readonly string[];
  /** `attribute=value` of each group of users (for fairness) the example's user is in. */
  groups?: readonly string[];
  /** Who asked: groups are sized in users. */
  user?: string | null;
  candidate: boolean;
  production: boolean;
}

export interface PairedExamples {
  /** The needs production knows: its label set in the registry. */
  productionLabels: readonly string[];
  holdout: readonly PairedExample[];
  golden: readonly { candidate: boolean; production: boolean }[];
}

export interface GateVerdict {
  blessed: boolean;
  /** Refused only because the candidate is no better than production: a calm outcome. */
  nothing_to_gain: boolean;
  /** One line per check, starting with PASS or FAIL. */
  reasons: string[];
  /** The overall paired test; null for a first model. */
  paired: McNemar | null;
  /** Needs production lacks that the candidate learnt. */
  new_needs: string[];
}

const f = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));
const pv = (p: number) => (p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);

/** A first model's right and wrong answers next to the baseline's, example by example. */
export interface BaselinePairs {
  name: string;
  holdout: { candidate: boolean; baseline: boolean }[];
  golden: { candidate: boolean; baseline: boolean }[];
}

/** The first model against guessing the most common need, and against the baseline fitted in the same run. */
function firstModelChecks(candidate: ModelEvaluation, baseline: BaselinePairs | null, config: GateConfig, check: (passed: boolean, text: string) => void): void {
  const { holdout } = candidate;
  if (holdout.accuracy === null) return;
  const majority = Math.max(...holdout.per_intent.map((p) => p.support)) / holdout.n;
  const p = binomialGreaterP(Math.round(holdout.accuracy * holdout.n), holdout.n, majority);
  check(p < config.alpha, `first model: holdout accuracy ${f(holdout.accuracy)} beats always answering the most common need (${f(majority)}), ${pv(p)} < ${config.alpha}`);
  if (baseline === null) return;
  for (const [set, rows] of [['holdout', baseline.holdout], ['golden-set', baseline.golden]] as const) {
    if (rows.length === 0) continue;
    const test = mcnemar(rows.map((r) => r.candidate), rows.map((r) => r.baseline));
    const [ours, theirs] = [rows.filter((r) => r.candidate).length / rows.length, rows.filter((r) => r.baseline).length / rows.length];
    const worse = test.c > test.b && test.p_worse < config.alpha;
    check(!worse, `first model: ${set} accuracy ${f(ours)} against ${f(theirs)} of a ${baseline.name} fitted on the same examples in this run: ${worse ? `significantly worse (${pv(test.p_worse)}); a first model must at least match it — more labelled feedback, or more epochs` : `not significantly worse (${pv(test.p_worse)})`}`);
  }
}

/** Non-inferiority of a subset: fails only when significantly worse by more than `margin`. */
function worseBeyond(rows: readonly { candidate: boolean; production: boolean }[], margin: number, alpha: number): { drop: number; test: McNemar; failed: boolean } {
  const test = mcnemar(rows.map((r) => r.candidate), rows.map((r) => r.production));
  const drop = (test.c - test.b) / Math.max(rows.length, 1);
  return { drop, test, failed: drop > margin && test.p_worse < alpha };
}

/** Paired accuracy change of a group (candidate minus production) and its variance. */
function pairedChange(rows: readonly PairedExample[]): { change: number; variance: number } {
  const n = rows.length;
  const b = rows.filter((r) => r.candidate && !r.production).length;
  const c = rows.filter((r) => !r.candidate && r.production).length;
  const change = (b - c) / n;
  return { change, variance: Math.max((b + c) / n - change * change, 0) / n };
}

/** Fairness across groups of users, per attribute: see the header. */
function fairnessChecks(rows: readonly PairedExample[], config: GateConfig, check: (passed: boolean, text: string) => void): void {
  const byAttribute = new Map<string, Map<string, PairedExample[]>>();
  for (const r of rows) {
    for (const g of r.groups ?? []) {
      const at = g.indexOf('=');
      const [attribute, value] = [g.slice(0, at), g.slice(at + 1)];
      const groups = byAttribute.get(attribute) ?? new Map<string, PairedExample[]>();
      const members = groups.get(value);
      if (members === undefined) groups.set(value, [r]);
      else members.push(r);
      byAttribute.set(attribute, groups);
    }
  }
  let judged = 0;
  let failed = false;
  const acc = (members: readonly PairedExample[], k: 'candidate' | 'production') => members.filter((r) => r[k]).length / members.length;
  for (const [attribute, groups] of [...byAttribute].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const eligible = [...groups].filter(([, members]) => members.length >= config.minGroupExamples && new Set(members.map((m, i) => m.user ?? `request ${i}`)).size >= config.minGroupUsers)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    if (eligible.length < 2) continue;
    judged += eligible.length;
    const worstBy = (k: 'candidate' | 'production') => eligible.reduce((w, g) => (acc(g[1], k) < acc(w[1], k) ? g : w));
    const bestBy = (k: 'candidate' | 'production') => eligible.reduce((w, g) => (acc(g[1], k) > acc(w[1], k) ? g : w));
    const worst = [worstBy('candidate'), worstBy('production')].filter((g, i, all) => all.findIndex((h) => h[0] === g[0]) === i);
    for (const [value, members] of worst) {
      const test = mcnemar(members.map((r) => r.candidate), members.map((r) => r.production));
      if (test.c > test.b && test.p_worse < config.alpha) {
        failed = true;
        check(false, `fairness: ${attribute}=${value} (${members.length} requests), among the worst-served groups, is significantly worse under the candidate: accuracy ${f(acc(members, 'candidate'))} against production's ${f(acc(members, 'production'))} (${pv(test.p_worse)})`);
      }
    }
    // The gap between the groups the candidate serves best and worst, against production's on the same groups.
    const [hi, lo] = [bestBy('candidate'), worstBy('candidate')];
    if (hi[0] === lo[0]) continue;
    const [gapCandidate, gapProduction] = [acc(hi[1], 'candidate') - acc(lo[1], 'candidate'), acc(hi[1], 'production') - acc(lo[1], 'production')];
    const [dHi, dLo] = [pairedChange(hi[1]), pairedChange(lo[1])];
    const widening = dHi.change - dLo.change;
    const bound = widening - Z95_ONE_SIDED * Math.sqrt(dHi.variance + dLo.variance);
    if (bound > config.maxGroupGapWidening) {
      failed = true;
      check(false, `fairness: the accuracy gap between ${attribute}=${hi[0]} and ${attribute}=${lo[0]} widens from ${f(gapProduction)} to ${f(gapCandidate)}, significantly more than ${config.maxGroupGapWidening} (95 % lower bound ${f(bound)})`);
    }
  }
  if (!failed) {
    check(true, judged === 0
      ? `fairness: no attribute of users has two groups of ≥ ${config.minGroupUsers} users and ≥ ${config.minGroupExamples} requests to compare`
      : `fairness: no worst-served group of users is significantly worse under the candidate, and no gap between groups widens by more than ${config.maxGroupGapWidening} (${judged} groups judged)`);
  }
}

export function gateCandidate(candidate: ModelEvaluation, production: ModelEvaluation | null, paired: PairedExamples | null, config: GateConfig = DEFAULT_GATE, baseline: BaselinePairs | null = null): GateVerdict {
  const reasons: string[] = [];
  const check = (passed: boolean, text: string) => reasons.push(`${passed ? 'PASS' : 'FAIL'} ${text}`);
  const verdict = (extra: Partial<GateVerdict> = {}): GateVerdict => ({
    blessed: reasons.length > 0 && reasons.every((r) => r.startsWith('PASS')), nothing_to_gain: false, reasons, paired: null, new_needs: [], ...extra,
  });
  if (candidate.holdout.n === 0) check(false, 'the holdout has no labelled examples: nothing to judge the candidate on');
  if (production === null || paired === null) {
    firstModelChecks(candidate, baseline, config, check);
    return verdict();
  }
  const rows = paired.holdout;
  if (rows.length === 0) return verdict();

  // Better where it matters.
  const overall = mcnemar(rows.map((r) => r.candidate), rows.map((r) => r.production));
  const better = overall.b > overall.c && overall.p_better < config.alpha;
  const productionKnows = new Set(paired.productionLabels);
  const byNeed = groupBy(rows, (r) => r.intent);
  const newNeeds = [...byNeed].filter(([need, examples]) => {
    if (productionKnows.has(need) || examples.length < config.minNewNeedExamples) return false;
    return examples.filter((e) => e.candidate).length / examples.length >= config.minNewNeedRecall;
  }).map(([need]) => need).sort();
  const known = worseBeyond(rows.filter((r) => productionKnows.has(r.intent)), 0, config.alpha);
  const accuracy = (k: 'candidate' | 'production') => rows.filter((r) => r[k]).length / rows.length;
  const headline = `holdout accuracy ${f(accuracy('candidate'))} against production's ${f(accuracy('production'))} on the same ${rows.length} requests (candidate alone right on ${overall.b}, production alone on ${overall.c}; McNemar ${pv(overall.p_better)})`;
  let nothingToGain = false;
  if (better) check(true, `significantly better: ${headline}`);
  else if (newNeeds.length > 0 && !known.failed) {
    check(true, `learns ${newNeeds.join(', ')}, which production lacks, with no significant regression on the needs production knows (${known.test.c} worse, ${known.test.b} better there; ${pv(known.test.p_worse)})`);
  } else if (newNeeds.length > 0) {
    check(false, `learns ${newNeeds.join(', ')} but is significantly worse on the needs production knows (${known.test.c} worse, ${known.test.b} better; ${pv(known.test.p_worse)})`);
  } else if (overall.c > overall.b && overall.p_worse < config.alpha) {
    check(false, `significantly worse than production: ${headline.replace(/McNemar p[^)]*/, `McNemar ${pv(overall.p_worse)}`)}`);
  } else {
    nothingToGain = true;
    check(false, `nothing to gain: not significantly better than production — ${headline}`);
  }

  // No worse anywhere.
  const slices = groupByEach(rows, (r) => r.slices);
  let slicesChecked = 0;
  for (const [slice, members] of [...slices].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (members.length < config.minSliceExamples) continue;
    slicesChecked++;
    const w = worseBeyond(members, config.maxSliceAccuracyDrop, config.alpha);
    if (w.failed) check(false, `slice ${slice} (${members.length} examples): accuracy ${f(w.drop)} below production's, significantly (${pv(w.test.p_worse)}; at most ${config.maxSliceAccuracyDrop})`);
  }
  if (!reasons.some((r) => r.startsWith('FAIL slice'))) check(true, `no slice with ≥ ${config.minSliceExamples} examples is significantly worse than production's by more than ${config.maxSliceAccuracyDrop} accuracy (${slicesChecked} slices)`);
  fairnessChecks(rows, config, check);
  const golden = worseBeyond(paired.golden, config.maxGoldenAccuracyDrop, config.alpha);
  const [cg, pg] = [candidate.golden.accuracy, production.golden.accuracy];
  if (paired.golden.length > 0) check(!golden.failed, `golden-set accuracy ${f(cg)} against production's ${f(pg)}: ${golden.failed ? 'significantly' : 'not significantly'} worse by more than ${config.maxGoldenAccuracyDrop} (${pv(golden.test.p_worse)})`);
  const ratio = candidate.latency.p95_ms / Math.max(production.latency.p95_ms, 1e-6);
  const within = candidate.latency.p95_ms - production.latency.p95_ms <= config.latencyToleranceMs;
  check(ratio <= config.maxLatencyRatio || within, `p95 latency ${candidate.latency.p95_ms.toFixed(2)} ms is ${ratio.toFixed(2)}× production's ${production.latency.p95_ms.toFixed(2)} ms (at most ${config.maxLatencyRatio}×, or within ${config.latencyToleranceMs} ms)`);
  // "Nothing to gain" only when that was the one failed check: anything else is a real refusal.
  return verdict({ nothing_to_gain: nothingToGain && reasons.filter((r) => r.startsWith('FAIL')).length === 1, paired: overall, new_needs: newNeeds });
}
