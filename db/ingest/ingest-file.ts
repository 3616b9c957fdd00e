/**
 * Loads one file into Postgres in one transaction: every record is stored or rejected
 * with its reason, or nothing is (a crash or a kill rolls the whole file back). A file
 * whose checksum is already recorded is a duplicate and loads nothing.
 */
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { isConnectionLoss, type DatabaseHandle } from '../connection.js';
import { CopyWriter, copyFromReadable } from '../copy-stream.js';
import type { NeedCatalogue } from '../need-catalogue.js';
import type { IngestKind } from '../schema.js';
import { contractFor, type Contract, type TextScrubber } from './contracts.js';
import { copyBytea, copyLine, copyText, COPY_NULL } from './copy-text.js';
import { checkHeader, detectLayout, FileError, sniffTimeRange } from './layout.js';
import { createStageSql, mergeStaged, stageColumns, type MergeCounts } from './merge.js';
import { scanFile, type FileLayout, type RecordSink, type ScanProgress } from './scan-file.js';

export type FileStatus = 'loaded' | 'duplicate' | 'empty' | 'failed';

export interface FileResult {
  file: string;
  kind: IngestKind | null;
  status: FileStatus;
  accepted: number;
  rejected: number;
  duplicates: number;
  /** Set when status is failed: why, naming the file (and line where there is one). */
  error?: string;
  batch_id?: string;
  /** Personal data replaced in the file's free text, per kind (absent when nothing was scrubbed). */
  redacted?: Record<string, number>;
  /** Failed for a reason that may pass (the database connection was lost): worth retrying. */
  transient?: boolean;
}

export interface IngestProgress extends ScanProgress {
  file: string;
  bytesTotal: number;
  phase: 'checksum' | 'load' | 'reload' | 'merge';
}

export interface IngestOptions {
  catalogue: NeedCatalogue;
  maxFieldBytes: number;
  /** Longest record read in full; longer ones are rejected. Default 16 MiB. */
  maxLineBytes?: number;
  /** Forces the kind instead of inferring it from the header. */
  kind?: IngestKind;
  /**
   * A fresh scrubber per file for personal data in free text (analytics/pii.ts): applied to
   * request texts and comments before they are stored, and to the raw line of a rejected
   * record. Absent: stored as written.
   */
  scrubber?: () => TextScrubber;
  onProgress?: (progress: IngestProgress) => void;
  /**
   * The folder the file must really lie in (the inbox): a symbolic link out of it — to
   * /etc/shadow, say — is refused, unread.
   */
  confineTo?: string;
  /**
   * The file was converted from another (`ingest --format`, db/ingest/formats): its batch
   * and rejected rows are named after the source, its lines are the source's (the converted
   * file keeps them), a record the conversion refused is rejected with that reason, and a
   * reason of the contract names the source field its value came from.
   */
  origin?: IngestOrigin;
  /**
   * Runs in the load's own transaction, just before it commits (a source's watermark, so
   * that it moves exactly when the rows it covers are stored).
   */
  beforeCommit?: (client: pg.PoolClient) => Promise<void>;
}

export interface IngestOrigin {
  /** The source file, as the user named it. */
  file: string;
  /** Lines the conversion refused, with why (the source field and the needloop field). */
  refused: ReadonlyMap<number, string>;
  /** A contract's reason (`outcome: "x" is not one of …`), said with the source field. */
  reason: (reason: string) => string;
}

/** A sink that rejects what the conversion refused and words the rest as the source's. */
function originSink(sink: RecordSink, origin: IngestOrigin | undefined): RecordSink {
  if (origin === undefined) return sink;
  return {
    accept: (line, raw, fields) => {
      const refused = origin.refused.get(line);
      if (refused === undefined) sink.accept(line, raw, fields);
      else sink.reject(line, raw, refused);
    },
    reject: (line, raw, reason) => sink.reject(line, raw, origin.refused.get(line) ?? origin.reason(reason)),
    drained: () => sink.drained(),
  };
}

const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
const ANALYZED_AFTER_LOAD: Record<IngestKind, readonly string[]> = {
  users: ['users'],
  surveys: ['survey_responses', 'survey_answers'],
  usage: ['usage_events'],
};
const UNIQUE_VIOLATION = '23505';

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The most of a rejected record's raw text that is kept (its size and hash are kept too). */
export const RAW_KEPT_BYTES = 4096;
/** Scrubbed beyond the cut, so that personal data straddling it is still found whole. */
const RAW_SCRUB_MARGIN = 512;

