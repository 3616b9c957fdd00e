/**
 * bench/pipeline — the nightly pipeline at scale: one `needloop run --local` (the local
 * runner, in-process, as the CLI runs it) on 200,000 and 2,000,000 generated usage events
 * (one user per 20 events, 60 days, their survey answers), and with --20m on 20,000,000
 * too, each on an empty model registry (so it trains the first model) in a process of
 * its own, so that each size's peak RSS is its own. Prints every step's time, events/s,
 * peak RSS (the night's, and the highest sampled during each step) and the ratio between
 * sizes. Two baselines for the ingest step, in the same run and on the same server, after
 * the night (so that they add nothing to the night's peak RSS): a plain COPY of the same
 * files into one-column tables, the floor of just moving the bytes into Postgres; and a
 * plain COPY of the same rows the night stored into the same tables (types, keys, checks,
 * indexes, partitions), what Postgres alone needs to store them — the ingest step's
 * target is ≥ 0.8× the speed of the second.
 *
 *   node bin/run-ts.js bench/pipeline.ts [--20m] [--sizes 200000,2000000] [--night-only] [--json]
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pgCopy from 'pg-copy-streams';
import { createActivities } from '../activities/pipeline-activities.js';
import { loadConfig } from '../config.js';
import type { DatabaseHandle } from '../db/connection.js';
import { loadCatalogue } from '../db/need-catalogue.js';
import { selectBackend } from '../models/backend.js';
import { ModelStore } from '../models/model-store.js';
import { generateScenario } from '../scenarios/generate.js';
import { runLocally } from '../workflows/local-runner.js';
import { benchServer, json, log, report, timed } from './bench-kit.js';

interface SizeResult {
  events: number;
  users: number;
  survey_responses: number;
  status: string;
  backend: string;
  steps: { step: string; seconds: number; peak_rss_mb: number }[];
  total_seconds: number;
  copy_seconds: number;
  copy_rows_seconds: number;
  ingest_seconds: number;
  peak_rss_mb: number;
  input_mb: number;
}

/** The night alone, without the baselines (at 20M they add about five minutes). */
const nightOnly = process.argv.includes('--night-only');

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};

/** The first baseline: a plain COPY of the files into one-column tables, a line a row. */
async function copyFiles(bench: Awaited<ReturnType<typeof benchServer>>, inbox: string, files: string[]): Promise<{ seconds: number }> {
  log('baseline: plain COPY of the three files into one-column tables…');
  const base = await bench.database('baseline');
  const client = await base.pool.connect();
  try {
    return await timed(async () => {
      for (const name of files) {
        const table = name.replace('.', '_');
        await client.query(`create table ${table} (line text)`);
        // A byte that never occurs as the delimiter and quote: every line is one value.
        await pipeline(createReadStream(join(inbox, name)), client.query(pgCopy.from(`copy ${table} from stdin with (format csv, delimiter e'\\x01', quote e'\\x02')`)));
      }
    });
  } finally {
    client.release();
    await base.close();
  }
}

/** The tables the ingest step fills, parents before children. */
const INGESTED_TABLES = ['users', 'survey_responses', 'survey_answers', 'usage_events'] as const;

/**
 * The second baseline: a plain COPY of the very rows the night stored (users, survey
 * responses and answers, usage events, exported from its database beforehand, untimed)
 * into the same tables of a freshly migrated database — same types, keys, checks, indexes,
 * foreign keys and monthly partitions (made before the clock starts, as ingest makes
 * them before it loads). What Postgres alone needs to store what ingest stores. Seconds.
 */
