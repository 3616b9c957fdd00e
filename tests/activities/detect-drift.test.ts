import { describe, expect, it } from 'vitest';
import { detectDrift, DRIFT_TABLE, MODEL_DRIFT_TABLE, USAGE_DRIFT_TABLE, type DriftResult } from '../../activities/detect-drift.js';
import { tableColumnDrift, tableDrift } from '../../activities/drift-populations.js';
import { segmentUsersInWindow } from '../../activities/segment-users.js';
import { numericSamples } from '../../db/queries/drift-windows.js';
import { latestSegmentRun } from '../../db/queries/segment-runs.js';
import { EMERGING_NEED, generateScenario, type GroundTruth, type ScenarioName } from '../../scenarios/generate.js';
import { createTestDatabase, dropTestDatabase, type TestDatabase } from '../helpers/database.js';
import { useTempFiles } from '../helpers/fixtures.js';
import { catalogue, ingest } from '../helpers/ingest.js';

const files = useTempFiles();

const START = new Date('2026-09-01T00:00:00Z');
const END = new Date('2026-10-27T00:00:00Z');

async function driftOf(scenario: ScenarioName, options: { segment?: boolean } = {}): Promise<{ result: DriftResult; truth: GroundTruth; handle: TestDatabase }> {
  const handle = await createTestDatabase();
  const generated = await generateScenario({ outDir: `${files.dir}/${scenario}`, catalogue, users: 800, days: 56, scenario, seed: 5, changeDay: 28 });
  for (const f of [generated.files.users, generated.files.surveys, generated.files.usage]) await ingest(handle, f);
  const change = new Date('2026-09-29T00:00:00Z');
  if (options.segment) await segmentUsersInWindow({ handle }, { from: START, to: END, k: 'auto', seed: '1' });
  const result = await detectDrift({ handle }, { referenceFrom: START, referenceTo: change, currentFrom: change, currentTo: END, bySegment: options.segment === true });
  return { result, truth: generated.truth, handle };
}

/**
 * Changed columns must drift; unchanged ones must not. Survey answers are ~50 columns
 * tested at p < 0.05, so a few false alarms are expected by chance: for them, "not
 * drifted" is judged on the Benjamini–Hochberg adjusted p-value, as the report shows it.
 */
function expectDriftMatchesTruth(result: DriftResult, truth: GroundTruth): void {
  const byName = new Map(result.columns.map((c) => [c.column, c]));
  for (const column of truth.changed_columns.filter((c) => c !== 'request_text')) {
    expect({ column, drifted: byName.get(column)?.drifted, reason: byName.get(column)?.reason }).toMatchObject({ column, drifted: true });
  }
  const unchanged = result.columns.filter((c) => !truth.changed_columns.includes(c.column) && !truth.affected_columns.includes(c.column));
  expect(unchanged.length).toBeGreaterThan(10);
  for (const c of unchanged) {
    const survey = c.n_reference <= 1000 && c.method === 'ks';
    const falseAlarm = survey ? c.p_adjusted !== null && c.p_adjusted < 0.05 : c.drifted === true;
    expect({ column: c.column, falseAlarm, reason: c.reason }).toMatchObject({ column: c.column, falseAlarm: false });
  }
}

