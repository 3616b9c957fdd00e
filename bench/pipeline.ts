/**
 * bench/pipeline — the end-to-end time of one `needloop run --local` (the local runner,
 * in-process, as the CLI runs it) on 200,000 events, 20,000 users and their survey
 * responses (about 10,000), step by step, on an empty model registry (so it trains the
 * first model). Baseline, in the same run: a plain COPY of the same three files into
 * one-column tables — the floor of just moving the bytes into Postgres.
 *
 *   node bin/run-ts.js bench/pipeline.ts [--json]
 */
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pgCopy from 'pg-copy-streams';
import { createActivities } from '../activities/pipeline-activities.js';
import { loadConfig } from '../config.js';
import { loadCatalogue } from '../db/need-catalogue.js';
import { selectBackend } from '../models/backend.js';
import { ModelStore } from '../models/model-store.js';
import { generateScenario } from '../scenarios/generate.js';
import { runLocally } from '../workflows/local-runner.js';
import { benchServer, log, report, timed } from './bench-kit.js';

const EVENTS = 200_000;
const USERS = 20_000;
const catalogue = loadCatalogue(null);
const dir = join('.needloop', 'bench', 'pipeline');
const inbox = join(dir, 'inbox');
if (!existsSync(join(inbox, 'usage.jsonl'))) {
  log(`generating ${USERS} users and about ${EVENTS} events in ${inbox}…`);
  await generateScenario({ outDir: inbox, catalogue, users: USERS, days: 60, events: EVENTS, seed: 'bench-pipeline', scenario: 'emerging-need' });
}
const backend = await selectBackend(null);
const bench = await benchServer();
try {
  log('baseline: plain COPY of the three files into one-column tables…');
  const base = await bench.database('baseline');
  const baseline = await timed(async () => {
    const client = await base.pool.connect();
    try {
      for (const name of ['users.csv', 'surveys.csv', 'usage.jsonl']) {
        const table = name.replace('.', '_');
        await client.query(`create table ${table} (line text)`);
        // A byte that never occurs as the delimiter and quote: every line is one value.
        await pipeline(createReadStream(join(inbox, name)), client.query(pgCopy.from(`copy ${table} from stdin with (format csv, delimiter e'\\x01', quote e'\\x02')`)));
      }
    } finally {
      client.release();
    }
  });

  const handle = await bench.database('pipeline');
  const config = loadConfig({ DATABASE_URL: handle.url, NEEDLOOP_HOME: dir, NEEDLOOP_REPORTS_DIR: join(dir, 'reports'), NEEDLOOP_MODELS_DIR: join(dir, `models-${Date.now()}`) });
  const acts = createActivities({ handle, config, store: new ModelStore(config.modelsDir), catalogue });
  const steps: { step: string; at: number }[] = [];
  log(`needloop run --local on ${backend.device}…`);
  const run = await timed(() => runLocally(acts, { inbox, approvalTimeoutMs: config.approvalTimeoutMs, seed: 1 }, {
    onStep: (step) => {
      steps.push({ step, at: performance.now() });
      log(`  … ${step}`);
    },
  }));
  const end = performance.now();
  const rows = steps.map((s, i) => ({ step: s.step, seconds: (((steps[i + 1]?.at ?? end) - s.at) / 1000).toFixed(2) }));
  const counts = await handle.db.selectFrom('usage_events').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  const responses = await handle.db.selectFrom('survey_responses').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  rows.push({ step: 'total (needloop run --local)', seconds: run.seconds.toFixed(2) });
  rows.push({ step: 'baseline: plain COPY of the files', seconds: baseline.seconds.toFixed(2) });
  report('bench/pipeline', rows, {
    events: Number(counts.n), users: USERS, survey_responses: Number(responses.n), status: run.result.status, backend: backend.device,
    ratio_to_copy: run.seconds / baseline.seconds, target: 'under 180 s end to end',
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  });
} finally {
  await bench.stop();
}
process.exit(0);