async function copySameRows(bench: Awaited<ReturnType<typeof benchServer>>, night: DatabaseHandle, dir: string): Promise<number> {
  log('baseline: plain COPY of the same rows into the same tables…');
  const dumps = join(dir, 'rows');
  await mkdir(dumps, { recursive: true });
  const target = await bench.database('baseline_rows');
  const [from, to] = [await night.pool.connect(), await target.pool.connect()];
  try {
    await from.query(`set time zone 'UTC'`);
    await to.query(`set time zone 'UTC'`);
    const dump = async (table: string) => {
      const file = join(dumps, `${table}.copy`);
      await pipeline(from.query(pgCopy.to(`copy (select * from ${table}) to stdout`)), createWriteStream(file));
      return file;
    };
    // The batches the rows point to, and the partitions of their months, untimed.
    await pipeline(createReadStream(await dump('ingest_batches')), to.query(pgCopy.from('copy ingest_batches from stdin')));
    const { rows: months } = await from.query<{ month: Date }>(`select distinct date_trunc('month', ts) as month from usage_events`);
    for (const { month } of months) await to.query('select needloop_usage_partition($1)', [month]);
    const files: { table: string; file: string }[] = [];
    for (const table of INGESTED_TABLES) files.push({ table, file: await dump(table) });
    const copied = await timed(async () => {
      await to.query('begin');
      for (const { table, file } of files) {
        const one = await timed(() => pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), to.query(pgCopy.from(`copy ${table} from stdin`))));
        log(`  … ${table}: ${one.seconds.toFixed(1)} s`);
      }
      await to.query('commit');
    });
    return copied.seconds;
  } finally {
    from.release();
    to.release();
    await target.close();
    await rm(dumps, { recursive: true, force: true });
  }
}

