import type { Command } from 'commander';
import { describe } from './index.js';
import type { Config } from '../../config.js';
import type { DatabaseHandle } from '../../db/connection.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertSource, FORMATS, loadSourceMap, sourceReason, suggestMap, type Converted, type SourceFormat, type SourceMap } from '../../db/ingest/formats.js';
import { ingestFiles, type FileResult, type IngestOrigin } from '../../db/ingest/ingest-file.js';
import { FileError } from '../../db/ingest/layout.js';
import { ingestFromPostgres } from '../../db/ingest/postgres-source.js';
import { loadCatalogue } from '../../db/need-catalogue.js';
import type { IngestKind } from '../../db/schema.js';
import { printJson, say, UserError } from '../output.js';
import { progressFor } from '../progress.js';
import { withDatabase } from './with-database.js';
import { scrubberFactory } from '../../analytics/pii.js';
import { identifierKey } from '../../db/ingest/pseudonym-key.js';

const KINDS: readonly IngestKind[] = ['users', 'surveys', 'usage'];

export async function ingestWithProgress(handle: DatabaseHandle, config: Config, files: readonly string[], options: { kind?: IngestKind; json: boolean; origin?: IngestOrigin }): Promise<FileResult[]> {
  const progress = progressFor(options.json);
  let current = '';
  try {
    return await ingestFiles(handle, files, {
      catalogue: loadCatalogue(config.catalogueFile),
      maxFieldBytes: config.maxFieldBytes,
      scrubber: scrubberFactory(config.pii, identifierKey(config)),
      kind: options.kind,
      origin: options.origin,
      onProgress: (p) => {
        const label = `${p.phase === 'reload' ? 'reloading' : 'loading'} ${(options.origin?.file ?? p.file).split('/').pop()}`;
        if (label !== current) {
          current = label;
          progress.start(Math.max(1, Math.round(p.bytesTotal / 1048576)), label, ' MB');
        }
        progress.update(Math.round(p.bytesRead / 1048576), p.phase === 'merge' ? 'merging' : `${p.records} rows`);
      },
    });
  } finally {
    progress.stop();
  }
}

/**
 * Loads vendor exports (`--format`): each file converted into needloop's own records, one
 * batch per kind it holds, named after the source file; what is none of needloop's is
 * counted by why.
 */
