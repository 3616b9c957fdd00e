/**
 * Works out, before loading, what a file is: its format (CSV or JSON Lines), its header,
 * and which kind of data it holds. Problems here fail the whole file with a message
 * naming the line; problems in single rows are rejections, found later.
 */
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import type { IngestKind } from '../schema.js';
import { inferKind, type Contract } from './contracts.js';
import { parseCsvFields, RecordSplitter, type FileFormat, type RawRecord } from './records.js';
import type { FileLayout } from './scan-file.js';

const HEAD_BYTES = 1 << 20;

export class FileError extends Error {
  override name = 'FileError';
}

async function firstRecords(file: string, format: FileFormat, maxLineBytes: number, wanted: number): Promise<RawRecord[]> {
  const handle = await open(file, 'r');
  const records: RawRecord[] = [];
  try {
    const splitter = new RecordSplitter(format, maxLineBytes, (r) => {
      if (records.length < wanted) records.push(r);
    });
    const buffer = Buffer.alloc(HEAD_BYTES);
    let position = 0;
    while (records.length < wanted) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) {
        splitter.end();
        break;
      }
      position += bytesRead;
      splitter.push(Buffer.from(buffer.subarray(0, bytesRead)));
    }
  } finally {
    await handle.close();
  }
  return records;
}

export async function sniffFormat(file: string): Promise<FileFormat> {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
    const head = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').trimStart();
    return head.startsWith('{') ? 'jsonl' : 'csv';
  } finally {
    await handle.close();
  }
}

export interface DetectedLayout extends FileLayout {
  /** null when the file holds no record at all. */
  kind: IngestKind | null;
}

/** Reads the start of `file` to find its layout and kind (`kind` wins when given). */
export async function detectLayout(file: string, kind: IngestKind | undefined, maxLineBytes: number): Promise<DetectedLayout> {
  const format = await sniffFormat(file);
  if (format === 'csv') {
    const [header] = await firstRecords(file, 'csv', maxLineBytes, 1);
    if (header === undefined) return { format, header: null, headerLine: 0, kind: kind ?? null };
    if (header.text === null) throw new FileError(`${file}:${header.line}: header ${header.problem}`);
    const names = parseCsvFields(header.text);
    if (typeof names === 'string') throw new FileError(`${file}:${header.line}: header ${names}`);
    const columns = names.map((n) => n.trim());
    const found = kind ?? inferKind(columns);
    if (found === null) {
      // Not echoed: a file that is not a data file at all (a link to /etc/shadow) must not be quoted.
      throw new FileError(`${file}:${header.line}: cannot tell users, surveys or usage apart from the header (${columns.length} field${columns.length === 1 ? '' : 's'}, ${describeNames(columns)}); is it a data file? pass --kind if so`);
    }
    return { format, header: columns, headerLine: header.line, kind: found };
  }
  if (kind !== undefined) return { format, header: null, headerLine: 0, kind };
  const records = await firstRecords(file, 'jsonl', maxLineBytes, 50);
  if (records.length === 0) return { format, header: null, headerLine: 0, kind: null };
  for (const record of records) {
    try {
      const value: unknown = JSON.parse(record.text ?? '');
      if (typeof value === 'object' && value !== null) {
        const found = inferKind(Object.keys(value));
        if (found !== null) return { format, header: null, headerLine: 0, kind: found };
      }
    } catch {
      // a bad first line is rejected later; look at the next one
    }
  }
  throw new FileError(`${file}: cannot tell users, surveys or usage apart from the first ${records.length} lines; pass --kind`);
}

/** The `ts` of a record's text, when it has a readable one. */
function timeOf(text: string | null, layout: FileLayout): number | null {
  if (text === null) return null;
  let value: unknown;
  if (layout.format === 'csv') {
    const at = layout.header?.indexOf('ts') ?? -1;
    const fields = parseCsvFields(text);
    value = at < 0 || typeof fields === 'string' || fields.length !== layout.header!.length ? undefined : fields[at];
  } else {
    try {
      value = (JSON.parse(text) as Record<string, unknown> | null)?.ts;
    } catch {
      return null;
    }
  }
  const t = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(t) ? t : null;
}

/**
 * The times of a usage file's first and last records (its first hundred and those in its
 * last 256 KiB), which a log in time order spans: the months to have partitions for before
 * the load. A guess, not a check: rows outside it still load (into the default partition,
 * moved afterwards); null when no time could be read.
 */
export async function sniffTimeRange(file: string, layout: FileLayout, maxLineBytes: number): Promise<{ from: Date; to: Date } | null> {
  const times: number[] = [];
  const keep = (r: RawRecord) => {
    if (layout.format === 'csv' && r.line === layout.headerLine) return;
    const t = timeOf(r.text, layout);
    if (t !== null) times.push(t);
  };
  for (const r of await firstRecords(file, layout.format, maxLineBytes, 100)) keep(r);
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - TAIL_BYTES);
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(Math.min(TAIL_BYTES, size)), 0, Math.min(TAIL_BYTES, size), start);
    let tail = buffer.subarray(0, bytesRead);
    // From the first whole line on (a record split by the cut is skipped).
    if (start > 0) tail = tail.subarray(tail.indexOf(0x0a) + 1);
    const splitter = new RecordSplitter(layout.format, maxLineBytes, keep);
    splitter.push(Buffer.from(tail));
    splitter.end();
  } finally {
    await handle.close();
  }
  if (times.length === 0) return null;
  return { from: new Date(Math.min(...times)), to: new Date(Math.max(...times)) };
}

const TAIL_BYTES = 256 * 1024;

/** What a column name may look like to be quoted in an error; anything else may be a file's content. */
const COLUMN_LIKE = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/;

/**
 * Header names for an error message: those that look like column names, quoted; the rest
 * only counted. A file that failed as a whole is never echoed (it may not be a data file).
 */
export function describeNames(names: readonly string[]): string {
  const shown = names.filter((n) => COLUMN_LIKE.test(n)).slice(0, 6);
  const hidden = names.length - shown.length;
  if (shown.length === 0) return 'none that looks like a column name';
  return `${shown.map((n) => JSON.stringify(n)).join(', ')}${hidden > 0 ? ` and ${hidden} more not shown` : ''}`;
}

/** Checks a CSV header against the contract: every column known, none twice, required ones present. */
export function checkHeader(file: string, layout: FileLayout, contract: Contract): void {
  if (layout.header === null) return;
  const where = `${file}:${layout.headerLine}`;
  const known = new Set(contract.columns.map((c) => c.name));
  const unknown = layout.header.filter((c) => !known.has(c));
  if (unknown.length > 0) {
    throw new FileError(
      `${where}: unknown column${unknown.length > 1 ? 's' : ''} ${describeNames(unknown)} for ${contract.kind} ` +
        `(valid: ${contract.columns.slice(0, 16).map((c) => c.name).join(', ')}${contract.columns.length > 16 ? ', …' : ''})`,
    );
  }
  const twice = layout.header.filter((c, i) => layout.header!.indexOf(c) !== i);
  if (twice.length > 0) throw new FileError(`${where}: column ${JSON.stringify(twice[0])} appears twice`);
  const missing = contract.columns.filter((c) => c.required && !layout.header!.includes(c.name)).map((c) => c.name);
  if (missing.length > 0) throw new FileError(`${where}: missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} for ${contract.kind}`);
}