/** One size, in this process: generate (once, kept under .needloop/bench), COPY, run. */
async function one(events: number): Promise<SizeResult> {
  const users = Math.max(1000, Math.round(events / 20));
  const catalogue = loadCatalogue(null);
  const dir = join('.needloop', 'bench', `pipeline-${events}`);
  const inbox = join(dir, 'inbox');
  if (!existsSync(join(inbox, 'surveys.csv'))) {
    log(`generating ${users} users and about ${events} events in ${inbox}…`);
    await generateScenario({
      outDir: inbox, catalogue, users, days: 60, events, seed: 'bench-pipeline', scenario: 'emerging-need',
      onProgress: (p) => { if (p.day % 10 === 0) log(`  … day ${p.day} of ${p.days}: ${p.events} events`); },
    });
  }
  const files = ['users.csv', 'surveys.csv', 'usage.jsonl'];
  const inputMb = files.reduce((s, f) => s + statSync(join(inbox, f)).size, 0) / 2 ** 20;
  const backend = await selectBackend(null);
  const bench = await benchServer();
  // The night's model artifacts are of no use after it (17 MB a run at 2M): kept only while it runs.
  const modelsDir = join(dir, `models-${Date.now()}`);
  try {
    const handle = await bench.database('pipeline');
    const config = loadConfig({ DATABASE_URL: handle.url, NEEDLOOP_HOME: dir, NEEDLOOP_REPORTS_DIR: join(dir, 'reports'), NEEDLOOP_MODELS_DIR: modelsDir });
    const acts = createActivities({ handle, config, store: new ModelStore(config.modelsDir), catalogue });
    // Each file's load time in the log, to compare with the baselines' per-table times.
    const ingestFile = acts.ingestFile.bind(acts);
    acts.ingestFile = async (input) => {
      const one = await timed(() => ingestFile(input));
      log(`    … ${basename(input.file)}: ${one.seconds.toFixed(1)} s`);
      return one.result;
    };
    const marks: { step: string; at: number; peakMb: number }[] = [];
    // Each step's highest resident memory, sampled every 200 ms.
    const sampler = setInterval(() => {
      const mark = marks.at(-1);
      if (mark !== undefined) mark.peakMb = Math.max(mark.peakMb, Math.round(process.memoryUsage().rss / 2 ** 20));
    }, 200);
    log(`needloop run --local on ${backend.device}…`);
    const run = await timed(() => runLocally(acts, { inbox, approvalTimeoutMs: config.approvalTimeoutMs, seed: 1 }, {
      onStep: (step) => {
        marks.push({ step, at: performance.now(), peakMb: Math.round(process.memoryUsage().rss / 2 ** 20) });
        log(`  … ${step} (${Math.round(process.memoryUsage().rss / 2 ** 20)} MB RSS)`);
      },
    }));
    const end = performance.now();
    clearInterval(sampler);
    // The night's own peak, before the baseline below reads the files again in this process.
    const peak = Math.round(process.resourceUsage().maxRSS / 1024);
    const baseline = nightOnly ? { seconds: NaN } : await copyFiles(bench, inbox, files);
    const sameRows = nightOnly ? NaN : await copySameRows(bench, handle, dir);

    const steps = marks.filter((m) => m.step !== 'done').map((s, i) => ({ step: s.step, seconds: ((marks[i + 1]?.at ?? end) - s.at) / 1000, peak_rss_mb: s.peakMb }));
    const count = async (table: 'usage_events' | 'survey_responses') =>
      Number((await handle.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    return {
      events: await count('usage_events'), users, survey_responses: await count('survey_responses'), status: run.result.status, backend: backend.device,
      steps, total_seconds: run.seconds, copy_seconds: baseline.seconds, copy_rows_seconds: sameRows, ingest_seconds: steps.find((s) => s.step === 'ingest')?.seconds ?? NaN,
      peak_rss_mb: peak, input_mb: Math.round(inputMb),
    };
  } finally {
    await bench.stop();
    await rm(modelsDir, { recursive: true, force: true });
  }
}

const only = arg('--one');
if (only !== undefined) {
  process.stdout.write(`${JSON.stringify(await one(Number(only)))}\n`);
  process.exit(0);
}

const sizes = (arg('--sizes') ?? (process.argv.includes('--20m') ? '200000,2000000,20000000' : '200000,2000000')).split(',').map(Number);
const results: SizeResult[] = [];
for (const size of sizes) {
  log(`\n— ${size.toLocaleString('en')} events —`);
  const child = spawnSync(process.execPath, ['bin/run-ts.js', process.argv[1], '--one', String(size), ...(json ? ['--json'] : []), ...(nightOnly ? ['--night-only'] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 2 ** 24,
  });
  if (child.status !== 0) throw new Error(`the ${size}-event run failed (exit ${child.status})`);
  const last = child.stdout.trim().split('\n').at(-1)!;
  // Each size's raw figures, kept in the log whatever happens to the table below.
  log(`  ${last}`);
  results.push(JSON.parse(last) as SizeResult);
}

const stepNames = [...new Set(results.flatMap((r) => r.steps.map((s) => s.step)))];
const rows: Record<string, string | number>[] = stepNames.map((step) => ({
  step,
  ...Object.fromEntries(results.map((r) => [`${r.events} events (s)`, r.steps.find((s) => s.step === step)?.seconds.toFixed(1) ?? '–'])),
}));
const line = (step: string, value: (r: SizeResult) => string) => rows.push({ step, ...Object.fromEntries(results.map((r) => [`${r.events} events (s)`, value(r)])) });
line('total (needloop run --local)', (r) => r.total_seconds.toFixed(1));
line('events/s, whole night', (r) => Math.round(r.events / r.total_seconds).toLocaleString('en'));
// A baseline left out (--night-only) is NaN, which reaches the parent as null.
const fixed = (x: number | null, digits: number) => (x === null || !Number.isFinite(x) ? '–' : x.toFixed(digits));
line('baseline: plain COPY of the files into one-column tables', (r) => fixed(r.copy_seconds, 1));
line('ingest speed ÷ that COPY\'s speed', (r) => fixed(r.copy_seconds === null ? null : r.copy_seconds / r.ingest_seconds, 2));
line('baseline: plain COPY of the same rows into the same tables', (r) => fixed(r.copy_rows_seconds, 1));
line('ingest speed ÷ that COPY\'s speed (target ≥ 0.8)', (r) => fixed(r.copy_rows_seconds === null ? null : r.copy_rows_seconds / r.ingest_seconds, 2));
line('peak RSS (MB), the night (before the baseline)', (r) => String(r.peak_rss_mb));
for (const step of stepNames) line(`  highest RSS during ${step} (MB, sampled)`, (r) => String(r.steps.find((s) => s.step === step)?.peak_rss_mb ?? '–'));
line('input files (MB)', (r) => String(r.input_mb));
const ratios = results.slice(1).map((r, i) => ({
  sizes: `${r.events} / ${results[i].events}`,
  events: r.events / results[i].events,
  time: r.total_seconds / results[i].total_seconds,
}));
report('bench/pipeline', rows, {
  backend: results[0]?.backend, statuses: results.map((r) => r.status).join(', '),
  time_ratios: ratios.map((r) => `${r.sizes}: ${r.events.toFixed(1)}× the events, ${r.time.toFixed(2)}× the time`).join('; '),
  targets: '2M: whole night < 180 s, evaluation < 20 s, time(2M)/time(200k) ≤ 10; peak RSS < 1024 MB at 20M',
  ...(json ? { sizes: results } : {}),
});
process.exit(0);
