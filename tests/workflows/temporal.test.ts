/**
 * The nightly workflow on a real Temporal server with real workers in this process. Runs
 * when TEMPORAL_CLI_PATH (a `temporal` binary, for TestWorkflowEnvironment.createLocal;
 * `.ci/run` installs it) or TEMPORAL_ADDRESS (an existing server) is set; otherwise every
 * test reports itself skipped, with the reason printed (in CI, NEEDLOOP_REQUIRE_TEMPORAL
 * makes that a failure). No server is ever faked. Workers as separate processes, and the
 * faults a deployment meets: temporal-processes.test.ts.
 */
import { join } from 'node:path';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlerOptions, WORKFLOWS_PATH } from '../../cli/temporal.js';
import { loadConfig } from '../../config.js';
import { findProductionModel, rollbackModel } from '../../db/queries/model-versions.js';
import { selectBackend } from '../../models/backend.js';
import { generateScenario } from '../../scenarios/generate.js';
import { approvePromotion, nightlyPipeline, rejectPromotion, statusQuery } from '../../workflows/nightly-pipeline.js';
import { analyticsTaskQueue, ingestTaskQueue, trainingTaskQueue, type PipelineInput } from '../../workflows/types.js';
import { runCli } from '../helpers/cli.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { catalogue } from '../helpers/ingest.js';
import { seedBeforeTheChange, TEMPORAL_ADDRESS, TEMPORAL_CLI, temporalAvailable } from '../helpers/temporal.js';

const ADDRESS = TEMPORAL_ADDRESS;
const CLI_PATH = TEMPORAL_CLI;
const available = temporalAvailable();

const db = useTestDatabase();
const files = useTempFiles();
const TASK_QUEUE = `needloop-test-${process.pid}`;
let env: TestWorkflowEnvironment;
let worker: Worker;
let trainingWorker: Worker;
/** The ingest and analytics queues' workers, as `needloop worker` runs them. */
let queueWorkers: Worker[] = [];
let running: Promise<unknown>;
let input: PipelineInput;
let production: string;

async function awaitingApproval(handle: WorkflowHandle<typeof nightlyPipeline>): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const status = await handle.query(statusQuery);
    if (status.pending !== null) return status.pending.candidate_id;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the workflow never reached awaiting_approval');
}

/** One run per night: each test's run is for a night of its own. */
let nights = 0;
const start = (id: string, overrides: Partial<PipelineInput> = {}) =>
  env.client.workflow.start(nightlyPipeline, { taskQueue: TASK_QUEUE, workflowId: `${id}-${Date.now()}`, args: [{ ...input, night: `2030-01-${String(++nights).padStart(2, '0')}`, ...overrides }] });

