/**
 * Segmentation of an exported features file: a CSV with `user_id` and numeric feature
 * columns (blank = unknown). Any other value fails with its file, line and column.
 */
import { readFile } from 'node:fs/promises';
import { segmentUsers } from '../analytics/index.js';
import { parseCsvFields } from '../db/ingest/records.js';
import { AnalysisError } from './analyze-needs.js';
import { segmentResult, type SegmentResult } from './segment-users.js';

export async function segmentFile(input: { file: string; k: number | 'auto'; seed: string }): Promise<SegmentResult> {
  let text: string;
  try {
    text = (await readFile(input.file, 'utf8')).replace(/^\uFEFF/, '');
  } catch (error) {
    throw new AnalysisError(`${input.file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const lines = text.split(/\r?\n/);
  const header = parseCsvFields(lines[0] ?? '');
  if (typeof header === 'string' || !header.map((h) => h.trim()).includes('user_id')) throw new AnalysisError(`${input.file}:1: the header must have a user_id column and numeric feature columns`);
  const names = header.map((h) => h.trim());
  const idColumn = names.indexOf('user_id');
  const features = names.filter((_, i) => i !== idColumn);
  if (features.length === 0) throw new AnalysisError(`${input.file}:1: no feature columns besides user_id`);
  const userIds: string[] = [];
  const values: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const fields = parseCsvFields(lines[i]);
    if (typeof fields === 'string') throw new AnalysisError(`${input.file}:${i + 1}: ${fields}`);
    if (fields.length !== names.length) throw new AnalysisError(`${input.file}:${i + 1}: expected ${names.length} fields (as in the header), found ${fields.length}`);
    userIds.push(fields[idColumn]);
    fields.forEach((field, c) => {
      if (c === idColumn) return;
      const v = field.trim() === '' ? NaN : Number(field);
      if (field.trim() !== '' && !Number.isFinite(v)) throw new AnalysisError(`${input.file}:${i + 1}: column ${names[c]}: ${JSON.stringify(field)} is not a number`);
      values.push(v);
    });
  }
  const segmentation = segmentUsers(features, { rows: userIds.length, columns: features.length, data: Float64Array.from(values) }, { k: input.k, seed: input.seed });
  if ('error' in segmentation) throw new AnalysisError(`${input.file}: ${segmentation.error}`);
  return segmentResult(userIds, features, segmentation, { window: null, segment_run_id: null });
}
