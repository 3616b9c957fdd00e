/**
 * A table of the user's own Postgres as a source (issue 34): read through a cursor, never
 * written to, mapped onto usage events, loaded incrementally by its since column, and
 * exactly once — also when a run is killed with -9 and run again.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';

const needloop = useTestDatabase();
const theirs = useTestDatabase(); // the team's own database, with its support requests
const files = useTempFiles();
let map: string;

const MAP = {
  usage: {
    event_id: 'id', user_id: 'customer', ts: 'asked_at', feature: 'channel', request_text: 'question', predicted_intent: 'routed_to',
    outcome: { path: 'resolution', values: { solved: 'success', escalated: 'failure', dropped: 'abandoned' } },
  },
};
const INTENTS = ['summarize_documents', 'draft_email', 'translate_text', 'code_help'];

/** N requests, asked one second apart from START (seconds after 2026-11-01). */
async function addRequests(n: number, start: number, resolution = 'solved') {
  await sql`insert into support.requests (customer, asked_at, channel, question, routed_to, resolution)
    select 'c-' || (g % 37), timestamptz '2026-11-01 00:00:00+00' + ((${start} + g) || ' seconds')::interval, 'chat',
           'question number ' || g || ' — 请帮忙', (${sql.val(INTENTS)}::text[])[1 + g % 4], ${resolution}
    from generate_series(1, ${n}) g`.execute(theirs.handle.db);
}

const stored = async () => Number((await sql<{ n: string }>`select count(*) as n from usage_events`.execute(needloop.handle.db)).rows[0].n);
/** needloop reads the team's database as a role that may only read that table. */
let readerUrl = '';
const load = (extra: string[] = []) => runCli(['ingest', '--from-postgres', readerUrl, '--table', 'support.requests', '--map', map, '--since-column', 'asked_at', '--json', ...extra], { DATABASE_URL: needloop.handle.url });

beforeAll(async () => {
  await sql`create schema support`.execute(theirs.handle.db);
  await sql`create table support.requests (id bigserial primary key, customer text not null, asked_at timestamptz not null, channel text, question text, routed_to text, resolution text)`.execute(theirs.handle.db);
  map = join(files.dir, 'map.json');
  await writeFile(map, JSON.stringify(MAP));
  const reader = `reader_${theirs.handle.name}`;
  await sql.raw(`create role ${reader} login password 'read-only-pw'`).execute(theirs.handle.db);
  await sql.raw(`grant usage on schema support to ${reader}; grant select on support.requests to ${reader}`).execute(theirs.handle.db);
  const url = new URL(theirs.handle.url);
  url.username = reader;
  url.password = 'read-only-pw';
  readerUrl = url.toString();
});

