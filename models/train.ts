/**
 * Training of the intent classifier. The dense head trains through tfjs ops and its
 * optimizer; the embedding table — most of the parameters — is updated sparsely: each
 * step gathers only the rows of the batch's tokens and applies Adam to those rows alone
 * ("lazy Adam"), where tfjs's optimizers would touch every row of the vocabulary.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../analytics/seeded-random.js';
import { MODEL_DEFAULTS } from './build-model.js';
import { argmax, forEachRowProbabilities, forgetTable } from './predict.js';

export interface TrainingData {
  /** [n × maxTokens] token ids and bag weights, from encodeTexts. */
  ids: Int32Array;
  weights: Float32Array;
  /** Class index per example. */
  labels: Int32Array;
}

export interface TrainOptions {
  epochs: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  onProgress?: (progress: TrainProgress) => void;
  signal?: AbortSignal;
  /**
   * Examples to stop early on: after each epoch their loss is measured, training stops
   * once it has not improved for `patience` epochs, and the best epoch's weights are kept.
   */
  validation?: TrainingData;
  patience?: number;
  /** A validation loss must fall by more than this to count as an improvement. */
  minDelta?: number;
  /**
   * Each token of a training request is left out with this probability (the rest
   * re-weighted to a mean): a bag of words and subwords otherwise learns a few telling
   * tokens by heart within two epochs and stops generalising.
   */
  tokenDropout?: number;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
}

/** One point of the training curve. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  validation_loss: number | null;
  validation_accuracy: number | null;
}

export interface TrainResult {
  losses: number[];
  curve: EpochRecord[];
  /** The epoch whose weights the model holds (0-based). */
  best_epoch: number;
  stopped_early: boolean;
  samples: number;
}

