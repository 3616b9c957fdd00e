/**
 * The embedded database under a hostile review (issue 15): it ran with a hard-coded
 * password and needloop connected as a superuser, so any local user could `COPY … FROM
 * PROGRAM` and rewrite approvers, audit log and registry. Now each installation has its
 * own random credentials (mode 0600), an old installation's password is replaced on first
 * use, and needloop works as a role that owns nothing and may only add to the audit log.
 */
import { chmod, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { APP_ROLE } from '../../db/connection.js';
import { embeddedUrl, startEmbeddedServer, type EmbeddedServer } from '../../db/embedded-server.js';
import { runCli } from '../helpers/cli.js';
import { useTempFiles } from '../helpers/fixtures.js';
import { usageJson } from '../helpers/ingest.js';
import { freePort } from '../helpers/ports.js';

const files = useTempFiles();
let server: EmbeddedServer | undefined;

afterAll(async () => {
  await server?.stop();
});

async function attempt(url: string, text: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const result = await client.query(text);
    return `ok ${JSON.stringify(result.rows)}`;
  } catch (error) {
    return `error ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('the embedded database', () => {
  it('replaces an old installation\'s known password, and needloop works as a role that cannot take the machine over', async () => {
    await chmod(files.dir, 0o755); // Postgres runs as its own user, which must enter here
    const home = join(files.dir, 'home');
    const port = await freePort();
    // An installation from before: the superuser's password was the hard-coded "needloop".
    const old = await startEmbeddedServer({ dataDir: join(home, 'pg'), port, password: 'needloop', settings: { fsync: 'off' } });
    await old.stop();

    const env = { DATABASE_URL: '', NEEDLOOP_HOME: home, NEEDLOOP_PG_PORT: String(port) };
    const added = await runCli(['approver', 'add', 'alice'], env);
    expect(added.code).toBe(0);
    const credentials = join(home, 'db-credentials.json');
    expect((await stat(credentials)).mode & 0o777).toBe(0o600);
    const secrets = JSON.parse(await readFile(credentials, 'utf8')) as { superuser: string; app: string };
    expect(secrets.superuser).toMatch(/^[\w-]{32}$/);

    server = await startEmbeddedServer({ dataDir: join(home, 'pg'), port, password: secrets.superuser, settings: { fsync: 'off' } });
    expect(await attempt(embeddedUrl(port, 'needloop', 'postgres', 'needloop'), 'select 1')).toMatch(/^error password authentication failed/);
    const app = embeddedUrl(port, 'needloop', APP_ROLE, secrets.app);
    expect(await attempt(app, 'select rolsuper, rolcreaterole, rolcreatedb from pg_roles where rolname = current_user')).toBe('ok [{"rolsuper":false,"rolcreaterole":false,"rolcreatedb":false}]');
    expect(await attempt(app, "copy (select 1) to program 'id'")).toMatch(/^error permission denied to COPY to or from an external program/);
    expect(await attempt(app, "select pg_read_file('/etc/passwd')")).toMatch(/^error permission denied for function pg_read_file/);
    expect(await attempt(app, 'delete from audit_log')).toMatch(/^error permission denied for table audit_log/);
    expect(await attempt(app, 'drop table approvers')).toMatch(/^error must be owner of table approvers/);
    expect(await attempt(app, 'create table evil (x int)')).toMatch(/^error permission denied for schema public/);
    expect(await attempt(app, "update kysely_migration set name = 'x'")).toMatch(/^error permission denied for table kysely_migration/);
    // What needloop's work needs still works as that role: the CLI just did it.
    expect(await attempt(app, 'select name, role from approvers')).toBe('ok [{"name":"alice","role":"approver"}]');
    expect(await attempt(app, "select action from audit_log")).toBe('ok [{"action":"approver added"}]');
    // And the CLI reuses the server this test started, with the same credentials.
    expect((await runCli(['approver', 'list', '--json'], env)).stdout).toContain('"name": "alice"');
    // Usage events go to monthly partitions that the role may not create itself: the
    // migrations' functions make them, and the role can read and analyze them.
    const usage = await files.file('usage.jsonl', ['2026-05-31T23:59:59Z', '2026-06-01T00:00:00Z'].map((ts, i) => usageJson({ event_id: `p${i}`, ts })).join('\n'));
    expect((await runCli(['ingest', usage, '--json'], env)).code).toBe(0);
    expect(await attempt(app, 'select tableoid::regclass::text as partition, count(*)::int as n from usage_events group by 1 order by 1'))
      .toBe('ok [{"partition":"usage_events_2026_05","n":1},{"partition":"usage_events_2026_06","n":1}]');
    expect(await attempt(app, 'create table usage_events_2026_07 partition of usage_events for values from (\'2026-07-01\') to (\'2026-08-01\')')).toMatch(/^error permission denied for schema public/);
    expect(await attempt(app, 'analyze usage_events_2026_06')).toBe('ok []');
  }, 120_000);
});
