import { describe, expect, it } from 'vitest';
import { analyzeNeeds } from '../../activities/analyze-needs.js';
import { segmentUsersInWindow } from '../../activities/segment-users.js';
import { EMERGING_NEED, generateScenario } from '../../scenarios/generate.js';
import { createTestDatabase, dropTestDatabase, type TestDatabase } from '../helpers/database.js';
import { useTempFiles } from '../helpers/fixtures.js';
import { catalogue, ingest } from '../helpers/ingest.js';

const files = useTempFiles();

describe('analyzeNeeds', () => {
  it('scores hand-worked survey answers from the database, and stores them', async () => {
    const handle = await createTestDatabase();
    try {
      const file = await files.file(
        'surveys.csv',
        [
          'response_id,user_id,submitted_at,nps,csat,comment,imp_draft_email,sat_draft_email,kano_f_draft_email,kano_d_draft_email',
          'r1,u1,2026-03-02T09:00:00Z,10,5,,5,2,1,5',
          'r2,u2,2026-03-03T09:00:00Z,9,4,,5,1,1,5',
          'r3,u3,2026-03-09T09:00:00Z,3,2,,4,4,2,5',
          'r4,u4,2026-03-10T09:00:00Z,,,,2,,,',
        ].join('\n'),
      );
      await ingest(handle, file);
      const result = await analyzeNeeds({ handle, catalogue }, { from: new Date('2026-03-01'), to: new Date('2026-03-15') });
      // importance 5,5,4,2 → 7.5; satisfaction 2,1,4 → 10/3; opportunity 7.5 + 4.1667
      const email = result.needs.find((r) => r.need === 'draft_email' && r.segment === null)!;
      expect(email).toMatchObject({ n: 4, n_importance: 4, n_satisfaction: 3, importance: 7.5 });
      expect(email.satisfaction).toBeCloseTo(10 / 3, 12);
      expect(email.opportunity).toBeCloseTo(7.5 + 7.5 - 10 / 3, 12);
      expect(email.kano).toMatchObject({ category: 'O', O: 2, M: 1, better: 2 / 3, worse: -1 });
      expect(result.nps).toMatchObject({ value: 100 * (2 / 3 - 1 / 3), n: 3 });
      expect(result.csat).toMatchObject({ value: (100 * 2) / 3, n: 3 });
      expect(result.trends.experience.map((w) => [w.week, w.nps.n])).toEqual([
        ['2026-03-02', 2],
        ['2026-03-09', 1],
      ]);
      const stored = await handle.db.selectFrom('need_scores').selectAll().where('need_analysis_id', '=', result.analysis_id!).where('need_id', '=', 'draft_email').executeTakeFirstOrThrow();
      expect(stored).toMatchObject({ segment_id: -1, n: 4, importance: 7.5, kano_category: 'O' });
    } finally {
      await dropTestDatabase(handle);
    }
  });

  it('on emerging-need data, finds the new need absent before the change and underserved after it, per segment, with its words growing', async () => {
    const handle = await createTestDatabase();
    try {
      const generated = await generateScenario({ outDir: `${files.dir}/emerging`, catalogue, users: 800, days: 56, scenario: 'emerging-need', seed: 5, changeDay: 28 });
      for (const f of [generated.files.users, generated.files.surveys, generated.files.usage]) await ingest(handle, f);
      const current = { from: new Date(`${generated.truth.change_date}T00:00:00Z`), to: new Date('2026-10-27T00:00:00Z') };
      await segmentUsersInWindow({ handle }, { ...current, k: 'auto', seed: '1' });
      const before = await analyzeNeeds({ handle, catalogue }, { from: new Date('2026-09-01'), to: current.from });
      expect(before.needs.find((r) => r.need === EMERGING_NEED && r.segment === null)).toMatchObject({ n: 0, opportunity: null });
      const result = await analyzeNeeds({ handle, catalogue }, { ...current, bySegment: true });
      const emerging = result.needs.find((r) => r.need === EMERGING_NEED && r.segment === null)!;
      // Ulwick: an opportunity above 10 is an underserved need.
      expect(emerging.n).toBeGreaterThan(50);
      expect(emerging.opportunity).toBeGreaterThan(10);
      expect(result.segments.length).toBe(Object.keys(result.segment_names).length);
      expect(result.needs.filter((r) => r.segment !== null && r.need === EMERGING_NEED).length).toBe(result.segments.length);
      // Its words grow, alone or as a phrase ("automate multi").
      const terms = result.comments.growing_terms.map((t) => t.term);
      expect(terms.some((t) => /\bautomate\b/.test(t)), terms.join(', ')).toBe(true);
      expect(result.comments.by_need.map((b) => b.need)).toContain(EMERGING_NEED);
    } finally {
      await dropTestDatabase(handle);
    }
  });

  it('--by-segment without a segmentation says to run segment first', async () => {
    const handle = await createTestDatabase();
    try {
      await ingest(handle, await files.file('one.csv', 'response_id,user_id,submitted_at,nps\nr1,u1,2026-03-02,9\n'));
      await expect(analyzeNeeds({ handle, catalogue }, { bySegment: true })).rejects.toThrow('no segmentation is stored yet: run `needloop segment` first');
    } finally {
      await dropTestDatabase(handle);
    }
  });
});
