import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createActivities, type PipelineActivities } from '../../activities/pipeline-activities.js';
import { loadConfig } from '../../config.js';
import { findProductionModel, promoteModel } from '../../db/queries/model-versions.js';
import { addApprover, findPipelineRun, stepTimes } from '../../db/queries/pipeline-runs.js';
import { selectBackend } from '../../models/backend.js';
import { evaluateCandidate } from '../../models/evaluate-candidate.js';
import { ModelStore } from '../../models/model-store.js';
import { trainCandidate } from '../../models/train-candidate.js';
import { EMERGING_NEED, generateScenario, type ScenarioName } from '../../scenarios/generate.js';
import type { ReportData } from '../../web/report.js';
import { DecisionRefused } from '../../workflows/approval.js';
import { decideLocally, runLocally } from '../../workflows/local-runner.js';
import { DEFAULT_APPROVAL_TIMEOUT_MS, type PipelineInput } from '../../workflows/types.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { useTempFiles } from '../helpers/fixtures.js';
import { catalogue } from '../helpers/ingest.js';

const files = useTempFiles();
const CHANGE = new Date('2026-09-29T00:00:00Z');

beforeAll(async () => {
  await selectBackend('cpu');
});

/** A database, the scenario's files in an inbox, and the activities over them. */
async function setUp(scenario: ScenarioName) {
  const handle: TestDatabase = await createTestDatabase();
  const dir = join(files.dir, scenario);
  await generateScenario({ outDir: join(dir, 'inbox'), catalogue, users: 600, days: 56, scenario, seed: 5, changeDay: 28 });
  const config = loadConfig({ DATABASE_URL: handle.url, NEEDLOOP_HOME: dir, NEEDLOOP_REPORTS_DIR: join(dir, 'reports'), TFJS_BACKEND: 'cpu' });
  const store = new ModelStore(config.modelsDir);
  const acts: PipelineActivities = createActivities({ handle, config, store, catalogue });
  const input: PipelineInput = { inbox: join(dir, 'inbox'), approvalTimeoutMs: DEFAULT_APPROVAL_TIMEOUT_MS, seed: 1 };
  await addApprover(handle.db, 'alice', 'token-a');
  return { handle, dir, config, store, acts, input };
}

/** Makes a model trained on the weeks before the change the production model. */
async function productionBeforeTheChange(ctx: Awaited<ReturnType<typeof setUp>>): Promise<string> {
  for (const file of await ctx.acts.listInbox({ inbox: ctx.input.inbox })) await ctx.acts.ingestFile({ file });
  const deps = { db: ctx.handle.db, store: ctx.store, backend: { choice: 'cpu' as const, backend: 'cpu', device: 'CPU, pure JavaScript' } };
  const first = await trainCandidate(deps, { to: CHANGE });
  await evaluateCandidate(deps, { candidateId: first.version.id });
  await promoteModel(ctx.handle.db, first.version.id, { by: 'setup' });
  return first.version.id;
}

