import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { labelledExamples, stratifiedExamples } from '../../db/queries/labelled-examples.js';
import { findModelVersion, findProductionModel, promoteModel, registerCandidate, rejectModel, RegistryError, rollbackModel } from '../../db/queries/model-versions.js';
import { ArtifactError } from '../../models/artifacts.js';
import { selectBackend } from '../../models/backend.js';
import { buildModel } from '../../models/build-model.js';
import { SPLITS, toTrainingData } from '../../models/dataset.js';
import { evaluateCandidate } from '../../models/evaluate-candidate.js';
import { ModelStore } from '../../models/model-store.js';
import { DEFAULT_TOKENIZER } from '../../models/tokenizer.js';
import { trainClassifier } from '../../models/train.js';
import { trainCandidate, TrainingDataError, type ModelDeps, type TrainedCandidate } from '../../models/train-candidate.js';
import { Random } from '../../analytics/seeded-random.js';
import { generateScenario } from '../../scenarios/generate.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { catalogue, ingest } from '../helpers/ingest.js';

const db = useTestDatabase();
const files = useTempFiles();
const CPU = { choice: 'cpu' as const, backend: 'cpu', device: 'CPU, pure JavaScript' };
let deps: ModelDeps;
let first: TrainedCandidate;

beforeAll(async () => {
  await selectBackend('cpu');
  deps = { db: db.handle.db, store: new ModelStore(join(files.dir, 'models')), backend: CPU };
  await expect(trainCandidate(deps)).rejects.toThrow(new TrainingDataError('there are no usage events to learn from: ingest a usage file first (needloop ingest)'));
  const generated = await generateScenario({ outDir: join(files.dir, 'stable'), catalogue, users: 500, days: 42, scenario: 'stable', seed: 11 });
  for (const f of [generated.files.users, generated.files.surveys, generated.files.usage]) await ingest(db.handle, f);
  first = await trainCandidate(deps, { seed: 7 });
}, 300_000);

describe('the first model, on the stable scenario', () => {
  it('is registered as a candidate with its lineage, window, hyperparameters and backend', () => {
    const v = first.version;
    expect(v).toMatchObject({ status: 'candidate', parent_id: null, backend: 'cpu', device: 'CPU, pure JavaScript' });
    expect(v.hyperparameters).toMatchObject({ dimensions: 64, hidden: 64, seed: 7 });
    expect(v.holdout_to.getTime() - v.holdout_from.getTime()).toBe(SPLITS.holdoutDays * 86_400_000);
    // Trained up to the end of the data: the holdout is a hash partition no model trains on.
    expect(v.data_to).toEqual(v.holdout_to);
    expect(v.artifact_path).toBe(join(files.dir, 'models', 'sha256', v.artifact_sha256));
    expect(first.curve.length).toBeGreaterThan(0);
  });

  it('freezes a stratified golden set that training never sees', async () => {
    const golden = await db.handle.db.selectFrom('golden_examples').selectAll().execute();
    expect(golden.length).toBe(first.examples.golden_frozen);
    const perIntent = new Map<string, number>();
    for (const g of golden) perIntent.set(g.intent, (perIntent.get(g.intent) ?? 0) + 1);
    expect(perIntent.size).toBe(first.version.labels.length);
    expect(Math.max(...perIntent.values())).toBeLessThanOrEqual(SPLITS.goldenPerIntent);
    const window = { from: new Date(0), to: first.version.holdout_to };
    const trainable = new Set((await labelledExamples(db.handle.db, { window, segmentRunId: null })).map((e) => e.event_id));
    expect(golden.some((g) => trainable.has(g.event_id))).toBe(false);
  });

  it('a large holdout is judged on a sample stratified by need: each need keeps the same share, the same rows each time', async () => {
    const query = { window: { from: first.version.holdout_from, to: first.version.holdout_to }, segmentRunId: null, partition: 'holdout' as const };
    const all = await labelledExamples(db.handle.db, query);
    const limit = Math.floor(all.length / 4);
    const { examples, total } = await stratifiedExamples(db.handle.db, { ...query, limit, sampleSeed: 'test' });
    expect(total).toBe(all.length);
    const count = (rows: { intent: string }[]) => rows.reduce((m, r) => m.set(r.intent, (m.get(r.intent) ?? 0) + 1), new Map<string, number>());
    const [inAll, inSample] = [count(all), count(examples)];
    expect(inAll.size).toBeGreaterThan(5);
    for (const [intent, n] of inAll) expect([intent, inSample.get(intent)]).toEqual([intent, Math.ceil((limit * n) / total)]);
    const ids = new Set(all.map((e) => e.event_id));
    expect(examples.every((e) => ids.has(e.event_id))).toBe(true);
    const again = await stratifiedExamples(db.handle.db, { ...query, limit, sampleSeed: 'test' });
    expect(again.examples.map((e) => e.event_id)).toEqual(examples.map((e) => e.event_id));
    const other = await stratifiedExamples(db.handle.db, { ...query, limit, sampleSeed: 'other' });
    expect(other.examples.map((e) => e.event_id)).not.toEqual(examples.map((e) => e.event_id));
    expect((await stratifiedExamples(db.handle.db, { ...query, limit: all.length })).examples.map((e) => e.event_id)).toEqual(all.map((e) => e.event_id));
  });

  it('reaches a realistic holdout accuracy ≥ 0.88 (macro-F1 ≥ 0.7) and is blessed against guessing and the floors', async () => {
    const evaluation = await evaluateCandidate(deps, { candidateId: first.version.id });
    expect(evaluation.production).toBeNull();
    expect(evaluation.candidate.holdout.accuracy).toBeGreaterThanOrEqual(0.88);
    expect(evaluation.candidate.holdout.macro_f1).toBeGreaterThanOrEqual(0.7);
    expect(evaluation.candidate.holdout.ece).toBeLessThan(0.1);
    expect(evaluation.candidate.holdout.confusion.matrix.flat().reduce((a, b) => a + b, 0)).toBe(evaluation.holdout.examples);
    // Below SPLITS.holdoutSample every holdout example is judged; the accuracy comes with its interval.
    expect(evaluation.holdout.of).toBe(evaluation.holdout.examples);
    const { low, high } = evaluation.candidate.holdout.accuracy_interval!;
    expect([low < evaluation.candidate.holdout.accuracy!, evaluation.candidate.holdout.accuracy! < high, high - low < 0.1]).toEqual([true, true, true]);
    expect(evaluation.candidate.holdout.slices.map((s) => s.dimension)).toEqual(expect.arrayContaining(['plan', 'locale']));
    expect(evaluation.reasons.map((r) => r.split(':')[0])).toEqual(['PASS first model', 'PASS first model', 'PASS first model']);
    expect(evaluation).toMatchObject({ blessed: true, status: 'awaiting_approval' });
  });

  it('two trainings with one seed give identical weights: the same content-addressed artifact', async () => {
    // The golden set is frozen now, so this run reads exactly the examples the first one trained on.
    const again = await trainCandidate(deps, { seed: 7 });
    expect(again.version.artifact_sha256).toBe(first.version.artifact_sha256);
    const other = await trainCandidate(deps, { seed: 8 });
    expect(other.version.artifact_sha256).not.toBe(first.version.artifact_sha256);
    await rejectModel(db.handle.db, again.version.id, { by: 'test', reason: 'duplicate' });
    await rejectModel(db.handle.db, other.version.id, { by: 'test', reason: 'duplicate' });
  });
});

