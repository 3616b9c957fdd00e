/**
 * Shared pieces of the benchmarks: a throw-away Postgres server, the machine's
 * description, a timer, and printing (a table for people, JSON with --json).
 */
import { createReadStream } from 'node:fs';
import { chmod, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import pgCopy from 'pg-copy-streams';
import { connect, type DatabaseHandle } from '../db/connection.js';
import { startEmbeddedServer, type EmbeddedServer } from '../db/embedded-server.js';

export const json = process.argv.includes('--json');

export function machine(): string {
  return `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export function log(message: string): void {
  if (!json) process.stderr.write(`${message}\n`);
}

export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const result = await work();
  return { result, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

/** A fresh Postgres server for one benchmark, with databases made on demand. */
export async function benchServer(port = 54400 + Math.floor(Math.random() * 500)): Promise<{
  server: EmbeddedServer;
  database(name: string): Promise<DatabaseHandle>;
  stop(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'needloop-bench-'));
  await chmod(dir, 0o755);
  const server = await startEmbeddedServer({ dataDir: join(dir, 'data'), port });
  const handles: DatabaseHandle[] = [];
  return {
    server,
    async database(name) {
      const admin = new pg.Client({ connectionString: server.adminUrl });
      await admin.connect();
      await admin.query(`create database ${pg.escapeIdentifier(name)}`);
      await admin.end();
      const url = new URL(server.adminUrl);
      url.pathname = `/${name}`;
      const handle = await connect(url.toString());
      handles.push(handle);
      return handle;
    },
    async stop() {
      for (const h of handles) await h.close();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function report(name: string, rows: Record<string, string | number>[], extra: Record<string, unknown>): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ bench: name, machine: machine(), results: rows, ...extra }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`\n${name} — ${machine()}\n`);
  const keys = Object.keys(rows[0]);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
  process.stdout.write(`${keys.map((k, i) => k.padEnd(widths[i])).join('  ')}\n`);
  for (const r of rows) process.stdout.write(`${keys.map((k, i) => String(r[k]).padEnd(widths[i])).join('  ')}\n`);
  for (const [k, v] of Object.entries(extra)) process.stdout.write(`${k}: ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}\n`);
}

/** BANKING77 (../shared/data/banking77, CC BY 4.0): real user language for the benches. */
export const BANKING77 = join('..', 'shared', 'data', 'banking77');

/** The rows of a two-column CSV (RFC 4180: quoted fields may hold commas, quotes and line breaks). */
export async function readBanking77(name: string): Promise<{ text: string; intent: string }[]> {
  const csv = await readFile(join(BANKING77, name), 'utf8');
  const records: string[][] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const ch = csv[i];
    if (quoted) {
      if (ch === '"' && csv[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') fields.push(field), (field = '');
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && csv[i + 1] === '\n') i++;
      fields.push(field);
      if (fields.some((f) => f !== '')) records.push(fields);
      [fields, field] = [[], ''];
    } else field += ch;
  }
  if (field !== '' || fields.length > 0) records.push([...fields, field]);
  return records.slice(1).map((r, i) => {
    if (r.length !== 2) throw new Error(`${name}, record ${i + 1}: expected text,category, got ${r.length} fields`);
    return { text: r[0].replace(/\s+/g, ' ').trim(), intent: r[1] };
  });
}


/**
 * The ingest benches' baseline: a plain `COPY … FROM STDIN (FORMAT csv)` of CSV (its own
 * header naming the columns) into `baseline_usage`, created LIKE usage_events INCLUDING ALL
 * (same columns, key, indexes and checks) in a database of its own. Returns the rows stored.
 */
export async function plainCopyBaseline(bench: { database(name: string): Promise<DatabaseHandle> }, csv: string): Promise<{ result: number; seconds: number }> {
  const file = await open(csv);
  const head = (await file.read(Buffer.alloc(1 << 16), 0, 1 << 16, 0)).buffer.toString('utf8');
  await file.close();
  const columns = head.slice(0, head.indexOf('\n')).trim();
  const base = await bench.database('baseline');
  await base.pool.query('create table baseline_usage (like usage_events including all)');
  await base.pool.query('alter table baseline_usage alter column batch_id set default 0');
  return timed(async () => {
    const client = await base.pool.connect();
    try {
      const stream = client.query(pgCopy.from(`COPY baseline_usage (${columns}) FROM STDIN WITH (FORMAT csv, HEADER true)`));
      await pipeline(createReadStream(csv, { highWaterMark: 1 << 20 }), stream);
      return Number(stream.rowCount);
    } finally {
      client.release();
    }
  });
}
