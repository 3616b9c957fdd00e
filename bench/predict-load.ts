/**
 * bench/predict-load — a bounded local load test of /api/predict: 30 s from a second
 * process over loopback, 8 requests in flight, each classifying one request text with the
 * production model. Baseline in the same run: the same server answering 404 for 10 s
 * (its HTTP floor, no model involved).
 *
 *   node bin/run-ts.js bench/predict-load.ts [--seconds 30] [--json]
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createActivities } from '../activities/pipeline-activities.js';
import { loadConfig } from '../config.js';
import { loadCatalogue } from '../db/need-catalogue.js';
import { promoteModel } from '../db/queries/model-versions.js';
import { selectBackend } from '../models/backend.js';
import { evaluateCandidate } from '../models/evaluate-candidate.js';
import { ModelStore } from '../models/model-store.js';
import { trainCandidate } from '../models/train-candidate.js';
import { generateScenario } from '../scenarios/generate.js';
import { createNeedloopServer } from '../web/server.js';
import { benchServer, log, report } from './bench-kit.js';

const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg === -1 ? 30 : Number(secondsArg === -1 ? 30 : process.argv[secondsArg + 1]);
const CONCURRENCY = 8;
const catalogue = loadCatalogue(null);
const dir = join('.needloop', 'bench', 'predict-load');
const backend = await selectBackend(null);
const bench = await benchServer();

function load(url: string, seconds: number, body: string): Promise<{ requests: number; errors: number; rps: number; p50_ms: number; p99_ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/run-ts.js', 'bench/load-client.ts', url, String(seconds), String(CONCURRENCY), body], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load client exited ${code}`))));
  });
}

try {
  const handle = await bench.database('predict');
  const config = loadConfig({ DATABASE_URL: handle.url, NEEDLOOP_HOME: dir, NEEDLOOP_MODELS_DIR: join(dir, `models-${Date.now()}`) });
  const store = new ModelStore(config.modelsDir);
  log('training a production model on generated data…');
  const generated = await generateScenario({ outDir: join(dir, 'data'), catalogue, users: 600, days: 42, seed: 'bench-predict' });
  const acts = createActivities({ handle, config, store, catalogue });
  for (const file of [generated.files.users, generated.files.surveys, generated.files.usage]) await acts.ingestFile({ file });
  const trained = await trainCandidate({ db: handle.db, store, backend }, {});
  await evaluateCandidate({ db: handle.db, store }, { candidateId: trained.version.id });
  await promoteModel(handle.db, trained.version.id, { by: 'bench' });

  const { server, close } = createNeedloopServer({ db: handle.db, store, reportsDir: dir, decide: async () => ({ ok: false, reason: 'bench' }) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  log(`baseline: 404s for 10 s, ${CONCURRENCY} in flight…`);
  const baseline = await load(`http://127.0.0.1:${port}/nothing-here`, 10, '');
  log(`/api/predict for ${SECONDS} s, ${CONCURRENCY} in flight…`);
  const predict = await load(`http://127.0.0.1:${port}/api/predict`, SECONDS, JSON.stringify({ texts: ['can you summarize this contract for me'] }));
  await close();
  const row = (name: string, r: typeof predict) => ({ endpoint: name, requests: r.requests, errors: r.errors, req_per_s: Math.round(r.rps), p50_ms: r.p50_ms.toFixed(2), p99_ms: r.p99_ms.toFixed(2) });
  report('bench/predict-load', [row('GET 404 (baseline, 10 s)', baseline), row(`POST /api/predict (${SECONDS} s)`, predict)], {
    backend: backend.device, concurrency: CONCURRENCY, ratio_rps_to_baseline: predict.rps / baseline.rps,
    server_peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  });
} finally {
  await bench.stop();
}
process.exit(0);
