/**
 * Training of the intent classifier. The dense head trains through tfjs ops and its
 * optimizer; the embedding table — most of the parameters — is updated sparsely: each
 * step gathers only the rows of the batch's tokens and applies Adam to those rows alone
 * ("lazy Adam"), where tfjs's optimizers would touch every row of the vocabulary.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../analytics/seeded-random.js';
import { MODEL_DEFAULTS } from './build-model.js';
import { argmax, forEachRowProbabilities } from './predict.js';

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
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const batches = Math.ceil(n / batchSize);
  const losses: number[] = [];
  const curve: EpochRecord[] = [];
  const setTable = () => {
    const t = tf.tensor2d(table, [vocabulary, dims]);
    bagLayer.setWeights([t]);
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
      // The batch's bag as a [size × unique-tokens] weight matrix over the rows it uses:
      // pooled = W · rows, a matrix product with no broadcasting (slow on the CPU backend).
      const local = new Map<number, number>();
      const labels = new Int32Array(size);
      const entries: number[] = [];
      rows.forEach((row, r) => {
        labels[r] = data.labels[row];
        for (let t = 0; t < L; t++) {
          const w = data.weights[row * L + t];
          if (w === 0) continue;
          const id = data.ids[row * L + t];
          let k = local.get(id);
          if (k === undefined) local.set(id, (k = local.size));
          entries.push(r, k, w);
        }
      });
      const unique = [...local.keys()];
      const bagWeights = new Float32Array(size * unique.length);
      for (let e = 0; e < entries.length; e += 3) bagWeights[entries[e] * unique.length + entries[e + 1]] += entries[e + 2];
      const sub = new Float32Array(unique.length * dims);
      unique.forEach((id, k) => sub.set(table.subarray(id * dims, (id + 1) * dims), k * dims));
      const initial = tf.tensor2d(sub, [unique.length, dims]);
      const subVar = tf.variable(initial, true, `bag_rows_${step}`);
      initial.dispose();
      const W = tf.tensor2d(bagWeights, [size, unique.length]);
      const target = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), classes));
      const { value, grads } = tf.variableGrads(() =>
        tf.tidy(() => {
          const probs = output.apply(hidden.apply(tf.matMul(W, subVar))) as tf.Tensor2D;
          return probs.mul(target).sum(1).clipByValue(1e-7, 1).log().neg().mean() as tf.Scalar;
        }),
      [subVar, ...headVars]);
      optimizer.applyGradients(headVars.map((w) => ({ name: w.name, tensor: grads[w.name] })));
      // Lazy Adam on the embedding rows the batch used.
      step++;
      const g = grads[subVar.name].dataSync();
      const correction = Math.sqrt(1 - BETA2 ** step) / (1 - BETA1 ** step);
      unique.forEach((id, k) => {
        const base = id * dims;
        for (let d = 0; d < dims; d++) {
          const grad = g[k * dims + d];
          const i = base + d;
          m[i] = BETA1 * m[i] + (1 - BETA1) * grad;
          v[i] = BETA2 * v[i] + (1 - BETA2) * grad * grad;
          table[i] -= (lr * correction * m[i]) / (Math.sqrt(v[i]) + EPSILON);
        }
      });
      const loss = value.dataSync()[0];
      epochLoss += loss * size;
      tf.dispose([value, subVar, W, target, ...Object.values(grads)]);
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