/**
 * A rejected record as kept, for whoever fixes the file: its first RAW_KEPT_BYTES with the
 * personal data of its text replaced (uncounted: its fields were counted when parsed), its
 * whole size, and the sha256 of its original bytes — null when personal data was replaced.
 * COPY fields: raw, raw_bytes, raw_sha256.
 */
function keptRaw(raw: Buffer, scrubber: TextScrubber | null): string {
  const { kept, redacted } = scrubKept(rawHead(raw), scrubber);
  // Personal data replaced: no unkeyed hash of the original beside it — with the rest of
  // the line as kept, it would confirm a guessed phone number in seconds.
  return redacted ? `${copyBytea(kept)}\t${raw.length}\t${COPY_NULL}` : rawFields(kept, raw);
}

/** A rejected record's reason as kept: it may quote the bad value, so its personal data is replaced too (uncounted). */
const keptReason = (reason: string, scrubber: TextScrubber | null) => (scrubber === null ? reason : scrubber.scrub(reason, false));

/** The COPY fields raw, raw_bytes, raw_sha256 of a record: KEPT (its head as stored), its size and hash. */
const rawFields = (kept: Buffer, raw: Buffer) => `${copyBytea(kept)}\t${raw.length}\t${createHash('sha256').update(raw).digest('hex')}`;

/** The first bytes of a record, with room to find personal data that crosses RAW_KEPT_BYTES. */
const rawHead = (raw: Buffer) => (raw.length > RAW_KEPT_BYTES + RAW_SCRUB_MARGIN ? raw.subarray(0, RAW_KEPT_BYTES + RAW_SCRUB_MARGIN) : raw);

/** A record's head as kept: its personal data replaced, cut to RAW_KEPT_BYTES; `redacted` says whether any was. */
export function scrubKept(head: Buffer, scrubber: TextScrubber | null): { kept: Buffer; redacted: boolean } {
  let kept = head;
  let redacted = false;
  if (scrubber !== null) {
    const text = head.toString('utf8');
    const scrubbed = scrubber.scrub(text, false);
    if (scrubbed !== text) {
      kept = Buffer.from(scrubbed, 'utf8');
      redacted = true;
    }
  }
  return { kept: kept.length > RAW_KEPT_BYTES ? kept.subarray(0, RAW_KEPT_BYTES) : kept, redacted };
}

/** Writes every record to the staging table, valid or not. */
class StageSink implements RecordSink {
  private readonly nulls: string;
  constructor(
    private readonly writer: CopyWriter,
    width: number,
    private readonly scrubber: TextScrubber | null,
  ) {
    this.nulls = '\t\\N'.repeat(width);
  }
  // A valid record's raw bytes are kept unscrubbed in the transaction's temporary stage: it
  // is needed only if SQL rejects it later (a repeated key, rare), and is scrubbed then
  // (mergeStaged). Scrubbing every valid line here cost 3/4 of loading a surveys file.
  accept(line: number, raw: Buffer, fields: string[]): void {
    this.writer.write(`${line}\t${COPY_NULL}\t${rawFields(rawHead(raw), raw)}\tf\t${copyLine(fields)}`);
  }
  reject(line: number, raw: Buffer, reason: string): void {
    this.writer.write(`${line}\t${copyText(keptReason(reason, this.scrubber))}\t${keptRaw(raw, this.scrubber)}\tt${this.nulls}\n`);
  }
  drained(): Promise<void> {
    return this.writer.drained();
  }
}

/**
 * Where the direct way puts a file's valid rows: a table, and optionally rows derived from
 * each for a second table, copied after the first (survey answers, after their responses).
 */
interface DirectTarget {
  /** COPY target, its columns ending with batch_id. */
  copy: string;
  /** A valid record's COPY fields for it, without the batch id. */
  fields(fields: string[]): string;
  then?: { copy: string; lines(fields: string[]): string };
}

