/**
 * Model artifacts stored by content: each version lives in `<root>/sha256/<hash>/`, where
 * the hash is that of its manifest, which in turn holds the hash of every file. Loading
 * checks the whole chain, so a model that changed on disk is refused, never served.
 */
import { createHash, randomUUID } from 'node:crypto';
import { access, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { ArtifactError, loadModelArtifacts, saveModelArtifacts } from './artifacts.js';
import type { LoadedModel } from './predict.js';
import type { ModelCalibration } from './calibration.js';
import type { TokenizerSettings } from './tokenizer.js';

export interface StoredArtifact {
  sha256: string;
  path: string;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export class ModelStore {
  constructor(readonly root: string) {}

  pathOf(hash: string): string {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new ArtifactError(`${JSON.stringify(hash)} is not a sha256 artifact id`);
    return join(this.root, 'sha256', hash);
  }

  async save(model: tf.LayersModel, meta: { labels: string[]; tokenizer: TokenizerSettings; calibration?: ModelCalibration }): Promise<StoredArtifact> {
    const staging = join(this.root, 'staging', randomUUID());
    await saveModelArtifacts(model, staging, meta);
    const hash = sha256(await readFile(join(staging, 'manifest.json')));
    const path = this.pathOf(hash);
    await mkdir(join(this.root, 'sha256'), { recursive: true });
    const exists = await access(join(path, 'manifest.json')).then(() => true, () => false);
    // The same bytes saved twice are one artifact.
    if (exists) await rm(staging, { recursive: true, force: true });
    else await rename(staging, path);
    return { sha256: hash, path };
  }

  /** Loads an artifact after checking its manifest and every file against `hash`. */
  async load(hash: string): Promise<LoadedModel> {
    const path = this.pathOf(hash);
    const manifestBytes = await readFile(join(path, 'manifest.json')).catch((error: Error) => {
      throw new ArtifactError(`model artifact ${hash} is missing: ${error.message}`);
    });
    const actual = sha256(manifestBytes);
    if (actual !== hash) throw new ArtifactError(`${join(path, 'manifest.json')} is corrupted: its sha256 is ${actual}, the registry says ${hash}; refusing to load it`);
    const { model, manifest } = await loadModelArtifacts(path);
    return { model, labels: manifest.labels, tokenizer: manifest.tokenizer, calibration: manifest.calibration };
  }
}