describe('ingest --from-postgres', () => {
  it('loads the table, then only what is new, never twice; a value the map does not know is rejected naming both fields; the source is only read', async () => {
    await addRequests(300, 0);
    await sql`update support.requests set resolution = 'pending' where id = 7`.execute(theirs.handle.db);
    const first = JSON.parse((await load()).stdout).files[0];
    expect(first).toMatchObject({ kind: 'usage', status: 'loaded', accepted: 299, rejected: 1, since: '2026-11-01 00:05:00+00' });
    const rejected = await needloop.handle.db.selectFrom('rejected_rows').select(['file_name', 'line', 'reason']).execute();
    expect(rejected).toEqual([{ file_name: expect.stringMatching(/^postgres:\/\/.+ support\.requests$/), line: 7, reason: 'resolution = "pending" maps to no outcome (the map\'s values: "solved", "escalated", "dropped")' }]);
    expect(rejected[0].file_name).not.toContain('read-only-pw');

    // The next night: 40 more; only they load (the row at the watermark is read again, and known).
    await addRequests(40, 300);
    const second = JSON.parse((await load()).stdout).files[0];
    expect(second).toMatchObject({ status: 'loaded', accepted: 40, duplicates: 1, since: '2026-11-01 00:05:40+00' });
    expect(await stored()).toBe(339);
    // Nothing new: nothing stored.
    const third = JSON.parse((await load()).stdout).files[0];
    expect(third.accepted).toBe(0);
    expect(await stored()).toBe(339);
    // The stored rows are the table's, mapped.
    expect((await needloop.handle.db.selectFrom('usage_events').select(['user_id', 'feature', 'outcome', 'predicted_intent', 'request_text']).where('event_id', '=', '1').executeTakeFirstOrThrow()))
      .toEqual({ user_id: 'c-1', feature: 'chat', outcome: 'success', predicted_intent: 'draft_email', request_text: 'question number 1 — 请帮忙' });
  }, 120_000);

  it('a run killed with -9 stores nothing of its rows and keeps its watermark; the re-run loads them once', async () => {
    await addRequests(60_000, 1000, 'escalated');
    const before = await stored();
    const run = startCli(['ingest', '--from-postgres', readerUrl, '--table', 'support.requests', '--map', map, '--since-column', 'asked_at'], { DATABASE_URL: needloop.handle.url });
    // Killed while it reads or loads: wait for it to be well under way.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    run.child.kill('SIGKILL');
    const killed = await run.done;
    const afterKill = await stored();
    // All or nothing: either the kill came before the commit (nothing stored) or after (all of it).
    expect([before, before + 60_000]).toContain(afterKill);
    const againRun = await load();
    const again = JSON.parse(againRun.stdout).files[0];
    expect(['loaded', 'duplicate'], JSON.stringify(again)).toContain(again.status);
    expect(await stored()).toBe(before + 60_000);
    expect(again.since).toBe('2026-11-01 16:56:40+00');
    // Said once, for whoever reads the log of this test: where the kill landed.
    expect(killed.signal).toBe('SIGKILL');
  }, 180_000);

  it('refuses a map naming no kind, and a table that is not there, naming the source', async () => {
    const bad = join(files.dir, 'bad.json');
    await writeFile(bad, JSON.stringify({}));
    const none = await runCli(['ingest', '--from-postgres', theirs.handle.url, '--table', 'support.requests', '--map', bad], { DATABASE_URL: needloop.handle.url });
    expect(none.code).toBe(1);
    expect(none.stdout + none.stderr).toMatch(/must name exactly one of users, usage, surveys/);
    const missing = await runCli(['ingest', '--from-postgres', theirs.handle.url, '--table', 'support.nope', '--map', map], { DATABASE_URL: needloop.handle.url });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/support\.nope: no such table or view/);
    const injected = await runCli(['ingest', '--from-postgres', theirs.handle.url, '--table', 'x; drop table users', '--map', map], { DATABASE_URL: needloop.handle.url });
    expect(injected.stdout).toMatch(/--table "x; drop table users" must be a name/);
  });

  it('the nightly run loads the tables NEEDLOOP_SOURCES names after the inbox, each night only what is new; a wrong entry fails the run naming the file and the field', async () => {
    await sql`create table support.chats (id text primary key, customer text not null, asked_at timestamptz not null, channel text, question text, routed_to text, resolution text)`.execute(theirs.handle.db);
    await sql.raw(`grant select on support.chats to reader_${theirs.handle.name}`).execute(theirs.handle.db);
    const addChats = (n: number, start: number) => sql`insert into support.chats select 'chat-' || (${start} + g), 'c-' || (g % 11), timestamptz '2026-11-02 00:00:00+00' + ((${start} + g) || ' seconds')::interval,
        'chat', 'chat question ' || g, 'draft_email', 'solved' from generate_series(1, ${n}) g`.execute(theirs.handle.db);
    await addChats(50, 0);
    const dir = join(files.dir, 'nightly-sources');
    await mkdir(join(dir, 'inbox'), { recursive: true });
    await writeFile(join(dir, 'chats-map.json'), JSON.stringify(MAP));
    const sources = join(dir, 'sources.json');
    // The password stays in the environment, not in the file.
    await writeFile(sources, JSON.stringify({ postgres: [{ name: 'support-chats', url_env: 'SUPPORT_DATABASE_URL', table: 'support.chats', map: 'chats-map.json', since_column: 'asked_at' }] }));
    const env = { DATABASE_URL: needloop.handle.url, NEEDLOOP_HOME: join(dir, 'home'), NEEDLOOP_INBOX: join(dir, 'inbox'), NEEDLOOP_REPORTS_DIR: join(dir, 'reports'), NEEDLOOP_SOURCES: sources, SUPPORT_DATABASE_URL: readerUrl, TFJS_BACKEND: 'cpu' };
    const chats = async () => Number((await sql<{ n: string }>`select count(*) as n from usage_events where event_id like 'chat-%'`.execute(needloop.handle.db)).rows[0].n);
    const night = async () => {
      const run = await runCli(['run', '--local', '--json'], env);
      const out = JSON.parse(run.stdout) as { results: { ingested: { file: string; status: string; accepted: number; duplicates: number }[] } };
      return out.results.ingested.filter((f) => f.file.startsWith('source '));
    };
    const first = await night();
    expect(first).toEqual([expect.objectContaining({ file: expect.stringMatching(/^source support-chats \(postgres:\/\/reader_\w+@[^ ]+ support\.chats\)$/), status: 'loaded', accepted: 50 })]);
    expect(first[0].file).not.toContain('read-only-pw');
    expect(await chats()).toBe(50);
    // The next night: 20 more rows; only they load.
    await addChats(20, 50);
    expect(await night()).toEqual([expect.objectContaining({ status: 'loaded', accepted: 20, duplicates: 1 })]);
    expect(await chats()).toBe(70);
    // A night with nothing new stores nothing.
    expect((await night())[0]).toMatchObject({ accepted: 0 });
    expect(await chats()).toBe(70);
    // A misspelt field: the run fails before anything is read, and says where.
    await writeFile(sources, JSON.stringify({ postgres: [{ name: 'support-chats', url_env: 'SUPPORT_DATABASE_URL', tabel: 'support.chats', map: 'chats-map.json' }] }));
    const wrong = await runCli(['run', '--local', '--json'], env);
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout)).toMatchObject({ status: 'failed', results: { ingested: [] } });
    expect(JSON.parse(wrong.stdout).results.error).toBe(`NEEDLOOP_SOURCES ${sources}: postgres[0].tabel: is not a field of a source (name, url, url_env, table, map, since_column)`);
    expect(await chats()).toBe(70);
  }, 240_000);
});