describe('the pipeline through the local runner, on the stable scenario', () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    ctx = await setUp('stable');
  }, 120_000);

  it('the first run on an empty registry trains a first model and asks for approval', async () => {
    const outcome = await runLocally(ctx.acts, ctx.input);
    expect(outcome.status).toBe('awaiting_approval');
    expect(outcome.results.ingested!.map((f) => f.status)).toEqual(['loaded', 'loaded', 'loaded']);
    expect(outcome.results.decision).toMatchObject({ retrain: true, first_model: true });
    expect(outcome.results.needs!.comments_classified_by).toBe('label words');
    expect(outcome.results.evaluation).toMatchObject({ blessed: true, production_id: null });
    const run = (await findPipelineRun(ctx.handle.db, outcome.run_id))!;
    expect(run).toMatchObject({ status: 'awaiting_approval', candidate_id: outcome.pending!.candidate_id, step: 'awaiting_approval' });
    expect(run.approval_deadline!.getTime() - run.started_at.getTime()).toBeGreaterThan(DEFAULT_APPROVAL_TIMEOUT_MS - 120_000);
    // A decision stored by a process that stopped before the run went on: the next run finishes it first.
    expect(await ctx.acts.recordDecision({ run_id: outcome.run_id, decision: { kind: 'approve', by: 'alice', comment: 'first model', at: new Date().toISOString() } })).toBe(true);
    const next = await runLocally(ctx.acts, ctx.input);
    expect((await findPipelineRun(ctx.handle.db, outcome.run_id))!).toMatchObject({ status: 'completed', step: 'done' });
    expect((await findProductionModel(ctx.handle.db))!.id).toBe(outcome.pending!.candidate_id);
    expect(next.results.training).toBeUndefined();
    // Every step's time, the wait for approval among them, each closed when the next began.
    const times = await stepTimes(ctx.handle.db, outcome.run_id);
    expect(times.map((t) => t.step)).toEqual(['ingest', 'segment', 'needs', 'drift', 'decide', 'train', 'evaluate', 'awaiting_approval', 'promote', 'report']);
    for (const [i, t] of times.entries()) {
      expect(t.seconds).toBeGreaterThanOrEqual(0);
      if (i > 0) expect(t.started_at.getTime()).toBeGreaterThanOrEqual(times[i - 1].finished_at!.getTime());
    }
  }, 120_000);

  it('a later run on unchanged data does not retrain and publishes its report', async () => {
    const before = (await findProductionModel(ctx.handle.db))!.id;
    const outcome = await runLocally(ctx.acts, ctx.input);
    expect(outcome.status).toBe('completed');
    expect(outcome.results.ingested!.map((f) => f.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect(outcome.results.decision!.retrain).toBe(false);
    expect(outcome.results.training).toBeUndefined();
    expect(outcome.pending).toBeNull();
    expect((await findProductionModel(ctx.handle.db))!.id).toBe(before);
    const report = outcome.results.report!;
    expect(report.path).toBe(join(ctx.dir, 'reports', `run-${outcome.run_id}.html`));
    expect(await readFile(report.latest, 'utf8')).toBe(await readFile(report.path, 'utf8'));
    const html = await readFile(report.path, 'utf8');
    expect(html).toContain('The model was not retrained: nothing calls for it — production model 1 holds up.');
    // Nothing new arrived, and the report says so on its first screen and in its summary.
    expect(html).toContain('<strong>Nothing new arrived</strong>: no new file in the inbox');
    expect(html).toContain('<li>Nothing new arrived: no new file in the inbox, so these figures are the same data as the previous report.</li>');
    expect(html).toContain('same answers as the previous run: nothing new');
    // Each persona's change since the last run: the same data segments into the same personas.
    const embedded = JSON.parse(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1]) as ReportData;
    expect(embedded.segments!.length).toBeGreaterThan(0);
    for (const s of embedded.segments!) expect(s.previous_size).toBe(s.size);
    // The report's table of step times lists the steps before it, none of them training.
    const stepRows = [...html.matchAll(/<tr data-step="([a-z_]+)">/g)].map((m) => m[1]);
    expect(stepRows).toEqual(['ingest', 'segment', 'needs', 'drift', 'decide']);
    const stored = await ctx.handle.db.selectFrom('reports').selectAll().where('pipeline_run_id', '=', outcome.run_id).execute();
    expect(stored).toHaveLength(1);
    expect((await findPipelineRun(ctx.handle.db, outcome.run_id))!).toMatchObject({ status: 'completed', step: 'done', error: null });
  }, 120_000);
});