export async function ingestFormat(handle: DatabaseHandle, config: Config, format: SourceFormat, files: readonly string[], options: { map: SourceMap; json: boolean }): Promise<{ results: FileResult[]; skipped: { file: string; why: string; records: number }[] }> {
  const catalogue = loadCatalogue(config.catalogueFile);
  const results: FileResult[] = [];
  const skipped: { file: string; why: string; records: number }[] = [];
  for (const file of files) {
    const dir = await mkdtemp(join(tmpdir(), 'needloop-format-'));
    try {
      let converted: Converted;
      try {
        converted = await convertSource(format, file, options.map, catalogue, dir);
      } catch (error) {
        const message = (error as NodeJS.ErrnoException).code === 'ENOENT' ? `${file}: no such file` : (error as Error).message;
        results.push({ file, kind: null, status: 'failed', accepted: 0, rejected: 0, duplicates: 0, error: message });
        continue;
      }
      for (const [why, records] of Object.entries(converted.skipped)) skipped.push({ file, why, records });
      if (converted.kinds.length === 0) results.push({ file, kind: null, status: 'empty', accepted: 0, rejected: 0, duplicates: 0 });
      for (const k of converted.kinds) {
        const [r] = await ingestWithProgress(handle, config, [k.path], { kind: k.kind, json: options.json, origin: { file, refused: k.refused, reason: sourceReason(k.from) } });
        results.push({ ...r, file, ...(r.error === undefined ? {} : { error: r.error.replaceAll(k.path, `${file} (${format}, as ${k.kind})`) }) });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return { results, skipped };
}

/** `ingest --from-postgres URL --table T --map M [--since-column C]`. */
async function ingestPostgresCommand(cfg: Config, flags: { map?: string; table?: string; sinceColumn?: string; format?: string; kind?: string; json?: boolean; fromPostgres?: string }): Promise<void> {
  if (flags.table === undefined || flags.map === undefined) throw new UserError('--from-postgres needs --table SCHEMA.TABLE and --map MAP.json (which column is which needloop field, under users, usage or surveys)');
  if (flags.format !== undefined || flags.kind !== undefined) throw new UserError('--format and --kind do not go with --from-postgres: the map says which kind the table holds');
  try {
    new URL(flags.fromPostgres!);
  } catch {
    throw new UserError('--from-postgres takes a connection URL: postgres://USER:PASSWORD@HOST:PORT/DATABASE');
  }
  const catalogue = loadCatalogue(cfg.catalogueFile);
  const map = await loadSourceMap(flags.map, catalogue).catch((error: Error) => {
    throw new UserError(error.message);
  });
  const result = await withDatabase(cfg, (handle) => ingestFromPostgres(handle, { url: flags.fromPostgres!, table: flags.table!, sinceColumn: flags.sinceColumn, map }, {
    catalogue, maxFieldBytes: cfg.maxFieldBytes, scrubber: scrubberFactory(cfg.pii, identifierKey(cfg)),
  }).catch((error: unknown) => {
    if (error instanceof FileError) return { file: flags.table!, kind: null, status: 'failed' as const, accepted: 0, rejected: 0, duplicates: 0, error: error.message };
    throw error;
  }));
  if (flags.json) printJson({ files: [{ file: result.file, kind: result.kind, accepted: result.accepted, rejected: result.rejected, duplicates: result.duplicates, status: result.status, ...(result.error ? { error: result.error } : {}), ...('since' in result ? { since: result.since } : {}) }] });
  else {
    say(describeResult(result));
    if ('since' in result && result.since !== null && result.since !== undefined) say(`Watermark: ${flags.sinceColumn} ${result.since} (the next run reads from there)`);
  }
  if (result.status === 'failed') process.exitCode = 1;
}

export function describeResult(r: FileResult): string {
  switch (r.status) {
    case 'failed':
      return `✗ ${r.error}`;
    case 'duplicate':
      return `= ${r.file}: already ingested (same checksum, batch ${r.batch_id}); nothing loaded`;
    case 'empty':
      return `○ ${r.file}: no rows${r.kind === null ? '' : ` (${r.kind})`}`;
    case 'loaded': {
      const redacted = Object.entries(r.redacted ?? {}).filter(([, n]) => n > 0).map(([kind, n]) => `${n} ${kind}`);
      return `✓ ${r.file} (${r.kind}): ${r.accepted} accepted, ${r.rejected} rejected${r.duplicates > 0 ? `, ${r.duplicates} already stored` : ''}${redacted.length > 0 ? `; personal data replaced: ${redacted.join(', ')}` : ''}`;
    }
  }
}

export function registerIngest(program: Command, config: () => Config): void {
  program
    .command('ingest')
    .description(describe('ingest'))
    .argument('[files...]', 'files to load; users first, then surveys, then usage logs')
    .option('--kind <kind>', 'users | surveys | usage (default: inferred from the header)')
    .option('--format <name>', `read a vendor's export instead of needloop's own files: ${FORMATS.join(', ')}`)
    .option('--map <file>', 'with --format: which source field is which needloop field (JSON; see "Vendor formats" in the README)')
    .option('--suggest-map', 'with --format: print a map inferred from the first records of the first file, to edit; loads nothing')
    .option('--from-postgres <url>', 'read a table of your own Postgres (read only) instead of files; with --table and --map')
    .option('--table <name>', 'with --from-postgres: SCHEMA.TABLE or a view')
    .option('--since-column <column>', 'with --from-postgres: load only rows at or past where the last run got to in this column (a time or an increasing id)')
    .option('--json', 'print {"files":[{file, kind, accepted, rejected, duplicates, status, redacted}], "skipped": […]}')
    .action(async (files: string[], flags: { kind?: string; format?: string; map?: string; suggestMap?: boolean; fromPostgres?: string; table?: string; sinceColumn?: string; json?: boolean }) => {
      if (flags.fromPostgres !== undefined) return ingestPostgresCommand(config(), flags);
      if (files.length === 0) throw new UserError('name the files to load (or --from-postgres URL --table T --map MAP.json)');
      if (flags.table !== undefined || flags.sinceColumn !== undefined) throw new UserError('--table and --since-column go with --from-postgres URL');
      if (flags.kind !== undefined && !KINDS.includes(flags.kind as IngestKind)) {
        throw new UserError(`--kind must be one of ${KINDS.join(', ')} (got ${flags.kind})`);
      }
      if (flags.format !== undefined && !(FORMATS as readonly string[]).includes(flags.format)) throw new UserError(`--format must be one of ${FORMATS.join(', ')} (got ${flags.format})`);
      if (flags.format === undefined && (flags.map !== undefined || flags.suggestMap === true)) throw new UserError('--map and --suggest-map go with --format NAME');
      if (flags.format !== undefined && flags.kind !== undefined) throw new UserError('--kind does not go with --format: each record\'s kind comes from the format (an identify is a user, a track an event)');
      const cfg = config();
      if (flags.suggestMap === true) {
        const suggested = await suggestMap(flags.format as SourceFormat, files[0], loadCatalogue(cfg.catalogueFile)).catch((error: Error) => {
          throw new UserError((error as NodeJS.ErrnoException).code === 'ENOENT' ? `${files[0]}: no such file` : error.message, 1);
        });
        return printJson(suggested);
      }
      let skipped: { file: string; why: string; records: number }[] = [];
      let results: FileResult[];
      if (flags.format !== undefined) {
        const map = flags.map === undefined ? {} : await loadSourceMap(flags.map, loadCatalogue(cfg.catalogueFile)).catch((error: Error) => {
          throw new UserError(error.message);
        });
        ({ results, skipped } = await withDatabase(cfg, (handle) => ingestFormat(handle, cfg, flags.format as SourceFormat, files, { map, json: flags.json === true })));
      } else {
        results = await withDatabase(cfg, (handle) => ingestWithProgress(handle, cfg, files, { kind: flags.kind as IngestKind | undefined, json: flags.json === true }));
      }
      if (flags.json) {
        printJson({
          files: results.map((r) => ({ file: r.file, kind: r.kind, accepted: r.accepted, rejected: r.rejected, duplicates: r.duplicates, status: r.status, ...(r.redacted ? { redacted: r.redacted } : {}), ...(r.error ? { error: r.error } : {}) })),
          ...(flags.format === undefined ? {} : { skipped }),
        });
      } else {
        for (const r of results) say(describeResult(r));
        for (const s of skipped) say(`○ ${s.file}: ${s.records} record${s.records === 1 ? '' : 's'} not needloop's, left out (${s.why})`);
        const rejected = results.reduce((n, r) => n + r.rejected, 0);
        if (rejected > 0) say(`Rejected rows are kept with file, line, reason and raw text in the rejected_rows table.`);
      }
      if (results.some((r) => r.status === 'failed')) process.exitCode = 1;
    });
}


