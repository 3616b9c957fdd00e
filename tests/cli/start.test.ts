import { chmod } from 'node:fs/promises';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';

let files: Awaited<ReturnType<typeof tempDir>>;
let env: Record<string, string>;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  files = await tempDir();
  await chmod(files.dir, 0o755);
  // The README's main command on the embedded default: its own server, its own folder.
  env = { DATABASE_URL: '', NEEDLOOP_HOME: `${files.dir}/home`, NEEDLOOP_PG_PORT: String(await freePort()) };
});
afterAll(() => files.cleanup());

describe('needloop start (npm start)', () => {
  it('on an empty embedded database: generates demo data, ingests it, segments users and scores needs', async () => {
    const run = await runCli(['start', '--json'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.database).toBe(`embedded Postgres in ${files.dir}/home/pg`);
    expect(out.ingested.map((r: { status: string; rejected: number }) => [r.status, r.rejected])).toEqual([
      ['loaded', 0],
      ['loaded', 0],
      ['loaded', 0],
    ]);
    expect(out.counts).toMatchObject({ users: 2000, batches: 3, rejected: 0 });
    expect(out.segments.k).toBeGreaterThanOrEqual(4);
    expect(out.needs.needs).toHaveLength(12);
    expect(out.needs.nps.n).toBeGreaterThan(100);
    // The demo's new need emerged two thirds in: the last week shows it.
    expect(out.drift.retrain.retrain).toBe(true);
    expect(out.drift.emerging_needs.map((e: { need: string }) => e.need)).toEqual(['automate_workflows']);
  });

  it('run again: loads nothing new and analyses what is there', async () => {
    const run = await runCli(['start', '--json'], env);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.ingested).toEqual([]);
    expect(out.demo_dir).toBeNull();
    expect(out.counts).toMatchObject({ users: 2000, batches: 3 });
    expect(Number(out.segments.segment_run_id)).toBe(2);
  });
});
