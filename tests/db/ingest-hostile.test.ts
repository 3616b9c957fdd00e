/**
 * Ingest under a hostile review (issue 15): a link out of the inbox is refused unread; a
 * file that fails as a whole is never echoed; a huge rejected record is kept bounded; ids
 * have one length limit in every file; lone surrogates are not text; and a run whose inbox
 * files failed says so.
 */
import { createHash } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RAW_KEPT_BYTES } from '../../db/ingest/ingest-file.js';
import { runCli } from '../helpers/cli.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { ingest, rejections, usageJson } from '../helpers/ingest.js';

const db = useTestDatabase();
const files = useTempFiles();
const SECRET = 'root:$6$SECRETHASHdoNotEcho$abc:19000:0:99999:7:::';

describe('ingest refuses what is not its to read', () => {
  it('never echoes the content of a file that failed as a whole', async () => {
    const shadow = await files.file('shadow-copy.csv', `${SECRET}\ndaemon:*:19000:0:99999:7:::\n`);
    const result = await ingest(db.handle, shadow);
    expect(result.status).toBe('failed');
    expect(result.error).toBe(`${shadow}:1: cannot tell users, surveys or usage apart from the header (1 field, none that looks like a column name); is it a data file? pass --kind if so`);
    const forced = await ingest(db.handle, shadow, { kind: 'users' });
    expect(forced.error).not.toContain('SECRETHASH');
    expect(forced.error).toMatch(/unknown column none that looks like a column name for users/);
    const cli = await runCli(['ingest', shadow, '--json'], { DATABASE_URL: db.handle.url });
    expect(cli.stdout + cli.stderr).not.toContain('SECRETHASH');
  });

  it('loads a CSV whose lines end in a CR alone, as the same file with LF would load', async () => {
    const rows = ['user_id,signup_at,plan', 'cr-u1,2026-01-02,free', 'cr-u2,2026-01-03,pro', 'cr-u3,not a date,free'];
    const cr = await files.file('users-cr.csv', `${rows.join('\r')}\r`);
    const result = await ingest(db.handle, cr);
    expect([result.status, result.accepted, result.rejected]).toEqual(['loaded', 2, 1]);
    expect((await rejections(db.handle, cr)).map(([line]) => line)).toEqual([4]);
  });

  it('a run refuses a link out of the inbox, unread, and ends completed_with_errors listing it', async () => {
    await mkdir(join(files.dir, 'outside'), { recursive: true });
    const outside = await files.file('outside/secret.csv', `user_id,signup_at,plan\n${SECRET},2026-01-01,free\n`);
    const inbox = join(files.dir, 'inbox');
    await mkdir(inbox, { recursive: true });
    await writeFile(join(inbox, 'users.csv'), 'user_id,signup_at,plan\nu1,2026-01-01,free\nu2,2026-01-02,pro\n');
    await symlink(outside, join(inbox, 'linked-users.csv'));
    await symlink(join(files.dir, 'nowhere.csv'), join(inbox, 'dangling.csv'));
    const env = { DATABASE_URL: db.handle.url, NEEDLOOP_HOME: join(files.dir, 'home'), NEEDLOOP_INBOX: inbox, NEEDLOOP_REPORTS_DIR: join(files.dir, 'reports'), TFJS_BACKEND: 'cpu' };
    const run = await runCli(['run', '--local', '--json'], env);
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout) as { status: string; results: { ingested: { file: string; status: string; error?: string }[] } };
    expect(out.status).toBe('completed_with_errors');
    const byName = Object.fromEntries(out.results.ingested.map((f) => [f.file.slice(inbox.length + 1), f]));
    expect(byName['users.csv'].status).toBe('loaded');
    expect(byName['linked-users.csv']).toMatchObject({ status: 'failed', error: `${join(inbox, 'linked-users.csv')}: a link to a file outside ${inbox}: refused, unread (only the inbox's own files are loaded)` });
    expect(byName['dangling.csv'].status).toBe('failed');
    const stored = await db.handle.db.selectFrom('pipeline_runs').select(['status', 'error', 'results']).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(stored.status).toBe('completed_with_errors');
    expect(stored.error).toMatch(/^2 of 3 inbox file\(s\) failed to load: /);
    expect(JSON.stringify(stored) + run.stdout + run.stderr).not.toContain('SECRETHASH');
    expect(await db.handle.db.selectFrom('users').select('user_id').where('user_id', 'like', 'root%').execute()).toEqual([]);
    const human = await runCli(['status', '--json'], env);
    expect(JSON.parse(human.stdout).status).toBe('completed_with_errors');
  }, 120_000);
});

