import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useTempFiles } from '../helpers/fixtures.js';

const files = useTempFiles();

// File mode needs no database; point DATABASE_URL nowhere to prove it is not used.
const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };

describe('needloop needs --input', () => {
  it('--json prints needs, NPS and CSAT in the documented shape, and reports rejected rows', async () => {
    const surveys = await files.file(
      'surveys.csv',
      ['response_id,user_id,submitted_at,nps,csat,comment,imp_code_help,sat_code_help,kano_f_code_help,kano_d_code_help', 'r1,u1,2026-03-02T09:00:00,10,5,"fast, thanks",5,5,1,3', 'r2,u2,2026-03-03,12,4,,4,1,2,5', 'r3,u2,2026-03-04,6,2,,1,1,3,3'].join('\n'),
    );
    const run = await runCli(['needs', '--input', surveys, '--from', '2026-03-01', '--to', '2026-03-31', '--json'], env);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.needs.find((n: { need: string }) => n.need === 'code_help')).toEqual({
      need: 'code_help',
      segment: null,
      n: 2,
      n_importance: 2,
      n_satisfaction: 2,
      importance: 5,
      satisfaction: 5,
      opportunity: 5,
      // Two answers: an interval (delta method) that spans nearly the whole scale.
      opportunity_low: 0,
      opportunity_high: expect.closeTo(11.93, 2),
      kano: { category: 'A', A: 1, O: 0, M: 0, I: 1, R: 0, Q: 0, better: 0.5, worse: 0 },
    });
    expect(out.nps).toMatchObject({ value: 0, n: 2 });
    expect(out.csat).toMatchObject({ value: 50, n: 2 });
    expect(out.rejected).toEqual([{ line: 3, reason: 'nps: 12 is out of range (0–10)' }]);
  });
});

describe('needloop segment --input', () => {
  it('--json prints k, silhouette, segments and assignments', async () => {
    const rows = ['user_id,events_per_day,share_code'];
    // Two groups with some spread inside each (a fixed, irregular jitter).
    const jitter = (i: number) => ((i * 7919) % 101) / 100 - 0.5;
    for (let i = 0; i < 30; i++) rows.push(`a${i},${10 + jitter(i)},${0.9 + jitter(i + 1) / 10}`, `b${i},${1 + jitter(i + 2)},${0.1 + jitter(i + 3) / 10}`);
    const features = await files.file('features.csv', rows.join('\n'));
    const run = await runCli(['segment', '--input', features, '--k', 'auto', '--seed', '3', '--json'], env);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.k).toBe(2);
    expect(out.silhouette).toBeGreaterThan(0.9);
    expect(out.segments.map((s: { name: string; size: number }) => [s.name, s.size]).sort()).toEqual([
      ['Heavy code users', 30],
      ['Light users', 30],
    ]);
    expect(out.segments[0]).toHaveProperty('centroid.events_per_day');
    expect(out.assignments).toHaveLength(60);
    expect(new Set(out.assignments.filter((a: { user_id: string }) => a.user_id.startsWith('a')).map((a: { segment: number }) => a.segment)).size).toBe(1);
  });

  it('names the file, line and column of a value that is not a number', async () => {
    const features = await files.file('bad.csv', 'user_id,x\nu1,1\nu2,abc\n');
    const run = await runCli(['segment', '--input', features], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${features}:3: column x: "abc" is not a number`);
  });

  it('refuses --k 1', async () => {
    const run = await runCli(['segment', '--k', '1'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--k must be auto or a whole number from 2 to 50 (got 1)');
  });
});
