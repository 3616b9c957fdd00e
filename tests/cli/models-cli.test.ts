import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateScenario } from '../../scenarios/generate.js';
import { runCli } from '../helpers/cli.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { catalogue, ingest } from '../helpers/ingest.js';
import { addApprover, createPipelineRun, updatePipelineRun } from '../../db/queries/pipeline-runs.js';

const db = useTestDatabase();
const files = useTempFiles();
let env: Record<string, string>;
const json = (stdout: string) => JSON.parse(stdout) as Record<string, any>;
/** The environment of NAME's commands: their approver token in NEEDLOOP_TOKEN. */
const as = (name: string) => ({ ...env, NEEDLOOP_TOKEN: `token-of-${name}-0123456789abcdef` });

beforeAll(async () => {
  env = { DATABASE_URL: db.handle.url, NEEDLOOP_MODELS_DIR: join(files.dir, 'models'), TFJS_BACKEND: 'cpu' };
  const generated = await generateScenario({ outDir: join(files.dir, 'data'), catalogue, users: 500, days: 42, scenario: 'stable', seed: 2 });
  for (const f of [generated.files.users, generated.files.surveys, generated.files.usage]) await ingest(db.handle, f);
  for (const name of ['alice', 'bob']) await addApprover(db.handle.db, name, `token-of-${name}-0123456789abcdef`);
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
    // What the out-of-scope flag costs is said at training time, not discovered in production.
    expect(trained.out_of_scope.in_scope_flagged).toBeGreaterThanOrEqual(0);
    expect(trained.out_of_scope.in_scope_flagged).toBeLessThan(0.2);
    // A first model: the threshold applies to the confidence times the closeness to the need's region.
    expect(trained.out_of_scope.score).toBe("confidence × closeness to the need's region");
    expect(trained.out_of_scope.below).toBeGreaterThan(0);

    const early = await runCli(['promote', '1'], as('alice'));
    expect(early.code).toBe(1);
    expect(early.stderr).toBe('needloop: model 1 is candidate: only a candidate the gate blessed (awaiting_approval) can be promoted\n');

    const evaluate = await runCli(['evaluate', '--candidate', '1', '--json'], env);
    expect(evaluate.code).toBe(0);
    const evaluation = json(evaluate.stdout);
    expect(evaluation).toMatchObject({ candidate_id: '1', production_id: null, blessed: true, status: 'awaiting_approval' });
    expect(evaluation.candidate.holdout.per_intent.length).toBeGreaterThan(5);
    expect(Object.keys(evaluation.candidate.latency)).toEqual(['p50_ms', 'p95_ms', 'requests']);

    // The candidate, measured before anyone decides: predict --model names it.
    const measured = await runCli(['predict', '--model', '1', 'summarize this contract for me', '--json'], env);
    expect(measured.stderr).toBe('');
    expect(json(measured.stdout)).toMatchObject({ model: '1', status: 'awaiting_approval', predictions: [{ text: 'summarize this contract for me', intent: 'summarize_documents' }] });
    expect((await runCli(['predict', '--model', '1', 'summarize this contract for me'], env)).stdout).toMatch(/^Model 1 \(awaiting approval, not production\):\nsummarize_documents/);
    expect((await runCli(['predict', '--model', '7', 'hello'], env)).stderr).toBe('needloop: there is no model 7: npx needloop models lists them\n');

    // Only a registered approver decides a promotion, proven by their token; every attempt is audited.
    const mallory = await runCli(['promote', '1', '--by', 'mallory'], as('mallory'));
    expect(mallory.code).toBe(1);
    expect(mallory.stderr).toBe('needloop: refused: the token given belongs to no approver (needloop approver list; a viewer cannot decide)\n');
    const claimed = await runCli(['promote', '1', '--by', 'bob'], as('alice'));
    expect(claimed.stderr).toBe("needloop: refused: the token given is alice's, not bob's\n");
    const tokenless = await runCli(['promote', '1', '--by', 'alice'], env);
    expect(tokenless.code).toBe(2);
    expect(tokenless.stderr).toContain('set NEEDLOOP_TOKEN, or pass --token-file FILE');
    // A candidate a pipeline run holds is decided through that run: its deadline and its state hold.
    const run = await createPipelineRun(db.handle.db, { runner: 'local', runKey: null });
    await updatePipelineRun(db.handle.db, run, { status: 'awaiting_approval', candidateId: '1', approvalDeadline: new Date(Date.now() + 3_600_000) });
    const waiting = await runCli(['promote', '1'], as('alice'));
    expect(waiting.code).toBe(1);
    expect(waiting.stderr).toBe(`needloop: model 1 waits for approval in pipeline run ${run}: decide it there, so that the run ends as decided (needloop approve ${run} --token-file FILE)\n`);
    await updatePipelineRun(db.handle.db, run, { approvalDeadline: new Date(Date.now() - 1000) });
    const late = await runCli(['promote', '1'], as('alice'));
    expect(late.stderr).toMatch(new RegExp(`^needloop: model 1 waited in pipeline run ${run}, whose approval deadline passed at .*: it can no longer be promoted`));
    expect((await db.handle.db.selectFrom('model_versions').select('status').where('id', '=', '1').executeTakeFirstOrThrow()).status).toBe('awaiting_approval');
    await db.handle.db.deleteFrom('pipeline_runs').where('id', '=', run).execute();
    const promote = await runCli(['promote', '1', '--comment', 'first model'], as('alice'));
    expect(promote.stdout).toBe('Model 1 is in production, approved by alice.\n');
    const audited = await db.handle.db.selectFrom('audit_log').select(['actor', 'action', 'target', 'outcome', 'detail', 'source']).where('action', '=', 'promote').orderBy('id').execute();
    // Refused too, and audited: the two tries while a run held the candidate.
    expect(audited.map((a) => [a.actor, a.target, a.outcome])).toEqual([['alice', 'model 1', 'refused'], ['mallory', 'model 1', 'refused'], ['bob', 'model 1', 'refused'], ['alice', 'model 1', 'refused'], ['alice', 'model 1', 'refused'], ['alice', 'model 1', 'accepted']]);
    expect(audited[1].detail).toBe('the token given belongs to no approver (needloop approver list; a viewer cannot decide)');
    expect(audited[3].detail).toMatch(/^model 1 waits for approval in pipeline run/);
    expect(audited[5].detail).toBe('first model');
    expect(audited.every((a) => /^cli \(os user .+ on .+\)$/.test(a.source ?? ''))).toBe(true);

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

    const rollback = await runCli(['rollback'], as('bob'));
    expect(rollback.code).toBe(1);
    expect(rollback.stderr).toBe('needloop: model 1 is the first production model: there is nothing earlier to roll back to\n');
  });

  it('predict --input FILE: one prediction per line, streaming, whole through a pipe past 1 MiB; bad lines answered with their reason', async () => {
    const lines = Array.from({ length: 6000 }, (_, i) => JSON.stringify({ id: `r${i}`, text: i % 2 ? 'translate this paragraph into German' : 'summarize this contract for me' }));
    lines.splice(10, 0, '{"id": "broken"', JSON.stringify({ id: 'no-text' }));
    const jsonl = await files.file('requests.jsonl', `${lines.join('\n')}\n`);
    const run = await runCli(['predict', '--input', jsonl], env);
    expect(run.code).toBe(1);
    expect(run.stdout.length).toBeGreaterThan(1 << 20);
    const out = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    expect(out).toHaveLength(6002);
    expect(out[0]).toMatchObject({ line: 1, id: 'r0', intent: 'summarize_documents', out_of_scope: false });
    expect(out[0].top).toHaveLength(3);
    expect(out[10]).toEqual({ line: 11, id: null, error: expect.stringMatching(/requests\.jsonl, line 11: not JSON/) });
    expect(out[11]).toEqual({ line: 12, id: 'no-text', error: `${jsonl}, line 12: "text" must be a non-empty string` });
    expect(out[6001]).toMatchObject({ line: 6002, id: 'r5999', intent: 'translate_text' });
    expect(run.stderr).toMatch(/^needloop: model 1 predicted 6000 of 6002 requests in [\d.]+ s \(\d+\/s\); 2 lines could not be read/);
    const csv = await files.file('requests.csv', 'id,text\n1,"summarize this contract, please"\n2,translate this paragraph into German\n');
    const fromCsv = await runCli(['predict', '--input', csv], env);
    expect(fromCsv.code).toBe(0);
    expect(fromCsv.stdout.trim().split('\n').map((l) => JSON.parse(l).intent)).toEqual(['summarize_documents', 'translate_text']);
    const headerless = await files.file('bad.csv', 'words\nhello\n');
    expect((await runCli(['predict', '--input', headerless], env)).stderr).toBe(`needloop: ${headerless}, line 1: the CSV header must name a text column (and may name id); it is "words"\n`);
  });

  it('refuses bad arguments and a corrupted artifact with clear errors', async () => {
    const bad = await runCli(['evaluate', '--candidate', "1'; drop table model_versions; --"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^needloop: --candidate must be a model id from `needloop models`/);
    const missing = await runCli(['promote', '99'], as('alice'));
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
