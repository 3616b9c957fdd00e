/**
 * The nightly pipeline as it is deployed: `temporal server start-dev` (the official CLI's
 * real server), `needloop worker --queues default,ingest,analytics` and `needloop worker
 * --queues training` as processes of their own, `needloop run` to start a night and
 * `needloop approve` (the Update) or the approval page's button to decide — then the faults
 * a deployment meets: the training worker killed with SIGKILL mid-training, the analytics
 * worker killed mid-night, the database unreachable for a minute during ingest, a release
 * with a plan change deployed while a run awaits approval, the Schedule's next night while
 * a run awaits approval, `temporal workflow terminate` and `cancel` of a waiting run. All
 * the workers reach Postgres through a TCP proxy the test can cut. Needs TEMPORAL_CLI_PATH
 * (`.ci/run` installs it).
 *
 * With NEEDLOOP_RECORD_HISTORIES set, each case's history is written from the server to
 * tests/fixtures/histories/live-*.json, which the replay tests replay.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'kysely';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineActivities } from '../../cli/commands/pipeline.js';
import { scheduleIdOf } from '../../cli/commands/schedule.js';
import { bundlerOptions, withHeartbeats } from '../../cli/temporal.js';
import { loadConfig } from '../../config.js';
import { findProductionModel } from '../../db/queries/model-versions.js';
import { selectBackend } from '../../models/backend.js';
import { generateScenario } from '../../scenarios/generate.js';
import { ARTIFACTS, launchChromium, openPage } from '../helpers/browser.js';
import { runCli, startCli, type CliRun } from '../helpers/cli.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { catalogue } from '../helpers/ingest.js';
import { freePort } from '../helpers/ports.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { seedBeforeTheChange, startDevServer, TEMPORAL_CLI, temporalAvailable, type DevServer } from '../helpers/temporal.js';
import { NEXT_RELEASE_CHANGE } from '../fixtures/next-release/workflows.js';

const available = temporalAvailable('cli');
const db = useTestDatabase();
const files = useTempFiles();
const QUEUE = `needloop-e2e-${process.pid}`;
const FIXTURES = new URL('../fixtures/histories/', import.meta.url).pathname;
const NEXT_RELEASE = new URL('../fixtures/next-release/workflows.ts', import.meta.url).pathname;

let server: DevServer;
let client: Client;
let env: Record<string, string>;
let production: string;
let proxy: TcpProxy;
/** The run left awaiting approval by one case for the next. */
let waitingRun: { wid: string; candidate: string };
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

/** Stops a worker process as a deploy does (SIGTERM: it finishes its running tasks first). */
async function stopWorker(w: (typeof workers)[number]): Promise<void> {
  w.child.kill('SIGTERM');
  expect((await w.done).code).toBe(0);
}

const liveWorker = (queues: string) => workers.find((w) => w.name === queues && w.child.exitCode === null && w.child.signalCode === null)!;

type Event = {
  eventId: string; eventType: string; markerRecordedEventAttributes?: { details?: { 'patch-data'?: { payloads: { data: string }[] } } };
  activityTaskScheduledEventAttributes?: { activityType: { name: string }; taskQueue: { name: string } };
  activityTaskStartedEventAttributes?: { scheduledEventId: string; attempt?: number; identity?: string };
};
const historyOf = (wid: string) => (JSON.parse(temporal('show', '--workflow-id', wid, '--output', 'json')) as { events: Event[] }).events;

/** The attempt and worker that ran the activity to its end, from the history. */
function attemptOf(events: Event[], activity: string): { attempt: number; identity: string } {
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType.name === activity);
  if (scheduled === undefined) throw new Error(`${activity} was never scheduled`);
  const started = events.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId === scheduled.eventId)!.activityTaskStartedEventAttributes!;
  return { attempt: started.attempt ?? 1, identity: started.identity ?? '' };
}

