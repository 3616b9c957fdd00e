/**
 * Users' data as it already is (issue 34): vendor exports read as they come, into the same
 * tables as needloop's own contract, with the same counts and values; errors that name the
 * source file, its line, the source field and the needloop field; idempotent; and a map
 * inferred for the user to edit.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateScenario } from '../../scenarios/generate.js';
import { runCli } from '../helpers/cli.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { catalogue, ingest, rejections } from '../helpers/ingest.js';
import type { TestDatabase } from '../helpers/database.js';

const native = useTestDatabase();
const vendor = useTestDatabase();
const files = useTempFiles();
const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;
const json = (s: string) => JSON.parse(s) as Record<string, any>;
const cli = (db: TestDatabase, args: string[]) => runCli(['ingest', ...args, '--json'], { DATABASE_URL: db.url });

/** What each table holds, in a comparable order: the same data loaded two ways must match. */
async function contents(db: TestDatabase) {
  const q = (text: string) => sql.raw(text).execute(db.db).then((r) => r.rows);
  return {
    users: await q('select user_id, signup_at, plan, country, industry, age_band, gender from users order by user_id'),
    usage: await q('select event_id, user_id, ts, session_id, feature, request_text, predicted_intent, confidence, model_version, out_of_scope, outcome, latency_ms, rating, feedback, corrected_intent from usage_events order by event_id'),
    surveys: await q('select response_id, user_id, submitted_at, nps, csat, comment from survey_responses order by response_id'),
    answers: await q('select response_id, need_id, importance, satisfaction, kano_functional, kano_dysfunctional from survey_answers order by response_id, need_id'),
  };
}

let generated: Awaited<ReturnType<typeof generateScenario>>;
beforeAll(async () => {
  generated = await generateScenario({ outDir: join(files.dir, 'native'), catalogue, users: 120, days: 10, scenario: 'stable', seed: 5 });
  for (const f of [generated.files.users, generated.files.surveys, generated.files.usage]) await ingest(native.handle, f);
}, 120_000);

/** CSV rows as objects (the generator writes no quoted commas in these columns but comments; parsed properly). */
async function csvObjects(file: string): Promise<Record<string, string>[]> {
  const { parseCsvFields } = await import('../../db/ingest/records.js');
  const lines = (await readFile(file, 'utf8')).trim().split('\n');
  const header = parseCsvFields(lines[0]) as string[];
  return lines.slice(1).map((l) => Object.fromEntries((parseCsvFields(l) as string[]).map((v, i) => [header[i], v])));
}

