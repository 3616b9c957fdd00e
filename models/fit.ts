/**
 * How needloop trains a model from labelled examples, in one place for the registry
 * (`trainCandidate`), the benchmark and the tests: train with the validation split
 * watching, calibrate on it, and — for a first model — refit on training and validation
 * together for the number of epochs validation chose, keeping the calibration fitted on
 * examples the selecting run never saw (only while examples are scarce: REFIT_BELOW_PER_CLASS).
 */
import type * as tf from '@tensorflow/tfjs';
import { calibrate, needRegions, type ModelCalibration } from './calibration.js';
import { forEachRowProbabilities } from './predict.js';
import { trainClassifier, type EpochRecord, type TrainingData, type TrainOptions, type TrainProgress } from './train.js';

/**
 * Settings chosen on BANKING77's validation split (bench/banking77; test accuracy there in
 * brackets). A first model: learning rate 0.02 falling linearly to 5 % over 16 epochs, the
 * epoch with the best validation accuracy kept (0.878 with a constant 0.01 and early
 * stopping on validation loss after 3 epochs: the loss turns up from overconfidence while
 * accuracy still climbs; 0.89 this way) — all 16 run: stopping once validation accuracy
 * had stalled for 4 epochs changed nothing on BANKING77 but kept the simulations' noisier
 * labels to a few epochs, and the less confident model made stable traffic look like needs
 * nobody has named — half of each request's tokens dropped per
 * step (without: the model learns a few tokens by heart in 2 epochs), then — when data is
 * scarce, fewer than REFIT_BELOW_PER_CLASS training examples per class — a refit on
 * training + validation (0.900). All that was tried: bench/RESULTS.md. A fine-tune starts from weights that already fit most of its data:
 * 8 epochs at most, from 0.01 falling linearly, stopped once the validation loss has not
 * improved for 3 (at a constant 0.003 from the sharper first model, a one-day vocabulary
 * shift was not learnt well enough to beat production until its third night in
 * `needloop simulate`; at 0.01 it is learnt the first night).
 */
export const FIRST_MODEL = { epochs: 16, learningRate: 0.02, schedule: 'linear', monitor: 'accuracy', patience: 16, refit: true, regions: true } as const;
/**
 * The refit on training + validation adds the validation split's 15 % to what the model
 * learns from: worth a run of its own only while examples are scarce. BANKING77 (130 per
 * class): +1.0 point of test accuracy; 2,834 generated requests per class: +0.05 points
 * (within noise, n = 20,964) for 44 % more training time; 921 per class: +0.00.
 */
export const REFIT_BELOW_PER_CLASS = 500;
/**
 * A fine-tune stores no needs' regions (models/calibration.ts): the need it learns the night
 * it appears has a few dozen corrections, whose region is narrower than the need's traffic
 * soon is. In `simulate emerging-need` a fine-tune with regions flagged 9–11 % of the
 * following nights' requests against 4 % of its training period, and the out-of-scope rule
 * retrained five nights running for nothing.
 */
export const FINE_TUNE = { epochs: 8, learningRate: 0.01, schedule: 'linear', monitor: 'loss', patience: 3, refit: false, regions: false } as const;
export const COMMON = { batchSize: 64, minDelta: 0.001, tokenDropout: 0.5, seed: 1 } as const;

export interface FitSettings {
  epochs: number;
  learningRate: number;
  schedule: 'constant' | 'linear';
  monitor: 'loss' | 'accuracy';
  patience: number;
  refit: boolean;
  /** Store the needs' regions, and fit the out-of-scope threshold on probability × closeness (models/calibration.ts). */
  regions: boolean;
}

export interface FitResult {
  model: tf.LayersModel;
  calibration: ModelCalibration;
  curve: EpochRecord[];
  best_epoch: number;
  stopped_early: boolean;
  /** Epochs of the refit on training + validation; null when there was none (no refit asked, or examples were plentiful). */
  refit_epochs: number | null;
  /** Examples seen, all runs together (for samples per second). */
  samples: number;
  seconds: number;
}

/**
 * Each label's region in `model`'s bag space, from `data`'s rows (models/calibration.ts);
 * null for a model without the embedding-bag layer.
 */
