/**
 * bench/banking77 — the production model on real user language: BANKING77's online-banking
 * queries (77 intents, 10,003 train / 3,080 test, ../shared/data/banking77, CC BY 4.0),
 * trained through needloop's own training path (the model, the validation split and early
 * stopping of `trainCandidate`) and scored on test.csv: accuracy, macro-F1, expected
 * calibration error, training samples per second. Out of scope: 10 intents held out of
 * training, their test queries counted as "none of the known needs", flagged by the
 * model's stored threshold (the calibrated confidence that keeps 95 % of in-scope
 * validation queries). Calibration: temperature scaling fitted on the validation split.
 *
 * Baseline in the same run, when Debian's `fasttext` is installed: fastText's supervised
 * classifier on the same lower-cased text, word bigrams (-epoch 25 -dim 64 -wordNgrams 2
 * -lr 0.5) and with subwords (-minn 3 -maxn 6 -dim 100 -epoch 50), its figures as ratios.
 *
 *   node bin/run-ts.js bench/banking77.ts [--json]
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { classificationMetrics, expectedCalibrationError } from '../analytics/index.js';
import { selectBackend } from '../models/backend.js';
import { buildModel } from '../models/build-model.js';
import { toTrainingData, validationSplit } from '../models/dataset.js';
import { predictIntents } from '../models/predict.js';
import { DEFAULT_TOKENIZER, WORD_TOKENIZER, type TokenizerSettings } from '../models/tokenizer.js';
import { trainClassifier } from '../models/train.js';
import { calibrationOn, TRAINING_DEFAULTS } from '../models/train-candidate.js';
import { log, report } from './bench-kit.js';

const DATA = join('..', 'shared', 'data', 'banking77');
const HELD_OUT = 10;
const work = join('.needloop', 'bench', 'banking77');

/** The rows of a two-column CSV (RFC 4180: quoted fields may hold commas, quotes and line breaks). */
async function read(name: string): Promise<{ text: string; intent: string }[]> {
  const csv = await readFile(join(DATA, name), 'utf8');
  const records: string[][] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const ch = csv[i];
    if (quoted) {
      if (ch === '"' && csv[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') fields.push(field), (field = '');
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && csv[i + 1] === '\n') i++;
      fields.push(field);
      if (fields.some((f) => f !== '')) records.push(fields);
      [fields, field] = [[], ''];
    } else field += ch;
  }
  if (field !== '' || fields.length > 0) records.push([...fields, field]);
  return records.slice(1).map((r, i) => {
    if (r.length !== 2) throw new Error(`${name}, record ${i + 1}: expected text,category, got ${r.length} fields`);
    return { text: r[0].replace(/\s+/g, ' ').trim(), intent: r[1] };
  });
}

/** Trains needloop's model on `train` and returns its predictions on `test` and `validation`. */
async function needloop(train: { text: string; intent: string }[], test: { text: string; intent: string }[], tokenizer: TokenizerSettings = DEFAULT_TOKENIZER) {
  const labels = [...new Set(train.map((e) => e.intent))].sort();
  const split = validationSplit(train, TRAINING_DEFAULTS.seed);
  const model = buildModel({ classes: labels.length, tokenizer, seed: TRAINING_DEFAULTS.seed });
  const started = performance.now();
  const result = await trainClassifier(model, toTrainingData(split.train, labels, tokenizer), {
    epochs: TRAINING_DEFAULTS.epochs, batchSize: TRAINING_DEFAULTS.batchSize, seed: TRAINING_DEFAULTS.seed, patience: TRAINING_DEFAULTS.patience,
    minDelta: TRAINING_DEFAULTS.minDelta, tokenDropout: TRAINING_DEFAULTS.tokenDropout, validation: toTrainingData(split.validation, labels, tokenizer),
  });
  const seconds = (performance.now() - started) / 1000;
  // Calibrated on the validation split, as trainCandidate stores it with the model.
  const loaded = { model, labels, tokenizer, calibration: calibrationOn(model, toTrainingData(split.validation, labels, tokenizer), tokenizer.maxTokens) };
  const uncalibrated = predictIntents({ model, labels, tokenizer }, test.map((e) => e.text));
  const out = { test: predictIntents(loaded, test.map((e) => e.text)), uncalibrated, calibration: loaded.calibration, samplesPerSecond: result.samples / seconds, seconds, epochs: result.curve.length };
  model.dispose();
  return out;
}

function scores(test: readonly { intent: string }[], predicted: readonly { intent: string; confidence: number }[]) {
  const m = classificationMetrics(test.map((e, i) => ({ predicted: predicted[i].intent, actual: e.intent, count: 1 })));
  const ece = expectedCalibrationError(predicted.map((p) => p.confidence), predicted.map((p, i) => p.intent === test[i].intent)).ece;
  return { accuracy: m.accuracy!, macro_f1: m.macro_f1!, ece: ece! };
}