describe.skipIf(!available)('the nightly workflow on Temporal', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
    env = CLI_PATH
      ? await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: CLI_PATH } } })
      : await TestWorkflowEnvironment.createFromExistingServer({ address: ADDRESS });
    const dir = files.dir;
    await generateScenario({ outDir: join(dir, 'inbox'), catalogue, users: 600, days: 56, scenario: 'emerging-need', seed: 5, changeDay: 28 });
    const config = loadConfig({ DATABASE_URL: db.handle.url, NEEDLOOP_HOME: dir, NEEDLOOP_REPORTS_DIR: join(dir, 'reports'), TFJS_BACKEND: 'cpu', TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default' });
    const seeded = await seedBeforeTheChange(db.handle, config, join(dir, 'inbox'));
    const activities = seeded.activities;
    production = seeded.production;
    input = { inbox: join(dir, 'inbox'), approvalTimeoutMs: 3_600_000, seed: 1 };
    worker = await Worker.create({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue: TASK_QUEUE, workflowsPath: WORKFLOWS_PATH, bundlerOptions, activities });
    trainingWorker = await Worker.create({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue: trainingTaskQueue(TASK_QUEUE), activities });
    queueWorkers = await Promise.all([ingestTaskQueue(TASK_QUEUE), analyticsTaskQueue(TASK_QUEUE)].map((taskQueue) => Worker.create({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue, activities })));
    running = Promise.all([worker.run(), trainingWorker.run(), ...queueWorkers.map((w) => w.run())]);
  }, 300_000);

  afterAll(async () => {
    worker?.shutdown();
    trainingWorker?.shutdown();
    for (const w of queueWorkers) w.shutdown();
    await running;
    await env?.teardown();
  }, 60_000);

  it('Query status shows the pending candidate; validators refuse bad decisions; approval by Update promotes it', async () => {
    const handle = await start('approve');
    const candidate = await awaitingApproval(handle);
    const status = await handle.query(statusQuery);
    expect(status).toMatchObject({ step: 'awaiting_approval', decision: null });
    expect(status.results.training).toMatchObject({ candidate_id: candidate, fine_tuned: true });

    const refused = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e);
    const unknownApprover = await refused(handle.executeUpdate(approvePromotion, { args: [{ candidate, by: 'mallory' }] }));
    expect(unknownApprover).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((unknownApprover as Error & { cause?: Error }).cause?.message)).toMatch(/mallory is not an authorised approver/);
    const wrongCandidate = await refused(handle.executeUpdate(approvePromotion, { args: [{ candidate: production, by: 'alice' }] }));
    expect(String((wrongCandidate as Error & { cause?: Error }).cause?.message)).toMatch(/is not the candidate awaiting approval/);

    const decision = await handle.executeUpdate(approvePromotion, { args: [{ candidate, by: 'alice', comment: 'ship it' }] });
    expect(decision).toMatchObject({ kind: 'approve', by: 'alice', comment: 'ship it' });
    const again = await refused(handle.executeUpdate(rejectPromotion, { args: [{ candidate, by: 'alice', reason: 'changed my mind' }] }));
    expect(String((again as Error & { cause?: Error }).cause?.message)).toMatch(/a decision was already taken/);
    const results = await handle.result();
    expect(results.promotion).toEqual({ production_id: candidate, previous_production_id: production });
    expect((await findProductionModel(db.handle.db))!.id).toBe(candidate);
    await rollbackModel(db.handle.db, { by: 'test', comment: 'restore for the next test' });
  }, 300_000);

  it('rejection by Update leaves production unchanged', async () => {
    const handle = await start('reject');
    const candidate = await awaitingApproval(handle);
    await handle.executeUpdate(rejectPromotion, { args: [{ candidate, by: 'alice', reason: 'not yet' }] });
    const results = await handle.result();
    expect(results.approval).toMatchObject({ kind: 'reject', by: 'alice', comment: 'not yet' });
    expect((await findProductionModel(db.handle.db))!.id).toBe(production);
  }, 300_000);

  it('an approval nobody gives expires and leaves production unchanged', async () => {
    const handle = await start('expire', { approvalTimeoutMs: 3000 });
    const results = await handle.result();
    expect(results.approval).toEqual({ kind: 'expired' });
    expect((await findProductionModel(db.handle.db))!.id).toBe(production);
  }, 300_000);

  it('needloop schedule create makes the nightly Schedule; needloop run refuses a second run for one night', async () => {
    const cliEnv = { DATABASE_URL: db.handle.url, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default', TEMPORAL_TASK_QUEUE: TASK_QUEUE, NEEDLOOP_INBOX: input.inbox ?? '' };
    const created = await runCli(['schedule', 'create', '--timezone', 'Europe/Paris', '--json'], cliEnv);
    expect(created.stderr).toBe('');
    const described = JSON.parse((await runCli(['schedule', 'describe', '--json'], cliEnv)).stdout);
    expect(described).toMatchObject({ schedule_id: `${TASK_QUEUE}-nightly`, paused: false, overlap: 'ALLOW_ALL', timezone: 'Europe/Paris', calendars: [expect.objectContaining({ hour: [{ start: 2, end: 2, step: 1 }] })] });
    expect((await runCli(['schedule', 'pause', '--note', 'test'], cliEnv)).code).toBe(0);
    expect(JSON.parse((await runCli(['schedule', 'describe', '--json'], cliEnv)).stdout).paused).toBe(true);
    expect((await runCli(['schedule', 'delete'], cliEnv)).code).toBe(0);

    const night = `2001-01-${String(1 + (process.pid % 28)).padStart(2, '0')}`;
    const first = await runCli(['run', '--date', night, '--json'], cliEnv);
    expect(JSON.parse(first.stdout)).toMatchObject({ run_id: `${TASK_QUEUE}-nightly-${night}`, status: 'running' });
    const second = await runCli(['run', '--date', night], cliEnv);
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(`needloop: the pipeline for ${night} already ran or is running (${TASK_QUEUE}-nightly-${night}); one run per night\n`);
    await env.client.workflow.getHandle(`${TASK_QUEUE}-nightly-${night}`).terminate('test over');
  }, 300_000);
});
