/**
 * bench/ingest — usage events per second through `needloop ingest`, next to a plain
 * Postgres COPY of the same rows into an identical table (same columns, primary key,
 * indexes and checks), measured in the same run on the same server.
 *
 *   node bin/run-ts.js bench/ingest.ts [--events 1000000] [--json]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ingestFile } from '../db/ingest/ingest-file.js';
import { loadCatalogue } from '../db/need-catalogue.js';
import { generateScenario } from '../scenarios/generate.js';
import { benchServer, log, plainCopyBaseline, report, timed } from './bench-kit.js';

const eventsArg = process.argv.indexOf('--events');
const EVENTS = eventsArg === -1 ? 1_000_000 : Number(process.argv[eventsArg + 1]);
const USERS = Math.max(100, Math.round(EVENTS / 50));
const catalogue = loadCatalogue(null);
const dataDir = join('.needloop', 'bench', `ingest-${EVENTS}`);

async function data(format: 'csv' | 'jsonl'): Promise<string> {
  const dir = join(dataDir, format);
  const file = join(dir, `usage.${format}`);
  if (!existsSync(file)) {
    log(`generating ${EVENTS} events as ${format} in ${dir}…`);
    await generateScenario({ outDir: dir, catalogue, users: USERS, days: 30, events: EVENTS, seed: 'bench', usageFormat: format });
  }
  return file;
}

const csv = await data('csv');
const jsonl = await data('jsonl');
const bench = await benchServer();
try {
  log('baseline: plain COPY of the CSV into an identical table…');
  const baseline = await plainCopyBaseline(bench, csv);

  const options = { catalogue, maxFieldBytes: 64 * 1024 };
  log('needloop ingest of the same CSV…');
  const csvDb = await bench.database('needloop_csv');
  const viaCsv = await timed(() => ingestFile(csvDb, csv, options));
  log('needloop ingest of the same events as JSON Lines…');
  const jsonDb = await bench.database('needloop_jsonl');
  const viaJsonl = await timed(() => ingestFile(jsonDb, jsonl, options));

  for (const [name, run] of [['csv', viaCsv], ['jsonl', viaJsonl]] as const) {
    if (run.result.status !== 'loaded' || run.result.accepted !== baseline.result) {
      throw new Error(`needloop ${name} ingest loaded ${run.result.accepted} rows (${run.result.status} ${run.result.error ?? ''}); plain COPY loaded ${baseline.result}`);
    }
  }
  const rate = (rows: number, s: number) => Math.round(rows / s);
  const rows = [
    { method: 'plain COPY (csv), baseline', rows: baseline.result, seconds: baseline.seconds.toFixed(2), rows_per_s: rate(baseline.result, baseline.seconds), ratio: '1.00' },
    { method: 'needloop ingest (csv)', rows: viaCsv.result.accepted, seconds: viaCsv.seconds.toFixed(2), rows_per_s: rate(viaCsv.result.accepted, viaCsv.seconds), ratio: (baseline.seconds / viaCsv.seconds).toFixed(2) },
    { method: 'needloop ingest (jsonl)', rows: viaJsonl.result.accepted, seconds: viaJsonl.seconds.toFixed(2), rows_per_s: rate(viaJsonl.result.accepted, viaJsonl.seconds), ratio: (baseline.seconds / viaJsonl.seconds).toFixed(2) },
  ];
  report('bench/ingest', rows, { target: 'ratio >= 0.8 of plain COPY (issue 18)', csv_ratio: baseline.seconds / viaCsv.seconds, jsonl_ratio: baseline.seconds / viaJsonl.seconds, peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) });
} finally {
  await bench.stop();
}
process.exit(0);