describe('the pipeline through the local runner, on the emerging-need scenario', () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;
  let production: string;
  beforeAll(async () => {
    ctx = await setUp('emerging-need');
    production = await productionBeforeTheChange(ctx);
  }, 180_000);

  it('a fine-tuned candidate is trained, blessed and awaits approval; reject leaves production unchanged', async () => {
    const outcome = await runLocally(ctx.acts, ctx.input);
    expect(outcome.status, JSON.stringify({ decision: outcome.results.decision, gate: outcome.results.evaluation?.reasons })).toBe('awaiting_approval');
    expect(outcome.results.drift!.emerging_needs).toEqual([EMERGING_NEED]);
    // Survey comments now go through the production model.
    expect(outcome.results.needs!.comments_classified_by).toBe(`model ${production}`);
    expect(outcome.results.training).toMatchObject({ fine_tuned: true, parent_id: production, new_intents: [EMERGING_NEED] });
    expect(outcome.results.evaluation!.blessed).toBe(true);
    // Refused decisions change nothing.
    await expect(decideLocally(ctx.acts, outcome.run_id, { kind: 'approve', by: 'mallory', comment: null })).rejects.toThrow(new DecisionRefused('mallory is not an authorised approver'));
    await expect(decideLocally(ctx.acts, outcome.run_id, { kind: 'approve', candidate: production, by: 'alice', comment: null })).rejects.toThrow(DecisionRefused);
    await expect(decideLocally(ctx.acts, outcome.run_id, { kind: 'reject', by: 'alice', comment: ' ' })).rejects.toThrow(new DecisionRefused('a rejection needs a reason'));
    const rejected = await decideLocally(ctx.acts, outcome.run_id, { kind: 'reject', by: 'alice', comment: 'wait for more data' });
    expect(rejected.status).toBe('completed');
    expect(rejected.results.approval).toMatchObject({ kind: 'reject', by: 'alice' });
    expect((await findProductionModel(ctx.handle.db))!.id).toBe(production);
    await expect(decideLocally(ctx.acts, outcome.run_id, { kind: 'approve', by: 'alice', comment: null })).rejects.toThrow(/^a decision was already taken: reject by alice/);
  }, 180_000);

  it('an approval that expires leaves production unchanged', async () => {
    const outcome = await runLocally(ctx.acts, { ...ctx.input, approvalTimeoutMs: 1500 });
    expect(outcome.status, JSON.stringify({ decision: outcome.results.decision, gate: outcome.results.evaluation?.reasons })).toBe('awaiting_approval');
    await new Promise((resolve) => setTimeout(resolve, 1600));
    await expect(decideLocally(ctx.acts, outcome.run_id, { kind: 'approve', by: 'alice', comment: null })).rejects.toThrow(/^the approval of model \d+ expired at /);
    const run = (await findPipelineRun(ctx.handle.db, outcome.run_id))!;
    expect(run.status).toBe('completed');
    expect(run.results).toMatchObject({ approval: { kind: 'expired' } });
    const candidate = await ctx.handle.db.selectFrom('model_versions').select(['status', 'status_reason']).where('id', '=', outcome.pending!.candidate_id).executeTakeFirstOrThrow();
    expect(candidate.status).toBe('rejected');
    expect(candidate.status_reason).toMatch(/the approval expired$/);
    expect((await findProductionModel(ctx.handle.db))!.id).toBe(production);
  }, 180_000);

  it('approve makes the candidate the production model', async () => {
    const outcome = await runLocally(ctx.acts, ctx.input);
    expect(outcome.status, JSON.stringify({ decision: outcome.results.decision, gate: outcome.results.evaluation?.reasons })).toBe('awaiting_approval');
    const approved = await decideLocally(ctx.acts, outcome.run_id, { kind: 'approve', by: 'alice', comment: 'recovers the new need' });
    expect(approved.status).toBe('completed');
    expect(approved.results.promotion).toEqual({ production_id: outcome.pending!.candidate_id, previous_production_id: production });
    expect((await findProductionModel(ctx.handle.db))!.id).toBe(outcome.pending!.candidate_id);
    await access(approved.results.report!.path);
    expect(await readFile(approved.results.report!.path, 'utf8')).toContain('alice approved it: it is the production model now.');
  }, 180_000);
});
