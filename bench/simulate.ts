/**
 * bench/simulate — how fast the loop runs: simulated nights per minute (the day's
 * requests, the production model answering them, the users' reactions, and the nightly
 * pipeline) and one night's pipeline time, on the stable scenario at 2,000 and 20,000
 * users (`--users N` for one size). Baseline, in the same run: a plain COPY of one night's
 * usage file into a one-column table — the floor of just moving that night's bytes.
 *
 *   node bin/run-ts.js bench/simulate.ts [--users 2000] [--nights 3] [--json]
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pgCopy from 'pg-copy-streams';
import { loadConfig } from '../config.js';
import { loadCatalogue } from '../db/need-catalogue.js';
import { selectBackend } from '../models/backend.js';
import { simulate } from '../scenarios/simulate.js';
import { benchServer, log, report, timed } from './bench-kit.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const sizes = arg('--users') === undefined ? [2000, 20_000] : [Number(arg('--users'))];
const NIGHTS = Math.max(2, Number(arg('--nights') ?? 3));
const catalogue = loadCatalogue(null);
const backend = await selectBackend(null);
const bench = await benchServer();
const rows: Record<string, string | number>[] = [];
try {
  for (const users of sizes) {
    const dir = join('.needloop', 'bench', `simulate-${users}`);
    const handle = await bench.database(`simulate_${users}`);
    const config = loadConfig({ DATABASE_URL: handle.url, NEEDLOOP_HOME: dir, NEEDLOOP_REPORTS_DIR: join(dir, 'reports'), NEEDLOOP_MODELS_DIR: join(dir, `models-${Date.now()}`) });
    const marks: number[] = [];
    log(`${users} users: four weeks of history, the first model, then ${NIGHTS} nights…`);
    const started = performance.now();
    const run = await timed(() => simulate({ handle, config, catalogue }, {
      scenario: 'stable', nights: NIGHTS, users, seed: 'bench', approve: 'auto', workDir: join(dir, 'simulation'),
      onNight: (n) => {
        marks.push(performance.now());
        log(`  night ${n.night}: ${n.requests} requests, accuracy ${n.accuracy?.toFixed(3)}, ${n.retrain ? 'retrain' : 'quiet'}`);
      },
    }));
    // Nights 2…N, mark to mark; night 1 is taken as long as they are, the rest before it is the history.
    const nightSeconds = marks.slice(1).map((m, i) => (m - marks[i]) / 1000);
    const nightRuns = run.result.nights.map((n) => n.run_id);
    const times = await handle.db.selectFrom('pipeline_runs').select(['id', 'started_at', 'finished_at']).where('id', 'in', nightRuns).execute();
    const pipelineSeconds = times.map((t) => (t.finished_at!.getTime() - t.started_at.getTime()) / 1000);
    const copy = await timed(async () => {
      const client = await handle.pool.connect();
      try {
        await client.query('create table baseline_night (line text)');
        await pipeline(createReadStream(join(dir, 'simulation', 'night-01', 'usage.jsonl')), client.query(pgCopy.from(`copy baseline_night from stdin with (format csv, delimiter e'\\x01', quote e'\\x02')`)));
      } finally {
        client.release();
      }
    });
    const meanNight = nightSeconds.reduce((a, b) => a + b, 0) / nightSeconds.length;
    const bootstrap = (marks[0] - started) / 1000 - meanNight;
    const meanPipeline = pipelineSeconds.reduce((a, b) => a + b, 0) / pipelineSeconds.length;
    rows.push({
      users, requests_per_night: Math.round(run.result.nights.reduce((a, n) => a + n.requests, 0) / NIGHTS),
      history_and_first_model_s: bootstrap.toFixed(1), night_s: meanNight.toFixed(2), nights_per_minute: (60 / meanNight).toFixed(1),
      pipeline_s: meanPipeline.toFixed(2), baseline_copy_s: copy.seconds.toFixed(3), ratio_pipeline_to_copy: (meanPipeline / copy.seconds).toFixed(0),
    });
  }
  report('bench/simulate', rows, { scenario: 'stable', nights: NIGHTS, backend: backend.device, peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) });
} finally {
  await bench.stop();
}
process.exit(0);
