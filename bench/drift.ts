/**
 * bench/drift — the time to compare two windows of 1,000,000 events × 20 columns (10
 * numeric, 10 categorical) stored in Postgres: every statistic of every column and the
 * dataset decision, through tableColumnDrift — one population's statistics, each queried
 * on its own (`needloop drift` reads the usage events of all users and every segment at
 * once through tableDrift; this table has no segments). Baseline, in the same run:
 * the naive way — read every value of both windows into Node and compute the same
 * statistics there (what file mode does).
 *
 *   node bin/run-ts.js bench/drift.ts [--rows 1000000] [--json]
 */
import { sql } from 'kysely';
import { tableColumnDrift } from '../activities/drift-populations.js';
import { categoricalColumnDrift, categoryCounts, datasetDrift, numericColumnDrift, numericWindows } from '../analytics/index.js';
import type { DriftColumn, DriftTable } from '../db/queries/drift-windows.js';
import { benchServer, log, report, timed } from './bench-kit.js';

const rowsArg = process.argv.indexOf('--rows');
const ROWS = rowsArg === -1 ? 1_000_000 : Number(process.argv[rowsArg + 1]);
const NUMERIC = 10;
const CATEGORICAL = 10;

const columns: DriftColumn[] = [
  ...Array.from({ length: NUMERIC }, (_, i): DriftColumn => ({ name: `n${i}`, type: 'numeric', expression: `t.n${i}` })),
  ...Array.from({ length: CATEGORICAL }, (_, i): DriftColumn => ({ name: `c${i}`, type: 'categorical', expression: `t.c${i}` })),
];
const spec: DriftTable = { table: 'bench_events', time: 'ts', key: 'event_id', user: 'user_id', columns };
const reference = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-29T00:00:00Z') };
const current = { from: reference.to, to: new Date('2026-02-26T00:00:00Z') };

const bench = await benchServer();
try {
  const handle = await bench.database('drift');
  log(`creating 2 × ${ROWS} events × ${NUMERIC + CATEGORICAL} columns…`);
  // Half the columns shift in the current window, so both decisions get exercised.
  const numericDefs = Array.from({ length: NUMERIC }, (_, i) => `(random() + random() + random()) * ${10 + i} + case when cur and ${i} % 2 = 0 then ${i + 1} else 0 end as n${i}`);
  const categoricalDefs = Array.from({ length: CATEGORICAL }, (_, i) => `chr(65 + floor(power(random(), case when cur and ${i} % 2 = 0 then 1.6 else 1 end) * ${3 + i})::int) as c${i}`);
  await sql`select setseed(0.42)`.execute(handle.db);
  await sql.raw(`
    create table bench_events as
    select md5(g::text) as event_id, 'u' || (g % 50000) as user_id,
           timestamptz '2026-01-01' + (g::float8 / ${2 * ROWS}) * interval '56 days' as ts,
           ${[...numericDefs, ...categoricalDefs].join(',\n           ')}
      from generate_series(1, ${2 * ROWS}) g, lateral (select g > ${ROWS} as cur) w`).execute(handle.db);
  await sql`create index on bench_events using brin (ts)`.execute(handle.db);
  await sql`vacuum analyze bench_events`.execute(handle.db);

  log('needloop: windows summarised in Postgres…');
  const ours = await timed(async () => datasetDrift(await tableColumnDrift(handle, spec, { window: reference }, { window: current })));

  log('baseline: every value read into Node…');
  const baseline = await timed(async () => {
    const values = async (window: typeof reference, column: string) =>
      (await handle.pool.query({ text: `select ${column} from bench_events where ts >= $1 and ts < $2`, values: [window.from, window.to], rowMode: 'array' })).rows.map((r: unknown[]) => r[0]);
    const out = [];
    for (const c of columns) {
      const [a, b] = await Promise.all([values(reference, c.name), values(current, c.name)]);
      if (c.type === 'numeric') {
        const w = numericWindows(a as number[], b as number[]);
        out.push(numericColumnDrift(c.name, w.reference, w.current));
      } else out.push(categoricalColumnDrift(c.name, categoryCounts(a as string[]), categoryCounts(b as string[])));
    }
    return datasetDrift(out);
  });
  const agree = ours.result.columns.every((c, i) => c.drifted === baseline.result.columns[i].drifted);
  report(
    'bench/drift',
    [
      { method: 'baseline: read every value into Node, compute there', seconds: baseline.seconds.toFixed(2), ratio: '1.00', drifted: baseline.result.columns.filter((c) => c.drifted).length },
      { method: 'needloop: summarised in Postgres', seconds: ours.seconds.toFixed(2), ratio: (baseline.seconds / ours.seconds).toFixed(2), drifted: ours.result.columns.filter((c) => c.drifted).length },
    ],
    { rows_per_window: ROWS, columns: columns.length, same_decisions: agree, target: 'under 10 s (numpy/scipy: 18 s in memory)' },
  );
} finally {
  await bench.stop();
}
process.exit(0);
