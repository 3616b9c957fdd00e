/**
 * Predictions of a loaded model: the most likely intents of each text with calibrated
 * probabilities, and whether the request is none of the model's needs, in batches.
 */
import * as tf from '@tensorflow/tfjs';
import { OUT_OF_SCOPE } from '../db/need-catalogue.js';
import { temperatureScale, UNCALIBRATED, type ModelCalibration } from './calibration.js';
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
   * The request is none of the model's needs: the probability of its most likely need is
   * below the model's threshold, or the model learnt "none of these" from feedback and
   * finds that likelier than any need.
   */
  out_of_scope: boolean;
  /** The 3 most likely needs, most likely first (the learnt out-of-scope class is not a need, and not listed). */
  top: { intent: string; probability: number }[];
}

const TOP = 3;

const BATCH = 2048;

/**
 * The model's embedding table as a Float32Array, read once per model: prediction pools
 * the bag here, sparsely, instead of gathering a [rows × tokens × dimensions] tensor.
 * A model whose weights change (training) must be read again: `forget` does that.
 */
const tables = new WeakMap<tf.LayersModel, { table: Float32Array; dims: number }>();

function tableOf(model: tf.LayersModel): { table: Float32Array; dims: number } {
  let entry = tables.get(model);
  if (entry === undefined) {
    const [weights] = model.getLayer('bag').getWeights();
    entry = { table: weights.dataSync() as Float32Array, dims: weights.shape[1]! };
    tables.set(model, entry);
  }
  return entry;
}

/** Drops the cached table of a model whose weights were just changed. */
export function forgetTable(model: tf.LayersModel): void {
  tables.delete(model);
}

/**
 * Each encoded row's class probabilities, computed in batches of 2,048 rows:
 * `visit(row, probabilities)` is called for every row in order. The bag (the weighted
 * mean of the tokens' embeddings) is pooled in JavaScript over the row's own tokens;
 * only the dense head runs in tfjs. Models without the embedding-bag layer (the stock
 * baseline) run whole in tfjs.
 */
export function forEachRowProbabilities(
  model: tf.LayersModel,
  encoded: { ids: Int32Array; weights: Float32Array },
  maxTokens: number,
  visit: (row: number, probabilities: Float32Array) => void,
): void {
  const n = encoded.ids.length / maxTokens;
  const bag = model.layers.some((l) => l.name === 'bag') ? { ...tableOf(model), hidden: model.getLayer('hidden'), output: model.getLayer('intent') } : null;
  for (let start = 0; start < n; start += BATCH) {
    const count = Math.min(BATCH, n - start);
    const slice = (a: Int32Array | Float32Array) => a.subarray(start * maxTokens, (start + count) * maxTokens);
    let probs: tf.Tensor2D;
    if (bag === null) {
      probs = tf.tidy(() => model.predict([tf.tensor2d(slice(encoded.ids), [count, maxTokens], 'int32'), tf.tensor2d(slice(encoded.weights), [count, maxTokens])]) as tf.Tensor2D);
    } else {
      const { table, dims, hidden, output } = bag;
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
      probs = tf.tidy(() => output.apply(hidden.apply(tf.tensor2d(pooled, [count, dims]))) as tf.Tensor2D);
    }
    const values = probs.dataSync() as Float32Array;
    probs.dispose();
    const classes = values.length / count;
    for (let i = 0; i < count; i++) visit(start + i, values.subarray(i * classes, (i + 1) * classes));
  }
}

/** Index of the largest value (the first, on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < values.length; c++) if (values[c] > values[best]) best = c;
  return best;
}

export function predictIntents(loaded: LoadedModel, texts: readonly string[]): Prediction[] {
  const out: Prediction[] = [];
  const calibration = loaded.calibration ?? UNCALIBRATED;
  const scaled = new Float64Array(loaded.labels.length);
  const outOfScope = loaded.labels.indexOf(OUT_OF_SCOPE);
  forEachRowProbabilities(loaded.model, encodeTexts(texts, loaded.tokenizer), loaded.tokenizer.maxTokens, (_, probabilities) => {
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
    out.push({ intent: top[0].intent, confidence: best, out_of_scope: best < calibration.out_of_scope_below || (outOfScope >= 0 && p[outOfScope] > best), top });
  });
  return out;
}
