/**
 * The intent classifier: hashed token ids and their bag weights in, an embedding bag, a
 * small dense head, softmax over the intents out. `buildModel` returns it compiled.
 */
import * as tf from '@tensorflow/tfjs';
import { EmbeddingBag } from './embedding-bag.js';
import { DEFAULT_TOKENIZER, type TokenizerSettings } from './tokenizer.js';

export type ModelKind = 'embedding-bag' | 'stock-embedding';

export interface ModelOptions {
  /** 'embedding-bag' (the product) or 'stock-embedding' (tfjs's Embedding layer, the benchmark's baseline). */
  kind?: ModelKind;
  classes: number;
  tokenizer?: TokenizerSettings;
  dimensions?: number;
  hidden?: number;
  learningRate?: number;
  seed?: number;
}

export const MODEL_DEFAULTS = { kind: 'embedding-bag' as ModelKind, dimensions: 64, hidden: 64, learningRate: 0.01, seed: 1 };

export class ModelError extends Error {
  override name = 'ModelError';
}

export function buildModel(options: ModelOptions): tf.LayersModel {
  const kind = options.kind ?? MODEL_DEFAULTS.kind;
  const tokenizer = options.tokenizer ?? DEFAULT_TOKENIZER;
  const dimensions = options.dimensions ?? MODEL_DEFAULTS.dimensions;
  const hidden = options.hidden ?? MODEL_DEFAULTS.hidden;
  const seed = options.seed ?? MODEL_DEFAULTS.seed;
  if (options.classes < 2) throw new ModelError(`a classifier needs at least 2 intents (got ${options.classes})`);
  const ids = tf.input({ shape: [tokenizer.maxTokens], dtype: 'int32', name: 'ids' });
  const weights = tf.input({ shape: [tokenizer.maxTokens], name: 'weights' });
  let pooled: tf.SymbolicTensor;
  switch (kind) {
    case 'embedding-bag':
      pooled = new EmbeddingBag({ vocabularySize: tokenizer.vocabularySize, dimensions, seed, name: 'bag' }).apply([ids, weights]) as tf.SymbolicTensor;
      break;
    case 'stock-embedding': {
      const embedded = tf.layers.embedding({ inputDim: tokenizer.vocabularySize, outputDim: dimensions, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed }), name: 'embedding' }).apply(ids) as tf.SymbolicTensor;
      const w = tf.layers.reshape({ targetShape: [1, tokenizer.maxTokens] }).apply(weights) as tf.SymbolicTensor;
      pooled = tf.layers.flatten().apply(tf.layers.dot({ axes: [2, 1] }).apply([w, embedded]) as tf.SymbolicTensor) as tf.SymbolicTensor;
      break;
    }
    default:
      throw new ModelError(`unknown model kind ${JSON.stringify(kind)}: use embedding-bag or stock-embedding`);
  }
  const h = tf.layers.dense({ units: hidden, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }), name: 'hidden' }).apply(pooled) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: options.classes, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }), name: 'intent' }).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [ids, weights], outputs: out, name: 'needloop_intent' });
  model.compile({ optimizer: tf.train.adam(options.learningRate ?? MODEL_DEFAULTS.learningRate), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