function directTarget(contract: Contract): DirectTarget {
  const names = (columns: readonly { name: string }[]) => columns.map((c) => pg.escapeIdentifier(c.name)).join(', ');
  // Usage events, and users on a first load: the file's columns as they are.
  if (contract.kind !== 'surveys') return { copy: `${contract.kind === 'usage' ? 'usage_events' : 'users'} (${names(contract.columns)}, batch_id)`, fields: (f) => f.join('\t') };
  // Survey fields: the response's columns, then its answers as {"need": [importance,
  // satisfaction, kano_functional, kano_dysfunctional]} (contracts.ts).
  const base = contract.outputColumns.filter((c) => c.name !== 'answers');
  return {
    copy: `survey_responses (${names(base)}, batch_id)`,
    fields: (f) => f.slice(0, base.length).join('\t'),
    then: {
      copy: 'survey_answers (response_id, need_id, importance, satisfaction, kano_functional, kano_dysfunctional)',
      lines: (f) => {
        let out = '';
        for (const [need, values] of Object.entries(JSON.parse(f[base.length]) as Record<string, (number | null)[]>)) {
          out += `${f[0]}\t${copyText(need)}\t${values.map((v) => (v === null ? COPY_NULL : String(v))).join('\t')}\n`;
        }
        return out;
      },
    },
  };
}

/** Valid rows straight into their table (derived rows to a spill file); rejections to a spill file; both loaded afterwards. */
class DirectSink implements RecordSink {
  accepted = 0;
  rejected = 0;
  private readonly spill;
  private readonly derived;
  constructor(
    private readonly writer: CopyWriter,
    private readonly target: DirectTarget,
    spillFile: string,
    derivedFile: string,
    private readonly batchId: string,
    private readonly fileName: string,
    private readonly scrubber: TextScrubber | null,
  ) {
    this.spill = createWriteStream(spillFile);
    this.derived = target.then === undefined ? null : createWriteStream(derivedFile);
  }
  accept(_line: number, _raw: Buffer, fields: string[]): void {
    this.accepted++;
    this.writer.write(`${this.target.fields(fields)}\t${this.batchId}\n`);
    this.derived?.write(this.target.then!.lines(fields));
  }
  reject(line: number, raw: Buffer, reason: string): void {
    this.rejected++;
    this.spill.write(copyLine([this.batchId, copyText(this.fileName), String(line), copyText(keptReason(reason, this.scrubber)), keptRaw(raw, this.scrubber)]));
  }
  /** Postgres has caught up, and so has the disk with both spill files (a file of rejections only fills one fast). */
  async drained(): Promise<void> {
    await this.writer.drained();
    for (const stream of [this.spill, this.derived]) if (stream?.writableNeedDrain === true) await once(stream, 'drain');
  }
  async close(): Promise<void> {
    for (const stream of [this.spill, this.derived]) {
      if (stream === null) continue;
      stream.end();
      await finished(stream);
    }
  }
}

interface LoadContext {
  client: pg.PoolClient;
  /** The file's checksum is not known yet: the load computes it as it reads the file. */
  checksumWhileReading: boolean;
  file: string;
  layout: FileLayout;
  contract: Contract;
  batchId: string;
  options: IngestOptions;
  scrubber: TextScrubber | null;
  progress: (phase: IngestProgress['phase']) => (p: ScanProgress) => void;
}

/** What a load stored, and the SHA-256 of the file as it read it (when asked for: LoadContext.checksumWhileReading). */
type Loaded = MergeCounts & { sha256: string | null };

const scanOptions = (ctx: LoadContext, phase: IngestProgress['phase']) => ({
  maxLineBytes: ctx.options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES, onProgress: ctx.progress(phase), checksum: ctx.checksumWhileReading,
});

async function loadStaged(ctx: LoadContext, phase: IngestProgress['phase'] = 'load'): Promise<Loaded> {
  const { client, contract } = ctx;
  await client.query(createStageSql(contract));
  const writer = new CopyWriter(client, stageColumns(contract));
  const sink = new StageSink(writer, contract.outputColumns.length, ctx.scrubber);
  const { sha256: read } = await scanFile(ctx.file, ctx.layout, contract, originSink(sink, ctx.options.origin), scanOptions(ctx, phase));
  await writer.end();
  ctx.progress('merge')({ bytesRead: 0, records: 0 });
  return { ...(await mergeStaged(client, contract, ctx.batchId, ctx.options.origin?.file ?? ctx.file, (head) => scrubKept(head, ctx.scrubber))), sha256: read };
}

