import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { segmentUsersInWindow } from '../../activities/segment-users.js';
import { adjustedRandIndex } from '../../analytics/index.js';
import { generateScenario, type GenerateResult } from '../../scenarios/generate.js';
import { createTestDatabase, dropTestDatabase, type TestDatabase } from '../helpers/database.js';
import { useTempFiles } from '../helpers/fixtures.js';
import { catalogue, ingest } from '../helpers/ingest.js';

const files = useTempFiles();

const everything = { from: new Date('2000-01-01'), to: new Date('2100-01-01') };

async function scenarioDatabase(personas: number, seed: number): Promise<{ handle: TestDatabase; generated: GenerateResult }> {
  const handle = await createTestDatabase();
  const generated = await generateScenario({ outDir: `${files.dir}/p${personas}-${seed}`, catalogue, users: 600, days: 45, personas, seed });
  for (const file of [generated.files.users, generated.files.surveys, generated.files.usage]) expect((await ingest(handle, file)).rejected).toBe(0);
  return { handle, generated };
}

describe('segmentUsersInWindow on generated personas', () => {
  it.each([4, 5, 6])('recovers %i personas with k=auto (ARI ≥ 0.9)', async (personas) => {
    const { handle, generated } = await scenarioDatabase(personas, 20 + personas);
    try {
      const result = await segmentUsersInWindow({ handle }, { ...everything, k: 'auto', seed: '1' });
      const persona = new Map(generated.truth.users.map((u) => [u.user_id, u.persona]));
      expect(result.k).toBe(personas);
      expect(adjustedRandIndex(result.assignments.map((a) => persona.get(a.user_id)), result.assignments.map((a) => a.segment))).toBeGreaterThanOrEqual(0.9);
      expect(result.segments.reduce((n, s) => n + s.size, 0)).toBe(600);
    } finally {
      await dropTestDatabase(handle);
    }
  });

  it('gives identical output for the same seed and stores every user\'s segment', async () => {
    const { handle } = await scenarioDatabase(5, 7);
    try {
      const a = await segmentUsersInWindow({ handle }, { ...everything, k: 5, seed: 'same' });
      const b = await segmentUsersInWindow({ handle }, { ...everything, k: 5, seed: 'same' });
      const { segment_run_id: idA, ...restA } = a;
      const { segment_run_id: idB, ...restB } = b;
      expect(idA).not.toBe(idB);
      expect(restB).toEqual(restA);
      const { rows } = await sql<{ n: string; segments: string }>`
        select count(*) as n, count(distinct segment_id) as segments from user_segments where segment_run_id = ${idA}`.execute(handle.db);
      expect(rows[0]).toEqual({ n: '600', segments: '5' });
      const names = await handle.db.selectFrom('segments').select('name').where('segment_run_id', '=', idA!).orderBy('segment_id').execute();
      expect(names.map((n) => n.name)).toEqual(a.segments.map((s) => s.name));
      expect(new Set(names.map((n) => n.name)).size).toBe(5);
    } finally {
      await dropTestDatabase(handle);
    }
  });

  it('fitted on a sample and assigned in SQL (as for many users), recovers the personas and stores every user\'s segment', async () => {
    const { handle, generated } = await scenarioDatabase(5, 25);
    try {
      // 600 users: a sample of 200 is fitted, all 600 are assigned in Postgres.
      const result = await segmentUsersInWindow({ handle }, { ...everything, k: 'auto', seed: '1', sampleFrom: 200 });
      const persona = new Map(generated.truth.users.map((u) => [u.user_id, u.persona]));
      expect(result).toMatchObject({ k: 5, users: 600, fitted_on: 200 });
      expect(result.assignments).toHaveLength(600);
      expect(adjustedRandIndex(result.assignments.map((a) => persona.get(a.user_id)), result.assignments.map((a) => a.segment))).toBeGreaterThanOrEqual(0.9);
      // Sizes and means count every user, largest segment first; the stored rows agree.
      expect(result.segments.map((s) => s.size).reduce((a, b) => a + b, 0)).toBe(600);
      expect(result.segments.map((s) => s.size)).toEqual([...result.segments.map((s) => s.size)].sort((a, b) => b - a));
      const { rows } = await sql<{ segment_id: number; n: string }>`
        select segment_id, count(*) as n from user_segments where segment_run_id = ${result.segment_run_id} group by 1 order by 1`.execute(handle.db);
      expect(rows.map((r) => Number(r.n))).toEqual(result.segments.map((s) => s.size));
      // The same as a fit on every user, to within a few users at the edges.
      const whole = await segmentUsersInWindow({ handle }, { ...everything, k: 'auto', seed: '1' });
      expect(whole.k).toBe(5);
      expect(adjustedRandIndex(whole.assignments.map((a) => a.segment), result.assignments.map((a) => a.segment))).toBeGreaterThanOrEqual(0.95);
      // Deterministic for a seed.
      const again = await segmentUsersInWindow({ handle }, { ...everything, k: 'auto', seed: '1', sampleFrom: 200 });
      expect(again.assignments).toEqual(result.assignments);
    } finally {
      await dropTestDatabase(handle);
    }
  });

  it('says what to do when there are no usage events', async () => {
    const handle = await createTestDatabase();
    try {
      await expect(segmentUsersInWindow({ handle }, { k: 'auto', seed: '1' })).rejects.toThrow('no usage events are stored yet: ingest a usage file first');
    } finally {
      await dropTestDatabase(handle);
    }
  });
});