describe('the same data, exported by vendors, loads as needloop\'s own', () => {
  it('Segment (identify + track) and Typeform responses fill the same tables with the same rows as the native files', async () => {
    // The generated users and events written as a Segment source would send them, in one file with a page view and a broken line.
    const users = await csvObjects(generated.files.users);
    const events = (await readFile(generated.files.usage, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const messages: string[] = [];
    for (const u of users) {
      messages.push(JSON.stringify({ type: 'identify', messageId: `id-${u.user_id}`, userId: u.user_id, timestamp: u.signup_at, traits: { createdAt: u.signup_at, plan: u.plan, industry: u.industry || undefined, age_band: u.age_band || undefined, gender: u.gender || undefined, address: u.country ? { country: u.country } : undefined } }));
    }
    messages.push(JSON.stringify({ type: 'page', messageId: 'pg-1', userId: users[0].user_id, timestamp: '2026-09-02T00:00:00Z', name: 'Home' }));
    for (const e of events) {
      const { event_id, user_id, ts, ...properties } = e;
      messages.push(JSON.stringify({ type: 'track', messageId: event_id, userId: user_id, timestamp: ts, event: 'Assistant Request', properties: Object.fromEntries(Object.entries(properties).filter(([, v]) => v !== null)), context: { library: { name: 'analytics-node' } } }));
    }
    messages.push('{"type": "track", "messageId": ');
    const segment = await files.file('segment.jsonl', `${messages.join('\n')}\n`);
    const loaded = json((await cli(vendor.handle, ['--format', 'segment', segment])).stdout);
    expect(loaded.files.map((f: any) => [f.kind, f.status, f.accepted, f.rejected])).toEqual([['users', 'loaded', users.length, 0], ['usage', 'loaded', events.length, 1]]);
    expect(loaded.skipped).toEqual([{ file: segment, why: 'type page', records: 1 }]);
    expect(await rejections(vendor.handle, segment)).toEqual([[messages.length, expect.stringMatching(/^not JSON/)]]);

    // The surveys as a Typeform Responses API document: answers by field ref, the user in a hidden field.
    const surveys = await csvObjects(generated.files.surveys);
    const items = surveys.map((s) => ({
      response_id: s.response_id, token: s.response_id, submitted_at: s.submitted_at, hidden: { user_id: s.user_id },
      answers: Object.entries(s).filter(([k, v]) => !['response_id', 'user_id', 'submitted_at'].includes(k) && v !== '')
        .map(([ref, v]) => (ref === 'comment' ? { field: { id: ref, ref, type: 'long_text' }, type: 'text', text: v } : { field: { id: ref, ref, type: 'opinion_scale' }, type: 'number', number: Number(v) })),
    }));
    const typeform = await files.file('typeform.json', JSON.stringify({ total_items: items.length, page_count: 1, items }, null, 2));
    const responses = json((await cli(vendor.handle, ['--format', 'typeform', typeform])).stdout);
    expect(responses.files.map((f: any) => [f.kind, f.accepted, f.rejected])).toEqual([['surveys', surveys.length, 0]]);

    const [a, b] = [await contents(native.handle), await contents(vendor.handle)];
    expect(b.users).toEqual(a.users);
    expect(b.usage.length).toBe(a.usage.length);
    expect(b.usage).toEqual(a.usage);
    expect(b.surveys).toEqual(a.surveys);
    expect(b.answers).toEqual(a.answers);

    // Sent again: nothing loads twice.
    expect(json((await cli(vendor.handle, ['--format', 'segment', segment])).stdout).files.map((f: any) => f.status)).toEqual(['duplicate', 'duplicate']);
  }, 120_000);
});

describe('each vendor\'s example export (examples/)', () => {
  const cases: [string, string[], [string, number, number][], [string, number, string][]][] = [
    ['segment', ['segment/events.jsonl'], [['users', 2, 0], ['usage', 3, 3]], [
      ['segment/events.jsonl', 6, 'properties.status = "maybe" maps to no outcome (the map\'s values: "ok", "err", "gave_up")'],
      ['segment/events.jsonl', 8, 'ts (from timestamp): "not a time" is not an ISO 8601 date-time (e.g. 2026-03-01T12:30:00Z)'],
    ]],
    ['posthog', ['posthog/persons.jsonl', 'posthog/events.csv'], [['users', 2, 1], ['usage', 2, 1]], [
      ['posthog/persons.jsonl', 3, 'plan (from properties.plan): "platinum" must be one of free, pro, enterprise'],
    ]],
    ['amplitude', ['amplitude/export.jsonl'], [['users', 1, 0], ['usage', 2, 1]], [
      ['amplitude/export.jsonl', 5, 'confidence (from event_properties.confidence): 1.7 is out of range (0–1)'],
    ]],
    ['typeform', ['typeform/responses.json'], [['surveys', 2, 1]], [['typeform/responses.json', 3, 'nps (from nps): 11 is out of range (0–10)']]],
    ['surveymonkey', ['surveymonkey/export.csv'], [['surveys', 3, 0]], []],
    ['qualtrics', ['qualtrics/export.csv'], [['surveys', 2, 0]], []],
    ['google-forms', ['google-forms/export.csv'], [['surveys', 2, 1]], [
      ['google-forms/export.csv', 4, 'nps (from How likely are you to recommend us? (0-10)): "twelve" is not a whole number from 0 to 10'],
    ]],
  ];
  it.each(cases)('%s', async (format, inputs, counts, reasons) => {
    const map = join(EXAMPLES, format, 'map.json');
    const hasMap = await readFile(map).then(() => true, () => false);
    const run = await cli(vendor.handle, ['--format', format, ...(hasMap ? ['--map', map] : []), ...inputs.map((f) => join(EXAMPLES, f))]);
    expect(run.stderr).toBe('');
    expect(json(run.stdout).files.map((f: any) => [f.kind, f.accepted, f.rejected])).toEqual(counts);
    for (const [file, line, reason] of reasons) expect(await rejections(vendor.handle, join(EXAMPLES, file))).toContainEqual([line, reason]);
  }, 60_000);

  it('reads the vendors\' own conventions: Amplitude times and "no session", SurveyMonkey\'s two header rows and Likert words, Qualtrics\' previews, unicode', async () => {
    const q = (text: string) => sql.raw(text).execute(vendor.handle.db).then((r) => r.rows as Record<string, unknown>[]);
    expect(await q("select ts, session_id, request_text from usage_events where event_id like 'a1f0c3d2%' order by ts")).toEqual([
      { ts: new Date('2026-11-04T08:00:00.123Z'), session_id: '1762243140000', request_text: '会議のメモを要約して' },
      { ts: new Date('2026-11-04T08:01:00Z'), session_id: null, request_text: 'how do I export my data' },
    ]);
    expect(await q("select response_id, submitted_at, nps, csat, comment from survey_responses where response_id like '1145%' order by response_id")).toEqual([
      { response_id: '114500001', submitted_at: new Date('2026-11-06T09:12:41Z'), nps: 10, csat: 4, comment: 'The translations into Portuguese are much better now, thanks!' },
      { response_id: '114500002', submitted_at: new Date('2026-11-06T10:04:00Z'), nps: 6, csat: 3, comment: null },
      { response_id: '114500003', submitted_at: new Date('2026-11-06T23:02:00Z'), nps: 8, csat: 5, comment: null },
    ]);
    expect(await q("select need_id, importance, satisfaction from survey_answers where response_id = '114500002'")).toEqual([{ need_id: 'translate_text', importance: 4, satisfaction: 1 }]);
    expect((await q("select response_id from survey_responses where response_id like 'R\\_%' order by 1")).map((r) => r.response_id)).toEqual(['R_1aBcDeFgHiJkLmN', 'R_2xYzAbCdEfGhIjK']);
  });
});

describe('the map file', () => {
  it('names the map file and the field when the map itself is wrong, and loads nothing', async () => {
    const bad = await files.file('bad-map.json', JSON.stringify({ usage: { request_txt: 'properties.query' } }));
    const run = await runCli(['ingest', '--format', 'segment', '--map', bad, join(EXAMPLES, 'segment/events.jsonl')], { DATABASE_URL: native.handle.url });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`needloop: ${bad}: usage.request_txt is not a needloop usage field (fields: event_id, user_id, ts, session_id, feature, request_text, predicted_intent, confidence, model_version, out_of_scope, outcome, latency_ms, rating, feedback, corrected_intent)\n`);
    const need = await files.file('need-map.json', JSON.stringify({ surveys: { needs: { teleport: { importance: 'Q1' } } } }));
    expect((await runCli(['ingest', '--format', 'typeform', '--map', need, join(EXAMPLES, 'typeform/responses.json')], { DATABASE_URL: native.handle.url })).stderr).toMatch(/surveys\.needs\.teleport is not a need of the catalogue/);
  });

  it('--suggest-map prints a map from the first records: the vendor\'s paths, the events seen, the fields nothing reads yet', async () => {
    const run = await runCli(['ingest', '--format', 'posthog', '--suggest-map', join(EXAMPLES, 'posthog/events.csv')], { DATABASE_URL: native.handle.url });
    expect(run.code).toBe(0);
    const map = json(run.stdout);
    expect(map.usage).toMatchObject({ event_id: 'uuid', user_id: 'distinct_id', ts: 'timestamp', session_id: 'properties.$session_id', request_text: 'properties.request_text', outcome: 'properties.outcome' });
    expect(map.usage.rating).toMatch(/^\? /);
    expect(map.events).toEqual(['ai_request', '$pageview']);
    expect(Object.keys(map._unmapped)).toContain('properties.$current_url');
    // Edited and given back, it loads.
    const edited = await files.file('posthog-map.json', JSON.stringify({ events: ['ai_request'], usage: { request_text: map.usage.request_text } }));
    expect((await runCli(['ingest', '--format', 'posthog', '--map', edited, join(EXAMPLES, 'posthog/events.csv'), '--json'], { DATABASE_URL: native.handle.url })).code).toBe(0);
  });
});