/**
 * Usage logs are large and their event ids almost always new, and so are the response ids
 * of survey files: valid rows are copied straight into usage_events, or into
 * survey_responses with their answers copied into survey_answers after. If an id clashes
 * (a repeat inside the file, or one already stored) the attempt is rolled back to a
 * savepoint and the file goes the staged way. A users file is a snapshot of users mostly
 * stored already, updated in place: staged, unless no user is stored yet (the first load).
 */
async function loadDirect(ctx: LoadContext): Promise<Loaded> {
  const { client, contract } = ctx;
  const spillDir = await mkdtemp(join(tmpdir(), 'needloop-ingest-'));
  const [spillFile, derivedFile] = [join(spillDir, 'rejected.copy'), join(spillDir, 'derived.copy')];
  await client.query('savepoint direct_copy');
  try {
    const target = directTarget(contract);
    const writer = new CopyWriter(client, target.copy);
    const sink = new DirectSink(writer, target, spillFile, derivedFile, ctx.batchId, ctx.options.origin?.file ?? ctx.file, ctx.scrubber);
    let read: string | null;
    try {
      ({ sha256: read } = await scanFile(ctx.file, ctx.layout, contract, originSink(sink, ctx.options.origin), scanOptions(ctx, 'load')));
      await writer.end();
    } finally {
      await sink.close();
    }
    if (target.then !== undefined && sink.accepted > 0) await copyFromReadable(client, target.then.copy, createReadStream(derivedFile, { highWaterMark: 1 << 20 }));
    if (sink.rejected > 0) {
      await copyFromReadable(client, 'rejected_rows (batch_id, file_name, line, reason, raw, raw_bytes, raw_sha256)', createReadStream(spillFile));
    }
    await client.query('release savepoint direct_copy');
    return { accepted: sink.accepted, rejected: sink.rejected, duplicates: 0, sha256: read };
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    await client.query('rollback to savepoint direct_copy');
    return loadStaged(ctx, 'reload');
  } finally {
    await rm(spillDir, { recursive: true, force: true });
  }
}

/** The most monthly partitions made ahead of one load; a wider guess makes only its two ends. */
const MAX_MONTHS_AHEAD = 24;

/**
 * Makes the monthly partitions of usage_events (migration 2026-12-02T08-00) that a file's
 * time range needs before it loads, so that its rows go straight to them; rows outside
 * the range land in the default partition and move afterwards.
 */
async function preparePartitions(client: pg.PoolClient, range: { from: Date; to: Date } | null): Promise<void> {
  if (range === null) return;
  const [year, month] = [range.from.getUTCFullYear(), range.from.getUTCMonth()];
  const span = (range.to.getUTCFullYear() - year) * 12 + range.to.getUTCMonth() - month + 1;
  const wanted = span > MAX_MONTHS_AHEAD ? [range.from, range.to] : Array.from({ length: span }, (_, i) => new Date(Date.UTC(year, month + i, 1)));
  for (const month of wanted) await client.query('select needloop_usage_partition($1)', [month]);
}

/**
 * Whether a file of this checksum is loaded already (then the transaction is rolled back):
 * two processes given the same file load it once, the second waiting here for the first
 * to commit, then finding its batch.
 */
async function loadedAlready(client: pg.PoolClient, checksum: string): Promise<Omit<FileResult, 'file'> | null> {
  await client.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`needloop-ingest:${checksum}`]);
  const existing = await client.query<{ id: string; kind: IngestKind }>('select id, kind from ingest_batches where checksum = $1', [checksum]);
  if (existing.rows.length === 0) return null;
  await client.query('rollback');
  return { kind: existing.rows[0].kind, status: 'duplicate', accepted: 0, rejected: 0, duplicates: 0, batch_id: existing.rows[0].id };
}

/**
 * Rows written to or removed from each month of usage_events by this connection, as
 * Postgres counts them for its statistics (pg_stat_xact_user_tables: the transaction's
 * own counts plus those of earlier transactions on the connection not yet reported).
 * Taken when a load starts and before it commits, the difference names the months the
 * load touched: no report is made within a transaction.
 */
