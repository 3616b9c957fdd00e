/**
 * Batch prediction for machines: a JSON Lines or CSV file of requests in (`text`, and an
 * optional `id`), one prediction per line out, streaming — the file is never held whole,
 * and output waits for the reader (back-pressure). A line that cannot be read gets an
 * error line naming the file, the line and the reason, in its place; nothing is dropped.
 */
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { parseCsvFields } from '../db/ingest/records.js';
import { predictIntents, type LoadedModel } from './predict.js';

const BATCH = 2048;

export class PredictFileError extends Error {
  override name = 'PredictFileError';
}

interface Pending {
  line: number;
  id: string | null;
  text: string | null;
  error: string | null;
}

export interface PredictFileResult {
  lines: number;
  predicted: number;
  errors: number;
  seconds: number;
}

/**
 * Predicts every request of `file` and writes one JSON line per input line to `out`:
 * `{"line", "id", "intent", "confidence", "out_of_scope", "top"}` or `{"line", "id", "error"}`.
 */
export async function predictFile(loaded: LoadedModel, file: string, out: Writable): Promise<PredictFileResult> {
  const started = performance.now();
  const format = /\.csv$/i.test(file) ? 'csv' : /\.(jsonl|ndjson|json)$/i.test(file) ? 'jsonl' : null;
  if (format === null) throw new PredictFileError(`${file}: give a .jsonl, .ndjson or .csv file`);
  const input = createReadStream(file, { encoding: 'utf8' });
  const opened = once(input, 'open').catch((error: Error) => {
    throw new PredictFileError(`${file}: cannot read it: ${error.message}`);
  });
  await opened;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let header: { text: number; id: number } | null = null;
  let lineNo = 0;
  const result = { lines: 0, predicted: 0, errors: 0 };
  let batch: Pending[] = [];

  const flush = async () => {
    const texts = batch.filter((p) => p.text !== null).map((p) => p.text!);
    const predictions = predictIntents(loaded, texts);
    let k = 0;
    const chunk = batch.map((p) => {
      if (p.error !== null) return JSON.stringify({ line: p.line, id: p.id, error: p.error });
      const pr = predictions[k++];
      return JSON.stringify({ line: p.line, id: p.id, intent: pr.intent, confidence: pr.confidence, out_of_scope: pr.out_of_scope, top: pr.top });
    }).join('\n');
    result.predicted += texts.length;
    batch = [];
    if (!out.write(`${chunk}\n`)) await once(out, 'drain');
  };

  for await (const raw of lines) {
    lineNo++;
    const line = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim() === '') continue;
    if (format === 'csv' && header === null) {
      const names = parseCsvFields(line);
      if (typeof names === 'string' || !names.includes('text')) throw new PredictFileError(`${file}, line 1: the CSV header must name a text column (and may name id); it is ${JSON.stringify(line.slice(0, 200))}`);
      header = { text: names.indexOf('text'), id: names.indexOf('id') };
      continue;
    }
    result.lines++;
    const p: Pending = { line: lineNo, id: null, text: null, error: null };
    if (format === 'csv') {
      const fields = parseCsvFields(line);
      if (typeof fields === 'string') p.error = `${file}, line ${lineNo}: ${fields}`;
      else {
        p.id = header!.id >= 0 ? (fields[header!.id] ?? null) : null;
        const text = fields[header!.text];
        if (text === undefined || text.trim() === '') p.error = `${file}, line ${lineNo}: the text is empty`;
        else p.text = text;
      }
    } else {
      try {
        const record = JSON.parse(line) as { text?: unknown; id?: unknown };
        p.id = record.id === undefined || record.id === null ? null : String(record.id);
        if (typeof record.text !== 'string' || record.text.trim() === '') p.error = `${file}, line ${lineNo}: "text" must be a non-empty string`;
        else p.text = record.text;
      } catch (error) {
        p.error = `${file}, line ${lineNo}: not JSON (${(error as Error).message})`;
      }
    }
    if (p.error !== null) result.errors++;
    batch.push(p);
    if (batch.length >= BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  return { ...result, seconds: (performance.now() - started) / 1000 };
}
