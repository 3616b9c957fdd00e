/**
 * A table (or view) of the user's own Postgres as a source (`ingest --from-postgres`): read
 * through a cursor in a read-only transaction — needloop never writes to that database —
 * mapped by a map file onto one of needloop's kinds, and loaded by the same ingest as any
 * file. With a since column, each run reads only rows at or past the watermark of the
 * last, and moves the watermark in the load's own transaction: a run killed midway leaves
 * the watermark and the rows as they were, the re-run loads them once (rows at the
 * watermark itself are read again, and ids already stored are not stored twice).
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import type { DatabaseHandle } from '../connection.js';
import type { NeedCatalogue } from '../need-catalogue.js';
import type { IngestKind } from '../schema.js';
import { RowConverter, sourceReason, type SourceMap } from './formats.js';
import { ingestFile, type FileResult, type IngestOptions } from './ingest-file.js';
import { FileError } from './layout.js';

export interface PostgresSource {
  url: string;
  /** SCHEMA.TABLE or TABLE. */
  table: string;
  sinceColumn?: string;
  map: SourceMap;
}

/** The source's name in messages and in its watermark: the server, database and table, never the password. */
export function sourceName(s: PostgresSource): string {
  const u = new URL(s.url);
  return `postgres://${u.username === '' ? '' : `${decodeURIComponent(u.username)}@`}${u.host}${u.pathname} ${s.table}`;
}

const identifier = (name: string, what: string) => {
  if (!/^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/.test(name)) throw new FileError(`${what} ${JSON.stringify(name)} must be a name (SCHEMA.TABLE or COLUMN: letters, digits, _)`);
  return name.split('.').map((p) => pg.escapeIdentifier(p)).join('.');
};

export async function ingestFromPostgres(handle: DatabaseHandle, source: PostgresSource, options: Omit<IngestOptions, 'kind' | 'origin' | 'beforeCommit'> & { catalogue: NeedCatalogue }): Promise<FileResult & { since?: string | null }> {
  const name = sourceName(source);
  const kinds = (['users', 'surveys', 'usage'] as IngestKind[]).filter((k) => source.map[k] !== undefined);
  if (kinds.length !== 1) throw new FileError(`the map of ${name} must name exactly one of users, usage, surveys: the kind the table's rows are (it names ${kinds.length === 0 ? 'none' : kinds.join(', ')})`);
  const kind = kinds[0];
  const table = identifier(source.table, '--table');
  const since = source.sinceColumn === undefined ? null : identifier(source.sinceColumn, '--since-column');
  const key = `${name} ${kind}${source.sinceColumn === undefined ? '' : ` since ${source.sinceColumn}`}`;
  const mark = since === null ? null : (await handle.db.selectFrom('source_watermarks' as never).select('since_value' as never).where('source' as never, '=', key as never).executeTakeFirst()) as { since_value: string } | undefined;
  const client = new pg.Client({ connectionString: source.url, application_name: 'needloop ingest (read only)' });
  const dir = await mkdtemp(join(tmpdir(), 'needloop-pg-source-'));
  const file = join(dir, `${kind}.jsonl`);
  const converter = new RowConverter(kind, source.map, options.catalogue);
  let highest: string | null = mark?.since_value ?? null;
  try {
    await client.connect().catch((error: Error) => {
      throw new FileError(`${name}: cannot connect (${error.message})`);
    });
    await client.query('begin transaction isolation level repeatable read read only');
    if ((await client.query('select to_regclass($1) as t', [source.table])).rows[0].t === null) throw new FileError(`${name}: no such table or view`);
    const where = since === null || mark === undefined || mark === null ? '' : ` where ${since} >= $1`;
    await client.query(`declare needloop_source no scroll cursor for select t.*${since === null ? '' : `, (${since})::text as "__needloop_since"`} from ${table} t${where}${since === null ? '' : ` order by ${since}`}`, where === '' ? [] : [mark!.since_value]);
    const out = createWriteStream(file);
    let line = 0;
    for (;;) {
      const { rows } = await client.query<Record<string, unknown>>('fetch 5000 from needloop_source');
      if (rows.length === 0) break;
      let text = '';
      for (const row of rows) {
        line++;
        if (since !== null) {
          highest = row.__needloop_since as string;
          delete row.__needloop_since;
        }
        text += `${converter.line(row, line)}\n`;
      }
      if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      options.onProgress?.({ file: name, bytesTotal: 0, phase: 'load', bytesRead: 0, records: line });
    }
    out.end();
    await finished(out);
    await client.query('commit');
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    await client.end().catch(() => undefined);
    if (error instanceof FileError) throw error;
    throw new FileError(`${name}: ${(error as Error).message}`);
  }
  await client.end().catch(() => undefined);
  try {
    if (converter.records === 0) return { file: name, kind, status: 'empty', accepted: 0, rejected: 0, duplicates: 0, since: highest };
    const result = await ingestFile(handle, file, {
      ...options, kind,
      origin: { file: name, refused: converter.refused, reason: sourceReason(converter.from) },
      // The watermark moves with the rows, in their transaction.
      beforeCommit: since === null ? undefined : async (c) => {
        await c.query(
          `insert into source_watermarks (source, since_column, since_value, updated_at) values ($1, $2, $3, now())
           on conflict (source) do update set since_value = excluded.since_value, updated_at = now()`,
          [key, source.sinceColumn, highest],
        );
      },
    });
    return { ...result, file: name, ...(result.error === undefined ? {} : { error: result.error.replaceAll(file, name) }), since: highest };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