async function monthWrites(client: pg.PoolClient): Promise<Map<string, number>> {
  const { rows } = await client.query<{ month: string; n: string }>(
    `select t.relid::regclass::text as month, t.n_tup_ins + t.n_tup_del + t.n_tup_upd as n
       from pg_stat_xact_user_tables t join pg_inherits i on i.inhrelid = t.relid
      where i.inhparent = to_regclass('usage_events')`,
  );
  return new Map(rows.map((r) => [r.month, Number(r.n)]));
}

/**
 * Fresh statistics for the tables a file loaded into, each table on a connection of its
 * own, as many at once as there are cores. usage_events' months are tables of their own to
 * Postgres: only those the load wrote to (MONTHS) are analysed, then the whole table's
 * sample (`analyze only`, Postgres 18); a night's file touches one month of the many kept.
 * Before Postgres 18, `analyze usage_events` does the parent and every month.
 */
async function analyzeLoaded(handle: DatabaseHandle, client: pg.PoolClient, kind: IngestKind, months: readonly string[]): Promise<void> {
  let tables: readonly string[] = ANALYZED_AFTER_LOAD[kind];
  if (kind === 'usage') {
    const { rows } = await client.query<{ only: boolean }>(`select current_setting('server_version_num')::int >= 180000 as only`);
    if (rows[0].only) tables = ['only usage_events', ...months];
  }
  let next = 0;
  const worker = async () => {
    for (let table = tables[next++]; table !== undefined; table = tables[next++]) await handle.pool.query(`analyze ${table}`);
  };
  await Promise.all(Array.from({ length: Math.min(tables.length, availableParallelism()) }, worker));
}

function failed(file: string, kind: IngestKind | null, error: unknown): FileResult {
  const message = error instanceof FileError
    ? error.message
    : isConnectionLoss(error)
      ? `${file}: lost the connection to Postgres (${(error as Error).message}); nothing of this file was kept: ingest it again once the database is back`
      : `${file}: ${(error as Error).message ?? String(error)}`;
  return { file, kind, status: 'failed', accepted: 0, rejected: 0, duplicates: 0, error: message, ...(isConnectionLoss(error) ? { transient: true } : {}) };
}

