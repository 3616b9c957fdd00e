import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { promoteModel } from '../../db/queries/model-versions.js';
import { selectBackend } from '../../models/backend.js';
import { evaluateCandidate, type CandidateEvaluation } from '../../models/evaluate-candidate.js';
import { ModelStore } from '../../models/model-store.js';
import { trainCandidate, type ModelDeps } from '../../models/train-candidate.js';
import { EMERGING_NEED, generateScenario, type ScenarioName } from '../../scenarios/generate.js';
import { createTestDatabase, dropTestDatabase } from '../helpers/database.js';
import { useTempFiles } from '../helpers/fixtures.js';
import { catalogue, ingest } from '../helpers/ingest.js';

const files = useTempFiles();
const CPU = { choice: 'cpu' as const, backend: 'cpu', device: 'CPU, pure JavaScript' };
/** The scenarios change on day 28: 2026-09-29. */
const CHANGE = new Date('2026-09-29T00:00:00Z');

beforeAll(async () => {
  await selectBackend('cpu');
});

/**
 * The nightly story: a first model trained on the weeks before the change is promoted;
 * after the change, a fine-tune of it is trained and evaluated against it.
 */
async function retrain(scenario: ScenarioName): Promise<{ first: CandidateEvaluation; second: CandidateEvaluation; newIntents: string[]; labels: string[]; parentLabels: string[] }> {
  const handle = await createTestDatabase();
  try {
    const generated = await generateScenario({ outDir: `${files.dir}/${scenario}`, catalogue, users: 600, days: 56, scenario, seed: 5, changeDay: 28 });
    for (const f of [generated.files.users, generated.files.surveys, generated.files.usage]) await ingest(handle, f);
    const deps: ModelDeps = { db: handle.db, store: new ModelStore(`${files.dir}/${scenario}-models`), backend: CPU };
    const firstModel = await trainCandidate(deps, { to: CHANGE });
    const first = await evaluateCandidate(deps, { candidateId: firstModel.version.id });
    await promoteModel(handle.db, firstModel.version.id, { by: 'alice' });
    const fineTuned = await trainCandidate(deps, {});
    expect(fineTuned.fine_tuned).toBe(true);
    expect(fineTuned.version.parent_id).toBe(firstModel.version.id);
    expect(fineTuned.examples.replay).toBeGreaterThan(0);
    const second = await evaluateCandidate(deps, { candidateId: fineTuned.version.id });
    return { first, second, newIntents: fineTuned.new_intents, labels: fineTuned.version.labels, parentLabels: firstModel.version.labels };
  } finally {
    await dropTestDatabase(handle);
  }
}

describe.each(['emerging-need', 'vocabulary-shift'] as const)('fine-tuning on %s', (scenario) => {
  let result: Awaited<ReturnType<typeof retrain>>;
  beforeAll(async () => {
    result = await retrain(scenario);
  }, 300_000);

  it('the production model\'s holdout accuracy falls after the change', () => {
    const before = result.first.candidate.holdout.accuracy!;
    const after = result.second.production!.holdout.accuracy!;
    expect(before).toBeGreaterThan(0.9);
    expect(after).toBeLessThan(before - 0.1);
  });

  it('the fine-tuned candidate recovers it, without significant golden-set regression, and is blessed', () => {
    const { candidate, production } = result.second;
    expect(candidate.holdout.accuracy).toBeGreaterThanOrEqual(0.88);
    expect(candidate.holdout.macro_f1).toBeGreaterThanOrEqual(0.75);
    expect(candidate.holdout.accuracy).toBeGreaterThan(production!.holdout.accuracy! + 0.1);
    // No significant golden-set regression (the gate's non-inferiority check), and no large one.
    expect(result.second.reasons.find((r) => r.includes('golden-set'))).toMatch(/^PASS golden-set/);
    expect(candidate.golden.accuracy).toBeGreaterThanOrEqual(production!.golden.accuracy! - 0.03);
    expect(result.second.blessed, result.second.reasons.join('; ')).toBe(true);
    expect(result.second.status).toBe('awaiting_approval');
    expect(result.second.reasons.every((r) => r.startsWith('PASS'))).toBe(true);
  });

  it('the parent\'s labels keep their places; a new intent is appended and learnt', () => {
    expect(result.labels.slice(0, result.parentLabels.length)).toEqual(result.parentLabels);
    if (scenario === 'emerging-need') {
      expect(result.newIntents).toEqual([EMERGING_NEED]);
      const emerging = result.second.candidate.holdout.per_intent.find((p) => p.label === EMERGING_NEED)!;
      expect(emerging.support).toBeGreaterThan(30);
      expect(emerging.f1).toBeGreaterThanOrEqual(0.9);
      // Production never heard of it.
      expect(result.second.production!.holdout.per_intent.find((p) => p.label === EMERGING_NEED)!.recall).toBe(0);
    } else {
      expect(result.newIntents).toEqual([]);
    }
  });
});
