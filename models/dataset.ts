/**
 * Data preparation for the intent model: the splits (a fixed hash partition of events
 * is the holdout, never trained on; within training, the newest examples validate), the
 * frozen golden set, the replay sample's size, and the label index.
 */
import { groupBy } from '../analytics/group-by.js';
import { Random } from '../analytics/seeded-random.js';
import { encodeTexts, type TokenizerSettings } from './tokenizer.js';
import type { TrainingData } from './train.js';

export const SPLITS = {
  /** Candidates are judged on the holdout partition's labelled events of the newest days. */
  holdoutDays: 7,
  /** The newest share of the training examples, for early stopping. */
  validationShare: 0.15,
  /**
   * Golden set, drawn when the first model is trained (unless supplied as a file): this
   * share of each intent's examples, at most `goldenPerIntent` of them — enough to see a
   * regression per need, without withholding 40 % of a small data set from training.
   */
  goldenShare: 0.1,
  goldenPerIntent: 40,
  /** Fine-tuning reads this many newest days (training partition) as its recent window… */
  recentDays: 28,
  /** …and a replay sample of older examples, this share of the recent window's size. */
  replayShare: 0.5,
  /** The most examples one training run reads (the newest). */
  maxExamples: 40_000,
  /**
   * The most holdout examples a candidate is judged on: beyond it, a sample stratified by
   * need (each keeps the same share), so that evaluation takes seconds at any size; its
   * accuracy's 95 % interval is then ±0.3 points at 90 %.
   */
  holdoutSample: 50_000,
} as const;

export interface Example {
  event_id: string;
  ts: Date;
  text: string;
  intent: string;
  plan?: string | null;
  segment?: string | null;
}

/**
 * The validation split for early stopping: a seeded `share` of every intent's examples.
 * Not the newest ones: the newest are where a change shows first, and a need that
 * appeared yesterday must be trained on, not only validated on.
 */
export function validationSplit<T extends { intent: string }>(rows: readonly T[], seed: number, share: number = SPLITS.validationShare): { train: T[]; validation: T[] } {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.intent, (counts.get(r.intent) ?? 0) + 1);
  const perIntent = new Map([...counts].map(([intent, n]) => [intent, Math.floor(n * share)]));
  const rng = new Random(seed);
  const order = rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const chosen = new Set<number>();
  for (const i of order) {
    const left = perIntent.get(rows[i].intent)!;
    if (left > 0) {
      chosen.add(i);
      perIntent.set(rows[i].intent, left - 1);
    }
  }
  return { train: rows.filter((_, i) => !chosen.has(i)), validation: rows.filter((_, i) => chosen.has(i)) };
}

/**
 * Repeats the training examples of intents the parent model lacks until each has about
 * as many as a typical (median) intent, at most `maxRepeat` times over: a need that
 * appeared yesterday has a few dozen corrections among thousands of other examples, and
 * must still be learnt the night it is seen.
 */
export function oversampleNewIntents<T extends { intent: string }>(train: readonly T[], newIntents: readonly string[], maxRepeat = 20): T[] {
  if (newIntents.length === 0) return [...train];
  const counts = new Map<string, number>();
  for (const r of train) counts.set(r.intent, (counts.get(r.intent) ?? 0) + 1);
  const others = [...counts].filter(([i]) => !newIntents.includes(i)).map(([, n]) => n).sort((a, b) => a - b);
  const median = others.length === 0 ? 0 : others[Math.floor(others.length / 2)];
  const out = [...train];
  for (const intent of newIntents) {
    const rows = train.filter((r) => r.intent === intent);
    if (rows.length === 0) continue;
    const repeat = Math.min(maxRepeat, Math.floor(median / rows.length));
    for (let k = 1; k < repeat; k++) out.push(...rows);
  }
  return out;
}

/**
 * A seeded `share` of every intent's examples (rounded, at least one of an intent with 10 or
 * more), at most `perIntent` of them; the rest stay in `rest`.
 */
export function stratifiedSample<T extends { intent: string }>(rows: readonly T[], limits: { share: number; perIntent: number }, seed: number): { sample: T[]; rest: T[] } {
  const rng = new Random(seed);
  const byIntent = groupBy(rows.map((_, i) => i), (i) => rows[i].intent);
  const chosen = new Set<number>();
  for (const intent of [...byIntent.keys()].sort()) {
    const indices = byIntent.get(intent)!;
    const take = Math.min(limits.perIntent, Math.max(indices.length >= 10 ? 1 : 0, Math.round(indices.length * limits.share)));
    for (let i = 0; i < take; i++) {
      const j = i + rng.int(indices.length - i);
      [indices[i], indices[j]] = [indices[j], indices[i]];
      chosen.add(indices[i]);
    }
  }
  return { sample: rows.filter((_, i) => chosen.has(i)), rest: rows.filter((_, i) => !chosen.has(i)) };
}

/**
 * The label list of a new model: the parent's labels in their order (their output units
 * keep their weights), then intents seen for the first time, sorted.
 */
export function labelList(parent: readonly string[], examples: readonly { intent: string }[]): string[] {
  const known = new Set(parent);
  const fresh = [...new Set(examples.map((e) => e.intent))].filter((i) => !known.has(i)).sort();
  return [...parent, ...fresh];
}

/** Encodes examples for training; an intent missing from `labels` is a programming error. */
export function toTrainingData(examples: readonly { text: string; intent: string }[], labels: readonly string[], tokenizer: TokenizerSettings): TrainingData {
  const index = new Map(labels.map((l, i) => [l, i]));
  const out = Int32Array.from(examples, (e) => {
    const i = index.get(e.intent);
    if (i === undefined) throw new Error(`intent ${e.intent} is not among the model's labels`);
    return i;
  });
  return { ...encodeTexts(examples.map((e) => e.text), tokenizer), labels: out };
}

const HAN = /\p{Script=Han}/u;

/** The request's language, as the evaluation slices it: 'zh' when it has Chinese characters. */
export function localeOf(text: string): 'zh' | 'en' {
  return HAN.test(text) ? 'zh' : 'en';
}