export async function ingestFile(handle: DatabaseHandle, file: string, options: IngestOptions): Promise<FileResult> {
  let bytesTotal: number;
  try {
    if (options.confineTo !== undefined) {
      const [real, dir] = await Promise.all([realpath(file), realpath(options.confineTo)]);
      if (!real.startsWith(`${dir}${sep}`)) throw new FileError(`${file}: a link to a file outside ${options.confineTo}: refused, unread (only the inbox's own files are loaded)`);
    }
    const info = await stat(file);
    if (!info.isFile()) throw new FileError(`${file}: not a regular file`);
    bytesTotal = info.size;
  } catch (error) {
    return failed(file, options.kind ?? null, error instanceof FileError ? error : new FileError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`));
  }
  const progress = (phase: IngestProgress['phase']) => (p: ScanProgress) => options.onProgress?.({ file, bytesTotal, phase, ...p });

  let kind: IngestKind | null = options.kind ?? null;
  let client: pg.PoolClient | null = null;
  let broken = false;
  try {
    const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    const layout = await detectLayout(file, options.kind, maxLineBytes);
    kind = layout.kind;
    if (kind === null) return { file, kind, status: 'empty', accepted: 0, rejected: 0, duplicates: 0 };
    const scrubber = options.scrubber?.() ?? null;
    const contract = contractFor(kind, { ...options, scrub: scrubber });
    checkHeader(file, layout, contract);

    client = await handle.pool.connect();
    // A file of a size no stored batch has cannot be one already loaded: its checksum is
    // computed as it loads, in the same read (a second read of a 2M-event file took 1.5 s).
    // Otherwise first, so that a file sent again loads nothing.
    const sameSize = await client.query('select 1 from ingest_batches where bytes = $1 limit 1', [bytesTotal]);
    let checksum: string | null = null;
    if (sameSize.rows.length > 0) {
      progress('checksum')({ bytesRead: 0, records: 0 });
      checksum = await sha256(file);
    }
    await client.query('begin');
    await client.query(`set local time zone 'UTC'`);
    if (checksum !== null) {
      const loaded = await loadedAlready(client, checksum);
      if (loaded !== null) return { file, ...loaded };
    }
    const { rows } = await client.query<{ id: string }>(
      `insert into ingest_batches (file_name, checksum, kind, status, bytes, rows_total, accepted, rejected, duplicates, started_at)
       values ($1, $2, $3, 'complete', $4, 0, 0, 0, 0, now()) returning id`,
      [options.origin?.file ?? file, checksum ?? `loading:${randomUUID()}`, kind, bytesTotal],
    );
    const batchId = rows[0].id;
    const ctx: LoadContext = { client, checksumWhileReading: checksum === null, file, layout, contract, batchId, options, scrubber, progress };
    const writesBefore = kind === 'usage' ? await monthWrites(client) : null;
    if (kind === 'usage') await preparePartitions(client, await sniffTimeRange(file, layout, maxLineBytes));
    // Users are copied straight in only while none is stored (the first load): a later file
    // is a snapshot of users mostly stored already, and would only fail over to the staged way.
    const direct = kind !== 'users' || (await client.query('select 1 from users limit 1')).rows.length === 0;
    const { sha256: read, ...counts } = direct ? await loadDirect(ctx) : await loadStaged(ctx);
    if (checksum === null) {
      // Another process may have loaded the same file meanwhile: the later one to get here
      // finds the batch and rolls its own load back.
      const loaded = await loadedAlready(client, read!);
      if (loaded !== null) return { file, ...loaded };
      await client.query('update ingest_batches set checksum = $2 where id = $1', [batchId, read]);
    }
    // Rows of months that had no partition: into partitions of their own, in this transaction.
    if (kind === 'usage') await client.query('select needloop_usage_split_default()');
    const months = writesBefore === null ? [] : [...(await monthWrites(client))].filter(([month, n]) => n > (writesBefore.get(month) ?? 0)).map(([month]) => month).sort();
    const total = counts.accepted + counts.rejected + counts.duplicates;
    const status = total === 0 ? 'empty' : 'complete';
    await client.query(
      `update ingest_batches set status = $2, rows_total = $3, accepted = $4, rejected = $5, duplicates = $6, finished_at = clock_timestamp() where id = $1`,
      [batchId, status, total, counts.accepted, counts.rejected, counts.duplicates],
    );
    await options.beforeCommit?.(client);
    await client.query('commit');
    // Fresh statistics right after a bulk load: until autovacuum gets to it, the planner
    // would otherwise plan every analysis query as if the table were empty.
    if (counts.accepted > 0) await analyzeLoaded(handle, client, kind, months);
    const redacted = scrubber === null ? undefined : { ...scrubber.counts };
    return { file, kind, status: total === 0 ? 'empty' : 'loaded', ...counts, batch_id: batchId, ...(redacted === undefined ? {} : { redacted }) };
  } catch (error) {
    broken = await client?.query('rollback').then(() => false, () => true) ?? false;
    return failed(file, kind, error);
  } finally {
    // A client whose connection broke is destroyed, not returned to the pool.
    client?.release(broken);
  }
}


const KIND_ORDER: Record<IngestKind, number> = { users: 0, surveys: 1, usage: 2 };

/**
 * Loads several files, users before surveys before usage logs (when kinds are known from
 * the file names' headers); each file is its own transaction, and one failing file does
 * not stop the others.
 */
export async function ingestFiles(handle: DatabaseHandle, files: readonly string[], options: IngestOptions): Promise<FileResult[]> {
  const results = new Array<FileResult>(files.length);
  for (const { file, index } of await ingestOrder(files, options)) results[index] = await ingestFile(handle, file, options);
  return results;
}

/** The files in the order they load best: users, surveys, usage, then unknown kinds. */
export async function ingestOrder(files: readonly string[], options: Pick<IngestOptions, 'kind' | 'maxLineBytes'>): Promise<{ file: string; index: number }[]> {
  const ordered = await Promise.all(
    files.map(async (file, index) => {
      // Only a regular file is opened to tell its kind: a FIFO would block the read and
      // /dev/zero never end. ingestFile refuses anything else, at once, naming the file.
      const regular = await stat(file).then((info) => info.isFile(), () => false);
      const kind = options.kind ?? (regular ? await detectLayout(file, undefined, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES).then((l) => l.kind).catch(() => null) : null);
      return { file, index, rank: kind === null ? 3 : KIND_ORDER[kind] };
    }),
  );
  ordered.sort((a, b) => a.rank - b.rank || a.index - b.index);
  return ordered;
}
