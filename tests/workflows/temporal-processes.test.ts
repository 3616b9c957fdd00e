/**
 * The nightly pipeline as it is deployed: `temporal server start-dev` (the official CLI's
 * real server), `needloop worker --queues default,ingest,analytics` and `needloop worker
 * --queues training` as processes of their own, `needloop run` to start a night and
 * `needloop approve` (the Update) to decide — then the faults a deployment meets: the
 * training worker killed with SIGKILL mid-training, `temporal workflow terminate` and
 * `cancel` of a run awaiting approval. Needs TEMPORAL_CLI_PATH (`.ci/run` installs it).
 *
 * With NEEDLOOP_RECORD_HISTORIES set, each case's history is written from the server to
 * tests/fixtures/histories/live-*.json, which the replay tests replay.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { findProductionModel } from '../../db/queries/model-versions.js';
import { selectBackend } from '../../models/backend.js';
import { generateScenario } from '../../scenarios/generate.js';
import { runCli, startCli, type CliRun } from '../helpers/cli.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { catalogue } from '../helpers/ingest.js';
import { seedBeforeTheChange, startDevServer, TEMPORAL_CLI, temporalAvailable, type DevServer } from '../helpers/temporal.js';

const available = temporalAvailable('cli');
const db = useTestDatabase();
const files = useTempFiles();
const QUEUE = `needloop-e2e-${process.pid}`;
const FIXTURES = new URL('../fixtures/histories/', import.meta.url).pathname;

let server: DevServer;
let client: Client;
let env: Record<string, string>;
let production: string;
const workers: { name: string; child: ReturnType<typeof startCli>['child']; done: Promise<CliRun> }[] = [];

/** `needloop worker --queues Q` as its own process; resolves once it serves. */
async function startWorker(queues: string): Promise<(typeof workers)[number]> {
  const { child, done } = startCli(['worker', '--queues', queues], env);
  const w = { name: queues, child, done };
  workers.push(w);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('needloop worker:')) resolve();
    });
    void done.then((r) => reject(new Error(`worker ${queues} exited ${r.code}: ${r.stderr}`)));
  });
  return w;
}

/** `needloop status WID --json`, until `ready` says so. */
async function statusUntil(wid: string, ready: (s: Record<string, unknown> & { status: string; step: string }) => boolean, seconds = 240): Promise<Record<string, unknown> & { status: string; step: string }> {
  let last: unknown = null;
  for (let i = 0; i < seconds; i++) {
    const run = await runCli(['status', wid, '--json'], env);
    if (run.code === 0) {
      const s = JSON.parse(run.stdout) as Record<string, unknown> & { status: string; step: string };
      last = s;
      if (ready(s)) return s;
    } else last = run.stderr;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`${wid} never got there; last status: ${JSON.stringify(last).slice(0, 500)}`);
}

