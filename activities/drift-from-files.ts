/**
 * Drift between two exported files with the same columns (CSV or JSON Lines), without a
 * database. A column is numeric when every non-blank value in both files is a number;
 * `request_text` and `comment` are judged as text; with the usage columns present,
 * predictions, performance and emerging needs are judged as in database mode.
 */
import { OUT_OF_SCOPE } from '../db/need-catalogue.js';
import type { TextScrubber } from '../db/ingest/contracts.js';
import { readFile } from 'node:fs/promises';
import {
  categoricalColumnDrift,
  categoryCounts,
  datasetDrift,
  DEFAULT_DRIFT_SHARE,
  DEFAULT_RETRAIN_THRESHOLDS,
  emergingNeeds,
  numericColumnDrift,
  numericWindows,
  proportionDrop,
  retrainDecision,
  textDrift,
  type ColumnDrift,
  type DriftRule,
  type EmergingNeed,
  type ServingPerformance,
  type RetrainThresholds,
} from '../analytics/index.js';
import { sniffFormat } from '../db/ingest/layout.js';
import { parseCsvFields, RecordSplitter } from '../db/ingest/records.js';
import { AnalysisError } from './analyze-needs.js';
import { PREDICTION_COLUMNS, type DriftResult } from './detect-drift.js';

type Value = string | number | null;
type Row = Record<string, Value>;
const TEXT_COLUMNS = ['request_text', 'comment'];

async function readRows(file: string): Promise<{ columns: string[]; rows: Row[] }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new AnalysisError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const format = await sniffFormat(file);
  const rows: Row[] = [];
  let header: string[] | null = null;
  const columns = new Set<string>();
  const splitter = new RecordSplitter(format, 16 * 1024 * 1024, (record) => {
    if (record.text === null) throw new AnalysisError(`${file}:${record.line}: ${record.problem}`);
    if (format === 'jsonl') {
      let value: unknown;
      try {
        value = JSON.parse(record.text);
      } catch (error) {
        throw new AnalysisError(`${file}:${record.line}: not valid JSON: ${(error as Error).message}`);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AnalysisError(`${file}:${record.line}: expected a JSON object`);
      for (const k of Object.keys(value)) columns.add(k);
      rows.push(value as Row);
      return;
    }
    const fields = parseCsvFields(record.text);
    if (typeof fields === 'string') throw new AnalysisError(`${file}:${record.line}: ${fields}`);
    if (header === null) {
      header = fields.map((f) => f.trim());
      header.forEach((h) => columns.add(h));
      return;
    }
    if (fields.length !== header.length) throw new AnalysisError(`${file}:${record.line}: expected ${header.length} fields (as in the header), found ${fields.length}`);
    rows.push(Object.fromEntries(header.map((h, i) => [h, fields[i] === '' ? null : fields[i]])));
  });
  splitter.push(bytes);
  splitter.end();
  return { columns: [...columns], rows };
}

const blank = (v: Value | undefined) => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');
const isNumber = (v: Value | undefined) => typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)));

/**
 * The serving model's performance as the logs record it: its own predictions against
 * the feedback on them, in both files, and its mean logged confidence. Files carry no
 * registry, so the model judged is the one that served them.
 */
function loggedPerformance(reference: readonly Row[], current: readonly Row[]): ServingPerformance {
  const side = (rows: readonly Row[]) => {
    let n = 0;
    let hits = 0;
    let confidence = 0;
    let confident = 0;
    for (const r of rows) {
      if (isNumber(r.confidence) && !blank(r.predicted_intent)) {
        confidence += Number(r.confidence);
        confident++;
      }
      if (blank(r.feedback) || blank(r.predicted_intent)) continue;
      const actual = r.feedback === 'confirmed' ? String(r.predicted_intent) : blank(r.corrected_intent) ? null : String(r.corrected_intent);
      if (actual === null) continue;
      n++;
      if (actual === String(r.predicted_intent)) hits++;
    }
    return { n, hits, confidence: confident === 0 ? null : confidence / confident, confident };
  };
  const [a, b] = [side(reference), side(current)];
  return {
    model: '',
    judged_on: null,
    accuracy: { n_reference: a.n, n_current: b.n, ...proportionDrop(a, b) },
    needs: [],
    confidence: { reference: a.confidence, current: b.confidence, n_reference: a.confident, n_current: b.confident },
  };
}

