/**
 * One training run of the registry: read labelled feedback from Postgres, train the first
 * model or fine-tune production, store the artifact and register the candidate.
 *
 * Events are split for good by a hash of their id (labelled-examples.ts): the holdout
 * partition is never trained on, and evaluation compares candidate and production on its
 * newest 7 days. The first model learns from the whole training partition; a fine-tune
 * from its newest 28 days — the night's new requests included, so that a change is learnt
 * the night it is seen — plus a replay sample of older examples, so that old intents are
 * not forgotten.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Kysely } from 'kysely';
import { firstLabelledTime, goldenExamples, labelledExamples, type LabelledExample } from '../db/queries/labelled-examples.js';
import { findProductionModel, registerCandidate } from '../db/queries/model-versions.js';
import { latestSegmentRun } from '../db/queries/segment-runs.js';
import { latestTime, type TimeWindow } from '../db/queries/time-window.js';
import type { Database, ModelVersion } from '../db/schema.js';
import type { SelectedBackend } from './backend.js';
import { OUT_OF_SCOPE } from '../db/need-catalogue.js';
import { buildModel } from './build-model.js';
import { COMMON, FINE_TUNE, FIRST_MODEL, fitModel, type FitResult } from './fit.js';
import { labelList, oversampleNewIntents, SPLITS, stratifiedSample, toTrainingData, validationSplit } from './dataset.js';
import { growModel, modelShape } from './grow-model.js';
import type { ModelStore } from './model-store.js';
import { DEFAULT_TOKENIZER } from './tokenizer.js';
import type { EpochRecord, TrainProgress } from './train.js';
import type { GoldenRow } from './golden-file.js';

/** What a training run needs besides the fit's settings (models/fit.ts). */
export const TRAINING_DEFAULTS = { minExamples: 100, seed: COMMON.seed } as const;

export interface ModelDeps {
  db: Kysely<Database>;
  store: ModelStore;
  backend: SelectedBackend;
}

export interface TrainCandidateOptions {
  /** Start of the training window (the first model: all data; a fine-tune: the newest 28 days). */
  from?: Date;
  /** End of the data: the holdout is the 7 days before it. Default: the last event's time. */
  to?: Date;
  seed?: number;
  epochs?: number;
  onProgress?: (progress: TrainProgress) => void;
  signal?: AbortSignal;
  /** The golden set, supplied (models/golden-file.ts) instead of drawn; only before the first model. */
  golden?: GoldenRow[];
}

export interface TrainedCandidate {
  version: ModelVersion;
  fine_tuned: boolean;
  examples: { train: number; validation: number; replay: number; golden_frozen: number };
  new_intents: string[];
  curve: EpochRecord[];
  best_epoch: number;
  stopped_early: boolean;
  /**
   * The stored out-of-scope rule and its cost on validation: `in_scope_flagged` is the share
   * of in-scope validation requests it would answer "none of these" (answers lost), and
   * `answered_accuracy` the accuracy on the rest (null for models without it).
   */
  out_of_scope: { below: number; /** What `below` applies to. */ score: string; in_scope_flagged: number; answered_accuracy: number | null };
  seconds: number;
}

export class TrainingDataError extends Error {
  override name = 'TrainingDataError';
}

const DAY_MS = 86_400_000;

