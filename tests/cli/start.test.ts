import { chmod, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';
import { freePort } from '../helpers/ports.js';

let files: Awaited<ReturnType<typeof tempDir>>;
let env: Record<string, string>;

beforeAll(async () => {
  files = await tempDir();
  await chmod(files.dir, 0o755);
  // The README's main command on the embedded default: its own server, its own folder.
  env = { DATABASE_URL: '', NEEDLOOP_HOME: `${files.dir}/home`, NEEDLOOP_PG_PORT: String(await freePort()), NEEDLOOP_REPORTS_DIR: `${files.dir}/reports`, NEEDLOOP_INBOX: `${files.dir}/inbox` };
});
afterAll(() => files.cleanup());

describe('needloop start (npm start)', () => {
  let pending: { run_id: string; candidate_id: string };

  it('on an empty embedded database: the loop\'s story over simulated nights, ending with a candidate for you to approve', async () => {
    const run = await runCli(['start', '--json'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.database).toBe(`embedded Postgres in ${files.dir}/home/pg`);
    const nights = out.demo.nights as { night: number; retrain: boolean; promoted: string | null; reasons: string[]; changed_need_recall: number | null; accuracy: number }[];
    expect(nights).toHaveLength(13);
    const story = JSON.stringify(nights.map((n) => [n.night, n.retrain, n.promoted, n.changed_need_recall, n.reasons[0]?.slice(0, 60)]));
    // Detect: the new need (night 4) is the reason to retrain that night or the next…
    const detected = nights.find((n) => n.retrain)!;
    expect(detected.night, story).toBeLessThanOrEqual(5);
    expect(detected.reasons[0]).toMatch(/^emerging need "automate_workflows"/);
    // …retrain and approve: the simulated engineer promotes the candidate; recover: users get the new need right…
    const promoted = nights.find((n) => n.promoted !== null)!;
    expect(promoted.night, story).toBeLessThanOrEqual(5);
    expect(nights.find((n) => n.night === promoted.night + 1)!.changed_need_recall, story).toBeGreaterThanOrEqual(0.8);
    // …quiet: nights without retraining follow…
    expect(nights.filter((n) => n.night > promoted.night && n.night < 9 && !n.retrain).length, story).toBeGreaterThanOrEqual(2);
    // …and users' words shift: the last candidate awaits a person.
    expect(out.pending, story).not.toBeNull();
    pending = out.pending;
    expect(await readFile(out.run.report, 'utf8')).toContain('The loop, night by night');
  }, 300_000);

  it('run again: loads nothing new and asks for no second candidate while one awaits', async () => {
    const run = await runCli(['start', '--json'], env);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.demo).toBeNull();
    expect(out.run.results.ingested).toEqual([]);
    expect(out.run.results.decision).toEqual({ retrain: false, first_model: false, reasons: [`model ${pending.candidate_id} already awaits approval: no new candidate until it is decided`] });
    expect(out.run).toMatchObject({ status: 'completed', candidate: null });
  });

  it('the README\'s next step: an approver approves the waiting run, and its model serves predictions', async () => {
    const refused = await runCli(['approve', pending.run_id, '--by', 'alice'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('needloop: refused: alice is not an authorised approver\n');
    expect((await runCli(['approver', 'add', 'alice'], env)).stdout).toMatch(/^Approver alice added\. Token \(shown once, to sign in to needloop serve\): [\w-]{32}\n$/);
    const approved = await runCli(['approve', pending.run_id, '--by', 'alice', '--comment', 'demo', '--json'], env);
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ run_id: pending.run_id, status: 'completed', results: { approval: { kind: 'approve', by: 'alice' }, promotion: { production_id: pending.candidate_id } } });
    const predicted = JSON.parse((await runCli(['predict', 'automate the weekly report every monday', '--json'], env)).stdout);
    expect(predicted).toMatchObject({ model: pending.candidate_id, predictions: [{ intent: 'automate_workflows' }] });
  });
});
