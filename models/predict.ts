/**
 * Predictions of a loaded model: the most likely intents of each text with calibrated
 * probabilities, and whether the request is none of the model's needs, in batches.
 */
import * as tf from '@tensorflow/tfjs';
import { OUT_OF_SCOPE } from '../db/need-catalogue.js';
import { bestNeed, outOfScopeScore, regionCloseness, temperatureScale, UNCALIBRATED, type ModelCalibration } from './calibration.js';
import { encodeTexts, type TokenizerSettings } from './tokenizer.js';

export interface LoadedModel {
  model: tf.LayersModel;
  labels: readonly string[];
  tokenizer: TokenizerSettings;
  /** Stored with the model version (absent in models made before calibration). */
  calibration?: ModelCalibration;
}

export interface Prediction {
  intent: string;
  /** The calibrated probability of `intent`. */
  confidence: number;
  /**
   * The request is none of the model's needs: its out-of-scope score (the probability of
   * its most likely need, times its closeness to that need's region where the model stores
   * regions: models/calibration.ts) is below the model's threshold, or the model learnt "none of these" from feedback and
   * finds that likelier than any need.
   */
  out_of_scope: boolean;
  /** The 3 most likely needs, most likely first (the learnt out-of-scope class is not a need, and not listed). */
  top: { intent: string; probability: number }[];
}

const TOP = 3;

const BATCH = 2048;

/**
 * The model's weights as Float32Arrays, read once per model: prediction pools the bag here,
 * sparsely, instead of gathering a [rows × tokens × dimensions] tensor, and — on tfjs's
 * pure-JS CPU backend — runs the dense head here too, where tfjs would run the same
 * arithmetic in JavaScript plus a tensor and a kernel dispatch per op. A model whose
 * weights change (training) must be read again: `forgetWeights` does that.
 */
interface Weights {
  table: Float32Array;
  dims: number;
  head: HeadWeights | null;
}
const tables = new WeakMap<tf.LayersModel, Weights>();

function weightsOf(model: tf.LayersModel): Weights {
  let entry = tables.get(model);
  if (entry === undefined) {
    const [weights] = model.getLayer('bag').getWeights();
    const read = (name: string) => model.getLayer(name).getWeights().map((w) => w.dataSync() as Float32Array);
    let head: Weights['head'] = null;
    if (tf.getBackend() === 'cpu') {
      const [w1, b1] = read('hidden');
      const [w2, b2] = read('intent');
      head = { w1, b1, w2, b2 };
    }
    entry = { table: weights.dataSync() as Float32Array, dims: weights.shape[1]!, head };
    tables.set(model, entry);
  }
  return entry;
}

/** Drops the cached weights of a model whose weights were just changed. */
export function forgetWeights(model: tf.LayersModel): void {
  tables.delete(model);
}

