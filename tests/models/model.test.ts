import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { classificationMetrics } from '../../analytics/index.js';
import { ArtifactError, loadModelArtifacts, saveModelArtifacts } from '../../models/artifacts.js';
import { BackendError, selectBackend } from '../../models/backend.js';
import { buildModel, ModelError } from '../../models/build-model.js';
import { Random } from '../../analytics/seeded-random.js';
import { bucketOf, DEFAULT_TOKENIZER, segmentedWords, subwordsOf, WORD_TOKENIZER, encodeTexts, tokenIds, tokenWords } from '../../models/tokenizer.js';
import { trainClassifier, TrainingCancelled } from '../../models/train.js';
import { generateScenario } from '../../scenarios/generate.js';
import { useTempFiles } from '../helpers/fixtures.js';
import { catalogue } from '../helpers/ingest.js';

const files = useTempFiles();
beforeAll(async () => {
  await selectBackend('cpu');
});

const TEXTS = ['summarize this report', 'write an email to my manager', '把这段话翻译成日语', 'fix the bug in this regex', 'summarize the contract', 'draft a reply to a customer'];
const LABELS = Int32Array.from([0, 1, 2, 3, 0, 1]);
const data = () => ({ ...encodeTexts(TEXTS), labels: LABELS });
const predict = (model: tf.LayersModel, texts: string[]) => {
  const { ids, weights } = encodeTexts(texts);
  return tf.tidy(() => (model.predict([tf.tensor2d(ids, [texts.length, DEFAULT_TOKENIZER.maxTokens], 'int32'), tf.tensor2d(weights, [texts.length, DEFAULT_TOKENIZER.maxTokens])]) as tf.Tensor2D).arraySync());
};

describe('tokenizer', () => {
  it('tokenIds(text) hashes words, word bigrams and subwords into the vocabulary, Chinese included', () => {
    expect(tokenWords('把这段话翻译成日语')).toContain('翻译');
    expect(tokenIds('Summarize THIS report', WORD_TOKENIZER)).toHaveLength(3 + 2);
    // "<this>" gives <th thi his is> <thi this his> <this this>: 9 n-grams of 3 to 5 characters.
    expect(subwordsOf('this', 3, 5)).toEqual(['<th', 'thi', 'his', 'is>', '<thi', 'this', 'his>', '<this', 'this>']);
    expect(subwordsOf('翻译', 3, 5)).toEqual(['<翻>', '<译>']);
    const ids = tokenIds('Summarize THIS report');
    const subwords = ['summarize', 'this', 'report'].reduce((n, w) => n + subwordsOf(w, 3, 5).length, 0);
    expect(ids).toHaveLength(3 + 2 + subwords);
    expect(ids).toEqual(tokenIds('summarize this report!'));
    expect(ids.every((id) => id >= 1 && id < DEFAULT_TOKENIZER.vocabularySize)).toBe(true);
    // A typo changes one word but keeps most of its pieces.
    const typo = new Set(tokenIds('sumarize this report'));
    expect(ids.filter((id) => typo.has(id)).length / ids.length).toBeGreaterThan(0.6);
  });

  it('hashes subwords incrementally to exactly the ids of their strings, truncation included', async () => {
    // The tokenizer as it was written first: every token's string, then its hash.
    const reference = (text: string, settings = DEFAULT_TOKENIZER) => {
      const words = tokenWords(text);
      const tokens = [...words, ...words.slice(1).map((w, i) => `${words[i]} ${w}`)];
      for (const w of words) {
        if (tokens.length >= settings.maxTokens) break;
        tokens.push(...subwordsOf(w, settings.subwords!.min, settings.subwords!.max));
      }
      return tokens.slice(0, settings.maxTokens).map((t) => bucketOf(t, settings.vocabularySize));
    };
    const csv = await readFile(new URL('../../../shared/data/banking77/test.csv', import.meta.url), 'utf8');
    const texts = [...csv.split('\n').slice(1, 800), '把这段话翻译成日语 please', 'naïve café 🙂 emoji😀word', 'x', 'supercalifragilisticexpialidocious '.repeat(12), ''];
    for (const text of texts) expect(tokenIds(text), text).toEqual(reference(text));
  });

  it('splits plain ASCII into the same words as Intl.Segmenter, on real queries and on random punctuation', async () => {
    const csv = await readFile(new URL('../../../shared/data/banking77/train.csv', import.meta.url), 'utf8');
    const queries = csv.split(/\r?\n/).slice(1).map((l) => l.replace(/,[a-z_]+$/, ''));
    const alphabet = "abcXYZ019 .,:;''\"_-!?()/&@#\t";
    const random = new Random(3);
    const noise = Array.from({ length: 20000 }, () => Array.from({ length: 1 + random.int(24) }, () => alphabet[random.int(alphabet.length)]).join(''));
    const differ = [...queries, ...noise].filter((text) => JSON.stringify(tokenWords(text)) !== JSON.stringify(segmentedWords(text)));
    expect(differ).toEqual([]);
  });

  it('encodeTexts pads with id 0 and weights that average the real tokens', () => {
    const { ids, weights } = encodeTexts(['a b']);
    expect(Array.from(ids.slice(0, 4)).map((v) => v > 0)).toEqual([true, true, true, false]);
    expect(weights.slice(0, 4)).toEqual(Float32Array.from([1 / 3, 1 / 3, 1 / 3, 0]));
  });
});

