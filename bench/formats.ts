/**
 * bench/formats — a vendor export through `needloop ingest --format segment` (convert, then
 * load), next to a plain Postgres COPY of the same rows, already in needloop's columns, into
 * an identical table; and needloop's own JSON Lines of those rows, for reference. Same run,
 * same server. Issue 34's target: the reader at ≥ 0.7× of the plain COPY.
 *
 *   node bin/run-ts.js bench/formats.ts [--events 500000] [--json]
 */
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { convertSource, sourceReason } from '../db/ingest/formats.js';
import { ingestFile } from '../db/ingest/ingest-file.js';
import { loadCatalogue } from '../db/need-catalogue.js';
import { generateScenario } from '../scenarios/generate.js';
import { benchServer, log, plainCopyBaseline, report, timed } from './bench-kit.js';

const eventsArg = process.argv.indexOf('--events');
const EVENTS = eventsArg === -1 ? 500_000 : Number(process.argv[eventsArg + 1]);
const catalogue = loadCatalogue(null);
const dataDir = join('.needloop', 'bench', `formats-${EVENTS}`);

async function generated(format: 'csv' | 'jsonl'): Promise<string> {
  const dir = join(dataDir, format);
  const file = join(dir, `usage.${format}`);
  if (!existsSync(file)) {
    log(`generating ${EVENTS} events as ${format}…`);
    await generateScenario({ outDir: dir, catalogue, users: Math.max(100, Math.round(EVENTS / 50)), days: 30, events: EVENTS, seed: 'bench', usageFormat: format });
  }
  return file;
}

/** The same events as Segment `track` messages, the AI fields under properties. */
async function segmentFile(jsonl: string): Promise<string> {
  const file = join(dataDir, 'segment.jsonl');
  if (existsSync(file)) return file;
  log('writing them as Segment track messages…');
  const out = createWriteStream(file);
  for await (const line of createInterface({ input: createReadStream(jsonl), crlfDelay: Infinity })) {
    if (line === '') continue;
    const { event_id, user_id, ts, ...properties } = JSON.parse(line) as Record<string, unknown>;
    const text = JSON.stringify({ type: 'track', messageId: event_id, userId: user_id, timestamp: ts, event: 'Assistant Request', properties, context: { library: { name: 'analytics-node', version: '6.2.0' } } });
    if (!out.write(`${text}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.end();
  await finished(out);
  return file;
}

const csv = await generated('csv');
const jsonl = await generated('jsonl');
const segment = await segmentFile(jsonl);
const bench = await benchServer();
try {
  log('baseline: plain COPY of the mapped rows into an identical table…');
  const baseline = await plainCopyBaseline(bench, csv);

  const options = { catalogue, maxFieldBytes: 64 * 1024 };
  log('needloop ingest --format segment (convert, then load)…');
  const segDb = await bench.database('needloop_segment');
  const viaSegment = await timed(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'needloop-bench-format-'));
    try {
      const converted = await convertSource('segment', segment, {}, catalogue, dir);
      const k = converted.kinds[0];
      return await ingestFile(segDb, k.path, { ...options, kind: k.kind, origin: { file: segment, refused: k.refused, reason: sourceReason(k.from) } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  log('needloop ingest of the native JSON Lines, for reference…');
  const nativeDb = await bench.database('needloop_native');
  const viaNative = await timed(() => ingestFile(nativeDb, jsonl, options));
  for (const [name, run] of [['segment', viaSegment], ['native', viaNative]] as const) {
    if (run.result.status !== 'loaded' || run.result.accepted !== baseline.result) throw new Error(`${name}: loaded ${run.result.accepted} rows (${run.result.status} ${run.result.error ?? ''}); plain COPY loaded ${baseline.result}`);
  }
  const bytes = async (f: string) => (await readFile(f)).length;
  const rate = (rows: number, s: number) => Math.round(rows / s);
  report('bench/formats', [
    { method: 'plain COPY of the mapped rows (csv), baseline', rows: baseline.result, seconds: baseline.seconds.toFixed(2), rows_per_s: rate(baseline.result, baseline.seconds), ratio: '1.00' },
    { method: `needloop ingest --format segment (${Math.round((await bytes(segment)) / 1048576)} MB)`, rows: viaSegment.result.accepted, seconds: viaSegment.seconds.toFixed(2), rows_per_s: rate(viaSegment.result.accepted, viaSegment.seconds), ratio: (baseline.seconds / viaSegment.seconds).toFixed(2) },
    { method: 'needloop ingest, native jsonl (reference)', rows: viaNative.result.accepted, seconds: viaNative.seconds.toFixed(2), rows_per_s: rate(viaNative.result.accepted, viaNative.seconds), ratio: (baseline.seconds / viaNative.seconds).toFixed(2) },
  ], { target: 'segment ratio >= 0.7 of plain COPY (issue 34)', segment_ratio: baseline.seconds / viaSegment.seconds, native_ratio: baseline.seconds / viaNative.seconds, peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) });
} finally {
  await bench.stop();
}
process.exit(0);