/** `temporal workflow …` as an operator types it. */
function temporal(...args: string[]): string {
  const r = spawnSync(TEMPORAL_CLI!, ['workflow', ...args, '--address', server.address, '--namespace', 'default'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`temporal workflow ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Writes the workflow's history, as the server holds it, to a live fixture (NEEDLOOP_RECORD_HISTORIES). */
async function record(name: string, wid: string): Promise<void> {
  if (!process.env.NEEDLOOP_RECORD_HISTORIES) return;
  await writeFile(join(FIXTURES, `live-${name}.json`), `${JSON.stringify(JSON.parse(temporal('show', '--workflow-id', wid, '--output', 'json')), null, 1)}\n`);
}

const start = async (night: string): Promise<string> => {
  const run = await runCli(['run', '--date', night, '--json'], env);
  expect(run.stderr).toBe('');
  return (JSON.parse(run.stdout) as { run_id: string }).run_id;
};

describe.skipIf(!available)('the nightly pipeline on a dev server, workers as processes', () => {
  beforeAll(async () => {
    server = await startDevServer();
    client = new Client({ connection: await Connection.connect({ address: server.address }), namespace: 'default' });
    await selectBackend('cpu');
    const dir = files.dir;
    await generateScenario({ outDir: join(dir, 'inbox'), catalogue, users: 600, days: 56, scenario: 'emerging-need', seed: 5, changeDay: 28 });
    env = {
      DATABASE_URL: db.handle.url, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: QUEUE,
      NEEDLOOP_HOME: dir, NEEDLOOP_INBOX: join(dir, 'inbox'), NEEDLOOP_REPORTS_DIR: join(dir, 'reports'), TFJS_BACKEND: 'cpu',
      // A lost training worker is noticed within seconds (the default is 2 minutes).
      NEEDLOOP_TRAINING_HEARTBEAT_SECONDS: '6',
    };
    // The history before the change, and the model that served it: the nights retrain.
    ({ production } = await seedBeforeTheChange(db.handle, loadConfig(env), env.NEEDLOOP_INBOX));
    await startWorker('default,ingest,analytics');
    await startWorker('training');
  }, 300_000);

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.done));
    await client?.connection.close();
    await server?.stop();
  }, 120_000);

  it('needloop run, then needloop approve (the Update): the candidate is promoted, the report written, every step timed', async () => {
    const wid = await start('2031-01-01');
    const waiting = await statusUntil(wid, (s) => s.status === 'awaiting_approval');
    const candidate = waiting.candidate as string;
    // `status` without a run names it, and the command that decides it.
    expect((await runCli(['status'], env)).stdout).toContain(`npx needloop approve`);
    const approved = await runCli(['approve', wid, '--by', 'alice', '--comment', 'e2e'], env);
    expect(approved.stderr).toBe('');
    expect(approved.stdout).toContain(`Approved model ${candidate} in ${wid}, by alice.`);
    const done = await statusUntil(wid, (s) => s.status === 'completed');
    expect((await findProductionModel(db.handle.db))!.id).toBe(candidate);
    const results = done.results as { report: { path: string; latest: string }; promotion: { production_id: string } };
    expect(results.promotion.production_id).toBe(candidate);
    expect(existsSync(results.report.path)).toBe(true);
    const html = await readFile(results.report.latest, 'utf8');
    expect(html).toContain(`model ${candidate} promoted by alice`);
    const steps = done.steps as { step: string; seconds: number | null }[];
    for (const step of ['ingest', 'segment', 'needs', 'drift', 'decide', 'train', 'evaluate', 'awaiting_approval', 'promote', 'report']) {
      expect(steps.find((s) => s.step === step)?.seconds, step).toBeGreaterThanOrEqual(0);
    }
    await record('approved-by-cli', wid);
    // Back to the model from before the change, so that the next nights retrain.
    expect((await runCli(['rollback', '--by', 'alice', '--comment', 'e2e: next case'], env)).code).toBe(0);
    expect((await findProductionModel(db.handle.db))!.id).toBe(production);
  }, 400_000);

  it('the training worker killed with SIGKILL mid-training: another picks the work up, one candidate, its epochs whole', async () => {
    const before = Number((await db.handle.db.selectFrom('model_versions').select((e) => e.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const wid = await start('2031-01-02');
    const handle = client.workflow.getHandle(wid);
    // Mid-training: 1.5 s into the fine-tune's first attempt on the worker — past loading
    // the data (under a second here), well before its ~4 s of training end.
    for (let i = 0; ; i++) {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      if (pending.some((a) => a.activityType?.name === 'fineTune' && Number(a.state) === 2)) break;
      if (i > 2400) throw new Error('training never started');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const victim = workers.find((w) => w.name === 'training' && w.child.exitCode === null)!;
    victim.child.kill('SIGKILL');
    expect((await victim.done).signal).toBe('SIGKILL');
    await startWorker('training');
    const waiting = await statusUntil(wid, (s) => s.status === 'awaiting_approval' || s.status === 'failed');
    expect(waiting.status).toBe('awaiting_approval');
    // One candidate from the run, however many attempts trained it.
    const after = Number((await db.handle.db.selectFrom('model_versions').select((e) => e.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    expect(after - before).toBe(1);
    type Event = { eventId: string; eventType: string; activityTaskScheduledEventAttributes?: { activityType: { name: string } }; activityTaskStartedEventAttributes?: { scheduledEventId: string; attempt?: number; identity?: string } };
    const history = JSON.parse(temporal('show', '--workflow-id', wid, '--output', 'json')) as { events: Event[] };
    const scheduled = history.events.find((e) => e.activityTaskScheduledEventAttributes?.activityType.name === 'fineTune')!;
    const started = history.events.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId === scheduled.eventId)!;
    // The fine-tune ran again, on the new worker: its recorded attempt is not the first, nor the killed worker's.
    expect(started.activityTaskStartedEventAttributes!.attempt).toBeGreaterThanOrEqual(2);
    expect(started.activityTaskStartedEventAttributes!.identity).not.toBe(`${victim.child.pid}@${hostname()}`);
    const candidate = await db.handle.db.selectFrom('model_versions').select(['id', 'training']).where('id', '=', waiting.candidate as string).executeTakeFirstOrThrow();
    const curve = (candidate.training as { curve: { epoch: number }[] }).curve;
    expect(curve.map((p) => p.epoch)).toEqual(curve.map((_, i) => i));
    expect((await runCli(['reject', wid, '--by', 'alice', '--reason', 'e2e: next case'], env)).code).toBe(0);
    await statusUntil(wid, (s) => s.status === 'completed');
    await record('training-worker-killed', wid);
  }, 400_000);

  it('terminate leaves no candidate awaiting a decision: the next run closes the run and rejects it, audited; cancel rejects its own', async () => {
    const terminated = await start('2031-01-03');
    const waiting = await statusUntil(terminated, (s) => s.status === 'awaiting_approval');
    const orphan = waiting.candidate as string;
    temporal('terminate', '--workflow-id', terminated, '--reason', 'e2e: an operator terminates');
    // Terminated, the workflow cleans nothing up: the database still shows it waiting.
    const stale = await db.handle.db.selectFrom('model_versions').select('status').where('id', '=', orphan).executeTakeFirstOrThrow();
    expect(stale.status).toBe('awaiting_approval');

    const next = await start('2031-01-04');
    const waitingNext = await statusUntil(next, (s) => s.status === 'awaiting_approval');
    const closed = await db.handle.db.selectFrom('pipeline_runs').select(['status', 'error']).where('run_key', '=', terminated).executeTakeFirstOrThrow();
    expect(closed).toEqual({ status: 'failed', error: `its workflow ${terminated} ended on Temporal (terminated) before the run finished` });
    const rejected = await db.handle.db.selectFrom('model_versions').select(['status', 'status_reason']).where('id', '=', orphan).executeTakeFirstOrThrow();
    expect(rejected.status).toBe('rejected');
    const audited = await db.handle.db.selectFrom('audit_log').select(['actor', 'action', 'target', 'detail']).where('action', '=', 'run closed').execute();
    expect(audited).toEqual([expect.objectContaining({ actor: 'needloop', target: expect.stringContaining(`model ${orphan}`) })]);
    const pending = JSON.parse((await runCli(['status', '--json'], env)).stdout) as { pending: { models: { candidate_id: string }[] } };
    expect(pending.pending.models.map((m) => m.candidate_id)).toEqual([waitingNext.candidate]);

    // Cancelled while it waits: the workflow's own clean-up rejects its candidate.
    temporal('cancel', '--workflow-id', next);
    for (let i = 0; ; i++) {
      const m = await db.handle.db.selectFrom('model_versions').select('status').where('id', '=', waitingNext.candidate as string).executeTakeFirstOrThrow();
      if (m.status === 'rejected') break;
      if (i > 120) throw new Error(`cancelled run's candidate still ${m.status}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const after = JSON.parse((await runCli(['status', '--json'], env)).stdout) as { pending: { models: unknown[] } };
    expect(after.pending.models).toEqual([]);
    await record('terminated-then-swept', next);
  }, 400_000);
});
