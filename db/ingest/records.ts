/**
 * Splits a file's bytes into records, each with the line it starts on and its exact raw
 * bytes: JSON Lines (one object per line) or CSV (RFC 4180: quoted fields may hold commas,
 * quotes and line breaks). Push-based so the caller can await back-pressure between chunks
 * without paying for one promise per line.
 */
import { isUtf8 } from 'node:buffer';

export type FileFormat = 'csv' | 'jsonl';

export interface RawRecord {
  /** 1-based line number on which the record starts. */
  line: number;
  raw: Buffer;
  /** The record's text, or null when the bytes are not valid UTF-8 or the line is too long. */
  text: string | null;
  /** Why `text` is null. */
  problem: string | null;
}

const LF = 0x0a;
const CR = 0x0d;

/** Offset of the first byte that breaks UTF-8 (overlongs, surrogates and > U+10FFFF included). */
function invalidUtf8Offset(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return bytes.length;
}

/**
 * Physical lines with their numbers; a CR before the LF is dropped, a leading UTF-8 BOM too.
 * A file whose first line break is a CR alone (old Mac and some spreadsheet exports) has
 * its lines split at CR instead.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private overflow = 0;
  private lineNo = 0;
  private first = true;
  /** The file's line break, known from its first one: LF (or CRLF), or CR alone. */
  private breakByte: number | null = null;
  /** The last chunk ended in a CR, before any line break was seen: the next byte tells which. */
  private crPending = false;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (bytes: Buffer, line: number, overflowBytes: number) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.first && chunk.length > 0) {
      this.first = false;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    if (chunk.length === 0) return;
    if (this.breakByte === null) {
      if (this.crPending) {
        this.crPending = false;
        this.breakByte = chunk[0] === LF ? LF : CR;
        if (this.breakByte === CR) this.emit(); // the line held ends with that CR (emit drops it)
      } else {
        const lf = chunk.indexOf(LF);
        const cr = chunk.indexOf(CR);
        if (cr !== -1 && (lf === -1 || cr < lf)) {
          if (cr === chunk.length - 1) {
            this.append(chunk);
            this.crPending = true;
            return;
          }
          this.breakByte = chunk[cr + 1] === LF ? LF : CR;
        } else if (lf !== -1) this.breakByte = LF;
      }
    }
    const brk = this.breakByte ?? LF;
    let start = 0;
    for (let nl = chunk.indexOf(brk, start); nl !== -1; nl = chunk.indexOf(brk, start)) {
      this.append(chunk.subarray(start, nl));
      this.emit();
      start = nl + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
  }

  end(): void {
    if (this.pendingBytes > 0 || this.overflow > 0) this.emit();
  }

  private append(part: Buffer): void {
    const room = this.maxLineBytes - this.pendingBytes;
    if (part.length > room) {
      if (room > 0) this.pending.push(part.subarray(0, room));
      this.pendingBytes += Math.max(room, 0);
      this.overflow += part.length - Math.max(room, 0);
    } else if (part.length > 0) {
      this.pending.push(part);
      this.pendingBytes += part.length;
    }
  }

  private emit(): void {
    this.lineNo++;
    let bytes = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    if (this.overflow === 0 && bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    const overflow = this.overflow;
    this.pending = [];
    this.pendingBytes = 0;
    this.overflow = 0;
    this.onLine(bytes, this.lineNo, overflow);
  }
}

function isBlank(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== CR) return false;
  return true;
}

function decode(bytes: Buffer, overflow: number, maxLineBytes: number): { text: string | null; problem: string | null } {
  if (overflow > 0) {
    return { text: null, problem: `line is ${bytes.length + overflow} bytes long; at most ${maxLineBytes} bytes are read (raw text kept up to that limit)` };
  }
  if (!isUtf8(bytes)) return { text: null, problem: `not valid UTF-8 (first bad byte at offset ${invalidUtf8Offset(bytes)})` };
  return { text: bytes.toString('utf8'), problem: null };
}

