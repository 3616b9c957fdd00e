import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateScenario } from '../../scenarios/generate.js';
import { runCli } from '../helpers/cli.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { catalogue, ingest } from '../helpers/ingest.js';

const db = useTestDatabase();
const files = useTempFiles();
let env: Record<string, string>;
const json = (stdout: string) => JSON.parse(stdout) as Record<string, any>;

beforeAll(async () => {
  env = { DATABASE_URL: db.handle.url, NEEDLOOP_MODELS_DIR: join(files.dir, 'models'), TFJS_BACKEND: 'cpu' };
  const generated = await generateScenario({ outDir: join(files.dir, 'data'), catalogue, users: 500, days: 42, scenario: 'stable', seed: 2 });
  for (const f of [generated.files.users, generated.files.surveys, generated.files.usage]) await ingest(db.handle, f);
}, 120_000);

describe('needloop train, evaluate, promote, predict, models, rollback', () => {
  it('walks a first model from training to production', async () => {
    expect(json((await runCli(['models', '--json'], env)).stdout)).toEqual({ models: [] });
    const none = await runCli(['predict', 'hello', '--json'], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('needloop: there is no production model yet: needloop train, evaluate, then promote one\n');

    const train = await runCli(['train', '--to', '2026-10-10', '--seed', '3', '--json'], env);
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    const trained = json(train.stdout);
    expect(trained.model).toMatchObject({ id: '1', status: 'candidate', parent: null, backend: 'cpu' });
    expect(trained.model.holdout_to).toBe('2026-10-11T00:00:00.000Z');
    expect(trained.examples.golden_frozen).toBeGreaterThan(0);

    const early = await runCli(['promote', '1', '--by', 'alice'], env);
    expect(early.code).toBe(1);
    expect(early.stderr).toBe('needloop: model 1 is candidate: only a candidate the gate blessed (awaiting_approval) can be promoted\n');

    const evaluate = await runCli(['evaluate', '--candidate', '1', '--json'], env);
    expect(evaluate.code).toBe(0);
    const evaluation = json(evaluate.stdout);
    expect(evaluation).toMatchObject({ candidate_id: '1', production_id: null, blessed: true, status: 'awaiting_approval' });
    expect(evaluation.candidate.holdout.per_intent.length).toBeGreaterThan(5);
    expect(Object.keys(evaluation.candidate.latency)).toEqual(['p50_ms', 'p95_ms', 'requests']);

    const promote = await runCli(['promote', '1', '--by', 'alice', '--comment', 'first model'], env);
    expect(promote.stdout).toBe('Model 1 is in production, approved by alice.\n');

    const predict = await runCli(['predict', 'summarize this contract for me', '把这段话翻译成日语', '--json'], env);
    expect(predict.code).toBe(0);
    const predicted = json(predict.stdout);
    expect(predicted.model).toBe('1');
    expect(predicted.predictions).toMatchObject([
      { text: 'summarize this contract for me', intent: 'summarize_documents' },
      { text: '把这段话翻译成日语', intent: 'translate_text' },
    ]);
    expect(predicted.predictions[0].confidence).toBeGreaterThan(0.5);

    const models = json((await runCli(['models', '--json'], env)).stdout);
    expect(models.models).toHaveLength(1);
    expect(models.models[0]).toMatchObject({ id: '1', status: 'production', parent: null, approved_by: 'alice' });
    expect(models.models[0].metrics.holdout_accuracy).toBeGreaterThan(0.85);
    expect(models.models[0].metrics.holdout_macro_f1).toBeGreaterThan(0.6);
    expect(typeof models.models[0].created_at).toBe('string');

    const rollback = await runCli(['rollback', '--by', 'bob'], env);
    expect(rollback.code).toBe(1);
    expect(rollback.stderr).toBe('needloop: model 1 is the first production model: there is nothing earlier to roll back to\n');
  });

  it('refuses bad arguments and a corrupted artifact with clear errors', async () => {
    const bad = await runCli(['evaluate', '--candidate', "1'; drop table model_versions; --"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^needloop: --candidate must be a model id from `needloop models`/);
    const missing = await runCli(['promote', '99', '--by', 'alice'], env);
    expect(missing.stderr).toBe('needloop: model 99 does not exist (see needloop models)\n');
    expect((await runCli(['train', '--epochs', '0'], env)).stderr).toBe('needloop: --epochs must be a whole number from 1 to 200 (got 0)\n');
    expect((await runCli(['train', '--to', 'soon'], env)).stderr).toBe('needloop: --to "soon" is not a date (use YYYY-MM-DD or an ISO 8601 time)\n');

    const models = json((await runCli(['models', '--json'], env)).stdout);
    const weights = join(files.dir, 'models', 'sha256', models.models[0].artifact_sha256, 'weights.bin');
    const bytes = await readFile(weights);
    bytes[0] ^= 1;
    await writeFile(weights, bytes);
    const corrupted = await runCli(['predict', 'hello'], env);
    expect(corrupted.code).toBe(1);
    expect(corrupted.stderr).toMatch(/^needloop: \S+weights\.bin is corrupted: its sha256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64}; refusing to load it\n$/);
  });
});
