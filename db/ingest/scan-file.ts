/**
 * Streams a file through the record splitter and the contract, handing each record to a
 * sink as accepted COPY fields or as a rejection with its reason. One pass, bounded memory.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Contract } from './contracts.js';
import { parseCsvFields, RecordSplitter, type FileFormat, type RawRecord } from './records.js';

export interface RecordSink {
  accept(line: number, raw: Buffer, fields: string[]): void;
  reject(line: number, raw: Buffer, reason: string): void;
  /** Resolves once the sink can take more (COPY back-pressure). */
  drained(): Promise<void>;
}

export interface FileLayout {
  format: FileFormat;
  /** CSV only: the header's column names and the line the header is on. */
  header: string[] | null;
  headerLine: number;
}

export interface ScanProgress {
  bytesRead: number;
  records: number;
}

/** Maps a record to values aligned with the contract's columns. */
function valuesOf(record: RawRecord, layout: FileLayout, contract: Contract, positions: number[], known: Map<string, number>): unknown[] | string {
  if (record.text === null) return record.problem ?? 'unreadable record';
  if (layout.format === 'csv') {
    const fields = parseCsvFields(record.text);
    if (typeof fields === 'string') return fields;
    const expected = layout.header!.length;
    if (fields.length !== expected) return `expected ${expected} fields (as in the header), found ${fields.length}`;
    return positions.map((p) => (p === -1 ? undefined : fields[p]));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(record.text);
  } catch (error) {
    return `not valid JSON: ${(error as Error).message}`;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'expected a JSON object';
  const values: unknown[] = new Array(contract.columns.length);
  const unknown: string[] = [];
  for (const key in parsed) {
    const at = known.get(key);
    if (at === undefined) unknown.push(key);
    else values[at] = (parsed as Record<string, unknown>)[key];
  }
  if (unknown.length > 0) return `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}`;
  return values;
}

/**
 * Reads FILE once, handing each record to SINK; returns how many records it held and, when
 * asked for, the SHA-256 of the bytes it read (the file's checksum, without a second read).
 */
export async function scanFile(
  file: string,
  layout: FileLayout,
  contract: Contract,
  sink: RecordSink,
  options: { maxLineBytes: number; onProgress?: (progress: ScanProgress) => void; checksum?: boolean },
): Promise<{ records: number; sha256: string | null }> {
  const known = new Map(contract.columns.map((c, i) => [c.name, i]));
  const positions = contract.columns.map((c) => layout.header?.indexOf(c.name) ?? -1);
  const errors: string[] = [];
  let records = 0;
  const splitter = new RecordSplitter(layout.format, options.maxLineBytes, (record) => {
    if (layout.format === 'csv' && record.line === layout.headerLine) return;
    records++;
    const values = valuesOf(record, layout, contract, positions, known);
    if (typeof values === 'string') {
      sink.reject(record.line, record.raw, values);
      return;
    }
    errors.length = 0;
    const fields = contract.toRow(values, errors);
    if (fields === null) sink.reject(record.line, record.raw, errors.join('; '));
    else sink.accept(record.line, record.raw, fields);
  });
  let bytesRead = 0;
  const hash = options.checksum === true ? createHash('sha256') : null;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash?.update(chunk as Buffer);
    splitter.push(chunk as Buffer);
    bytesRead += (chunk as Buffer).length;
    options.onProgress?.({ bytesRead, records });
    await sink.drained();
  }
  splitter.end();
  options.onProgress?.({ bytesRead, records });
  await sink.drained();
  return { records, sha256: hash?.digest('hex') ?? null };
}
