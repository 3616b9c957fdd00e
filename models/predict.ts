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

export function predictIntents(loaded: LoadedModel, texts: readonly string[]): Prediction[] {
  const L = loaded.tokenizer.maxTokens;
  const out: Prediction[] = [];
  for (let start = 0; start < texts.length; start += BATCH) {
    const chunk = texts.slice(start, start + BATCH);
    const { ids, weights } = encodeTexts(chunk, loaded.tokenizer);
    const probs = tf.tidy(() => loaded.model.predict([tf.tensor2d(ids, [chunk.length, L], 'int32'), tf.tensor2d(weights, [chunk.length, L])]) as tf.Tensor2D);
    const values = probs.dataSync();
    probs.dispose();
    const classes = loaded.labels.length;
    for (let i = 0; i < chunk.length; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (values[i * classes + c] > values[i * classes + best]) best = c;
      out.push({ intent: loaded.labels[best], confidence: values[i * classes + best] });
    }
  }
  return out;
}