export class TrainingCancelled extends Error {
  override name = 'TrainingCancelled';
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-7;

/** Mean cross-entropy and accuracy of `model` on `data`. */
export function validationScore(model: tf.LayersModel, data: TrainingData): { loss: number; accuracy: number } {
  const n = data.labels.length;
  let loss = 0;
  let correct = 0;
  forEachRowProbabilities(model, data, data.ids.length / n, (row, probabilities) => {
    const label = data.labels[row];
    loss -= Math.log(Math.max(1e-7, probabilities[label]));
    if (argmax(probabilities) === label) correct++;
  });
  return { loss: loss / n, accuracy: correct / n };
}

export async function trainClassifier(model: tf.LayersModel, data: TrainingData, options: TrainOptions): Promise<TrainResult> {
  const bagLayer = model.getLayer('bag');
  const [tableVar] = bagLayer.getWeights();
  const [vocabulary, dims] = tableVar.shape as [number, number];
  const table = tableVar.dataSync().slice() as Float32Array;
  const m = new Float32Array(table.length);
  const v = new Float32Array(table.length);
  const hidden = model.getLayer('hidden');
  const output = model.getLayer('intent');
  const headVars = [...hidden.trainableWeights, ...output.trainableWeights].map((w) => w.read() as tf.Variable);
  const lr = options.learningRate ?? MODEL_DEFAULTS.learningRate;
  const optimizer = tf.train.adam(lr, BETA1, BETA2, EPSILON);
  const L = data.ids.length / data.labels.length;
  const classes = model.outputs[0].shape[1]!;
  const n = data.labels.length;
  const batchSize = options.batchSize ?? 64;
  const rng = new Random(options.seed ?? 1);
  const dropout = options.tokenDropout ?? 0;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const batches = Math.ceil(n / batchSize);
  const losses: number[] = [];
  const curve: EpochRecord[] = [];
  const setTable = () => {
    const t = tf.tensor2d(table, [vocabulary, dims]);
    bagLayer.setWeights([t]);
    forgetTable(model);
    t.dispose();
  };
  let best: { epoch: number; loss: number; table: Float32Array; head: tf.Tensor[] } | null = null;
  let stoppedEarly = false;
  let step = 0;
  let epochsRun = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    let epochLoss = 0;
    for (let b = 0; b < batches; b++) {
      if (options.signal?.aborted) throw new TrainingCancelled('training was cancelled');
      const rows = order.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize));
      const size = rows.length;
      // The bag is pooled here, sparsely: pooled[r] = Σ w · table[id] over the row's tokens.
      // Only the head runs in tfjs; the gradient reaching the bag, dL/dpooled, is spread
      // back onto the rows the batch used, and lazy Adam updates those rows alone. A dense
      // [batch × unique tokens] product would cost O(batch × unique × dims): with subwords a
      // batch touches thousands of rows, and that product dominated training.
      const labels = new Int32Array(size);
      const pooled = new Float32Array(size * dims);
      const touched = new Map<number, number>();
      // This batch's token weights, after dropout: kept tokens share the row's weight.
      const bagWeights = new Float32Array(size * L);
      rows.forEach((row, r) => {
        labels[r] = data.labels[row];
        let kept = 0;
        for (let t = 0; t < L; t++) {
          if (data.weights[row * L + t] === 0) continue;
          if (dropout === 0 || rng.next() >= dropout) {
            bagWeights[r * L + t] = 1;
            kept++;
          }
        }
        if (kept === 0) {
          // Never an empty bag: keep the row's tokens as they are.
          for (let t = 0; t < L; t++) if (data.weights[row * L + t] > 0) (bagWeights[r * L + t] = 1), kept++;
        }
        for (let t = 0; t < L; t++) {
          if (bagWeights[r * L + t] === 0) continue;
          const w = (bagWeights[r * L + t] = 1 / kept);
          const id = data.ids[row * L + t];
          if (!touched.has(id)) touched.set(id, touched.size);
          const base = id * dims;
          for (let d = 0; d < dims; d++) pooled[r * dims + d] += w * table[base + d];
        }
      });
      const pooledInitial = tf.tensor2d(pooled, [size, dims]);
      const pooledVar = tf.variable(pooledInitial, true, `bag_pooled_${step}`);
      pooledInitial.dispose();
      const target = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), classes));
      const { value, grads } = tf.variableGrads(() =>
        tf.tidy(() => {
          const probs = output.apply(hidden.apply(pooledVar)) as tf.Tensor2D;
          return probs.mul(target).sum(1).clipByValue(1e-7, 1).log().neg().mean() as tf.Scalar;
        }),
      [pooledVar, ...headVars]);
      optimizer.applyGradients(headVars.map((w) => ({ name: w.name, tensor: grads[w.name] })));
      step++;
      const dPooled = grads[pooledVar.name].dataSync();
      const g = new Float32Array(touched.size * dims);
      rows.forEach((row, r) => {
        for (let t = 0; t < L; t++) {
          const w = bagWeights[r * L + t];
          if (w === 0) continue;
          const k = touched.get(data.ids[row * L + t])! * dims;
          for (let d = 0; d < dims; d++) g[k + d] += w * dPooled[r * dims + d];
        }
      });
      const correction = Math.sqrt(1 - BETA2 ** step) / (1 - BETA1 ** step);
      for (const [id, k] of touched) {
        const base = id * dims;
        for (let d = 0; d < dims; d++) {
          const grad = g[k * dims + d];
          const i = base + d;
          m[i] = BETA1 * m[i] + (1 - BETA1) * grad;
          v[i] = BETA2 * v[i] + (1 - BETA2) * grad * grad;
          table[i] -= (lr * correction * m[i]) / (Math.sqrt(v[i]) + EPSILON);
        }
      }
      const loss = value.dataSync()[0];
      epochLoss += loss * size;
      tf.dispose([value, pooledVar, target, ...Object.values(grads)]);
      options.onProgress?.({ epoch, epochs: options.epochs, batch: b + 1, batches, loss });
      // Let a cancellation or a heartbeat through between steps.
      if (b % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
    }
    losses.push(epochLoss / n);
    epochsRun++;
    if (options.validation === undefined || options.validation.labels.length === 0) {
      curve.push({ epoch, loss: epochLoss / n, validation_loss: null, validation_accuracy: null });
      continue;
    }
    setTable();
    const score = validationScore(model, options.validation);
    curve.push({ epoch, loss: epochLoss / n, validation_loss: score.loss, validation_accuracy: score.accuracy });
    if (best === null || score.loss < best.loss - (options.minDelta ?? 0)) {
      tf.dispose(best?.head ?? []);
      best = { epoch, loss: score.loss, table: table.slice(), head: headVars.map((w) => w.clone()) };
    } else if (epoch - best.epoch >= (options.patience ?? 2)) {
      stoppedEarly = epoch < options.epochs - 1;
      break;
    }
  }
  if (best !== null) {
    table.set(best.table);
    headVars.forEach((w, i) => w.assign(best.head[i]));
    tf.dispose(best.head);
  }
  setTable();
  optimizer.dispose();
  return { losses, curve, best_epoch: best?.epoch ?? epochsRun - 1, stopped_early: stoppedEarly, samples: n * epochsRun };
}