describe('detectDrift on generated scenarios', () => {
  it('stable: no dataset drift, no drifted usage column, no retraining', async () => {
    const { result, truth, handle } = await driftOf('stable');
    try {
      expect(result.dataset_drift).toBe(false);
      expectDriftMatchesTruth(result, truth);
      expect(result.retrain).toMatchObject({ retrain: false, model: null, reasons: [] });
      expect(result.text!.js).toBeLessThan(0.1);
      expect(result.emerging_needs).toEqual([]);
    } finally {
      await dropTestDatabase(handle);
    }
  });

  it('emerging-need: the changed columns drift, the rest do not, and the new need is the reason to retrain', async () => {
    const { result, truth, handle } = await driftOf('emerging-need');
    try {
      expectDriftMatchesTruth(result, truth);
      expect(result.emerging_needs.map((e) => e.need)).toEqual([EMERGING_NEED]);
      expect(result.emerging_needs[0].examples.length).toBeGreaterThan(0);
      expect(result.retrain.retrain).toBe(true);
      expect(result.retrain.reasons.map((r) => r.kind)).toContain('emerging_need');
      // Without a production model, the logs speak for the legacy model that served both windows.
      expect(result.performance!.judged_on).toBe('legacy-2026.1');
      expect(result.performance!.accuracy.current!).toBeLessThan(result.performance!.accuracy.reference! - 0.03);
      expect(result.performance!.confidence.current!).toBeLessThan(result.performance!.confidence.reference!);
      // Narrowing the reported columns keeps the text check and the emerging need.
      const narrowed = await detectDrift({ handle }, { referenceFrom: START, referenceTo: new Date('2026-09-29T00:00:00Z'), currentFrom: new Date('2026-09-29T00:00:00Z'), currentTo: END, columns: ['request_text', 'confidence'], bySegment: false });
      expect(narrowed.columns.map((c) => c.column)).toEqual(['confidence']);
      expect(narrowed.text).toEqual(result.text);
      expect(narrowed.emerging_needs.map((e) => e.need)).toEqual([EMERGING_NEED]);
    } finally {
      await dropTestDatabase(handle);
    }
  });

  it('vocabulary-shift: request texts drift with new words, the model gets worse, retrain', async () => {
    const { result, truth, handle } = await driftOf('vocabulary-shift');
    try {
      expectDriftMatchesTruth(result, truth);
      expect(result.text!.unseen_share).toBeGreaterThan(0.1);
      expect(result.retrain.reasons.map((r) => r.kind)).toEqual(expect.arrayContaining(['text_drift', 'performance']));
      expect(result.emerging_needs).toEqual([]);
    } finally {
      await dropTestDatabase(handle);
    }
  });

  it('segment-shift: the persona mix moves predictions — a note, not a reason to retrain a model that holds up; drift is reported per segment', async () => {
    const { result, truth, handle } = await driftOf('segment-shift', { segment: true });
    try {
      expectDriftMatchesTruth(result, truth);
      expect(result.predictions_of).toBe('legacy-2026.1');
      expect(result.retrain.reasons.map((r) => r.kind)).not.toContain('performance');
      expect(result.retrain.notes).toContain("predicted_intent drifted among the predictions of the model that served the logs: users ask for other things, no fault of the model's");
      expect(result.segments.length).toBeGreaterThanOrEqual(4);
      for (const s of result.segments) {
        expect(s.columns.map((c) => c.column)).toContain('predicted_intent');
        expect(s.text!.n_current).toBeGreaterThan(0);
      }
      const stored = await handle.db.selectFrom('drift_results').select(['segment_id']).where('drift_run_id', '=', result.drift_run_id!).distinct().execute();
      expect(stored.length).toBe(result.segments.length + 1);
      // All users' and every segment's figures come from three scans of each window; they
      // must be the figures of each population queried on its own — here with samples of
      // 500 rows, so that every population's sample is its own subset of its rows.
      const change = new Date('2026-09-29T00:00:00Z');
      const windows = { reference: { from: START, to: change }, current: { from: change, to: END } };
      const latest = (await latestSegmentRun(handle.db))!;
      const version = result.predictions_of!;
      const fused = await tableDrift(handle, DRIFT_TABLE, windows, {
        segments: { runId: latest.run.id, ids: latest.segments.map((s) => s.segment_id) },
        chooseVersion: () => version,
        sampleRows: 500,
      });
      expect(fused.populations.size).toBe(latest.segments.length + 1);
      for (const [key, population] of fused.populations) {
        const segment = key === 'all' ? undefined : { runId: latest.run.id, segmentId: key };
        const [ref, cur] = [{ window: windows.reference, segment }, { window: windows.current, segment }];
        const alone = [
          ...(await tableColumnDrift(handle, USAGE_DRIFT_TABLE, ref, cur, {}, 500)),
          ...(await tableColumnDrift(handle, MODEL_DRIFT_TABLE, { ...ref, modelVersion: version }, { ...cur, modelVersion: version }, {}, 500)),
        ];
        expect(population.columns.map((c) => c.column)).toEqual(DRIFT_TABLE.columns.map((c) => c.name));
        expect(population.columns).toEqual(alone);
        // The texts are those of the requests whose lengths the length column's sample holds.
        expect(population.current.rows).toBeGreaterThan(500);
        const lengths = (await numericSamples(handle.db, USAGE_DRIFT_TABLE, cur, population.current.rows, 500)).get('request_length')!;
        expect(Float64Array.from(population.current.texts.map((t) => [...t].length)).sort()).toEqual(lengths);
      }
    } finally {
      await dropTestDatabase(handle);
    }
  });
});