describe('ingest keeps rejected records bounded and its contracts in agreement', () => {
  it('keeps a 10 MB rejected record as a prefix with its size and hash, on both load paths', async () => {
    const huge = usageJson({ event_id: 'huge', request_text: `mail me at someone@example.com ${'x'.repeat(10 * 1024 * 1024)}` });
    const usage = await files.file('huge-usage.jsonl', `${usageJson({ event_id: 'ok1' })}\n${huge}\n`);
    const users = await files.file('huge-users.csv', `user_id,signup_at,plan,industry\nu1,2026-01-01,free,${'y'.repeat(10 * 1024 * 1024)}\n`);
    for (const [file, line, raw] of [[usage, 2, huge], [users, 2, `u1,2026-01-01,free,${'y'.repeat(10 * 1024 * 1024)}`]] as const) {
      const result = await ingest(db.handle, file, { maxFieldBytes: 64 * 1024 });
      expect(result.rejected).toBe(1);
      const row = await db.handle.db.selectFrom('rejected_rows').select(['line', 'raw', 'raw_bytes', 'raw_sha256']).where('file_name', '=', file).executeTakeFirstOrThrow();
      expect(row.line).toBe(line);
      expect(row.raw.length).toBeLessThanOrEqual(RAW_KEPT_BYTES);
      expect(row.raw.length).toBeGreaterThan(RAW_KEPT_BYTES - 100);
      expect(row.raw_bytes).toBe(Buffer.byteLength(raw));
      expect(row.raw_sha256).toBe(createHash('sha256').update(raw).digest('hex'));
    }
  });

  it('limits every id to 200 characters, in every kind of file, and refuses lone surrogates', async () => {
    const long = 'u'.repeat(201);
    const usage = await files.file('ids-usage.jsonl', [
      usageJson({ event_id: 'id1', user_id: long }),
      usageJson({ event_id: 'id2', user_id: '用'.repeat(200) }),
      usageJson({ event_id: 'id3', request_text: 'broken \ud800 text' }),
      usageJson({ event_id: 'id4', request_text: 'an emoji 😀 is fine' }),
    ].join('\n'));
    const result = await ingest(db.handle, usage);
    expect([result.accepted, result.rejected]).toEqual([2, 2]);
    expect(await rejections(db.handle, usage)).toEqual([
      [1, 'user_id: 201 characters long; at most 200 are allowed'],
      [3, 'request_text: contains a lone surrogate (\\uD800), which is not Unicode text'],
    ]);
    const users = await files.file('ids-users.csv', `user_id,signup_at,plan\n${long},2026-01-01,free\n`);
    expect(await ingest(db.handle, users).then(() => rejections(db.handle, users))).toEqual([[2, 'user_id: 201 characters long; at most 200 are allowed']]);
    const surveys = await files.file('ids-surveys.jsonl', JSON.stringify({ response_id: 'r'.repeat(201), user_id: 'u1', submitted_at: '2026-03-01T00:00:00Z', nps: 9 }));
    expect(await ingest(db.handle, surveys).then(() => rejections(db.handle, surveys))).toEqual([[1, 'response_id: 201 characters long; at most 200 are allowed']]);
  });
});
