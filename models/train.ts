/**
 * Training of the intent classifier. The dense head trains through tfjs ops and its
 * optimizer; the embedding table — most of the parameters — is updated sparsely: each
 * step gathers only the rows of the batch's tokens and applies Adam to those rows alone
 * ("lazy Adam"), where tfjs's optimizers would touch every row of the vocabulary.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../analytics/seeded-random.js';
import { MODEL_DEFAULTS } from './build-model.js';
import { argmax, forEachRowProbabilities, forgetWeights, headForward } from './predict.js';

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
  /** What early stopping watches: validation 'loss' (default) or 'accuracy' (loss breaks ties). */
  monitor?: 'loss' | 'accuracy';
  /**
   * Each token of a training request is left out with this probability (the rest
   * re-weighted to a mean): a bag of words and subwords otherwise learns a few telling
   * tokens by heart within two epochs and stops generalising.
   */
  tokenDropout?: number;
  /** 'linear': the learning rate falls linearly over the planned steps to 5 % of its start (as fastText's); default constant. */
  schedule?: 'constant' | 'linear';
  /** Where the dense head trains: 'js' (default on the pure-JS CPU backend) or 'tfjs' (default elsewhere). */
  head?: 'js' | 'tfjs';
}

export interface TrainProgress {
  /** 'refit': the first model's second run, on training + validation (models/fit.ts). */
  phase?: 'train' | 'refit';
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

/**
 * The dense head (hidden ReLU layer, softmax output) as one training step: forward,
 * cross-entropy, backward, the head's own Adam update; returns the batch's mean loss and
 * the gradient reaching the pooled bag, dL/dpooled.
 */
interface HeadTrainer {
  step(pooled: Float32Array, labels: Int32Array, size: number, learningRate: number): { loss: number; dPooled: Float32Array };
  /** Writes the trained weights into the model's layers. */
  commit(): void;
  snapshot(): Float32Array[];
  restore(snapshot: Float32Array[]): void;
  dispose(): void;
}

/**
 * The head in plain JavaScript: on tfjs's pure-JS CPU backend the same arithmetic runs
 * there too, but each tfjs step also pays for tensors, a tape and kernels dispatched one
 * by one — 9 ms a step at batch 64, most of training's time. Same maths and the same Adam
 * as tfjs's (tests/models/model.test.ts compares the two).
 */
function jsHead(model: tf.LayersModel): HeadTrainer {
  const hiddenLayer = model.getLayer('hidden');
  const outputLayer = model.getLayer('intent');
  const read = (layer: tf.layers.Layer) => layer.getWeights().map((w) => w.dataSync().slice() as Float32Array);
  const [w1, b1] = read(hiddenLayer);
  const [w2, b2] = read(outputLayer);
  const params = [w1, b1, w2, b2];
  const weights = { w1, b1, w2, b2 };
  const H = b1.length;
  const C = b2.length;
  const D = w1.length / H;
  const m = params.map((p) => new Float32Array(p.length));
  const v = params.map((p) => new Float32Array(p.length));
  const grads = params.map((p) => new Float32Array(p.length));
  let t = 0;
  return {
    step(pooled, labels, size, learningRate) {
      const [gw1, gb1, gw2, gb2] = grads;
      for (const g of grads) g.fill(0);
      const h = new Float32Array(size * H);
      const probs = new Float32Array(size * C);
      const dh = new Float32Array(size * H);
      const dPooled = new Float32Array(size * D);
      let loss = 0;
      for (let r = 0; r < size; r++) {
        const hr = h.subarray(r * H, (r + 1) * H);
        const pr = probs.subarray(r * C, (r + 1) * C);
        headForward(weights, pooled.subarray(r * D, (r + 1) * D), hr, pr);
        loss -= Math.log(Math.min(1, Math.max(1e-7, pr[labels[r]])));
        // dL/dlogits = (p − onehot) / size, kept in pr.
        pr[labels[r]] -= 1;
        for (let c = 0; c < C; c++) pr[c] /= size;
        const dhr = dh.subarray(r * H, (r + 1) * H);
        for (let c = 0; c < C; c++) gb2[c] += pr[c];
        for (let j = 0; j < H; j++) {
          const x = hr[j];
          if (x === 0) continue;
          const row = j * C;
          let acc = 0;
          for (let c = 0; c < C; c++) {
            gw2[row + c] += x * pr[c];
            acc += pr[c] * w2[row + c];
          }
          dhr[j] = acc;
        }
        for (let j = 0; j < H; j++) gb1[j] += dhr[j];
        for (let d = 0; d < D; d++) {
          const x = pooled[r * D + d];
          const row = d * H;
          let acc = 0;
          for (let j = 0; j < H; j++) {
            acc += dhr[j] * w1[row + j];
            if (x !== 0) gw1[row + j] += x * dhr[j];
          }
          dPooled[r * D + d] = acc;
        }
      }
      t++;
      const c1 = 1 - BETA1 ** t;
      const c2 = 1 - BETA2 ** t;
      params.forEach((p, k) => {
        const [g, mk, vk] = [grads[k], m[k], v[k]];
        for (let i = 0; i < p.length; i++) {
          mk[i] = BETA1 * mk[i] + (1 - BETA1) * g[i];
          vk[i] = BETA2 * vk[i] + (1 - BETA2) * g[i] * g[i];
          p[i] -= (learningRate * (mk[i] / c1)) / (Math.sqrt(vk[i] / c2) + EPSILON);
        }
      });
      return { loss: loss / size, dPooled };
    },
    commit() {
      const set = (layer: tf.layers.Layer, values: Float32Array[]) => {
        const tensors = layer.getWeights().map((w, i) => tf.tensor(values[i], w.shape));
        layer.setWeights(tensors);
        tf.dispose(tensors);
      };
      set(hiddenLayer, [w1, b1]);
      set(outputLayer, [w2, b2]);
    },
    snapshot: () => params.map((p) => p.slice()),
    restore: (snapshot) => params.forEach((p, i) => p.set(snapshot[i])),
    dispose() {},
  };
}

/** The head through tfjs's ops and optimizer: for the native and GPU backends, where kernels run outside JavaScript. */
function tfjsHead(model: tf.LayersModel): HeadTrainer {
  const hidden = model.getLayer('hidden');
  const output = model.getLayer('intent');
  const headVars = [...hidden.trainableWeights, ...output.trainableWeights].map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.adam(MODEL_DEFAULTS.learningRate, BETA1, BETA2, EPSILON);
  const classes = model.outputs[0].shape[1]!;
  const D = (model.getLayer('bag').getWeights()[0].shape as number[])[1];
  let step = 0;
  return {
    step(pooled, labels, size, learningRate) {
      (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
      const pooledInitial = tf.tensor2d(pooled, [size, D]);
      const pooledVar = tf.variable(pooledInitial, true, `bag_pooled_${step++}`);
      pooledInitial.dispose();
      const target = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), classes));
      const { value, grads } = tf.variableGrads(() =>
        tf.tidy(() => {
          const probs = output.apply(hidden.apply(pooledVar)) as tf.Tensor2D;
          return probs.mul(target).sum(1).clipByValue(1e-7, 1).log().neg().mean() as tf.Scalar;
        }),
      [pooledVar, ...headVars]);
      optimizer.applyGradients(headVars.map((w) => ({ name: w.name, tensor: grads[w.name] })));
      const dPooled = (grads[pooledVar.name].dataSync() as Float32Array).slice();
      const loss = value.dataSync()[0];
      tf.dispose([value, pooledVar, target, ...Object.values(grads)]);
      return { loss, dPooled };
    },
    commit() {},
    snapshot: () => headVars.map((w) => w.dataSync().slice() as Float32Array),
    restore: (snapshot) => headVars.forEach((w, i) => tf.tidy(() => w.assign(tf.tensor(snapshot[i], w.shape)))),
    dispose: () => optimizer.dispose(),
  };
}