/** Waits until the run's activity has been handed to a worker (started, not finished). */
async function whileRunning(wid: string, activity: string): Promise<void> {
  const handle = client.workflow.getHandle(wid);
  for (let i = 0; ; i++) {
    const pending = (await handle.describe()).raw.pendingActivities ?? [];
    if (pending.some((a) => a.activityType?.name === activity && Number(a.state) === 2)) return;
    if (i > 2400) throw new Error(`${activity} never started`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
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
    const url = new URL(db.handle.url);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
    url.host = `127.0.0.1:${proxy.port}`;
    env = {
      // Workers and commands reach Postgres through the proxy; the test itself directly.
      DATABASE_URL: url.toString(), TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: QUEUE,
      NEEDLOOP_HOME: dir, NEEDLOOP_INBOX: join(dir, 'inbox'), NEEDLOOP_REPORTS_DIR: join(dir, 'reports'), TFJS_BACKEND: 'cpu',
      // A lost training worker is noticed within seconds (the default is 2 minutes).
      NEEDLOOP_HEARTBEAT_SECONDS: '6',
      // alice's approver token (seedBeforeTheChange registers her): the CLI's decisions prove who decides.
      NEEDLOOP_TOKEN: 'token-a',
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
    await proxy?.close();
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
    // Mid-training: 1.5 s into the fine-tune's first attempt on the worker — past loading
    // the data (under a second here), well before its ~4 s of training end.
    await whileRunning(wid, 'fineTune');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const victim = liveWorker('training');
    victim.child.kill('SIGKILL');
    expect((await victim.done).signal).toBe('SIGKILL');
    await startWorker('training');
    const waiting = await statusUntil(wid, (s) => s.status === 'awaiting_approval' || s.status === 'failed');
    expect(waiting.status).toBe('awaiting_approval');
    // One candidate from the run, however many attempts trained it.
    const after = Number((await db.handle.db.selectFrom('model_versions').select((e) => e.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    expect(after - before).toBe(1);
    // The fine-tune ran again, on the new worker: its recorded attempt is not the first, nor the killed worker's.
    const ran = attemptOf(historyOf(wid), 'fineTune');
    expect(ran.attempt).toBeGreaterThanOrEqual(2);
    expect(ran.identity).not.toBe(`${victim.child.pid}@${hostname()}`);
    const candidate = await db.handle.db.selectFrom('model_versions').select(['id', 'training']).where('id', '=', waiting.candidate as string).executeTakeFirstOrThrow();
    const curve = (candidate.training as { curve: { epoch: number }[] }).curve;
    expect(curve.map((p) => p.epoch)).toEqual(curve.map((_, i) => i));
    expect((await runCli(['reject', wid, '--by', 'alice', '--reason', 'e2e: next case'], env)).code).toBe(0);
    await statusUntil(wid, (s) => s.status === 'completed');
    await record('training-worker-killed', wid);
  }, 400_000);

  it('the analytics worker killed mid-night: drift is retried on its successor within the heartbeat timeout, and the run trains and waits', async () => {
    const wid = await start('2031-01-05');
    await whileRunning(wid, 'detectDrift');
    const victim = liveWorker('default,ingest,analytics');
    victim.child.kill('SIGKILL');
    expect((await victim.done).signal).toBe('SIGKILL');
    await startWorker('default,ingest,analytics');
    const waiting = await statusUntil(wid, (s) => s.status === 'awaiting_approval' || s.status === 'failed', 180);
    expect(waiting.status).toBe('awaiting_approval');
    const ran = attemptOf(historyOf(wid), 'detectDrift');
    expect(ran.attempt).toBeGreaterThanOrEqual(2);
    expect(ran.identity).not.toBe(`${victim.child.pid}@${hostname()}`);
    waitingRun = { wid, candidate: waiting.candidate as string };
  }, 400_000);

  it('the database unreachable for a minute during ingest: the activities retry, the night completes, every event loaded once', async () => {
    // A late file for this night: 400 events the database has not seen, of known users.
    const lines = (await readFile(join(env.NEEDLOOP_INBOX, 'usage.jsonl'), 'utf8')).trim().split('\n').slice(-400);
    const ids = lines.map(() => randomUUID());
    await writeFile(join(env.NEEDLOOP_INBOX, 'usage-late.jsonl'), `${lines.map((l, i) => JSON.stringify({ ...JSON.parse(l) as object, event_id: ids[i] })).join('\n')}\n`);
    const wid = await start('2031-01-06');
    // The first inbox file's child workflow has started: ingest is under way.
    for (let i = 0; ; i++) {
      if (await client.workflow.getHandle(`${wid}-ingest-0`).describe().then(() => true, () => false)) break;
      if (i > 1200) throw new Error('ingest never started');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 60_000));
    await proxy.restore();
    const done = await statusUntil(wid, (s) => s.status === 'completed' || s.status === 'failed', 300);
    expect(done.error ?? null).toBeNull();
    expect(done.status).toBe('completed');
    const ingested = (done.results as { ingested: { file: string; status: string; accepted: number }[] }).ingested;
    expect(ingested.find((f) => f.file.endsWith('usage-late.jsonl'))).toMatchObject({ status: 'loaded', accepted: 400 });
    const loaded = await db.handle.db.selectFrom('usage_events').select((e) => e.fn.countAll<string>().as('n')).where('event_id', 'in', ids).executeTakeFirstOrThrow();
    expect(Number(loaded.n)).toBe(400);
    // The outage was felt: some activity of the night or of its files ran more than once.
    const children = ingested.map((_, i) => `${wid}-ingest-${i}`);
    const attempts = [wid, ...children].flatMap((id) => historyOf(id)).flatMap((e) => e.activityTaskStartedEventAttributes?.attempt ?? []);
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
    // The candidate of the night before still waits; this night trained nothing beside it.
    expect((done.results as { decision: { retrain: boolean; reasons: string[] } }).decision).toEqual({ retrain: false, first_model: false, reasons: [`model ${waitingRun.candidate} already awaits approval: no new candidate until it is decided`] });
    await record('database-away-during-ingest', wid);
  }, 400_000);

  it('a release with a plan change deployed while a run awaits approval: the run replays on the new code, is approved and ends on it', async () => {
    // The deploy: the workflow worker stops (SIGTERM), the next release's starts on the same queue.
    await stopWorker(liveWorker('default,ingest,analytics'));
    await startWorker('ingest,analytics');
    const cfg = loadConfig(env);
    const connection = await NativeConnection.connect({ address: server.address });
    const next = await Worker.create({
      connection, namespace: 'default', taskQueue: QUEUE, workflowsPath: NEXT_RELEASE, bundlerOptions,
      activities: withHeartbeats(pipelineActivities(db.handle, cfg)),
    });
    const running = next.run();
    try {
      const approved = await runCli(['approve', waitingRun.wid, '--by', 'alice', '--comment', 'approved after the deploy'], env);
      expect(approved.stderr).toBe('');
      const done = await statusUntil(waitingRun.wid, (s) => s.status === 'completed' || s.status === 'failed');
      expect(done.status).toBe('completed');
      expect((await findProductionModel(db.handle.db))!.id).toBe(waitingRun.candidate);
      await client.workflow.getHandle(waitingRun.wid).result();
      // The new release's step ran, behind its patch marker, after the promotion.
      const events = historyOf(waitingRun.wid);
      const names = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType.name ?? []);
      expect(names.slice(-2)).toEqual(['finishRun', 'runState']);
      const patches = events.flatMap((e) => e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads ?? [])
        .map((p) => (JSON.parse(Buffer.from(p.data, 'base64').toString('utf8')) as { id: string }).id);
      expect(patches).toContain(NEXT_RELEASE_CHANGE);
    } finally {
      next.shutdown();
      await running;
      await connection.close();
      await startWorker('default');
    }
    expect((await runCli(['rollback', '--by', 'alice', '--comment', 'e2e: next case'], env)).code).toBe(0);
  }, 400_000);

  it('the Schedule\'s next night runs beside a run awaiting approval (overlap: allow all), and the approval page\'s button decides the waiting run', async () => {
    expect((await runCli(['schedule', 'create', '--hour', '2', '--json'], env)).code).toBe(0);
    const schedule = client.schedule.getHandle(scheduleIdOf(QUEUE));
    const runsOfSchedule = async () => ((await schedule.describe()).info.recentActions).map((a) => a.action.workflow.workflowId);
    try {
      // Tonight's start, now: it retrains and waits.
      await schedule.trigger();
      let tonight: string | undefined;
      for (let i = 0; tonight === undefined; i++) {
        tonight = (await runsOfSchedule())[0];
        if (i > 120) throw new Error('the Schedule started nothing');
        if (tonight === undefined) await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const waiting = await statusUntil(tonight, (s) => s.status === 'awaiting_approval');
      const runId = (waiting.results as { run_id: string }).run_id;
      // The next night the Schedule starts (a backfill names it) runs while tonight's waits.
      await schedule.backfill([{ start: new Date('2031-01-09T01:59:00Z'), end: new Date('2031-01-09T02:01:00Z') }]);
      let nextNight: string | undefined;
      for (let i = 0; nextNight === undefined; i++) {
        nextNight = (await runsOfSchedule()).find((w) => w !== tonight);
        if (i > 120) throw new Error('the Schedule skipped the next night');
        if (nextNight === undefined) await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const after = await statusUntil(nextNight, (s) => s.status === 'completed' || s.status === 'failed');
      expect(after.status).toBe('completed');
      expect((after.results as { decision: { reasons: string[] } }).decision.reasons).toEqual([`model ${waiting.candidate as string} already awaits approval: no new candidate until it is decided`]);
      const nights = await db.handle.db.selectFrom('pipeline_runs').select(sql<string>`night::text`.as('night')).where('run_key', 'in', [tonight, nextNight]).orderBy('id').execute();
      expect(nights.map((n) => n.night)).toEqual([new Date().toISOString().slice(0, 10), '2031-01-09']);
      expect((await schedule.describe()).info.numActionsSkippedOverlap).toBe(0);
      await record('scheduled-night-beside-a-waiting-run', nextNight);

      // The approval page: alice signs in with her approver token and presses Approve.
      const port = await freePort();
      const serve = startCli(['serve', '--port', String(port)], env);
      const browser = await launchChromium();
      try {
        await new Promise<void>((resolve, reject) => {
          serve.child.stdout!.on('data', (d: Buffer) => d.toString().includes('needloop serve:') && resolve());
          void serve.done.then((r) => reject(new Error(`serve exited: ${r.stderr}`)));
        });
        const { page } = await openPage(browser);
        await page.goto(`http://127.0.0.1:${port}/approvals`);
        await page.fill('input[name=token]', 'token-a');
        await page.click('button[type=submit]');
        await page.waitForSelector('#approver');
        const section = page.locator(`section.pending[data-run="${runId}"]`);
        expect(await section.locator('h2').textContent()).toBe(`Run ${runId}: candidate model ${waiting.candidate as string}`);
        await section.locator('textarea[name=comment]').first().fill('approved on the page');
        await section.locator('button[value=approve]').click();
        await page.waitForSelector('#message');
        // The page waits for the run to act on the Update (10 s at most) before it answers.
        expect(await page.textContent('#message')).toMatch(new RegExp(`^Approved: run ${runId} is decided\\. (Model ${waiting.candidate as string} serves now\\.|Its Temporal run promotes model ${waiting.candidate as string} in a moment: reload to see it serve\\.)$`));
        // Once the run has promoted, the page no longer offers its candidate for a decision.
        if ((await page.textContent('#message'))!.endsWith('serves now.')) expect(await page.locator(`section.pending[data-run="${runId}"]`).count()).toBe(0);
        await page.screenshot({ path: join(ARTIFACTS, 'approvals-temporal.png'), fullPage: true });
        await statusUntil(tonight, (s) => s.status === 'completed');
        await page.goto(`http://127.0.0.1:${port}/approvals`);
        expect(await page.textContent('#production')).toBe(waiting.candidate);
      } finally {
        await browser.close();
        serve.child.kill('SIGTERM');
        await serve.done;
      }
      const done = await statusUntil(tonight, (s) => s.status === 'completed');
      expect((done.results as { promotion: { production_id: string } }).promotion.production_id).toBe(waiting.candidate);
      expect(await readFile((done.results as { report: { latest: string } }).report.latest, 'utf8')).toContain(`model ${waiting.candidate as string} promoted by alice`);
    } finally {
      await schedule.delete();
    }
    expect((await runCli(['rollback', '--by', 'alice', '--comment', 'e2e: next case'], env)).code).toBe(0);
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