export async function driftBetweenFiles(input: {
  reference: string;
  current: string;
  columns?: readonly string[];
  rules?: Readonly<Record<string, DriftRule>>;
  driftShare?: number;
  thresholds?: Partial<RetrainThresholds>;
  /** Example requests are quoted in the result: personal data in them is replaced, as at ingest. */
  scrub?: TextScrubber | null;
}): Promise<DriftResult> {
  const [ref, cur] = await Promise.all([readRows(input.reference), readRows(input.current)]);
  const missing = [...ref.columns.filter((c) => !cur.columns.includes(c)).map((c) => `${c} (only in ${input.reference})`), ...cur.columns.filter((c) => !ref.columns.includes(c)).map((c) => `${c} (only in ${input.current})`)];
  if (missing.length > 0) throw new AnalysisError(`the files must have the same columns: ${missing.join(', ')}`);
  const wanted = input.columns ?? ref.columns;
  const unknown = wanted.filter((c) => !ref.columns.includes(c));
  if (unknown.length > 0) throw new AnalysisError(`unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the files have ${ref.columns.join(', ')}`);

  const columns: ColumnDrift[] = [];
  for (const name of wanted.filter((c) => !TEXT_COLUMNS.includes(c))) {
    const a = ref.rows.map((r) => r[name]);
    const b = cur.rows.map((r) => r[name]);
    const rule = input.rules?.[name] ?? {};
    if ([...a, ...b].every((v) => blank(v) || isNumber(v))) {
      const w = numericWindows(a.filter((v) => !blank(v)).map(Number), b.filter((v) => !blank(v)).map(Number));
      columns.push(numericColumnDrift(name, w.reference, w.current, rule));
    } else {
      const text = (v: Value | undefined) => (blank(v) ? null : String(v));
      columns.push(categoricalColumnDrift(name, categoryCounts(a.map(text)), categoryCounts(b.map(text)), rule));
    }
  }
  const overall = datasetDrift(columns, input.driftShare ?? DEFAULT_DRIFT_SHARE);
  const textColumn = TEXT_COLUMNS.find((c) => wanted.includes(c));
  const texts = (rows: Row[]) => rows.map((r) => r[textColumn!]).filter((v): v is string | number => !blank(v)).map(String);
  const text = textColumn === undefined ? null : textDrift(texts(ref.rows), texts(cur.rows));

  const hasPredictions = ref.columns.includes('predicted_intent') && ref.columns.includes('feedback');
  const performance = hasPredictions ? loggedPerformance(ref.rows, cur.rows) : null;
  const thresholds = { ...DEFAULT_RETRAIN_THRESHOLDS, ...input.thresholds };
  const emerging: EmergingNeed[] = [];
  if (hasPredictions && ref.columns.includes('corrected_intent')) {
    const corrections = (rows: Row[]) => {
      const m = new Map<string, number>();
      for (const r of rows) if (r.feedback === 'corrected' && !blank(r.corrected_intent)) m.set(String(r.corrected_intent), (m.get(String(r.corrected_intent)) ?? 0) + 1);
      return m;
    };
    const [before, now] = [corrections(ref.rows), corrections(cur.rows)];
    const known = new Set(ref.rows.filter((r) => !blank(r.predicted_intent)).map((r) => String(r.predicted_intent)));
    for (const e of emergingNeeds([...now].map(([intent, n]) => ({ intent, current: n, reference: before.get(intent) ?? 0 })), known, { reference: ref.rows.length, current: cur.rows.length }, thresholds.minEmerging)) {
      const examples = cur.rows.filter((r) => r.corrected_intent === e.need && !blank(r.request_text)).slice(-5).map((r) => (input.scrub ? input.scrub.scrub(String(r.request_text)) : String(r.request_text)));
      emerging.push({ ...e, examples });
    }
  }
  const predictionDrift = columns.filter((c) => PREDICTION_COLUMNS.includes(c.column) && c.drifted === true).map((c) => c.column);
  const retrain = retrainDecision({ model: null, performance, text, emerging, predictionDrift, outOfScopeLabel: OUT_OF_SCOPE }, thresholds);
  return {
    reference: { file: input.reference },
    current: { file: input.current },
    ...overall,
    text,
    performance,
    predictions_of: null,
    emerging_needs: emerging,
    retrain,
    segments: [],
    segment_run_id: null,
    drift_run_id: null,
  };
}
