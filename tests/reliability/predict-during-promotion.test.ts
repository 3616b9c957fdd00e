import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { promoteModel } from '../../db/queries/model-versions.js';
import { selectBackend } from '../../models/backend.js';
import { ModelStore } from '../../models/model-store.js';
import { predictIntents } from '../../models/predict.js';
import { trainCandidate } from '../../models/train-candidate.js';
import { generateScenario } from '../../scenarios/generate.js';
import { Predictor } from '../../web/predictor.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { catalogue, ingest } from '../helpers/ingest.js';

const db = useTestDatabase();
const files = useTempFiles();
const TEXTS = ['summarize this contract', 'write a reply to my manager', '把这段话翻译成日语', 'why does this regex fail', 'plan the meeting notes', 'is my data private'];
let store: ModelStore;
let first: { id: string; sha: string };
let second: { id: string; sha: string };

beforeAll(async () => {
  await selectBackend('cpu');
  store = new ModelStore(join(files.dir, 'models'));
  const g = await generateScenario({ outDir: join(files.dir, 'data'), catalogue, users: 300, days: 35, seed: 8 });
  for (const f of [g.files.users, g.files.surveys, g.files.usage]) await ingest(db.handle, f);
  const deps = { db: db.handle.db, store, backend: { choice: 'cpu' as const, backend: 'cpu', device: 'CPU' } };
  // Two different first models (different seeds, few epochs) stand for production and its successor.
  const a = await trainCandidate(deps, { seed: 1, epochs: 1 });
  const b = await trainCandidate(deps, { seed: 2, epochs: 1 });
  first = { id: a.version.id, sha: a.version.artifact_sha256 };
  second = { id: b.version.id, sha: b.version.artifact_sha256 };
  // Both as if blessed by the gate, so that each can be promoted.
  await db.handle.db.updateTable('model_versions').set({ status: 'awaiting_approval' }).execute();
  await promoteModel(db.handle.db, first.id, { by: 'test' });
}, 180_000);

describe('predictions during a promotion', () => {
  it('every answer comes from one complete model version, and the new one serves after the promotion', async () => {
    const expected = new Map<string, string>();
    for (const m of [first, second]) {
      const loaded = await store.load(m.sha);
      expected.set(m.id, JSON.stringify(predictIntents(loaded, TEXTS)));
      loaded.model.dispose();
    }
    expect(expected.get(first.id)).not.toBe(expected.get(second.id));
    const predictor = new Predictor({ db: db.handle.db, store });
    type Answer = { model: string; predictions: unknown } | null;
    const before = await predictor.predict(TEXTS);
    // Requests keep arriving, one per tick, for as long as the promotion is under way.
    const during: Promise<Answer>[] = [];
    let promoted = false;
    const promotion = promoteModel(db.handle.db, second.id, { by: 'test' }).then(() => {
      promoted = true;
    });
    while (!promoted || during.length < 40) {
      during.push(predictor.predict(TEXTS));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await promotion;
    const after = await Promise.all(Array.from({ length: 20 }, () => predictor.predict(TEXTS)));
    const all = [before, ...(await Promise.all(during)), ...after];
    for (const a of all) expect(JSON.stringify(a!.predictions)).toBe(expected.get(a!.model));
    expect(before!.model).toBe(first.id);
    // Every request that began after the promotion committed is answered by the new version.
    expect(new Set(after.map((a) => a!.model))).toEqual(new Set([second.id]));
    predictor.dispose();
  }, 60_000);
});
