/**
 * Opens the needloop database: `DATABASE_URL` when configured, otherwise the embedded
 * server under the needloop home folder. Migrations run on every open (idempotent).
 *
 * The embedded server is opened as needloop's own role, not the superuser: a role that
 * may read and write needloop's tables and nothing else (no COPY … PROGRAM, no DDL, no
 * changing the audit log). The superuser, whose password only needloop knows
 * (db/embedded-secrets.ts), runs the migrations and grants that role its rights.
 */
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.js';
import { embeddedSecrets, LEGACY_PASSWORD } from './embedded-secrets.js';
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
  /**
   * Runs WORK as the role that owns needloop's tables, for what the application's role may
   * not do: adding or removing approvers. The same connection where there is one role only
   * (a DATABASE_URL); the embedded server's superuser, on a connection of its own, otherwise.
   */
  asOwner<T>(work: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const EMBEDDED_DATABASE = 'needloop';
/** The role needloop works as in the embedded database. */
export const APP_ROLE = 'needloop_app';

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
    asOwner: (work) => work(db),
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

/**
 * Gives ROLE (created when missing, password set) what needloop's work needs in DATABASE
 * and no more: read and write the tables, use their sequences, analyze them, create
 * temporary tables; only read the migrations; only add to the audit log, never move its
 * numbering; never read token hashes. Not a superuser, so no COPY … FROM PROGRAM and no
 * reading of server files, and not the tables' owner, so decisions need an approver's
 * token (db/migrations/2026-12-07T00-00-decisions.ts).
 */
async function grantAppAccess(owner: Kysely<Database>, database: string, role: string, password: string): Promise<void> {
  const r = pg.escapeIdentifier(role);
  const d = pg.escapeIdentifier(database);
  // One process at a time: concurrent grants on the same objects fail ("tuple concurrently updated").
  await owner.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended('needloop-grant-app-access', 0))`.execute(trx);
    const exists = await sql<{ n: number }>`select 1 as n from pg_roles where rolname = ${role}`.execute(trx);
    if (exists.rows.length === 0) await sql.raw(`create role ${r}`).execute(trx);
    await sql.raw(`alter role ${r} with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password ${pg.escapeLiteral(password)}`).execute(trx);
    for (const statement of [
      `revoke all on database ${d} from public`,
      `grant connect, temporary on database ${d} to ${r}`,
      `revoke create on schema public from public`,
      `grant usage on schema public to ${r}`,
      `grant select, insert, update, delete, maintain on all tables in schema public to ${r}`,
      `grant usage, select, update on all sequences in schema public to ${r}`,
      `revoke insert, update, delete, truncate, maintain on kysely_migration, kysely_migration_lock from ${r}`,
      `revoke update, delete, truncate on audit_log from ${r}`,
      // Decisions (db/migrations/2026-12-07T00-00-decisions.ts): the audit log's numbering
      // stays the database's (no setval), grants are the decision functions' own, and token
      // hashes are read only by needloop_token_holder.
      `revoke update on sequence audit_log_id_seq from ${r}`,
      `revoke all on decision_grants from ${r}`,
      `revoke select on approvers from ${r}`,
      `grant select (name, role, created_at, token_issued_at) on approvers to ${r}`,
    ]) await sql.raw(statement).execute(trx);
  });
}

/** The database named by the configuration, started and migrated. */
export async function openDatabase(config: Config): Promise<DatabaseHandle> {
  if (config.databaseUrl !== null) return connect(config.databaseUrl);
  const dataDir = join(config.home, 'pg');
  const secrets = await embeddedSecrets(config.home);
  const server: EmbeddedServer = await startEmbeddedServer({ dataDir, port: config.embeddedPort, fixedPort: config.embeddedPortFixed, password: secrets.superuser, legacyPasswords: [LEGACY_PASSWORD] });
  try {
    await ensureDatabase(server.adminUrl, EMBEDDED_DATABASE);
    const ownerUrl = new URL(server.adminUrl);
    ownerUrl.pathname = `/${EMBEDDED_DATABASE}`;
    const owner = await connect(ownerUrl.toString());
    try {
      await grantAppAccess(owner.db, EMBEDDED_DATABASE, APP_ROLE, secrets.app);
    } finally {
      await owner.close();
    }
    const handle = await connect(embeddedUrl(server.port, EMBEDDED_DATABASE, APP_ROLE, secrets.app), { migrate: false, location: `embedded Postgres in ${dataDir}` });
    return {
      ...handle,
      asOwner: async (work) => {
        const owned = await connect(ownerUrl.toString(), { migrate: false });
        try {
          return await work(owned.db);
        } finally {
          await owned.close();
        }
      },
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
