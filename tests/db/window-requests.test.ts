/**
 * The requests need discovery reads: Postgres leaves out those the logs already explain,
 * and must leave out exactly those — every combination of feedback, logged prediction,
 * confidence, out-of-scope flag, outcome and serving version, judged by the rule discovery
 * applies in node (activities/discover-needs `unexplained`).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { LOW_CONFIDENCE, unexplained } from '../../activities/discover-needs.js';
import { OUT_OF_SCOPE } from '../../db/need-catalogue.js';
import { eachWindowRequestBatch, type WindowRequest, type WindowRequestsQuery } from '../../db/queries/need-candidates.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { ingest, usageJson } from '../helpers/ingest.js';

const db = useTestDatabase();
const files = useTempFiles();
const window = { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-02T00:00:00Z') };

const FEEDBACK = [{ feedback: null, corrected_intent: null }, { feedback: 'confirmed', corrected_intent: null }, { feedback: 'corrected', corrected_intent: 'code_help' }, { feedback: 'corrected', corrected_intent: OUT_OF_SCOPE }];
const events: Record<string, unknown>[] = [];
for (const fb of FEEDBACK) {
  for (const predicted of ['draft_email', null]) {
    for (const confidence of [0.3, 0.9, null]) {
      for (const oos of [true, false, null]) {
        for (const outcome of ['success', 'abandoned']) {
          for (const version of ['v1', 'v2', null]) {
            if (fb.feedback === 'confirmed' && predicted === null) continue;
            const i = events.length;
            events.push({ event_id: `r${i}`, user_id: `u${i % 7}`, ts: new Date(window.from.getTime() + i * 60_000).toISOString(), request_text: `request ${i}`, ...fb, predicted_intent: predicted, confidence, out_of_scope: oos, outcome, model_version: version });
          }
        }
      }
    }
  }
}

async function read(q: Omit<WindowRequestsQuery, 'window' | 'segmentRunId'>): Promise<{ rows: WindowRequest[]; sampled: number }> {
  const rows: WindowRequest[] = [];
  const { sampled } = await eachWindowRequestBatch(db.handle.db, { window, segmentRunId: null, batch: 50, ...q }, (batch) => rows.push(...batch));
  return { rows, sampled };
}

const logged = (r: WindowRequest) => ({ ...r, p_intent: r.predicted_intent, p_confidence: r.confidence, p_oos: r.out_of_scope });
const explainedByFeedback = (r: WindowRequest) => r.feedback === 'confirmed' || (r.feedback === 'corrected' && r.corrected_intent !== OUT_OF_SCOPE);

beforeAll(async () => {
  const file = await files.file('usage.jsonl', events.map((e) => usageJson(e)).join('\n'));
  expect(await ingest(db.handle, file)).toMatchObject({ status: 'loaded', accepted: events.length });
});

describe('the requests discovery reads', () => {
  it('judged by their logged predictions: exactly the requests the rule finds unexplained, in the sample\'s order, and the sample\'s size', async () => {
    const all = await read({ limit: 10_000 });
    expect(all.rows.length).toBe(events.length);
    const filter = { outOfScope: OUT_OF_SCOPE, lowConfidence: LOW_CONFIDENCE, judgedBy: null };
    const kept = await read({ limit: 10_000, unexplained: filter });
    const expected = all.rows.filter((r) => unexplained(logged(r)));
    expect(expected.length).toBeGreaterThan(50);
    expect(expected.length).toBeLessThan(events.length - 50);
    expect(kept.rows.map((r) => r.event_id)).toEqual(expected.map((r) => r.event_id));
    expect(kept.sampled).toBe(events.length);
    // A sample of 100: the same 100 requests, filtered.
    const first = (await read({ limit: 100 })).rows;
    const some = await read({ limit: 100, unexplained: filter });
    expect(some.sampled).toBe(100);
    expect(some.rows.map((r) => r.event_id)).toEqual(first.filter((r) => unexplained(logged(r))).map((r) => r.event_id));
  });

  it('judged afresh by the production model: also every request another version served, or none predicted, unless feedback named its need', async () => {
    const all = (await read({ limit: 10_000 })).rows;
    const kept = await read({ limit: 10_000, unexplained: { outOfScope: OUT_OF_SCOPE, lowConfidence: LOW_CONFIDENCE, judgedBy: 'v1' } });
    const stale = (r: WindowRequest) => r.model_version !== 'v1' || r.predicted_intent === null;
    const expected = all.filter((r) => (stale(r) && !explainedByFeedback(r)) || unexplained(logged(r)));
    expect(kept.rows.map((r) => r.event_id)).toEqual(expected.map((r) => r.event_id));
    expect(kept.rows.filter(stale).length).toBeGreaterThan(0);
  });
});