export async function trainCandidate(deps: ModelDeps, options: TrainCandidateOptions = {}): Promise<TrainedCandidate> {
  const started = Date.now();
  const { db, store } = deps;
  const seed = options.seed ?? TRAINING_DEFAULTS.seed;
  const production = await findProductionModel(db);
  const end = options.to ?? (await latestTime(db, 'usage_events'));
  if (end === null) throw new TrainingDataError('there are no usage events to learn from: ingest a usage file first (needloop ingest)');
  const holdout: TimeWindow = { from: new Date(end.getTime() - SPLITS.holdoutDays * DAY_MS), to: end };
  const segmentRunId = (await latestSegmentRun(db))?.run.id ?? null;

  let window: TimeWindow;
  let replay: LabelledExample[] = [];
  let examples: LabelledExample[];
  if (production === null) {
    window = { from: options.from ?? (await firstLabelledTime(db)) ?? end, to: end };
    examples = window.from < window.to ? await labelledExamples(db, { window, segmentRunId, limit: SPLITS.maxExamples, partition: 'train' }) : [];
  } else {
    window = { from: options.from ?? new Date(end.getTime() - SPLITS.recentDays * DAY_MS), to: end };
    const recent = window.from < window.to ? await labelledExamples(db, { window, segmentRunId, limit: SPLITS.maxExamples, partition: 'train' }) : [];
    replay = await labelledExamples(db, { window: { from: new Date(0), to: window.from }, segmentRunId, limit: Math.ceil(recent.length * SPLITS.replayShare), sampleSeed: String(seed), partition: 'train' });
    examples = [...replay, ...recent];
  }
  if (examples.length < TRAINING_DEFAULTS.minExamples) {
    throw new TrainingDataError(`only ${examples.length} labelled requests from ${window.from.toISOString()} to ${window.to.toISOString()} (training partition): at least ${TRAINING_DEFAULTS.minExamples} are needed. Labels come from usage feedback (confirmed or corrected).`);
  }

  // The golden set is frozen once, with the first model, and never trained on: supplied
  // as a file, or drawn as a bounded share of the first model's examples.
  let golden: GoldenRow[] = [];
  const frozen = (await goldenExamples(db)).length > 0;
  if (options.golden !== undefined && frozen) {
    throw new TrainingDataError('the golden set was frozen with the first model and cannot be replaced: train without --golden');
  }
  if (!frozen && options.golden !== undefined) {
    golden = options.golden;
    // A request of the golden set is not trained on, wherever else it appears.
    const questions = new Set(golden.map((g) => g.text.trim().toLowerCase()));
    examples = examples.filter((e) => !questions.has(e.text.trim().toLowerCase()));
  } else if (!frozen) {
    const split = stratifiedSample(examples, { share: SPLITS.goldenShare, perIntent: SPLITS.goldenPerIntent }, seed);
    golden = split.sample;
    examples = split.rest;
  }
  const parentLabels = production?.labels ?? [];
  const labels = labelList(parentLabels, examples);
  if (labels.length < 2) throw new TrainingDataError(`the labelled requests name only ${labels.length} intent(s): a classifier needs at least 2`);
  const split = validationSplit(examples, seed);
  const validation = split.validation;
  const train = oversampleNewIntents(split.train, labels.slice(parentLabels.length));

  const tokenizer = DEFAULT_TOKENIZER;
  const settings = { ...(production === null ? FIRST_MODEL : FINE_TUNE), ...(options.epochs === undefined ? {} : { epochs: options.epochs }) };
  let model: tf.LayersModel;
  if (production === null) {
    model = buildModel({ classes: labels.length, tokenizer, seed });
  } else {
    const parent = await store.load(production.artifact_sha256);
    model = growModel(parent.model, { parentLabels, labels, tokenizer, seed });
    parent.model.dispose();
  }
  let fit: FitResult | null = null;
  try {
    fit = await fitModel(model, { train: toTrainingData(train, labels, tokenizer), validation: toTrainingData(validation, labels, tokenizer), maxTokens: tokenizer.maxTokens, outOfScopeLabel: labels.indexOf(OUT_OF_SCOPE) }, settings, {
      seed, rebuild: () => buildModel({ classes: labels.length, tokenizer, seed }), onProgress: options.onProgress, signal: options.signal,
    });
    const { calibration } = fit;
    model = fit.model;
    const artifact = await store.save(model, { labels, tokenizer, calibration });
    const shape = modelShape(model);
    const seconds = (Date.now() - started) / 1000;
    const newIntents = production === null ? [] : labels.slice(parentLabels.length);
    const counts = { train: train.length, validation: validation.length, replay: replay.length, golden_frozen: golden.length };
    const version = await registerCandidate(db, {
      parent_id: production?.id ?? null,
      data_from: window.from, data_to: window.to, holdout_from: holdout.from, holdout_to: holdout.to,
      labels: JSON.stringify(labels),
      hyperparameters: JSON.stringify({ ...shape, learning_rate: settings.learningRate, schedule: settings.schedule, batch_size: COMMON.batchSize, max_epochs: settings.epochs, monitor: settings.monitor, patience: settings.patience, min_delta: COMMON.minDelta, token_dropout: COMMON.tokenDropout, refit: settings.refit, seed, tokenizer, splits: SPLITS }),
      backend: deps.backend.backend, device: deps.backend.device,
      artifact_sha256: artifact.sha256, artifact_path: artifact.path,
      training: JSON.stringify({ calibration: { ...calibration, regions: undefined }, examples: counts, new_intents: newIntents, curve: fit.curve, best_epoch: fit.best_epoch, stopped_early: fit.stopped_early, refit_epochs: fit.refit_epochs, samples_per_second: fit.samples / fit.seconds, seconds }),
    }, golden.map((g) => ({ event_id: g.event_id, text: g.text, intent: g.intent })));
    // What the out-of-scope flag costs, said at training time: the in-scope validation requests it would set aside.
    const out_of_scope = { below: calibration.out_of_scope_below, score: calibration.regions === undefined ? 'confidence' : 'confidence × closeness to the need\'s region', in_scope_flagged: 1 - calibration.in_scope_recall, answered_accuracy: calibration.answered_accuracy ?? null };
    return { version, fine_tuned: production !== null, examples: counts, new_intents: newIntents, curve: fit.curve, best_epoch: fit.best_epoch, stopped_early: fit.stopped_early, out_of_scope, seconds };
  } finally {
    (fit?.model ?? model).dispose();
  }
}
