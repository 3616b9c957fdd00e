/**
 * bench/train — training samples per second of the default intent model (embedding bag
 * with sparse updates) on every tfjs backend available here, next to the stock tfjs
 * Embedding layer trained with model.fit on the CPU backend, measured in the same run.
 *
 *   node bin/run-ts.js bench/train.ts [--json]
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { loadCatalogue } from '../db/need-catalogue.js';
import { selectBackend, type BackendChoice } from '../models/backend.js';
import { buildModel } from '../models/build-model.js';
import { encodeTexts, WORD_TOKENIZER } from '../models/tokenizer.js';
import { trainClassifier } from '../models/train.js';
import { generateScenario } from '../scenarios/generate.js';
import { log, report, timed } from './bench-kit.js';

const BATCH = 64;
// The stock layer's gradient on the CPU backend materialises batch × tokens × vocabulary
// floats: at batch 64 it passed 8 GB of memory within a minute, so it runs at batch 16.
const STOCK_BATCH = 16;
const generated = await generateScenario({ outDir: '.needloop/bench/train', catalogue: loadCatalogue(null), users: 2000, days: 30, seed: 'bench-train' });
const events = (await readFile(generated.files.usage, 'utf8')).trim().split('\n').slice(0, 20_000).map((l) => JSON.parse(l) as { request_text: string; predicted_intent: string });
const labels = [...new Set(events.map((e) => e.predicted_intent))].sort();
const encoded = encodeTexts(events.map((e) => e.request_text));
const data = { ...encoded, labels: Int32Array.from(events.map((e) => labels.indexOf(e.predicted_intent))) };

const rows: { backend: string; model: string; samples: number; seconds: string; samples_per_s: number; ratio: string }[] = [];

await selectBackend('cpu');
log('baseline: stock Embedding layer, model.fit, CPU backend (a few batches: it is slow)…');
const stockSamples = STOCK_BATCH * 2;
// On the words-and-bigrams tokenizer (16,384 buckets): its gradient's memory grows with the
// vocabulary, and at the default's 65,536 buckets it does not finish on this machine.
const stock = buildModel({ kind: 'stock-embedding', classes: labels.length, tokenizer: WORD_TOKENIZER });
const L = WORD_TOKENIZER.maxTokens;
const stockEncoded = encodeTexts(events.slice(0, stockSamples).map((e) => e.request_text), WORD_TOKENIZER);
const xs = [tf.tensor2d(stockEncoded.ids, [stockSamples, L], 'int32'), tf.tensor2d(stockEncoded.weights, [stockSamples, L])];
const ys = tf.tensor1d(Array.from(data.labels.slice(0, stockSamples)));
const baseline = await timed(() => stock.fit(xs, ys, { batchSize: STOCK_BATCH, epochs: 1, shuffle: false, verbose: 0 }));
const baselineRate = stockSamples / baseline.seconds;
rows.push({ backend: 'cpu', model: `stock tfjs Embedding, model.fit, batch ${STOCK_BATCH} (baseline)`, samples: stockSamples, seconds: baseline.seconds.toFixed(2), samples_per_s: Number(baselineRate.toFixed(2)), ratio: '1' });

for (const choice of ['cpu', 'node', 'gpu'] as BackendChoice[]) {
  const backend = await selectBackend(choice).catch(() => null);
  if (backend === null) {
    log(`${choice}: not available here, skipped`);
    continue;
  }
  log(`needloop embedding bag on ${backend.device}…`);
  const model = buildModel({ classes: labels.length });
  const run = await timed(() => trainClassifier(model, data, { epochs: 2, batchSize: BATCH, seed: 1 }));
  const rate = run.result.samples / run.seconds;
  rows.push({ backend: `${choice} (${backend.device})`, model: `needloop embedding bag, lazy Adam, batch ${BATCH}`, samples: run.result.samples, seconds: run.seconds.toFixed(2), samples_per_s: Math.round(rate), ratio: (rate / baselineRate).toFixed(0) });
}
report('bench/train', rows, { peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024), target: '>= 3000 samples/s on the CPU backend' });
process.exit(0);
