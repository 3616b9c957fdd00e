import { join } from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { createActivities, type IngestSummary, type PipelineActivities } from '../../activities/pipeline-activities.js';
import { loadConfig } from '../../config.js';
import { selectBackend } from '../../models/backend.js';
import { ModelStore } from '../../models/model-store.js';
import { generateScenario } from '../../scenarios/generate.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { catalogue } from '../helpers/ingest.js';

const db = useTestDatabase();
const files = useTempFiles();
let acts: PipelineActivities;
let runId: string;

beforeAll(async () => {
  await selectBackend('cpu');
  const config = loadConfig({ DATABASE_URL: db.handle.url, NEEDLOOP_HOME: files.dir, NEEDLOOP_REPORTS_DIR: join(files.dir, 'reports'), TFJS_BACKEND: 'cpu' });
  acts = createActivities({ handle: db.handle, config, store: new ModelStore(config.modelsDir), catalogue });
  runId = (await acts.beginRun({ runner: 'temporal', run_key: 'test-run' })).run_id;
});

const versions = async () => (await db.handle.db.selectFrom('model_versions').select('id').execute()).length;

describe('pipeline activities in a Temporal activity context (MockActivityEnvironment)', () => {
  it('fineTune on an empty database fails as bad data, not to be retried', async () => {
    // The SDK logs every failed activity as a warning; this failure is the one expected.
    const quiet = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    const error = await quiet.run(acts.fineTune, { run_id: runId, seed: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'TrainingDataError', nonRetryable: true });
    expect((error as Error).message).toMatch(/^there are no usage events to learn from/);
  });

  it('beginRun is idempotent for one workflow id (a retried activity finds its run)', async () => {
    expect((await acts.beginRun({ runner: 'temporal', run_key: 'test-run' })).run_id).toBe(runId);
  });

  it('one Temporal run per night, whatever its workflow id; a second run of the night may not train a second candidate', async () => {
    const scheduled = (await acts.beginRun({ runner: 'temporal', run_key: 'needloop-nightly-2026-11-30T01:00:00Z', night: '2026-11-30' })).run_id;
    expect((await acts.beginRun({ runner: 'temporal', run_key: 'needloop-nightly-2026-11-30T01:00:00Z', night: '2026-11-30' })).run_id).toBe(scheduled);
    const manual = await acts.beginRun({ runner: 'temporal', run_key: 'needloop-nightly-2026-11-30', night: '2026-11-30' }).catch((e: unknown) => e);
    expect(manual).toMatchObject({ type: 'NightTaken', nonRetryable: true, message: `pipeline run ${scheduled} (needloop-nightly-2026-11-30T01:00:00Z) already covers the night of 2026-11-30: one run per night` });
    // While one run trains, another run's decision waits for it.
    await acts.recordRun({ run_id: scheduled, step: 'train' });
    const other = (await acts.beginRun({ runner: 'temporal', run_key: 'needloop-nightly-2026-12-01', night: '2026-12-01' })).run_id;
    expect(await acts.decideRetraining({ drift_retrain: true, drift_reasons: ['drift'], run_id: other })).toEqual({ retrain: false, first_model: false, reasons: [`pipeline run ${scheduled} is training a candidate: no second one until it is decided`] });
    // A failed run frees its night.
    await acts.finishRun({ run_id: scheduled, status: 'failed', results: {}, error: 'test' });
    await acts.finishRun({ run_id: other, status: 'failed', results: {}, error: 'test' });
    expect((await acts.beginRun({ runner: 'temporal', run_key: 'needloop-nightly-2026-11-30', night: '2026-11-30' })).run_id).not.toBe(scheduled);
  });

  it('ingestFile heartbeats its progress and loads the file once', async () => {
    const generated = await generateScenario({ outDir: join(files.dir, 'inbox'), catalogue, users: 300, days: 35, scenario: 'stable', seed: 2 });
    const inbox = await acts.listInbox({ inbox: join(files.dir, 'inbox') });
    expect(inbox).toEqual([generated.files.users, generated.files.surveys, generated.files.usage]);
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    for (const file of inbox) expect(((await env.run(acts.ingestFile, { file })) as IngestSummary).status).toBe('loaded');
    expect(beats.length).toBeGreaterThan(0);
    expect(beats[0]).toMatchObject({ file: generated.files.users });
    expect(((await env.run(acts.ingestFile, { file: generated.files.usage })) as IngestSummary).status).toBe('duplicate');
  });

  it('fineTune heartbeats from its start (loading), then epochs and batches; a cancelled training registers nothing', async () => {
    const env = new MockActivityEnvironment();
    const beats: { phase: string; epoch?: number; batch?: number }[] = [];
    env.on('heartbeat', (d: { phase: string; epoch?: number; batch?: number }) => {
      beats.push(d);
      if (d.phase === 'training') env.cancel();
    });
    const error = await env.run(acts.fineTune, { run_id: runId, seed: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledFailure);
    // Loading the data can outlast the heartbeat timeout: the first beat comes before it.
    expect(beats[0]).toEqual({ phase: 'loading' });
    expect(beats[1]).toMatchObject({ phase: 'training', epoch: 1, batch: 1 });
    expect(await versions()).toBe(0);

    const completed = new MockActivityEnvironment();
    const progress: unknown[] = [];
    completed.on('heartbeat', (d: unknown) => progress.push(d));
    const trained = await completed.run(acts.fineTune, { run_id: runId, seed: 1 });
    expect(trained).toMatchObject({ fine_tuned: false, parent_id: null, backend: 'cpu' });
    expect(progress.length).toBeGreaterThan(0);
    expect(await versions()).toBe(1);
  });
});
