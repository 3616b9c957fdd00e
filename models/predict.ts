/**
 * Predictions of a loaded model: the most likely intent of each text and its
 * probability, in batches.
 */
import * as tf from '@tensorflow/tfjs';
import { encodeTexts, type TokenizerSettings } from './tokenizer.js';

export interface LoadedModel {
  model: tf.LayersModel;
  labels: readonly string[];
  tokenizer: TokenizerSettings;
}

export interface Prediction {
  intent: string;
  confidence: number;
}

const BATCH = 2048;

/**
 * Each encoded row's class probabilities, computed in batches of 2,048 rows:
 * `visit(row, probabilities)` is called for every row in order.
 */
export function forEachRowProbabilities(
  model: tf.LayersModel,
  encoded: { ids: Int32Array; weights: Float32Array },
  maxTokens: number,
  visit: (row: number, probabilities: Float32Array) => void,
): void {
  const n = encoded.ids.length / maxTokens;
  for (let start = 0; start < n; start += BATCH) {
    const count = Math.min(BATCH, n - start);
    const slice = (a: Int32Array | Float32Array) => a.subarray(start * maxTokens, (start + count) * maxTokens);
    const probs = tf.tidy(() => model.predict([tf.tensor2d(slice(encoded.ids), [count, maxTokens], 'int32'), tf.tensor2d(slice(encoded.weights), [count, maxTokens])]) as tf.Tensor2D);
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
  forEachRowProbabilities(loaded.model, encodeTexts(texts, loaded.tokenizer), loaded.tokenizer.maxTokens, (_, probabilities) => {
    const best = argmax(probabilities);
    out.push({ intent: loaded.labels[best], confidence: probabilities[best] });
  });
  return out;
}