describe('promotion, the gate and rollback', () => {
  it('promote(V) refuses a candidate the gate has not blessed', async () => {
    const candidate = await trainCandidate(deps, { seed: 9 });
    await expect(promoteModel(db.handle.db, candidate.version.id, { by: 'alice' })).rejects.toThrow(
      new RegistryError(`model ${candidate.version.id} is candidate: only a candidate the gate blessed (awaiting_approval) can be promoted`),
    );
    await rejectModel(db.handle.db, candidate.version.id, { by: 'test', reason: 'not needed' });
  });

  it('promote(V) makes it the one production model and records who approved it', async () => {
    const { promoted, previous } = await promoteModel(db.handle.db, first.version.id, { by: 'alice', comment: 'looks good' });
    expect(previous).toBeNull();
    expect(promoted).toMatchObject({ status: 'production', approved_by: 'alice' });
    expect(promoted.approved_at).toBeInstanceOf(Date);
    const audit = await db.handle.db.selectFrom('promotions').selectAll().where('model_id', '=', first.version.id).execute();
    expect(audit).toMatchObject([{ action: 'promote', decided_by: 'alice', comment: 'looks good' }]);
    // A second production row is impossible, whoever writes it.
    await expect(sql`update model_versions set status = 'production' where id <> ${first.version.id}`.execute(db.handle.db)).rejects.toThrow(/model_versions_one_production/);
  });

  it('a candidate trained on shuffled labels is refused by the gate, with its reasons', async () => {
    const production = (await findProductionModel(db.handle.db))!;
    const window = { from: production.data_from, to: production.data_to };
    const examples = await labelledExamples(db.handle.db, { window, segmentRunId: null });
    const rng = new Random(3);
    const intents = examples.map((e) => e.intent);
    for (let i = intents.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [intents[i], intents[j]] = [intents[j], intents[i]];
    }
    const labels = production.labels;
    const model = buildModel({ classes: labels.length, seed: 4 });
    await trainClassifier(model, toTrainingData(examples.map((e, i) => ({ text: e.text, intent: intents[i] })), labels, DEFAULT_TOKENIZER), { epochs: 2, seed: 4 });
    const artifact = await deps.store.save(model, { labels, tokenizer: DEFAULT_TOKENIZER });
    const { id, status, approved_by, approved_at, created_at, metrics, status_reason, ...row } = production;
    void [id, status, approved_by, approved_at, created_at, metrics, status_reason];
    const shuffled = await registerCandidate(db.handle.db, {
      ...row, parent_id: production.id, labels: JSON.stringify(labels), hyperparameters: JSON.stringify(row.hyperparameters), training: JSON.stringify({ shuffled: true }),
      artifact_sha256: artifact.sha256, artifact_path: artifact.path,
    }, []);
    const evaluation = await evaluateCandidate(deps, { candidateId: shuffled.id });
    expect(evaluation).toMatchObject({ blessed: false, status: 'rejected' });
    expect(evaluation.nothing_to_gain).toBe(false);
    expect(evaluation.reasons[0]).toMatch(/^FAIL significantly worse than production: holdout accuracy 0\.\d{3} against production's 0\.9\d{2} on the same \d+ requests .*McNemar p < 0\.001\)$/);
    expect(evaluation.reasons.some((r) => r.startsWith('FAIL golden-set accuracy'))).toBe(true);
    const stored = (await findModelVersion(db.handle.db, shuffled.id))!;
    expect(stored.status_reason).toMatch(/^refused by the gate: FAIL significantly worse than production/);
    await expect(promoteModel(db.handle.db, shuffled.id, { by: 'alice' })).rejects.toThrow(RegistryError);
    expect((await findProductionModel(db.handle.db))!.id).toBe(production.id);
  });

  it('rollback() puts back the version production replaced, and refuses when there is none', async () => {
    await expect(rollbackModel(db.handle.db, { by: 'bob' })).rejects.toThrow(new RegistryError(`model ${first.version.id} is the first production model: there is nothing earlier to roll back to`));
    const next = await trainCandidate(deps, { seed: 12 });
    expect(next.version.parent_id).toBe(first.version.id);
    await db.handle.db.updateTable('model_versions').set({ status: 'awaiting_approval' }).where('id', '=', next.version.id).execute();
    await promoteModel(db.handle.db, next.version.id, { by: 'carol' });
    expect((await findModelVersion(db.handle.db, first.version.id))!.status).toBe('archived');
    // Each version carries its own temperature and out-of-scope threshold, fitted on its validation split.
    const calibrationOf = async () => {
      const loaded = await deps.store.load((await findProductionModel(db.handle.db))!.artifact_sha256);
      loaded.model.dispose();
      return loaded.calibration!;
    };
    const nextCalibration = await calibrationOf();
    expect(nextCalibration.temperature).toBeGreaterThan(0);
    expect(nextCalibration.out_of_scope_below).toBeGreaterThan(0);
    const { restored, retired } = await rollbackModel(db.handle.db, { by: 'bob', comment: 'complaints' });
    expect(restored.id).toBe(first.version.id);
    expect(retired).toBe(next.version.id);
    expect((await findProductionModel(db.handle.db))!.id).toBe(first.version.id);
    const { regions, ...restoredCalibration } = await calibrationOf();
    // The training record shows the calibration; the needs' regions (one unit vector per label) live with the artifact only.
    expect(restoredCalibration).toEqual((first.version.training as { calibration: object }).calibration);
    expect(regions).toHaveLength(first.version.labels.length);
    expect(regions!.filter((r) => r.length > 0).every((r) => Math.abs(Math.hypot(...r) - 1) < 1e-3)).toBe(true);
    expect(restoredCalibration).not.toEqual({ ...nextCalibration, regions: undefined });
    const statuses = await db.handle.db.selectFrom('model_versions').select(['status']).where('status', '=', 'production').execute();
    expect(statuses).toHaveLength(1);
  });

  it('a corrupted artifact is refused with a clear error', async () => {
    const production = (await findProductionModel(db.handle.db))!;
    const weights = join(production.artifact_path, 'weights.bin');
    const bytes = await readFile(weights);
    bytes[100] ^= 0xff;
    await writeFile(weights, bytes);
    await expect(deps.store.load(production.artifact_sha256)).rejects.toThrow(ArtifactError);
    await expect(deps.store.load(production.artifact_sha256)).rejects.toThrow(/weights\.bin is corrupted: its sha256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64}; refusing to load it/);
    bytes[100] ^= 0xff;
    await writeFile(weights, bytes);
    const manifest = join(production.artifact_path, 'manifest.json');
    const text = await readFile(manifest, 'utf8');
    await writeFile(manifest, text.replace('"format"', '"format" ').replace(/"labels": \[/, '"labels": ["evil",'));
    await expect(deps.store.load(production.artifact_sha256)).rejects.toThrow(/manifest\.json is corrupted: its sha256 is [0-9a-f]{64}, the registry says/);
    await writeFile(manifest, text);
    await expect(deps.store.load(production.artifact_sha256)).resolves.toMatchObject({ labels: production.labels });
  });
});
