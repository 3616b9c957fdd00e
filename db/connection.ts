/**
 * Opens the needloop database: `DATABASE_URL` when configured, otherwise the embedded
 * server under the needloop home folder. Migrations run on every open (idempotent).
 */
import { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.js';
import { embeddedUrl, startEmbeddedServer, type EmbeddedServer } from './embedded-server.js';
import { migrateToLatest } from './migrate.js';
import type { Database } from './schema.js';

export interface DatabaseHandle {
  db: Kysely<Database>;
  /** The pool behind `db`, for COPY streams and other raw client work. */
  pool: pg.Pool;
  url: string;
  /** Where the data lives, for messages: the embedded folder or the server's host. */
  location: string;
  close(): Promise<void>;
}

const EMBEDDED_DATABASE = 'needloop';

/** Wraps a connection string in a Kysely instance and a pool; migrates unless told not to. */
export async function connect(url: string, options: { migrate?: boolean; location?: string } = {}): Promise<DatabaseHandle> {
  const pool = new pg.Pool({ connectionString: url, max: 6 });
  // A dropped connection (server restart) surfaces on the next query; don't crash here.
  // Clients checked out of the pool (by Kysely, COPY, the pipeline lock) would emit the
  // same 'error' with no listener, which ends the process: each gets one at creation.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const handle: DatabaseHandle = {
    db,
    pool,
    url,
    location: options.location ?? new URL(url).host,
    close: () => db.destroy(),
  };
  if (options.migrate !== false) {
    try {
      await migrateToLatest(db);
    } catch (error) {
      await db.destroy();
      throw error;
    }
  }
  return handle;
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount === 0) {
      await client.query(`create database ${pg.escapeIdentifier(name)}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created meanwhile by another process
      });
    }
  } finally {
    await client.end();
  }
}

/** The database named by the configuration, started and migrated. */
export async function openDatabase(config: Config): Promise<DatabaseHandle> {
  if (config.databaseUrl !== null) return connect(config.databaseUrl);
  const dataDir = join(config.home, 'pg');
  const server: EmbeddedServer = await startEmbeddedServer({ dataDir, port: config.embeddedPort });
  try {
    await ensureDatabase(server.adminUrl, EMBEDDED_DATABASE);
    const handle = await connect(embeddedUrl(server.port, EMBEDDED_DATABASE), { location: `embedded Postgres in ${dataDir}` });
    return {
      ...handle,
      close: async () => {
        await handle.close();
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** Postgres went away: refused, reset, shut down by its administrator, or the socket closed. */
export function isConnectionLoss(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | null;
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006'].includes(e?.code ?? '') || /Connection terminated|terminating connection/.test(e?.message ?? '');
}
