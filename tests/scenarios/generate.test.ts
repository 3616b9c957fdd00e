import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMERGING_NEED, generateScenario } from '../../scenarios/generate.js';
import { createTestDatabase, dropTestDatabase, type TestDatabase } from '../helpers/database.js';
import { tempDir } from '../helpers/files.js';
import { catalogue, ingest } from '../helpers/ingest.js';

let files: Awaited<ReturnType<typeof tempDir>>;
let handle: TestDatabase;
beforeAll(async () => {
  files = await tempDir();
  handle = await createTestDatabase();
});
afterAll(async () => {
  await files.cleanup();
  await dropTestDatabase(handle);
});

const small = { catalogue, users: 300, days: 30 };

describe('generateScenario', () => {
  it('writes identical files for the same seed and different ones for another seed', async () => {
    const a = await generateScenario({ ...small, outDir: `${files.dir}/a`, seed: 5, scenario: 'segment-shift' });
    const b = await generateScenario({ ...small, outDir: `${files.dir}/b`, seed: 5, scenario: 'segment-shift' });
    const c = await generateScenario({ ...small, outDir: `${files.dir}/c`, seed: 6, scenario: 'segment-shift' });
    for (const kind of ['users', 'surveys', 'usage'] as const) {
      expect(await readFile(a.files[kind], 'utf8')).toBe(await readFile(b.files[kind], 'utf8'));
    }
    expect(await readFile(a.files.usage, 'utf8')).not.toBe(await readFile(c.files.usage, 'utf8'));
  });

  it('gives the persona of every user and as many personas as asked', async () => {
    const result = await generateScenario({ ...small, outDir: `${files.dir}/personas`, personas: 6 });
    expect(result.truth.personas).toHaveLength(6);
    expect(result.truth.users).toHaveLength(300);
    expect(new Set(result.truth.users.map((u) => u.persona)).size).toBe(6);
    const ids = (await readFile(result.files.users, 'utf8')).trim().split('\n').slice(1).map((l) => l.split(',')[0]);
    expect(ids).toEqual(result.truth.users.map((u) => u.user_id));
  });

  it('stable has no change date, no new need and no changed columns', async () => {
    const { truth } = await generateScenario({ ...small, outDir: `${files.dir}/stable`, scenario: 'stable' });
    expect(truth).toMatchObject({ change_date: null, new_need: null, changed_columns: [], affected_columns: [], changed_needs: [] });
  });

  it('emerging-need: the new need is in the catalogue, absent from every event before change_date and present after', async () => {
    const result = await generateScenario({ ...small, outDir: `${files.dir}/emerging`, scenario: 'emerging-need', seed: 9 });
    expect(result.truth).toMatchObject({ change_date: '2026-09-21', new_need: EMERGING_NEED, changed_needs: [EMERGING_NEED] });
    expect(catalogue.map((n) => n.id)).toContain(EMERGING_NEED);
    for (const kind of ['users', 'surveys', 'usage'] as const) {
      expect(await ingest(handle, result.files[kind])).toMatchObject({ status: 'loaded', rejected: 0 });
    }
    const { rows } = await handle.pool.query<{ after: boolean; n: string; features: string }>(
      `select ts >= $1::timestamptz as after, count(*) as n, count(*) filter (where feature = 'automations') as features
         from usage_events where corrected_intent = $2 or predicted_intent = $2 or feature = 'automations' group by 1 order by 1`,
      [result.truth.change_date, EMERGING_NEED],
    );
    expect(rows.map((r) => r.after)).toEqual([true]);
    expect(Number(rows[0].n)).toBeGreaterThan(50);
    const answers = await handle.pool.query<{ after: boolean }>(
      `select distinct r.submitted_at >= $1::timestamptz as after from survey_answers a join survey_responses r using (response_id) where a.need_id = $2`,
      [result.truth.change_date, EMERGING_NEED],
    );
    expect(answers.rows).toEqual([{ after: true }]);
  });

  it('vocabulary-shift: the new words appear only from change_date on', async () => {
    const result = await generateScenario({ ...small, outDir: `${files.dir}/vocab`, scenario: 'vocabulary-shift', locale: 'en' });
    const lines = (await readFile(result.files.usage, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { ts: string; request_text: string });
    const shifted = (e: { request_text: string }) => /tl;dr|gist|ping |borked|crunch the|receipts/.test(e.request_text);
    const before = lines.filter((e) => e.ts < result.truth.change_date!);
    const after = lines.filter((e) => e.ts >= result.truth.change_date!);
    expect(before.filter(shifted)).toHaveLength(0);
    expect(after.filter(shifted).length).toBeGreaterThan(after.length * 0.1);
  });

  it('segment-shift: writers and students make up a larger share of events after the change', async () => {
    const result = await generateScenario({ ...small, outDir: `${files.dir}/segment`, scenario: 'segment-shift' });
    const persona = new Map(result.truth.users.map((u) => [u.user_id, u.persona]));
    const lines = (await readFile(result.files.usage, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { ts: string; user_id: string });
    const share = (events: typeof lines) => events.filter((e) => ['writers', 'students'].includes(persona.get(e.user_id)!)).length / events.length;
    const before = share(lines.filter((e) => e.ts < result.truth.change_date!));
    const after = share(lines.filter((e) => e.ts >= result.truth.change_date!));
    expect(after - before).toBeGreaterThan(0.15);
  });

  it('locale zh writes every request in Chinese', async () => {
    const result = await generateScenario({ ...small, users: 50, outDir: `${files.dir}/zh`, locale: 'zh' });
    const texts = (await readFile(result.files.usage, 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { request_text: string }).request_text);
    expect(texts.every((t) => /\p{Script=Han}/u.test(t))).toBe(true);
  });

  it('--events scales activity to about the requested number of events', async () => {
    const result = await generateScenario({ ...small, outDir: `${files.dir}/events`, events: 20_000 });
    expect(result.counts.events).toBeGreaterThan(18_000);
    expect(result.counts.events).toBeLessThan(22_000);
  });
});
