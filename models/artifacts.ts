/**
 * A model on disk: model.json and weights.bin (the tfjs artifacts), plus manifest.json
 * with the tokenizer settings, the label list and the sha256 of each file. Loading checks
 * every hash and refuses a file that does not match.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import './embedding-bag.js';
import type { ModelCalibration } from './calibration.js';
import type { TokenizerSettings } from './tokenizer.js';

export interface ModelManifest {
  format: 'needloop-intent-1';
  labels: string[];
  tokenizer: TokenizerSettings;
  /** Temperature and out-of-scope threshold (absent in models made before calibration). */
  calibration?: ModelCalibration;
  files: Record<'model.json' | 'weights.bin', string>;
}

export class ArtifactError extends Error {
  override name = 'ArtifactError';
}

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** Writes the artifacts into `dir` (atomically: a half-written model never has a manifest). */
export async function saveModelArtifacts(model: tf.LayersModel, dir: string, meta: { labels: string[]; tokenizer: TokenizerSettings; calibration?: ModelCalibration }): Promise<ModelManifest> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
  }));
  const saved = artifacts as unknown as tf.io.ModelArtifacts;
  const weights = new Uint8Array(saved.weightData as ArrayBuffer);
  const modelJson = JSON.stringify({ modelTopology: saved.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: saved.weightSpecs }] });
  const manifest: ModelManifest = { format: 'needloop-intent-1', labels: meta.labels, tokenizer: meta.tokenizer, ...(meta.calibration === undefined ? {} : { calibration: meta.calibration }), files: { 'model.json': sha256(modelJson), 'weights.bin': sha256(weights) } };
  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  await writeFile(join(partial, 'model.json'), modelJson);
  await writeFile(join(partial, 'weights.bin'), weights);
  await writeFile(join(partial, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  return manifest;
}

export async function loadModelArtifacts(dir: string): Promise<{ model: tf.LayersModel; manifest: ModelManifest }> {
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as ModelManifest;
  } catch (error) {
    throw new ArtifactError(`${join(dir, 'manifest.json')}: cannot read the model manifest (${(error as Error).message})`);
  }
  const files: Record<string, Buffer> = {};
  for (const [name, expected] of Object.entries(manifest.files)) {
    const bytes = await readFile(join(dir, name)).catch((error: Error) => {
      throw new ArtifactError(`${join(dir, name)}: cannot read (${error.message})`);
    });
    const actual = sha256(bytes);
    if (actual !== expected) throw new ArtifactError(`${join(dir, name)} is corrupted: its sha256 is ${actual}, the manifest says ${expected}; refusing to load it`);
    files[name] = bytes;
  }
  const json = JSON.parse(files['model.json'].toString('utf8')) as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const weights = files['weights.bin'];
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest[0].weights,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
  }));
  return { model, manifest };
}
