/**
 * Postgres stopped under a running command, then started again: the command fails with a
 * clear message, nothing half-written is left, and running it again completes the work.
 * A server of its own, so that stopping it touches no other test.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedServer, type EmbeddedServer } from '../../db/embedded-server.js';
import { generateScenario } from '../../scenarios/generate.js';
import { runCli, startCli } from '../helpers/cli.js';
import { useTempFiles } from '../helpers/fixtures.js';
import { catalogue } from '../helpers/ingest.js';
import { freePort } from '../helpers/ports.js';

const files = useTempFiles();
let dir: string;
let port: number;
let server: EmbeddedServer;

const PASSWORD = 'restart-test-password';
const start = () => startEmbeddedServer({ dataDir: join(dir, 'data'), port, password: PASSWORD, settings: { fsync: 'off' } });

async function query<T extends pg.QueryResultRow>(database: string, text: string): Promise<T[]> {
  const url = new URL(server.adminUrl);
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** Waits until `probe` (run against the server) says yes. */
async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'needloop-restart-'));
  await chmod(dir, 0o755);
  port = await freePort();
  server = await start();
  for (const name of ['ingest_restart', 'pipeline_restart']) await query('postgres', `create database ${name}`);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const urlOf = (database: string) => {
  const url = new URL(server.adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
};

describe('Postgres stopped and started again', () => {
  it('during ingest: a clear error, no batch and no rows kept; the re-run loads the whole file', async () => {
    const generated = await generateScenario({ outDir: join(files.dir, 'big'), catalogue, users: 3000, days: 30, events: 400_000, seed: 6 });
    const env = { DATABASE_URL: urlOf('ingest_restart') };
    const { done } = startCli(['ingest', generated.files.usage], env);
    await until(async () => (await query<{ n: string }>('ingest_restart', "select count(*) as n from pg_stat_activity where query ilike 'copy%' and state = 'active'"))[0].n !== '0', 'the COPY to start');
    await server.stop();
    const failed = await done;
    expect(failed.code).toBe(1);
    server = await start();
    expect(failed.stdout).toMatch(new RegExp(`^✗ ${generated.files.usage}: lost the connection to Postgres \\(.+\\); nothing of this file was kept: ingest it again once the database is back\n$`));
    expect(await query('ingest_restart', 'select count(*)::int as n from ingest_batches')).toEqual([{ n: 0 }]);
    expect(await query('ingest_restart', 'select count(*)::int as n from usage_events')).toEqual([{ n: 0 }]);
    const again = await runCli(['ingest', generated.files.usage, '--json'], env);
    expect(again.code).toBe(0);
    expect(await query('ingest_restart', 'select count(*)::int as n from usage_events')).toEqual([{ n: generated.counts.events }]);
  }, 240_000);

  it('during a pipeline run: a clear error, the run closed as interrupted by the next one, no orphan model', async () => {
    const inbox = join(files.dir, 'inbox');
    await generateScenario({ outDir: inbox, catalogue, users: 400, days: 40, seed: 7 });
    const env = { DATABASE_URL: urlOf('pipeline_restart'), NEEDLOOP_HOME: join(files.dir, 'home'), NEEDLOOP_INBOX: inbox, NEEDLOOP_REPORTS_DIR: join(files.dir, 'reports'), TFJS_BACKEND: 'cpu' };
    const { done } = startCli(['run', '--local'], env);
    await Promise.race([
      until(async () => (await query<{ step: string }>('pipeline_restart', 'select step from pipeline_runs'))[0]?.step === 'train', 'the training step'),
      done.then((r) => {
        throw new Error(`the run ended before training: ${r.stdout} ${r.stderr}`);
      }),
    ]);
    await server.stop();
    const failed = await done;
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/lost the connection to Postgres/);
    server = await start();
    expect(await query('pipeline_restart', 'select status from pipeline_runs')).toEqual([{ status: 'running' }]);
    expect(await query('pipeline_restart', 'select count(*)::int as n from model_versions')).toEqual([{ n: 0 }]);
    const again = await runCli(['run', '--local', '--json'], env);
    expect(again.code).toBe(0);
    expect(await query('pipeline_restart', 'select id, status from pipeline_runs order by id')).toEqual([{ id: '1', status: 'failed' }, { id: '2', status: 'awaiting_approval' }]);
    expect(await query('pipeline_restart', 'select status from model_versions')).toEqual([{ status: 'awaiting_approval' }]);
  }, 240_000);
});