export function regionsOf(model: tf.LayersModel, data: TrainingData, maxTokens: number): number[][] | null {
  const pooled: Float32Array[] = [];
  let classes = model.outputs[0].shape[1] ?? 0;
  forEachRowProbabilities(model, data, maxTokens, (_, p, bag) => {
    classes = p.length;
    if (bag !== null) pooled.push(Float32Array.from(bag));
  });
  return pooled.length === 0 || pooled.length !== data.labels.length ? null : needRegions(pooled, data.labels, classes);
}

/**
 * Temperature and out-of-scope threshold, fitted on the validation split's probabilities;
 * with `train`, also the needs' regions from its rows, and the threshold then one on the
 * probability times the closeness to the need's region.
 */
export function calibrationOn(model: tf.LayersModel, validation: TrainingData, maxTokens: number, outOfScopeLabel = -1, train?: TrainingData): ModelCalibration {
  const rows: Float32Array[] = [];
  const pooled: Float32Array[] = [];
  forEachRowProbabilities(model, validation, maxTokens, (_, p, bag) => {
    rows.push(Float32Array.from(p));
    if (bag !== null) pooled.push(Float32Array.from(bag));
  });
  const regions = train === undefined || pooled.length !== rows.length ? null : regionsOf(model, train, maxTokens);
  return calibrate(rows, validation.labels, undefined, outOfScopeLabel, regions === null ? null : { regions, pooled });
}

/** Rows of two encoded sets, one after the other. */
export function concatTrainingData(a: TrainingData, b: TrainingData): TrainingData {
  const join = <T extends Int32Array | Float32Array>(x: T, y: T, make: (n: number) => T): T => {
    const out = make(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  return { ids: join(a.ids, b.ids, (n) => new Int32Array(n)), weights: join(a.weights, b.weights, (n) => new Float32Array(n)), labels: join(a.labels, b.labels, (n) => new Int32Array(n)) };
}

/**
 * Trains `model` (built or grown by the caller; `rebuild` makes a fresh one for the refit)
 * and calibrates it. The returned model is `model` itself, or its refit replacement (then
 * `model` is disposed).
 */
export async function fitModel(
  model: tf.LayersModel,
  data: { train: TrainingData; validation: TrainingData; maxTokens: number; outOfScopeLabel?: number },
  settings: FitSettings,
  options: { seed?: number; rebuild?: () => tf.LayersModel; onProgress?: (progress: TrainProgress) => void; signal?: AbortSignal; /** false: the out-of-scope threshold on the probability alone, no regions (the benchmark's comparison). */ regions?: boolean } = {},
): Promise<FitResult> {
  const started = performance.now();
  const common: TrainOptions = {
    epochs: settings.epochs, batchSize: COMMON.batchSize, learningRate: settings.learningRate, schedule: settings.schedule, seed: options.seed ?? COMMON.seed,
    tokenDropout: COMMON.tokenDropout, onProgress: options.onProgress, signal: options.signal,
  };
  const result = await trainClassifier(model, data.train, { ...common, validation: data.validation, monitor: settings.monitor, patience: settings.patience, minDelta: COMMON.minDelta });
  let calibration = calibrationOn(model, data.validation, data.maxTokens, data.outOfScopeLabel, !settings.regions || options.regions === false ? undefined : data.train);
  let samples = result.samples;
  let refitEpochs: number | null = null;
  let fitted = model;
  const classes = new Set(data.train.labels).size;
  const scarce = data.train.labels.length < REFIT_BELOW_PER_CLASS * Math.max(1, classes);
  if (settings.refit && scarce && options.rebuild !== undefined && data.validation.labels.length > 0) {
    refitEpochs = result.best_epoch + 1;
    fitted = options.rebuild();
    try {
      const onProgress = options.onProgress === undefined ? undefined : (p: TrainProgress) => options.onProgress!({ ...p, phase: 'refit' });
      const refit = await trainClassifier(fitted, concatTrainingData(data.train, data.validation), { ...common, epochs: refitEpochs, onProgress });
      samples += refit.samples;
      // The threshold stays the selecting run's (no unseen rows are left to fit one on); the regions are the refit model's own.
      const regions = calibration.regions === undefined ? null : regionsOf(fitted, concatTrainingData(data.train, data.validation), data.maxTokens);
      if (regions !== null) calibration = { ...calibration, regions };
    } catch (error) {
      fitted.dispose();
      throw error;
    }
    model.dispose();
  }
  return { model: fitted, calibration, curve: result.curve, best_epoch: result.best_epoch, stopped_early: result.stopped_early, refit_epochs: refitEpochs, samples, seconds: (performance.now() - started) / 1000 };
}
