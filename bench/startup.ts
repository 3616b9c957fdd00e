/**
 * bench/startup — how long `needloop --help`, `--version`, `status` and `predict` take to
 * start and finish, as a person types them, next to `node -e ''` (Node's own start-up)
 * measured in the same run on the same machine. Targets (issue 30): `--help` under 1 s and
 * `predict` under 2 s on 2 cores.
 *
 *   node bin/run-ts.js bench/startup.ts [--runs 5] [--home DIR] [--json]
 *
 * `predict` needs a production model: without --home, the bench builds a home once with
 * `needloop start` (the simulated story, ~45 s) under .needloop/bench/startup.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { log, report } from './bench-kit.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const RUNS = Number(arg('--runs') ?? 5);
const HOME = resolve(arg('--home') ?? join('.needloop', 'bench', 'startup'));
const BIN = resolve('bin/needloop.js');
const env = { ...process.env, DATABASE_URL: '', NEEDLOOP_HOME: HOME, NEEDLOOP_REPORTS_DIR: join(HOME, 'reports'), NEEDLOOP_INBOX: join(HOME, 'inbox') };

function seconds(args: string[]): number {
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (run.status !== 0) throw new Error(`${args.join(' ')} exited ${run.status}: ${run.stderr.toString()}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (!existsSync(join(HOME, 'pg'))) {
  log(`building a home with a production model in ${HOME} (needloop start)…`);
  seconds([BIN, 'start']);
}
const cases: [string, string[]][] = [
  ["node -e ''", ['-e', '']],
  ['needloop --help', [BIN, '--help']],
  ['needloop --version', [BIN, '--version']],
  ['needloop status', [BIN, 'status']],
  ['needloop predict TEXT', [BIN, 'predict', 'summarize this long report for me']],
];
const rows = cases.map(([name, args]) => {
  seconds(args); // warm the file cache
  const times = Array.from({ length: RUNS }, () => seconds(args));
  log(`${name}: median ${median(times).toFixed(2)} s over ${RUNS} runs`);
  return { name, median_s: median(times), min_s: Math.min(...times), max_s: Math.max(...times) };
});
const node = rows[0].median_s;
report('startup', rows.map((r) => ({ command: r.name, 'median s': r.median_s.toFixed(2), 'min s': r.min_s.toFixed(2), 'max s': r.max_s.toFixed(2), 'ratio to node': (r.median_s / node).toFixed(1) })), {
  runs: RUNS,
  'target --help < 1 s': rows[1].median_s < 1 ? 'met' : 'missed',
  'target predict < 2 s': rows[4].median_s < 2 ? 'met' : 'missed',
});
