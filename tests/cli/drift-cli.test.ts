import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useTempFiles } from '../helpers/fixtures.js';

const files = useTempFiles();

const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };

describe('needloop drift --reference FILE --current FILE', () => {
  it('--json reports every column with the documented fields, nulls where they do not apply', async () => {
    const rows = (shift: number, plan: (i: number) => string) => ['latency_ms,plan', ...Array.from({ length: 40 }, (_, i) => `${100 + i + shift},${plan(i)}`)].join('\n');
    const reference = await files.file('ref.csv', rows(0, (i) => (i % 2 ? 'free' : 'pro')));
    const current = await files.file('cur.csv', rows(30, (i) => (i % 4 ? 'free' : 'pro')));
    const run = await runCli(['drift', '--reference', reference, '--current', current, '--json'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(Object.keys(out)).toEqual(expect.arrayContaining(['dataset_drift', 'drift_share', 'columns', 'text', 'retrain']));
    const [latency, plan] = out.columns;
    expect(Object.keys(latency).sort()).toEqual(['chi2', 'chi2_p', 'column', 'drifted', 'js', 'ks_d', 'ks_p', 'method', 'n_current', 'n_reference', 'p_adjusted', 'psi', 'reason', 'threshold', 'type', 'wasserstein_norm', 'histogram'].sort());
    expect(latency).toMatchObject({ column: 'latency_ms', type: 'numeric', method: 'ks', drifted: true, ks_d: 0.75, chi2: null, chi2_p: null, n_reference: 40, n_current: 40 });
    expect(plan).toMatchObject({ column: 'plan', type: 'categorical', method: 'chi2', ks_d: null, wasserstein_norm: null });
    expect(out.drift_share).toBe(plan.drifted ? 1 : 0.5);
    expect(out.text).toBeNull();
    expect(out.retrain).toMatchObject({ retrain: false, model: null, reasons: [] });
  });

  it('--columns and --rule narrow and configure the check', async () => {
    const reference = await files.file('r.jsonl', Array.from({ length: 30 }, (_, i) => JSON.stringify({ x: i, y: 'a' })).join('\n'));
    const current = await files.file('c.jsonl', Array.from({ length: 30 }, (_, i) => JSON.stringify({ x: i + 1, y: 'a' })).join('\n'));
    const run = await runCli(['drift', '--reference', reference, '--current', current, '--columns', 'x', '--rule', 'x=wasserstein:0.01', '--json'], env);
    const out = JSON.parse(run.stdout);
    expect(out.columns.map((c: { column: string }) => c.column)).toEqual(['x']);
    expect(out.columns[0]).toMatchObject({ method: 'wasserstein', threshold: 0.01, drifted: true });
  });

  it('names the columns that differ between the files', async () => {
    const reference = await files.file('a.csv', 'x,y\n1,2\n');
    const current = await files.file('b.csv', 'x,z\n1,2\n');
    const run = await runCli(['drift', '--reference', reference, '--current', current], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the files must have the same columns: y (only in ${reference}), z (only in ${current})`);
  });

  it('refuses a malformed --rule', async () => {
    const run = await runCli(['drift', '--reference', 'a', '--current', 'b', '--rule', 'x=magic'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--rule "x=magic" must be COLUMN=METHOD[:THRESHOLD] with METHOD one of ks, chi2, wasserstein, js, psi');
  });
});