async function fasttext(train: { text: string; intent: string }[], test: { text: string; intent: string }[], args: string[], name: string): Promise<{ accuracy: number; samplesPerSecond: number; seconds: number }> {
  const line = (e: { text: string; intent: string }) => `__label__${e.intent} ${e.text.toLowerCase().replace(/\s+/g, ' ')}`;
  const trainFile = join(work, `${name}.train.txt`);
  const testFile = join(work, `${name}.test.txt`);
  await writeFile(trainFile, `${train.map(line).join('\n')}\n`);
  await writeFile(testFile, `${test.map(line).join('\n')}\n`);
  const started = performance.now();
  execFileSync('fasttext', ['supervised', '-input', trainFile, '-output', join(work, name), '-thread', '2', '-verbose', '0', '-seed', '1', ...args]);
  const seconds = (performance.now() - started) / 1000;
  const out = execFileSync('fasttext', ['test', join(work, `${name}.bin`), testFile]).toString();
  const accuracy = Number(/P@1\s+([\d.]+)/.exec(out)![1]);
  const epochs = Number(args[args.indexOf('-epoch') + 1]);
  return { accuracy, samplesPerSecond: (train.length * epochs) / seconds, seconds };
}

await mkdir(work, { recursive: true });
const backend = await selectBackend(null);
const [train, test] = [await read('train.csv'), await read('test.csv')];
log(`BANKING77: ${train.length} train, ${test.length} test queries; needloop on ${backend.device}…`);
const full = await needloop(train, test);
const ours = scores(test, full.test);

// Out of scope: 10 intents (every 7th, sorted) never trained on.
const intents = [...new Set(train.map((e) => e.intent))].sort();
const heldOut = new Set(intents.filter((_, i) => i % 7 === 3).slice(0, HELD_OUT));
log(`out of scope: holding out ${[...heldOut].join(', ')}…`);
const inScope = train.filter((e) => !heldOut.has(e.intent));
const oos = await needloop(inScope, test);
const threshold = oos.calibration.out_of_scope_below;
const flagged = oos.test.map((p) => p.out_of_scope);
const isOos = test.map((e) => heldOut.has(e.intent));
const truePositives = flagged.filter((f, i) => f && isOos[i]).length;
const oosRecall = truePositives / isOos.filter(Boolean).length;
const oosPrecision = truePositives / Math.max(1, flagged.filter(Boolean).length);
const inScopeTest = test.map((e, i) => i).filter((i) => !isOos[i]);
const inScopeAccuracy = inScopeTest.filter((i) => !flagged[i] && oos.test[i].intent === test[i].intent).length / inScopeTest.length;
const inScopeAccuracyUnflagged = inScopeTest.filter((i) => oos.test[i].intent === test[i].intent).length / inScopeTest.length;

log('needloop with words and bigrams only (the model before subwords)…');
const wordsOnly = await needloop(train, test, WORD_TOKENIZER);
const before = scores(test, wordsOnly.test);
const rows: Record<string, string | number>[] = [
  { model: `needloop (${full.epochs} epochs)`, accuracy: ours.accuracy.toFixed(3), macro_f1: ours.macro_f1.toFixed(3), ece: ours.ece.toFixed(3), samples_per_s: Math.round(full.samplesPerSecond), train_s: full.seconds.toFixed(1) },
  { model: `needloop, words + bigrams only (${wordsOnly.epochs} epochs)`, accuracy: before.accuracy.toFixed(3), macro_f1: before.macro_f1.toFixed(3), ece: before.ece.toFixed(3), samples_per_s: Math.round(wordsOnly.samplesPerSecond), train_s: wordsOnly.seconds.toFixed(1) },
];
const extra: Record<string, unknown> = {
  backend: backend.device, temperature: full.calibration.temperature, ece_before_calibration: scores(test, full.uncalibrated).ece,
  oos_threshold: threshold, oos_recall: oosRecall, oos_precision: oosPrecision,
  in_scope_accuracy_without_flag: inScopeAccuracyUnflagged, in_scope_accuracy_with_flag: inScopeAccuracy,
};
if (existsSync('/usr/bin/fasttext')) {
  for (const [name, args] of [['fasttext-bigrams', ['-epoch', '25', '-dim', '64', '-wordNgrams', '2', '-lr', '0.5']], ['fasttext-subwords', ['-epoch', '50', '-dim', '100', '-wordNgrams', '2', '-lr', '0.5', '-minn', '3', '-maxn', '6']]] as const) {
    log(`${name}…`);
    const f = await fasttext(train, test, [...args], name);
    rows.push({ model: name, accuracy: f.accuracy.toFixed(3), macro_f1: '–', ece: '–', samples_per_s: Math.round(f.samplesPerSecond), train_s: f.seconds.toFixed(1) });
    extra[`accuracy_ratio_to_${name}`] = ours.accuracy / f.accuracy;
    extra[`speed_ratio_to_${name}`] = full.samplesPerSecond / f.samplesPerSecond;
  }
} else {
  extra.fasttext = 'not installed (apt-get install -y fasttext): no baseline in this run';
}
report('bench/banking77', rows, extra);
process.exit(0);
