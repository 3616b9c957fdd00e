/**
 * bench/segment — segmentation at scale:
 *   1. k-means, k = 6, exactly 50 iterations, on 100,000 users × 16 features, next to a
 *      textbook Lloyd's k-means (same seeding, same iterations) measured in the same run;
 *   2. k = auto (2–10 by silhouette), the default configuration;
 *   3. the SQL feature extraction over 1,000,000 usage events, next to a bare
 *      `GROUP BY user_id` count over the same table.
 *
 *   node bin/run-ts.js bench/segment.ts [--json]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { kmeans, Random, segmentUsers, type Matrix } from '../analytics/index.js';
import { ingestFile } from '../db/ingest/ingest-file.js';
import { loadCatalogue } from '../db/need-catalogue.js';
import { extractUserFeatures } from '../db/queries/user-features.js';
import { generateScenario } from '../scenarios/generate.js';
import { benchServer, log, report, timed } from './bench-kit.js';

const USERS = 100_000;
const FEATURES = 16;
const K = 6;
const ITERATIONS = 50;

function blobs(): Matrix {
  const rng = new Random('bench-segment');
  const centres = Array.from({ length: K }, () => Array.from({ length: FEATURES }, () => rng.normal(0, 2)));
  const data = new Float64Array(USERS * FEATURES);
  for (let i = 0; i < USERS; i++) {
    const c = centres[rng.int(K)];
    for (let f = 0; f < FEATURES; f++) data[i * FEATURES + f] = c[f] + rng.normal(0, 1);
  }
  return { rows: USERS, columns: FEATURES, data };
}

/** The textbook algorithm: every point against every centre, every iteration. */
function lloyd(m: Matrix, k: number, iterations: number): Float64Array {
  const { rows: n, columns: d, data } = m;
  const centroids = new Float64Array(k * d);
  for (let j = 0; j < k; j++) centroids.set(data.subarray(j * d, j * d + d), j * d);
  const assignment = new Int32Array(n);
  for (let it = 0; it < iterations; it++) {
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestDist = Infinity;
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += (data[i * d + c] - centroids[j * d + c]) ** 2;
        if (s < bestDist) [bestDist, best] = [s, j];
      }
      assignment[i] = best;
    }
    const sums = new Float64Array(k * d);
    const sizes = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      sizes[assignment[i]]++;
      for (let c = 0; c < d; c++) sums[assignment[i] * d + c] += data[i * d + c];
    }
    for (let j = 0; j < k; j++) if (sizes[j] > 0) for (let c = 0; c < d; c++) centroids[j * d + c] = sums[j * d + c] / sizes[j];
  }
  return centroids;
}

const best = async <T>(runs: number, work: () => Promise<T> | T) => {
  let fastest = Infinity;
  for (let r = 0; r < runs; r++) fastest = Math.min(fastest, (await timed(async () => work())).seconds);
  return fastest;
};

log(`k-means on ${USERS} × ${FEATURES}…`);
const m = blobs();
const baseline = await best(3, () => lloyd(m, K, ITERATIONS));
const fixed = await best(3, () => kmeans(m, { k: K, seed: 1, restarts: 1, maxIterations: ITERATIONS, stopWhenStable: false }));
const names = Array.from({ length: FEATURES }, (_, i) => `f${i}`);
const auto = await timed(async () => segmentUsers(names, m, { k: 'auto', seed: 1 }));
const autoK = 'error' in auto.result ? auto.result.error : auto.result.k;

log('feature extraction over 1,000,000 events…');
const catalogue = loadCatalogue(null);
const dataDir = join('.needloop', 'bench', 'ingest-1000000', 'jsonl');
if (!existsSync(join(dataDir, 'usage.jsonl'))) {
  await generateScenario({ outDir: dataDir, catalogue, users: 20_000, days: 30, events: 1_000_000, seed: 'bench', usageFormat: 'jsonl' });
}
const bench = await benchServer();
let extraction: number;
let scan: number;
let extractedUsers: number;
let extractedFeatures: number;
try {
  const handle = await bench.database('segment');
  const loaded = await ingestFile(handle, join(dataDir, 'usage.jsonl'), { catalogue, maxFieldBytes: 65536 });
  await sql`vacuum analyze usage_events`.execute(handle.db);
  const window = { from: new Date('2000-01-01'), to: new Date('2100-01-01') };
  log(`  ${loaded.accepted} events loaded`);
  scan = await best(2, () => sql`select user_id, count(*) from usage_events where ts >= ${window.from} and ts < ${window.to} group by user_id`.execute(handle.db));
  let features = { rows: 0, columns: 0 };
  extraction = await best(2, async () => {
    features = (await extractUserFeatures(handle.db, window)).matrix;
  });
  extractedUsers = features.rows;
  extractedFeatures = features.columns;
} finally {
  await bench.stop();
}

report(
  'bench/segment',
  [
    { task: `k-means k=${K}, ${ITERATIONS} iterations, ${USERS}×${FEATURES}`, seconds: fixed.toFixed(3), baseline: 'textbook Lloyd, same work', baseline_seconds: baseline.toFixed(3), speedup: (baseline / fixed).toFixed(2), target: '< 0.6 s' },
    { task: `k=auto (2–10, silhouette on a sample) → k=${autoK}`, seconds: auto.seconds.toFixed(3), baseline: 'textbook Lloyd, one k', baseline_seconds: baseline.toFixed(3), speedup: (baseline / auto.seconds).toFixed(2), target: '< 10 s' },
    { task: `SQL features, 1,000,000 events → ${extractedUsers} users × ${extractedFeatures}`, seconds: extraction.toFixed(3), baseline: 'GROUP BY user_id count', baseline_seconds: scan.toFixed(3), speedup: (scan / extraction).toFixed(2), target: '< 20 s' },
  ],
  {},
);
process.exit(0);
