import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, dropTestDatabase, type TestDatabase } from '../helpers/database.js';
import { tempDir } from '../helpers/files.js';
import { usageJson } from '../helpers/ingest.js';
import { PII_KINDS } from '../../analytics/pii.js';

/** Every kind the scrubber counts, none found. */
const NOTHING_REDACTED = Object.fromEntries(PII_KINDS.map((k) => [k, 0]));

let handle: TestDatabase;
let files: Awaited<ReturnType<typeof tempDir>>;
let env: Record<string, string>;
beforeAll(async () => {
  handle = await createTestDatabase();
  files = await tempDir();
  env = { DATABASE_URL: handle.url };
});
afterAll(async () => {
  await dropTestDatabase(handle);
  await files.cleanup();
});

describe('needloop ingest', () => {
  it('--json prints one entry per file and exits 0 when only some rows were rejected', async () => {
    const users = await files.file('users.csv', 'user_id,signup_at,plan\nu1,2026-01-01,free\nu2,2026-01-01,platinum\n');
    const usage = await files.file('usage.jsonl', `${usageJson()}\n`);
    const run = await runCli(['ingest', usage, users, '--json'], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      files: [
        { file: usage, kind: 'usage', accepted: 1, rejected: 0, duplicates: 0, status: 'loaded', redacted: NOTHING_REDACTED },
        { file: users, kind: 'users', accepted: 1, rejected: 1, duplicates: 0, status: 'loaded', redacted: NOTHING_REDACTED },
      ],
    });
  });

  it('exits 1 and names the file when a file cannot be read', async () => {
    const run = await runCli(['ingest', `${files.dir}/missing.csv`], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`✗ ${files.dir}/missing.csv: cannot read (ENOENT)`);
  });

  it('refuses an unknown --kind with exit code 2', async () => {
    const run = await runCli(['ingest', 'x.csv', '--kind', 'orders'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--kind must be one of users, surveys, usage (got orders)');
  });
});

describe('needloop generate', () => {
  it('--json prints the files written and the ground truth', async () => {
    const run = await runCli(['generate', '--out', `${files.dir}/gen`, '--users', '40', '--days', '9', '--scenario', 'emerging-need', '--seed', '4', '--json'], env);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ scenario: 'emerging-need', change_date: '2026-09-07', new_need: 'automate_workflows', files: { usage: `${files.dir}/gen/usage.jsonl` } });
    expect(out.users).toHaveLength(40);
    expect(out.changed_columns).toContain('request_text');
  });
});
