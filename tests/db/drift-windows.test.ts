/**
 * The drift step's window summaries in Postgres against the same summaries computed in
 * JavaScript over the same rows: counts per bin and per category are summed from one
 * aggregate per combination of values, and must still be each column's own counts, nulls
 * apart; a sample of a window larger than its size is a stable subset of it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { binCounts, categoryCounts, decileEdges } from '../../analytics/index.js';
import { MODEL_DRIFT_TABLE, USAGE_DRIFT_TABLE } from '../../activities/detect-drift.js';
import { binCountsOf, categoryCountsOf, numericSamples, type Population } from '../../db/queries/drift-windows.js';
import { surveyColumns } from '../../db/queries/survey-values.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { ingest, usageJson } from '../helpers/ingest.js';

const FEATURES = ['docs', 'chat', 'search', 'code'];
const OUTCOMES = ['success', 'failure', 'abandoned'];

/** 3,000 events from 1 March 2026, one a day's 1/1000th apart; every 7th without a latency, every 5th without a rating. */
const events = Array.from({ length: 3000 }, (_, i) => ({
  event_id: `w${i}`,
  user_id: `u${i % 97}`,
  ts: new Date(Date.UTC(2026, 2, 1) + i * 86_000).toISOString(),
  feature: FEATURES[(i * 7) % 4],
  outcome: OUTCOMES[(i * 11) % 3],
  latency_ms: i % 7 === 0 ? null : ((i * 7919) % 4000) + (i % 3) * 0.25,
  rating: i % 5 === 0 ? null : ((i * 13) % 5) + 1,
  feedback: i % 4 === 0 ? 'corrected' : i % 4 === 1 ? 'confirmed' : null,
  corrected_intent: i % 4 === 0 ? ['draft_email', 'code_help', 'summarize_documents'][i % 3] : null,
  request_text: i % 9 === 0 ? null : `request number ${'x'.repeat(i % 40)}`,
}));

