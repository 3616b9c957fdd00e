/**
 * Training of the intent classifier. The dense head trains through tfjs ops and its
 * optimizer; the embedding table — most of the parameters — is updated sparsely: each
 * step gathers only the rows of the batch's tokens and applies Adam to those rows alone
 * ("lazy Adam"), where tfjs's optimizers would touch every row of the vocabulary.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../analytics/seeded-random.js';
import { MODEL_DEFAULTS } from './build-model.js';

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
  onProgress?: (progress: { epoch: number; epochs: number; batch: number; batches: number; loss: number }) => void;
  signal?: AbortSignal;
}

export class TrainingCancelled extends Error {
  override name = 'TrainingCancelled';
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-7;

export async function trainClassifier(model: tf.LayersModel, data: TrainingData, options: TrainOptions): Promise<{ losses: number[]; samples: number }> {
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
  let step = 0;
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
  }
  bagLayer.setWeights([tf.tensor2d(table, [vocabulary, dims])]);
  optimizer.dispose();
  return { losses, samples: n * options.epochs };
}
