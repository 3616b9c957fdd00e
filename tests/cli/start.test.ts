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
  it('on an empty embedded database: demo data, then the whole pipeline; the first model awaits approval', async () => {
    const run = await runCli(['start', '--json'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.database).toBe(`embedded Postgres in ${files.dir}/home/pg`);
    expect(out.demo_dir).toBe(`${files.dir}/home/demo`);
    const results = out.run.results;
    expect(results.ingested.map((r: { status: string; rejected: number }) => [r.status, r.rejected])).toEqual([
      ['loaded', 0],
      ['loaded', 0],
      ['loaded', 0],
    ]);
    expect(results.segments.k).toBeGreaterThanOrEqual(4);
    expect(results.needs.top_needs).toHaveLength(3);
    // The demo's new need emerged two thirds in: the last week shows it.
    expect(results.drift.emerging_needs).toEqual(['automate_workflows']);
    expect(results.decision).toMatchObject({ retrain: true, first_model: true });
    expect(results.evaluation.blessed).toBe(true);
    expect(out.run).toMatchObject({ run_id: '1', status: 'awaiting_approval', candidate: '1', report: `${files.dir}/reports/run-1.html` });
    expect(await readFile(out.run.report, 'utf8')).toContain('It awaits an engineer&#39;s approval.');
  });

  it('run again: loads nothing new and asks for no second candidate while the first awaits', async () => {
    const run = await runCli(['start', '--json'], env);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.demo_dir).toBeNull();
    expect(out.run.results.ingested).toEqual([]);
    expect(out.run.results.decision).toEqual({ retrain: false, first_model: false, reasons: ['model 1 already awaits approval: no new candidate until it is decided'] });
    expect(out.run).toMatchObject({ run_id: '2', status: 'completed', candidate: null });
  });

  it('the README\'s next step: an approver approves run 1, and model 1 serves predictions', async () => {
    const refused = await runCli(['approve', '1', '--by', 'alice'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('needloop: refused: alice is not an authorised approver (none is registered: needloop approver add NAME)\n');
    expect((await runCli(['approver', 'add', 'alice'], env)).stdout).toMatch(/^Approver alice added\. Token \(shown once, for the approval page\): [\w-]{32}\n$/);
    const approved = await runCli(['approve', '1', '--by', 'alice', '--comment', 'demo', '--json'], env);
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ run_id: '1', status: 'completed', results: { approval: { kind: 'approve', by: 'alice' }, promotion: { production_id: '1' } } });
    const predicted = JSON.parse((await runCli(['predict', 'automate the weekly report every monday', '--json'], env)).stdout);
    expect(predicted).toMatchObject({ model: '1', predictions: [{ intent: 'automate_workflows' }] });
  });
});
