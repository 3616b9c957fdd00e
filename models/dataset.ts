/**
 * Data preparation for the intent model: time-based splits (never a random split: the
 * model is always judged on data newer than what it learnt from), the frozen golden
 * set, the replay sample's size, and the label index.
 */
import { Random } from '../analytics/seeded-random.js';
import { encodeTexts, type TokenizerSettings } from './tokenizer.js';
import type { TrainingData } from './train.js';

export const SPLITS = {
  /** The newest days before the end of the data, kept out of training to evaluate on. */
  holdoutDays: 7,
  /** The newest share of the training examples, for early stopping. */
  validationShare: 0.15,
  /** Golden set: at most this many examples per intent, drawn when the first model is trained. */
  goldenPerIntent: 40,
  /** Fine-tuning reads this many days before the holdout as its recent window… */
  recentDays: 28,
  /** …and a replay sample of older examples, this share of the recent window's size. */
  replayShare: 0.5,
  /** The most examples one training run reads (the newest). */
  maxExamples: 40_000,
} as const;

export interface Example {
  event_id: string;
  ts: Date;
  text: string;
  intent: string;
  plan?: string | null;
  segment?: string | null;
}

/** Splits examples sorted by time: the newest `share` validates. */
export function timeSplit<T extends { ts: Date }>(sorted: readonly T[], share: number = SPLITS.validationShare): { train: T[]; validation: T[] } {
  const cut = Math.max(1, Math.floor(sorted.length * (1 - share)));
  return { train: sorted.slice(0, cut), validation: sorted.slice(cut) };
}

/** Up to `perIntent` examples of every intent, chosen with a seed; the rest stay in `rest`. */
export function stratifiedSample<T extends { intent: string }>(rows: readonly T[], perIntent: number, seed: number): { sample: T[]; rest: T[] } {
  const rng = new Random(seed);
  const byIntent = new Map<string, number[]>();
  rows.forEach((r, i) => byIntent.set(r.intent, [...(byIntent.get(r.intent) ?? []), i]));
  const chosen = new Set<number>();
  for (const intent of [...byIntent.keys()].sort()) {
    const indices = byIntent.get(intent)!;
    // Keep at least half of a rare intent's examples for training.
    const take = Math.min(perIntent, Math.floor(indices.length / 2));
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
