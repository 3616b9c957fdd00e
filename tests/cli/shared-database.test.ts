/**
 * One embedded Postgres per home, shared by the commands that run at the same time: the
 * process that started it ending does not take it from another still using it; the last
 * one out stops it; a command killed with -9 leaves a server that the next one adopts
 * and stops (finding 4 of issue 33).
 */
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaseHolders, serverRunning } from '../../db/embedded-server.js';
import { runCli, startCli, type CliRun } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';
import { freePort } from '../helpers/ports.js';

let files: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  files = await tempDir();
  await chmod(files.dir, 0o755); // the embedded Postgres runs as its own user
});
afterAll(() => files.cleanup());

const home = (name: string) => ({ DATABASE_URL: '', NEEDLOOP_HOME: join(files.dir, name), NEEDLOOP_REPORTS_DIR: join(files.dir, name, 'reports'), NEEDLOOP_INBOX: join(files.dir, name, 'inbox'), NEEDLOOP_PG_PORT: '' });

/** `needloop serve` on PORT, resolved once it listens. */
async function serve(env: Record<string, string>, port: number) {
  const run = startCli(['serve', '--port', String(port)], env);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve did not start in 60 s')), 60_000);
    run.child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('needloop serve: http')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void run.done.then((r: CliRun) => reject(new Error(`serve exited ${r.code}: ${r.stderr}`)));
  });
  return run;
}

/**
 * What /api/predict answers: it asks the database which model serves on every request
 * (this home has none yet: 503 and that reason; 500 when the database is gone).
 */
async function predict(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/api/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ texts: ['cancel my plan'] }) });
  return `${res.status} ${((await res.json()) as { error?: string }).error ?? ''}`;
}
const ANSWERED = '503 there is no production model yet';

describe('the embedded Postgres shared by concurrent commands', () => {
  it('keeps serving while other commands start and end, and stops with the last one', async () => {
    const env = home('shared');
    const data = join(env.NEEDLOOP_HOME, 'pg');
    const [p1, p2] = [await freePort(), await freePort()];
    const first = await serve(env, p1); // starts the server
    const second = await serve(env, p2); // reuses it
    expect(leaseHolders(data).sort()).toEqual([first.child.pid, second.child.pid].sort());

    // Short commands open and close the same database meanwhile.
    for (let i = 0; i < 2; i++) expect((await runCli(['status'], env)).code).toBe(0);
    expect(await predict(p1)).toBe(ANSWERED);

    // The process that started the server ends: the other goes on answering from the database.
    first.child.kill('SIGTERM');
    expect((await first.done).code).toBe(0);
    expect(serverRunning(data)).toBe(true);
    expect(await predict(p2)).toBe(ANSWERED);
    expect((await runCli(['status'], env)).code).toBe(0);
    expect(await predict(p2)).toBe(ANSWERED);

    // The last one out stops it.
    second.child.kill('SIGTERM');
    expect((await second.done).code).toBe(0);
    expect(serverRunning(data)).toBe(false);
    expect(leaseHolders(data)).toEqual([]);
  }, 180_000);

  it('a command killed with -9 leaves an orphan server that the next command adopts, then stops', async () => {
    const env = home('orphan');
    const data = join(env.NEEDLOOP_HOME, 'pg');
    const port = await freePort();
    const killed = await serve(env, port);
    killed.child.kill('SIGKILL');
    await killed.done;
    expect(serverRunning(data)).toBe(true); // nobody stopped it
    expect(leaseHolders(data)).toEqual([]); // and nobody holds it

    const next = await runCli(['status'], env);
    expect(next.code, next.stderr).toBe(0);
    expect(serverRunning(data)).toBe(false);

    // And the home works as before afterwards.
    expect((await runCli(['status'], env)).code).toBe(0);
    expect(serverRunning(data)).toBe(false);
  }, 120_000);
});