/** Whether an epoch's validation score beats the best so far, by what early stopping watches. */
function improves(score: { loss: number; accuracy: number }, best: { loss: number; accuracy: number }, options: TrainOptions): boolean {
  if (options.monitor === 'accuracy') return score.accuracy > best.accuracy || (score.accuracy === best.accuracy && score.loss < best.loss);
  return score.loss < best.loss - (options.minDelta ?? 0);
}

export async function trainClassifier(model: tf.LayersModel, data: TrainingData, options: TrainOptions): Promise<TrainResult> {
  const bagLayer = model.getLayer('bag');
  const [tableVar] = bagLayer.getWeights();
  const [vocabulary, dims] = tableVar.shape as [number, number];
  const table = tableVar.dataSync().slice() as Float32Array;
  const m = new Float32Array(table.length);
  const v = new Float32Array(table.length);
  const head = (options.head ?? (tf.getBackend() === 'cpu' ? 'js' : 'tfjs')) === 'js' ? jsHead(model) : tfjsHead(model);
  const baseRate = options.learningRate ?? MODEL_DEFAULTS.learningRate;
  const L = data.ids.length / data.labels.length;
  const n = data.labels.length;
  const batchSize = options.batchSize ?? 64;
  const rng = new Random(options.seed ?? 1);
  const dropout = options.tokenDropout ?? 0;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const batches = Math.ceil(n / batchSize);
  // Per-batch buffers, reused: the batch's labels, pooled bags and token weights after
  // dropout; `slot` maps a touched embedding row to its place in the batch's gradient.
  const labels = new Int32Array(batchSize);
  const pooledBuffer = new Float32Array(batchSize * dims);
  const bagWeights = new Float32Array(batchSize * L);
  const slot = new Int32Array(vocabulary).fill(-1);
  const touchedIds = new Int32Array(Math.min(vocabulary, batchSize * L));
  const gradBuffer = new Float32Array(touchedIds.length * dims);
  const totalSteps = batches * options.epochs;
  const losses: number[] = [];
  const curve: EpochRecord[] = [];
  const setWeights = () => {
    const t = tf.tensor2d(table, [vocabulary, dims]);
    bagLayer.setWeights([t]);
    forgetWeights(model);
    t.dispose();
    head.commit();
  };
  let best: { epoch: number; loss: number; accuracy: number; table: Float32Array; head: Float32Array[] } | null = null;
  let stoppedEarly = false;
  let step = 0;
  let epochsRun = 0;
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      for (let i = n - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      let epochLoss = 0;
      for (let b = 0; b < batches; b++) {
        if (options.signal?.aborted) throw new TrainingCancelled('training was cancelled');
        const lr = options.schedule === 'linear' ? baseRate * Math.max(0.05, 1 - step / totalSteps) : baseRate;
        const rows = order.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize));
        const size = rows.length;
        // The bag is pooled here, sparsely: pooled[r] = Σ w · table[id] over the row's tokens.
        // The gradient reaching the bag, dL/dpooled, is spread back onto the rows the batch
        // used, and lazy Adam updates those rows alone. A dense [batch × unique tokens]
        // product would cost O(batch × unique × dims): with subwords a batch touches
        // thousands of rows.
        const pooled = pooledBuffer.subarray(0, size * dims);
        pooled.fill(0);
        bagWeights.fill(0, 0, size * L);
        let unique = 0;
        for (let r = 0; r < size; r++) {
          const row = rows[r];
          labels[r] = data.labels[row];
          let kept = 0;
          for (let t = 0; t < L; t++) {
            const w = data.weights[row * L + t];
            if (w === 0) continue;
            if (dropout === 0 || rng.next() >= dropout) {
              bagWeights[r * L + t] = w;
              kept += w;
            }
          }
          if (kept === 0) {
            // Never an empty bag: keep the row's tokens as they are.
            for (let t = 0; t < L; t++) (bagWeights[r * L + t] = data.weights[row * L + t]), (kept += data.weights[row * L + t]);
          }
          for (let t = 0; t < L; t++) {
            if (bagWeights[r * L + t] === 0) continue;
            const w = (bagWeights[r * L + t] /= kept);
            const id = data.ids[row * L + t];
            if (slot[id] === -1) (slot[id] = unique), (touchedIds[unique++] = id);
            const base = id * dims;
            const out = r * dims;
            for (let d = 0; d < dims; d++) pooled[out + d] += w * table[base + d];
          }
        }
        const { loss, dPooled } = head.step(pooled, labels.subarray(0, size), size, lr);
        step++;
        const g = gradBuffer.subarray(0, unique * dims);
        g.fill(0);
        for (let r = 0; r < size; r++) {
          const row = rows[r];
          for (let t = 0; t < L; t++) {
            const w = bagWeights[r * L + t];
            if (w === 0) continue;
            const k = slot[data.ids[row * L + t]] * dims;
            const from = r * dims;
            for (let d = 0; d < dims; d++) g[k + d] += w * dPooled[from + d];
          }
        }
        const rate = (lr * Math.sqrt(1 - BETA2 ** step)) / (1 - BETA1 ** step);
        for (let u = 0; u < unique; u++) {
          const base = touchedIds[u] * dims;
          slot[touchedIds[u]] = -1;
          for (let d = 0; d < dims; d++) {
            const grad = g[u * dims + d];
            const i = base + d;
            const mi = (m[i] = BETA1 * m[i] + (1 - BETA1) * grad);
            const vi = (v[i] = BETA2 * v[i] + (1 - BETA2) * grad * grad);
            table[i] -= (rate * mi) / (Math.sqrt(vi) + EPSILON);
          }
        }
        epochLoss += loss * size;
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
      setWeights();
      const score = validationScore(model, options.validation);
      curve.push({ epoch, loss: epochLoss / n, validation_loss: score.loss, validation_accuracy: score.accuracy });
      if (best === null || improves(score, best, options)) {
        best = { epoch, loss: score.loss, accuracy: score.accuracy, table: table.slice(), head: head.snapshot() };
      } else if (epoch - best.epoch >= (options.patience ?? 2)) {
        stoppedEarly = epoch < options.epochs - 1;
        break;
      }
    }
    if (best !== null) {
      table.set(best.table);
      head.restore(best.head);
    }
    setWeights();
  } finally {
    head.dispose();
  }
  return { losses, curve, best_epoch: best?.epoch ?? epochsRun - 1, stopped_early: stoppedEarly, samples: n * epochsRun };
}