export interface HeadWeights {
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

/**
 * One row through the dense head in JavaScript — `h` = relu(x · W1 + b1), `p` =
 * softmax(h · W2 + b2) — written into `h` and `p`; training's backward pass reads both.
 */
export function headForward(head: HeadWeights, x: Float32Array, h: Float32Array, p: Float32Array): void {
  const { w1, b1, w2, b2 } = head;
  const H = b1.length;
  const C = b2.length;
  h.set(b1);
  for (let d = 0; d < x.length; d++) {
    const v = x[d];
    if (v === 0) continue;
    const row = d * H;
    for (let j = 0; j < H; j++) h[j] += v * w1[row + j];
  }
  for (let j = 0; j < H; j++) if (h[j] < 0) h[j] = 0;
  p.set(b2);
  for (let j = 0; j < H; j++) {
    const v = h[j];
    if (v === 0) continue;
    const row = j * C;
    for (let c = 0; c < C; c++) p[c] += v * w2[row + c];
  }
  let max = -Infinity;
  for (let c = 0; c < C; c++) if (p[c] > max) max = p[c];
  let sum = 0;
  for (let c = 0; c < C; c++) sum += p[c] = Math.exp(p[c] - max);
  for (let c = 0; c < C; c++) p[c] /= sum;
}

/** softmax(relu(pooled · W1 + b1) · W2 + b2) for `count` rows, in JavaScript. */
function headInJs(head: HeadWeights, pooled: Float32Array, count: number, dims: number): Float32Array {
  const C = head.b2.length;
  const out = new Float32Array(count * C);
  const h = new Float32Array(head.b1.length);
  for (let r = 0; r < count; r++) headForward(head, pooled.subarray(r * dims, (r + 1) * dims), h, out.subarray(r * C, (r + 1) * C));
  return out;
}

/**
 * Each encoded row's class probabilities, computed in batches of 2,048 rows:
 * `visit(row, probabilities, pooled)` is called for every row in order (`pooled`, the
 * row's bag — the model's own representation of the request — or null for models
 * without the embedding-bag layer). The bag (the weighted
 * mean of the tokens' embeddings) is pooled in JavaScript over the row's own tokens;
 * the dense head runs in JavaScript on the CPU backend and in tfjs elsewhere. Models
 * without the embedding-bag layer (the stock baseline) run whole in tfjs.
 */
export function forEachRowProbabilities(
  model: tf.LayersModel,
  encoded: { ids: Int32Array; weights: Float32Array },
  maxTokens: number,
  visit: (row: number, probabilities: Float32Array, pooled: Float32Array | null) => void,
): void {
  const n = encoded.ids.length / maxTokens;
  const bag = model.layers.some((l) => l.name === 'bag') ? { ...weightsOf(model), hidden: model.getLayer('hidden'), output: model.getLayer('intent') } : null;
  for (let start = 0; start < n; start += BATCH) {
    const count = Math.min(BATCH, n - start);
    const slice = (a: Int32Array | Float32Array) => a.subarray(start * maxTokens, (start + count) * maxTokens);
    let values: Float32Array;
    let pooledRows: Float32Array | null = null;
    let pooledDims = 0;
    if (bag === null) {
      const probs = tf.tidy(() => model.predict([tf.tensor2d(slice(encoded.ids), [count, maxTokens], 'int32'), tf.tensor2d(slice(encoded.weights), [count, maxTokens])]) as tf.Tensor2D);
      values = probs.dataSync() as Float32Array;
      probs.dispose();
    } else {
      const { table, dims, hidden, output, head } = bag;
      const pooled = new Float32Array(count * dims);
      for (let r = 0; r < count; r++) {
        const row = (start + r) * maxTokens;
        for (let t = 0; t < maxTokens; t++) {
          const w = encoded.weights[row + t];
          if (w === 0) continue;
          const base = encoded.ids[row + t] * dims;
          for (let d = 0; d < dims; d++) pooled[r * dims + d] += w * table[base + d];
        }
      }
      pooledRows = pooled;
      pooledDims = dims;
      if (head !== null) values = headInJs(head, pooled, count, dims);
      else {
        const probs = tf.tidy(() => output.apply(hidden.apply(tf.tensor2d(pooled, [count, dims]))) as tf.Tensor2D);
        values = probs.dataSync() as Float32Array;
        probs.dispose();
      }
    }
    const classes = values.length / count;
    for (let i = 0; i < count; i++) visit(start + i, values.subarray(i * classes, (i + 1) * classes), pooledRows === null ? null : pooledRows.subarray(i * pooledDims, (i + 1) * pooledDims));
  }
}

/** Index of the largest value (the first, on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < values.length; c++) if (values[c] > values[best]) best = c;
  return best;
}

/** A model's regions as Float32Arrays, converted once per loaded calibration (a served model answers many requests). */
const regionCache = new WeakMap<number[][], Float32Array[]>();
function regionVectors(regions: number[][]): Float32Array[] {
  let vectors = regionCache.get(regions);
  if (vectors === undefined) {
    vectors = regions.map((r) => Float32Array.from(r));
    regionCache.set(regions, vectors);
  }
  return vectors;
}

export function predictIntents(loaded: LoadedModel, texts: readonly string[]): Prediction[] {
  const out: Prediction[] = [];
  const calibration = loaded.calibration ?? UNCALIBRATED;
  const scaled = new Float64Array(loaded.labels.length);
  const outOfScope = loaded.labels.indexOf(OUT_OF_SCOPE);
  const regions = calibration.regions === undefined ? null : regionVectors(calibration.regions);
  forEachRowProbabilities(loaded.model, encodeTexts(texts, loaded.tokenizer), loaded.tokenizer.maxTokens, (_, probabilities, pooled) => {
    const p = calibration.temperature === 1 ? probabilities : temperatureScale(probabilities, calibration.temperature, scaled);
    const top: { intent: string; probability: number }[] = [];
    for (let c = 0; c < p.length; c++) {
      if (c === outOfScope) continue;
      if (top.length < TOP || p[c] > top[top.length - 1].probability) {
        top.push({ intent: loaded.labels[c], probability: p[c] });
        top.sort((a, b) => b.probability - a.probability);
        if (top.length > TOP) top.pop();
      }
    }
    const best = top[0].probability;
    const closeness = regions === null || pooled === null ? null : regionCloseness(pooled, regions[bestNeed(p, outOfScope)]);
    out.push({ intent: top[0].intent, confidence: best, out_of_scope: outOfScopeScore(best, closeness) < calibration.out_of_scope_below || (outOfScope >= 0 && p[outOfScope] > best), top });
  });
  return out;
}