/**
 * Turns lines into records. JSON Lines: one record per non-blank line. CSV: a record
 * continues over line breaks while a quoted field is open. Blank lines carry no record.
 */
export class RecordSplitter {
  private readonly lines: LineSplitter;
  private open: { line: number; raw: Buffer[]; text: string[]; problem: string | null; bytes: number } | null = null;

  constructor(
    private readonly format: FileFormat,
    private readonly maxLineBytes: number,
    private readonly onRecord: (record: RawRecord) => void,
  ) {
    this.lines = new LineSplitter(maxLineBytes, (bytes, line, overflow) => this.line(bytes, line, overflow));
  }

  push(chunk: Buffer): void {
    this.lines.push(chunk);
  }

  end(): void {
    this.lines.end();
    if (this.open !== null) {
      const open = this.open;
      this.open = null;
      this.onRecord({
        line: open.line,
        raw: Buffer.concat(open.raw),
        text: null,
        problem: open.problem ?? 'a quoted field is not closed before the end of the file',
      });
    }
  }

  private line(bytes: Buffer, line: number, overflow: number): void {
    if (this.open === null && overflow === 0 && isBlank(bytes)) return;
    const { text, problem } = decode(bytes, overflow, this.maxLineBytes);
    if (this.format === 'jsonl') {
      this.onRecord({ line, raw: bytes, text, problem });
      return;
    }
    if (this.open === null) {
      if (text === null || !opensQuote(text, false)) {
        this.onRecord({ line, raw: bytes, text, problem });
        return;
      }
      this.open = { line, raw: [bytes], text: [text], problem: null, bytes: bytes.length };
      return;
    }
    const open = this.open;
    open.raw.push(Buffer.from('\n'), bytes);
    open.bytes += bytes.length + 1;
    if (text === null) open.problem ??= `line ${line}: ${problem}`;
    else open.text.push(text);
    if (open.bytes > this.maxLineBytes) open.problem ??= `record is over ${this.maxLineBytes} bytes long (an unclosed quote?)`;
    const stillOpen = text === null ? true : opensQuote(text, true);
    if (!stillOpen || open.problem !== null && open.bytes > this.maxLineBytes) {
      this.open = null;
      this.onRecord({
        line: open.line,
        raw: Buffer.concat(open.raw),
        text: open.problem === null ? open.text.join('\n') : null,
        problem: open.problem,
      });
    }
  }
}

/**
 * Whether a quoted field is still open at the end of this line, given whether one was
 * open at its start. A quote opens a field only at the field's start; inside one, a
 * doubled quote is a literal quote.
 */
function opensQuote(text: string, inQuotes: boolean): boolean {
  if (!inQuotes && text.indexOf('"') === -1) return false;
  let fieldStart = !inQuotes;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inQuotes) {
      if (c === 34) {
        if (text.charCodeAt(i + 1) === 34) i++;
        else inQuotes = false;
      }
    } else if (c === 34 && fieldStart) {
      inQuotes = true;
      fieldStart = false;
    } else {
      fieldStart = c === 44;
    }
  }
  return inQuotes;
}

/** Splits one complete CSV record into fields, or says why it cannot. */
export function parseCsvFields(text: string): string[] | string {
  if (text.indexOf('"') === -1) return text.split(',');
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === 34) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q === -1) return 'a quoted field is not closed';
        if (text.charCodeAt(q + 1) === 34) {
          value += text.slice(from, q + 1);
          from = q + 2;
          continue;
        }
        value += text.slice(from, q);
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === text.length) return fields;
      if (text.charCodeAt(i) !== 44) return `unexpected character ${JSON.stringify(text[i])} after a closing quote (column ${i + 1})`;
      i++;
    } else {
      const comma = text.indexOf(',', i);
      if (comma === -1) {
        fields.push(text.slice(i));
        return fields;
      }
      fields.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}
