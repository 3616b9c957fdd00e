/**
 * A golden set supplied as a file: JSON Lines (`{"text": …, "intent": …, "id"?: …}`) or
 * CSV with a header naming `text` and `intent` (and optionally `id`). Read whole and
 * checked before anything is stored: any unreadable line fails the file, naming the file,
 * the line and the reason — a golden set with holes would judge every model on the wrong
 * questions.
 */
import { readFile } from 'node:fs/promises';
import { parseCsvFields } from '../db/ingest/records.js';

export interface GoldenRow {
  event_id: string;
  text: string;
  intent: string;
}

export class GoldenFileError extends Error {
  override name = 'GoldenFileError';
}

/** The file's rows; `intents` are the names an intent may take (the catalogue's ids and out_of_scope). */
export async function readGoldenFile(file: string, intents: readonly string[]): Promise<GoldenRow[]> {
  const format = /\.csv$/i.test(file) ? 'csv' : /\.(jsonl|ndjson)$/i.test(file) ? 'jsonl' : null;
  if (format === null) throw new GoldenFileError(`${file}: give a .jsonl, .ndjson or .csv file`);
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (error) {
    throw new GoldenFileError(`${file}: cannot read it: ${(error as Error).message}`);
  }
  const known = new Set(intents);
  const rows: GoldenRow[] = [];
  const errors: string[] = [];
  const ids = new Set<string>();
  let header: { text: number; intent: number; id: number } | null = null;
  content.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((line, i) => {
    const lineNo = i + 1;
    if (line.trim() === '') return;
    let record: { text?: unknown; intent?: unknown; id?: unknown };
    if (format === 'csv') {
      const fields = parseCsvFields(line);
      if (header === null) {
        if (typeof fields === 'string' || !fields.includes('text') || !fields.includes('intent')) {
          errors.push(`${file}, line ${lineNo}: the CSV header must name text and intent columns (and may name id)`);
          header = { text: -1, intent: -1, id: -1 };
        } else header = { text: fields.indexOf('text'), intent: fields.indexOf('intent'), id: fields.indexOf('id') };
        return;
      }
      if (header.text < 0) return;
      if (typeof fields === 'string') return void errors.push(`${file}, line ${lineNo}: ${fields}`);
      record = { text: fields[header.text], intent: fields[header.intent], id: header.id >= 0 ? fields[header.id] : undefined };
    } else {
      try {
        record = JSON.parse(line) as typeof record;
      } catch (error) {
        return void errors.push(`${file}, line ${lineNo}: not JSON (${(error as Error).message})`);
      }
    }
    if (typeof record.text !== 'string' || record.text.trim() === '') return void errors.push(`${file}, line ${lineNo}: "text" must be a non-empty string`);
    if (typeof record.intent !== 'string' || !known.has(record.intent.trim())) {
      return void errors.push(`${file}, line ${lineNo}: intent ${JSON.stringify(record.intent ?? null)} is not a need id of the catalogue (nor out_of_scope)`);
    }
    const id = `golden:${record.id === undefined || record.id === null || record.id === '' ? `line-${lineNo}` : String(record.id)}`;
    if (ids.has(id)) return void errors.push(`${file}, line ${lineNo}: id ${JSON.stringify(id.slice(7))} appears twice`);
    ids.add(id);
    rows.push({ event_id: id, text: record.text, intent: record.intent.trim() });
  });
  if (errors.length > 0) {
    throw new GoldenFileError(`${file}: ${errors.length} line${errors.length > 1 ? 's' : ''} cannot be used, nothing was stored:\n  ${errors.slice(0, 20).join('\n  ')}${errors.length > 20 ? `\n  … and ${errors.length - 20} more` : ''}`);
  }
  if (rows.length === 0) throw new GoldenFileError(`${file}: no golden examples in it`);
  return rows;
}