describe('buildModel', () => {
  it('buildModel({classes}) maps a batch to one probability per intent', () => {
    const probs = predict(buildModel({ classes: 4 }), TEXTS);
    expect(probs).toHaveLength(6);
    expect(probs[0]).toHaveLength(4);
    expect(probs[0].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('throws on an unknown kind', () => {
    expect(() => buildModel({ classes: 3, kind: 'transformer' as never })).toThrow(new ModelError('unknown model kind "transformer": use embedding-bag or stock-embedding'));
  });
});

describe('trainClassifier', () => {
  it('two epochs lower the loss; the same seed gives identical weights', async () => {
    const a = buildModel({ classes: 4, seed: 3 });
    const b = buildModel({ classes: 4, seed: 3 });
    const ra = await trainClassifier(a, data(), { epochs: 2, batchSize: 2, seed: 9 });
    await trainClassifier(b, data(), { epochs: 2, batchSize: 2, seed: 9 });
    expect(ra.losses[1]).toBeLessThan(ra.losses[0]);
    const weights = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
    expect(weights(b)).toEqual(weights(a));
  });

  it('the dense head trains the same in plain JavaScript as through tfjs\'s ops and optimizer', async () => {
    const run = async (head: 'js' | 'tfjs') => {
      const model = buildModel({ classes: 4, seed: 5 });
      const result = await trainClassifier(model, data(), { epochs: 3, batchSize: 2, seed: 2, head, schedule: 'linear', tokenDropout: 0.5 });
      return { losses: result.losses, weights: model.getWeights().map((w) => Array.from(w.dataSync())) };
    };
    const [js, tfjs] = [await run('js'), await run('tfjs')];
    expect(js.losses[2]).toBeLessThan(js.losses[0]);
    js.losses.forEach((loss, i) => expect(loss).toBeCloseTo(tfjs.losses[i], 4));
    const largestDifference = Math.max(...js.weights.map((w, i) => w.reduce((m, x, j) => Math.max(m, Math.abs(x - tfjs.weights[i][j])), 0)));
    expect(largestDifference).toBeLessThan(1e-4);
  });

  it('model.fit also trains the embedding bag, through its sparse gradient', async () => {
    const model = buildModel({ classes: 4 });
    const { ids, weights } = encodeTexts(TEXTS);
    const L = DEFAULT_TOKENIZER.maxTokens;
    const before = model.getLayer('bag').getWeights()[0].dataSync().slice();
    const history = await model.fit([tf.tensor2d(ids, [6, L], 'int32'), tf.tensor2d(weights, [6, L])], tf.tensor1d(Array.from(LABELS)), { epochs: 3, batchSize: 6, shuffle: false, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses[2]).toBeLessThan(losses[0]);
    const after = model.getLayer('bag').getWeights()[0].dataSync();
    const changedRows = new Set<number>();
    for (let i = 0; i < after.length; i++) if (after[i] !== before[i]) changedRows.add(Math.floor(i / 64));
    // Only the rows of the texts' tokens moved.
    expect([...changedRows].sort((a, b) => a - b)).toEqual([...new Set(Array.from(ids).filter((id) => id > 0))].sort((a, b) => a - b));
  });

  it('can be cancelled between steps', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(trainClassifier(buildModel({ classes: 4 }), data(), { epochs: 1, signal: controller.signal })).rejects.toThrow(TrainingCancelled);
  });

  it('on the stable scenario (typos, ambiguity, noisy labels): held-out accuracy ≥ 0.85, macro-F1 ≥ 0.7', async () => {
    const generated = await generateScenario({ outDir: `${files.dir}/stable`, catalogue, users: 600, days: 30, seed: 2 });
    const events = (await readFile(generated.files.usage, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, string | null>);
    const labelled = events.filter((e) => e.feedback !== null).map((e) => ({ text: e.request_text!, label: e.feedback === 'confirmed' ? e.predicted_intent! : e.corrected_intent! }));
    const labels = [...new Set(labelled.map((e) => e.label))].sort();
    const split = Math.floor(labelled.length * 0.8); // time order: train on the past, test on the rest
    const train = labelled.slice(0, split);
    const test = labelled.slice(split);
    const model = buildModel({ classes: labels.length });
    await trainClassifier(model, { ...encodeTexts(train.map((e) => e.text)), labels: Int32Array.from(train.map((e) => labels.indexOf(e.label))) }, { epochs: 8, seed: 1 });
    const probs = predict(model, test.map((e) => e.text));
    const pairs = test.map((e, i) => ({ predicted: labels[probs[i].indexOf(Math.max(...probs[i]))], actual: e.label, count: 1 }));
    const m = classificationMetrics(pairs);
    expect(m.accuracy!).toBeGreaterThanOrEqual(0.85);
    expect(m.macro_f1!).toBeGreaterThanOrEqual(0.7);
  });
});

describe('artifacts', () => {
  it('a saved model loads back and predicts the same numbers', async () => {
    const model = buildModel({ classes: 4 });
    await trainClassifier(model, data(), { epochs: 1, batchSize: 3 });
    const dir = join(files.dir, 'model-a');
    const manifest = await saveModelArtifacts(model, dir, { labels: ['a', 'b', 'c', 'd'], tokenizer: DEFAULT_TOKENIZER });
    const loaded = await loadModelArtifacts(dir);
    expect(loaded.manifest).toEqual(manifest);
    expect(predict(loaded.model, TEXTS)).toEqual(predict(model, TEXTS));
  });

  it('a corrupted weights file is refused with a clear error', async () => {
    const dir = join(files.dir, 'model-b');
    await saveModelArtifacts(buildModel({ classes: 3 }), dir, { labels: ['a', 'b', 'c'], tokenizer: DEFAULT_TOKENIZER });
    const weights = await readFile(join(dir, 'weights.bin'));
    weights[100] ^= 0xff;
    await writeFile(join(dir, 'weights.bin'), weights);
    await expect(loadModelArtifacts(dir)).rejects.toThrow(ArtifactError);
    await expect(loadModelArtifacts(dir)).rejects.toThrow(/weights\.bin is corrupted: its sha256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64}; refusing to load it/);
  });
});

describe('selectBackend', () => {
  it('falls back to the pure-JS CPU backend when no native package is installed, and refuses a forced one that is missing', async () => {
    const gpuInstalled = await import('@tensorflow/tfjs-node-gpu' as string).then(() => true, () => false);
    if (gpuInstalled) {
      expect((await selectBackend('gpu')).choice).toBe('gpu');
      return;
    }
    await expect(selectBackend('gpu')).rejects.toThrow(BackendError);
    await expect(selectBackend('gpu')).rejects.toThrow(/^TFJS_BACKEND=gpu is not available here: @tensorflow\/tfjs-node-gpu: /);
    expect(await selectBackend('cpu')).toEqual({ choice: 'cpu', backend: 'cpu', device: 'CPU, pure JavaScript' });
  });
});