const db = useTestDatabase();
const files = useTempFiles();
const window = { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-03T00:00:00Z') };
const inWindow = events.filter((e) => e.ts < window.to.toISOString());
const all: Population = { window };
const numbers = (values: (number | null)[]) => Float64Array.from(values.filter((v): v is number => v !== null)).sort();

beforeAll(async () => {
  const file = await files.file('usage.jsonl', events.map((e) => usageJson(e)).join('\n'));
  expect(await ingest(db.handle, file)).toMatchObject({ status: 'loaded', accepted: events.length });
});

describe('drift window summaries', () => {
  it('counts each numeric column per decile bin as JavaScript does over the same values, nulls apart', async () => {
    const latencies = numbers(inWindow.map((e) => e.latency_ms));
    const ratings = numbers(inWindow.map((e) => e.rating));
    const lengths = numbers(inWindow.map((e) => (e.request_text === null ? null : [...e.request_text].length)));
    const edges = new Map([['latency_ms', decileEdges(latencies)], ['rating', decileEdges(ratings)], ['request_length', decileEdges(lengths)]]);
    const counted = await binCountsOf(db.handle.db, USAGE_DRIFT_TABLE, all, edges);
    expect(counted.rows).toBe(inWindow.length);
    expect(counted.n.get('latency_ms')).toBe(latencies.length);
    expect(counted.n.get('rating')).toBe(ratings.length);
    expect(counted.bins.get('latency_ms')).toEqual(binCounts(latencies, edges.get('latency_ms')!));
    expect(counted.bins.get('rating')).toEqual(binCounts(ratings, edges.get('rating')!));
    expect(counted.bins.get('request_length')).toEqual(binCounts(lengths, edges.get('request_length')!));
    // Ratings take 5 values: their deciles merge, so fewer bins than deciles.
    expect(counted.bins.get('rating')!.length).toBeLessThan(10);
  });

  it('counts each categorical column as JavaScript does, null as "(none)"', async () => {
    const counted = await categoryCountsOf(db.handle.db, USAGE_DRIFT_TABLE, all, '(none)');
    for (const column of ['feature', 'outcome', 'feedback', 'corrected_intent'] as const) {
      expect(Object.fromEntries(counted.get(column)!)).toEqual(Object.fromEntries(categoryCounts(inWindow.map((e) => e[column]))));
    }
    const served = await categoryCountsOf(db.handle.db, MODEL_DRIFT_TABLE, { window, modelVersion: 'v1' }, '(none)');
    expect(Object.fromEntries(served.get('predicted_intent')!)).toEqual({ summarize_documents: inWindow.length });
  });

  it('lays out each survey column from its counts as the sorted values of every answer in the window, for all respondents and per segment', async () => {
    // 400 responses over four days (half in the window) by three users, answers for two needs, blanks among them.
    const responses = Array.from({ length: 400 }, (_, i) => ({
      id: `s${i}`, user: `u${i % 3}`, at: new Date(Date.UTC(2026, 2, 1) + i * 864_000).toISOString(),
      nps: i % 6 === 0 ? null : (i * 7) % 11, csat: i % 4 === 0 ? null : ((i * 3) % 5) + 1,
      imp: ((i * 5) % 5) + 1, sat: i % 3 === 0 ? null : ((i * 2) % 5) + 1, kf: i % 2 === 0 ? ((i * 11) % 5) + 1 : null, code: i % 5 === 0 ? ((i * 3) % 5) + 1 : null,
    }));
    const cell = (v: number | null) => (v === null ? '' : String(v));
    const csv = ['response_id,user_id,submitted_at,nps,csat,imp_draft_email,sat_draft_email,kano_f_draft_email,imp_code_help',
      ...responses.map((r) => [r.id, r.user, r.at, cell(r.nps), cell(r.csat), cell(r.imp), cell(r.sat), cell(r.kf), cell(r.code)].join(','))].join('\n');
    expect(await ingest(db.handle, await files.file('surveys.csv', csv))).toMatchObject({ status: 'loaded', accepted: 400 });
    const within = responses.filter((r) => r.at < window.to.toISOString());
    expect(within.length).toBe(200);
    // A segment run that places u0 in segment 0 and u1 in segment 1, and not u2.
    const run = await db.handle.db.insertInto('segment_runs')
      .values({ window_from: window.from, window_to: window.to, k: 2, k_requested: '2', seed: '1', silhouette: null, features: JSON.stringify({ names: [], means: [], stds: [] }), tried: JSON.stringify([]) })
      .returning('id').executeTakeFirstOrThrow();
    await db.handle.db.insertInto('user_segments').values([{ segment_run_id: run.id, user_id: 'u0', segment_id: 0 }, { segment_run_id: run.id, user_id: 'u1', segment_id: 1 }]).execute();
    const expected = (rows: typeof within): [string, (number | null)[]][] => [
      ['nps', rows.map((r) => r.nps)], ['csat', rows.map((r) => r.csat)],
      ['imp_code_help', rows.map((r) => r.code)],
      ['imp_draft_email', rows.map((r) => r.imp)], ['sat_draft_email', rows.map((r) => r.sat)], ['kano_f_draft_email', rows.map((r) => r.kf)],
    ];
    const expectColumns = (columns: Map<string, Float64Array>, rows: typeof within) => {
      // nps and csat always; a need's column once someone answered it (u0 never rates satisfaction).
      expect([...columns.keys()]).toEqual(expected(rows).filter(([name, values]) => ['nps', 'csat'].includes(name) || values.some((v) => v !== null)).map(([name]) => name));
      for (const [name, values] of expected(rows)) expect([...(columns.get(name) ?? [])], name).toEqual([...numbers(values)]);
    };
    const unsplit = await surveyColumns(db.handle.db, window);
    expect([...unsplit.keys()]).toEqual(['all']);
    expectColumns(unsplit.get('all')!, within);
    const split = await surveyColumns(db.handle.db, window, { segmentRunId: run.id });
    expect([...split.keys()].sort()).toEqual([0, 1, 'all']);
    expectColumns(split.get('all')!, within);
    expectColumns(split.get(0)!, within.filter((r) => r.user === 'u0'));
    expectColumns(split.get(1)!, within.filter((r) => r.user === 'u1'));
  });

  it('reads a window whole up to the sample size, and a stable hash sample of it beyond', async () => {
    const whole = await numericSamples(db.handle.db, USAGE_DRIFT_TABLE, all, inWindow.length);
    expect([...whole.get('latency_ms')!]).toEqual([...numbers(inWindow.map((e) => e.latency_ms))]);
    const sample = (await numericSamples(db.handle.db, USAGE_DRIFT_TABLE, all, inWindow.length, 500)).get('latency_ms')!;
    const again = (await numericSamples(db.handle.db, USAGE_DRIFT_TABLE, all, inWindow.length, 500)).get('latency_ms')!;
    // About 500 rows of the window's inWindow.length, less those without a latency (1 in 7).
    expect(sample.length).toBeGreaterThan(300);
    expect(sample.length).toBeLessThan(600);
    expect([...again]).toEqual([...sample]);
    const values = new Set(whole.get('latency_ms'));
    expect([...sample].every((v) => values.has(v))).toBe(true);
  });
});
