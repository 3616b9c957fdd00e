/**
 * Fine-tuning's starting point: a copy of the production model whose output layer has one
 * unit per label of the new label list. The parent's labels come first and keep their
 * weights; a new intent's unit starts from the fresh model's seeded initialisation.
 */
import * as tf from '@tensorflow/tfjs';
import { buildModel } from './build-model.js';
import type { TokenizerSettings } from './tokenizer.js';

export interface ModelShape {
  dimensions: number;
  hidden: number;
}

/** The sizes of a built model, read from its weights. */
export function modelShape(model: tf.LayersModel): ModelShape {
  const [table] = model.getLayer('bag').getWeights();
  const [kernel] = model.getLayer('hidden').getWeights();
  return { dimensions: table.shape[1]!, hidden: kernel.shape[1]! };
}

export function growModel(parent: tf.LayersModel, options: { parentLabels: readonly string[]; labels: readonly string[]; tokenizer: TokenizerSettings; seed: number; learningRate?: number }): tf.LayersModel {
  const { parentLabels, labels } = options;
  if (labels.length < parentLabels.length || parentLabels.some((l, i) => labels[i] !== l)) {
    throw new Error('the new label list must start with the parent model\'s labels, in their order');
  }
  const child = buildModel({ classes: labels.length, tokenizer: options.tokenizer, ...modelShape(parent), seed: options.seed, learningRate: options.learningRate });
  child.getLayer('bag').setWeights(parent.getLayer('bag').getWeights());
  child.getLayer('hidden').setWeights(parent.getLayer('hidden').getWeights());
  const [oldKernel, oldBias] = parent.getLayer('intent').getWeights();
  const [newKernel, newBias] = child.getLayer('intent').getWeights();
  const old = parentLabels.length;
  const grown = tf.tidy(() => [
    tf.concat([oldKernel, newKernel.slice([0, old], [-1, labels.length - old])], 1),
    tf.concat([oldBias, newBias.slice([old], [labels.length - old])]),
  ]);
  child.getLayer('intent').setWeights(grown);
  tf.dispose(grown);
  return child;
}
