/**
 * needloop's first model trained on a text corpus as `trainCandidate` trains one
 * (models/fit.ts: the validation split chooses the epoch, then a refit), for the benches
 * that put it beside other classifiers (bench/banking77, bench/peers).
 */
import { Writable } from 'node:stream';
import { OUT_OF_SCOPE } from '../db/need-catalogue.js';
import { buildModel } from '../models/build-model.js';
import { toTrainingData, validationSplit } from '../models/dataset.js';
import { FIRST_MODEL, fitModel } from '../models/fit.js';
import { predictIntents } from '../models/predict.js';
import { predictFile } from '../models/predict-file.js';
import { DEFAULT_TOKENIZER, type TokenizerSettings } from '../models/tokenizer.js';
import { TRAINING_DEFAULTS } from '../models/train-candidate.js';

/** Trains needloop's first model on `train` as trainCandidate does (models/fit.ts) and predicts `test`. */
export async function needloopOn(train: { text: string; intent: string }[], test: { text: string; intent: string }[], tokenizer: TokenizerSettings = DEFAULT_TOKENIZER, batch?: string, regions = true) {
  const labels = [...new Set(train.map((e) => e.intent))].sort();
  const split = validationSplit(train, TRAINING_DEFAULTS.seed);
  const build = () => buildModel({ classes: labels.length, tokenizer, seed: TRAINING_DEFAULTS.seed });
  const fit = await fitModel(build(), {
    train: toTrainingData(split.train, labels, tokenizer), validation: toTrainingData(split.validation, labels, tokenizer), maxTokens: tokenizer.maxTokens, outOfScopeLabel: labels.indexOf(OUT_OF_SCOPE),
  }, FIRST_MODEL, { rebuild: build, seed: TRAINING_DEFAULTS.seed, regions });
  const loaded = { model: fit.model, labels, tokenizer, calibration: fit.calibration };
  const uncalibrated = predictIntents({ model: fit.model, labels, tokenizer }, test.map((e) => e.text));
  // `needloop predict --input`'s path over a JSON Lines file, its output thrown away.
  const predicted = batch === undefined ? null : await predictFile(loaded, batch, new Writable({ write: (_chunk, _encoding, done) => done() }));
  const out = { test: predictIntents(loaded, test.map((e) => e.text)), uncalibrated, calibration: fit.calibration, samplesPerSecond: fit.samples / fit.seconds, seconds: fit.seconds, epochs: fit.curve.length, refitEpochs: fit.refit_epochs, predicted };
  fit.model.dispose();
  return out;
}

