/**
 * Users' data as it already is (issue 34): the exports of Segment, PostHog, Amplitude,
 * Typeform, SurveyMonkey, Qualtrics and Google Forms, read as they come, and mapped onto
 * needloop's own contract (users, usage, surveys) by each vendor's conventions and, where
 * those say nothing (which property holds the request's text, which question is NPS), by
 * a map file.
 *
 * A source file is converted into needloop's own JSON Lines, one file per kind, each line
 * at the source record's own line (other lines blank), then loaded by the same ingest as
 * the native contract (db/ingest/ingest-file.ts): the same checks, personal-data
 * scrubbing, quarantine and idempotency, and the rejected rows name the source file, its
 * line, the source field and the needloop field.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { IngestKind } from '../schema.js';
import type { NeedCatalogue } from '../need-catalogue.js';
import { quote, shown, SURVEY_ANSWER_PREFIXES } from './contracts.js';
import { FileError } from './layout.js';
import { parseCsvFields, RecordSplitter, type RawRecord } from './records.js';

export const FORMATS = ['segment', 'posthog', 'amplitude', 'typeform', 'surveymonkey', 'qualtrics', 'google-forms'] as const;
/** The vendors' formats, and a table of the user's own database (columns named by the map, or as needloop's fields). */
export type SourceFormat = (typeof FORMATS)[number] | 'postgres';

/** Where a needloop field's value comes from: a dotted path, the first present of several, or that with a value map. */
export type FieldSpec = string | string[] | { path: string | string[]; values?: Record<string, string | number | boolean | null> };

/** Which survey answers are which measure: NPS, CSAT, the comment, and per need its importance, satisfaction and Kano pair. */
export interface SurveyMap {
  [field: string]: FieldSpec | Record<string, Partial<Record<'importance' | 'satisfaction' | 'kano_functional' | 'kano_dysfunctional', FieldSpec>>> | undefined;
  needs?: Record<string, Partial<Record<'importance' | 'satisfaction' | 'kano_functional' | 'kano_dysfunctional', FieldSpec>>>;
}

export interface SourceMap {
  users?: Record<string, FieldSpec>;
  usage?: Record<string, FieldSpec>;
  surveys?: SurveyMap;
  /** Event names that are needloop usage events (default: those carrying a request text). */
  events?: string[];
}

const USER_FIELDS = ['user_id', 'signup_at', 'plan', 'country', 'industry', 'age_band', 'gender'];
const USAGE_FIELDS = ['event_id', 'user_id', 'ts', 'session_id', 'feature', 'request_text', 'predicted_intent', 'confidence', 'model_version', 'out_of_scope', 'outcome', 'latency_ms', 'rating', 'feedback', 'corrected_intent'];
const SURVEY_BASE = ['response_id', 'user_id', 'submitted_at', 'nps', 'csat', 'comment'];
const MEASURE_PREFIX: Record<string, string> = Object.fromEntries(SURVEY_ANSWER_PREFIXES.map(([prefix, measure]) => [measure, prefix]));
const TIME_FIELDS = new Set(['signup_at', 'ts', 'submitted_at']);
const INTEGER_FIELDS = new Set(['nps', 'csat', 'rating']);

/** Each vendor's own conventions: where its records keep what needloop needs. */
const DEFAULTS: Record<SourceFormat, Partial<Record<IngestKind, Record<string, FieldSpec>>>> = {
  postgres: {},
  segment: {
    usage: { event_id: 'messageId', user_id: ['userId', 'anonymousId'], ts: ['timestamp', 'originalTimestamp'], session_id: ['properties.session_id', 'context.sessionId'], feature: ['properties.feature', 'event'] },
    users: { user_id: ['userId', 'anonymousId'], signup_at: ['traits.createdAt', 'traits.created_at', 'timestamp'], plan: 'traits.plan', country: ['traits.address.country', 'context.location.country', 'traits.country'], industry: 'traits.industry', age_band: 'traits.age_band', gender: 'traits.gender' },
  },
  posthog: {
    usage: { event_id: 'uuid', user_id: 'distinct_id', ts: 'timestamp', session_id: ['properties.$session_id', 'properties.session_id'], feature: ['properties.feature', 'event'] },
    users: { user_id: ['distinct_id', 'distinct_ids.0', 'id'], signup_at: ['created_at', 'properties.created_at', 'timestamp'], plan: ['properties.plan', 'properties.$set.plan'], country: ['properties.$geoip_country_code', 'properties.country', 'properties.$set.country'], industry: ['properties.industry', 'properties.$set.industry'], age_band: 'properties.age_band', gender: 'properties.gender' },
  },
  amplitude: {
    usage: { event_id: ['uuid', '$insert_id', 'insert_id'], user_id: ['user_id', 'device_id'], ts: ['event_time', 'client_event_time', 'server_upload_time'], session_id: 'session_id', feature: ['event_properties.feature', 'event_type'] },
    users: { user_id: ['user_id', 'device_id'], signup_at: ['user_properties.signup_at', 'user_creation_time', 'event_time'], plan: 'user_properties.plan', country: ['country', 'user_properties.country'], industry: 'user_properties.industry', age_band: 'user_properties.age_band', gender: 'user_properties.gender' },
  },
  typeform: { surveys: { response_id: ['response_id', 'token'], user_id: ['hidden.user_id', 'hidden.userid', 'hidden.email', 'response_id', 'token'], submitted_at: 'submitted_at' } },
  surveymonkey: { surveys: { response_id: 'Respondent ID', user_id: ['Custom Data 1', 'Email Address', 'Respondent ID'], submitted_at: ['End Date', 'Start Date'] } },
  qualtrics: { surveys: { response_id: 'ResponseId', user_id: ['ExternalReference', 'RecipientEmail', 'ResponseId'], submitted_at: ['RecordedDate', 'EndDate'] } },
  'google-forms': { surveys: { response_id: '_response_id', user_id: ['Email Address', 'Email address', 'Username', '_response_id'], submitted_at: ['Timestamp', 'Horodateur', 'Marca temporal'] } },
};

/** Where each event format keeps an event's own properties (the default source of needloop's other usage fields). */
const PROPERTIES: Partial<Record<SourceFormat, string>> = { segment: 'properties', posthog: 'properties', amplitude: 'event_properties' };

/** A source record: its line and its fields as an object (CSV rows keyed by their header). */
interface SourceRecord {
  line: number;
  record: Record<string, unknown> | null;
  /** Why the record could not be read at all. */
  problem: string | null;
}

/** A dotted path's parts, and at each part the rest of the path joined again (a key holding dots). */
const compiledPaths = new Map<string, { parts: string[]; rests: string[] }>();

/** The value at a dotted path (`properties.query`, `distinct_ids.0`); a key holding dots is found too. */
export function atPath(record: unknown, path: string): unknown {
  if (record !== null && typeof record === 'object' && path in (record as Record<string, unknown>)) return (record as Record<string, unknown>)[path];
  let c = compiledPaths.get(path);
  if (c === undefined) {
    const parts = path.split('.');
    c = { parts, rests: parts.map((_, i) => parts.slice(i).join('.')) };
    // Paths come from maps and vendors' conventions: a few dozen; the bound is for safety.
    if (compiledPaths.size < 10_000) compiledPaths.set(path, c);
  }
  const { parts, rests } = c;
  let value: unknown = record;
  for (let i = 0; i < parts.length; i++) {
    if (value === null || typeof value !== 'object') return undefined;
    if (i > 0 && i < parts.length - 1 && rests[i] in (value as Record<string, unknown>)) return (value as Record<string, unknown>)[rests[i]];
    value = (value as Record<string, unknown>)[parts[i]];
  }
  return value;
}

const present = (v: unknown) => v !== undefined && v !== null && v !== '';

/** The spec's value in RECORD and the path it came from (the first of several that is present). */
function resolve(record: Record<string, unknown>, spec: FieldSpec): { value: unknown; path: string } {
  const paths = typeof spec === 'string' ? [spec] : Array.isArray(spec) ? spec : typeof spec.path === 'string' ? [spec.path] : spec.path;
  for (const path of paths) {
    const value = atPath(record, path);
    if (present(value)) return { value, path };
  }
  return { value: undefined, path: paths.join(' | ') };
}

const pathsOf = (spec: FieldSpec) => (typeof spec === 'string' ? spec : Array.isArray(spec) ? spec.join(' | ') : typeof spec.path === 'string' ? spec.path : spec.path.join(' | '));
/** A source value as a reason quotes it (`quote`: personal data replaced before the cut). */
const show = (v: unknown) => quote(typeof v === 'string' ? v : JSON.stringify(v));

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };

/**
 * A vendor's time, as ISO 8601: Amplitude's and Qualtrics' `2026-11-22 10:15:32.123`,
 * SurveyMonkey's and Google Forms' `11/22/2026 10:15:32 AM` (month first), taken as UTC
 * (exports say no zone); epoch milliseconds; anything else as it is, for the contract to judge.
 */
export function vendorTime(value: unknown): unknown {
  if (typeof value === 'number' && Number.isFinite(value) && value > 1e11) return new Date(value).toISOString();
  if (typeof value !== 'string') return value;
  const t = value.trim();
  let m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?$/.exec(t);
  if (m !== null) return `${m[1]}-${m[2]}-${m[3]}T${m[4].padStart(2, '0')}:${m[5]}:${m[6] ?? '00'}${m[7] === undefined ? '' : m[7].slice(0, 4)}Z`;
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ ,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$/.exec(t);
  if (m !== null) {
    let hour = Number(m[4] ?? 0);
    if (m[7] !== undefined) hour = (hour % 12) + (m[7].toLowerCase() === 'pm' ? 12 : 0);
    return `${m[3]}-${m[1].padStart(2, '0')}-${m[2].padStart(2, '0')}T${String(hour).padStart(2, '0')}:${m[5] ?? '00'}:${m[6] ?? '00'}Z`;
  }
  m = /^(\d{1,2}) ([A-Za-z]{3})[a-z]* (\d{4})$/.exec(t);
  if (m !== null && MONTHS[m[2].toLowerCase()] !== undefined) return `${m[3]}-${String(MONTHS[m[2].toLowerCase()]).padStart(2, '0')}-${m[1].padStart(2, '0')}T00:00:00Z`;
  return value;
}

/** A survey answer as a number: `9`, `"9"`, `"10 - Extremely likely"`; anything else as it is. */
function answerNumber(value: unknown): unknown {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return value;
  const m = /^\s*(\d{1,2})(?:\s*[-–:.)]|\s*$|\s+\S)/.exec(value);
  return m === null ? value : Number(m[1]);
}

export class MapError extends Error {
  override name = 'MapError';
}

/** Reads and checks a map file: every key a needloop field, every spec a path or a list of paths, value maps objects. */
export async function loadSourceMap(file: string, catalogue: NeedCatalogue): Promise<SourceMap> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new MapError(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON (${(error as Error).message})`}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new MapError(`${file}: a map is a JSON object: {"usage": {"request_text": "properties.query", …}, "users": {…}, "surveys": {…}}`);
  const map = value as Record<string, unknown>;
  const checkSpec = (where: string, spec: unknown) => {
    const okPaths = (p: unknown) => typeof p === 'string' ? p !== '' : Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === 'string' && x !== '');
    if (okPaths(spec)) return;
    if (spec !== null && typeof spec === 'object' && !Array.isArray(spec) && okPaths((spec as { path?: unknown }).path)) {
      const values = (spec as { values?: unknown }).values;
      if (values === undefined || (values !== null && typeof values === 'object' && !Array.isArray(values))) return;
    }
    throw new MapError(`${file}: ${where} must be a source path ("properties.query"), a list of them, or {"path": …, "values": {"source value": "needloop value"}}`);
  };
  for (const key of Object.keys(map)) {
    if (key.startsWith('_')) continue; // notes for people
    if (key === 'events') {
      if (!Array.isArray(map.events) || !map.events.every((e) => typeof e === 'string')) throw new MapError(`${file}: events must be a list of event names`);
      continue;
    }
    if (!['users', 'usage', 'surveys'].includes(key)) throw new MapError(`${file}: unknown key ${JSON.stringify(key)}: a map has users, usage, surveys and events`);
    const fields = map[key];
    if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) throw new MapError(`${file}: ${key} must be an object of needloop field → source path`);
    const known = key === 'users' ? USER_FIELDS : key === 'usage' ? USAGE_FIELDS : [...SURVEY_BASE, 'needs'];
    for (const [field, spec] of Object.entries(fields as Record<string, unknown>)) {
      if (field.startsWith('_')) continue;
      if (!known.includes(field)) throw new MapError(`${file}: ${key}.${field} is not a needloop ${key} field (fields: ${known.join(', ')})`);
      if (field !== 'needs') {
        checkSpec(`${key}.${field}`, spec);
        continue;
      }
      if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new MapError(`${file}: surveys.needs must be {"NEED_ID": {"importance": "…", "satisfaction": "…"}}`);
      for (const [need, measures] of Object.entries(spec as Record<string, unknown>)) {
        if (!catalogue.some((n) => n.id === need)) throw new MapError(`${file}: surveys.needs.${need} is not a need of the catalogue (${catalogue.slice(0, 8).map((n) => n.id).join(', ')}${catalogue.length > 8 ? ', …' : ''})`);
        if (measures === null || typeof measures !== 'object' || Array.isArray(measures)) throw new MapError(`${file}: surveys.needs.${need} must be {"importance": …, "satisfaction": …, "kano_functional": …, "kano_dysfunctional": …}`);
        for (const [measure, s] of Object.entries(measures as Record<string, unknown>)) {
          if (MEASURE_PREFIX[measure] === undefined) throw new MapError(`${file}: surveys.needs.${need}.${measure}: the measures are importance, satisfaction, kano_functional, kano_dysfunctional`);
          checkSpec(`surveys.needs.${need}.${measure}`, s);
        }
      }
    }
  }
  return map as SourceMap;
}

/** The needloop fields of KIND and where each comes from, for FORMAT with MAP. */
function specsFor(format: SourceFormat, kind: IngestKind, map: SourceMap, catalogue: NeedCatalogue): Map<string, FieldSpec> {
  const specs = new Map<string, FieldSpec>();
  const given = (kind === 'surveys' ? map.surveys : map[kind]) as Record<string, FieldSpec> | undefined;
  const fields = kind === 'users' ? USER_FIELDS : kind === 'usage' ? USAGE_FIELDS : SURVEY_BASE;
  const props = PROPERTIES[format];
  for (const field of fields) {
    const spec = given?.[field] ?? DEFAULTS[format][kind]?.[field] ?? (kind === 'usage' && props !== undefined ? `${props}.${field}` : kind === 'surveys' || format === 'postgres' ? field : undefined);
    if (spec !== undefined) specs.set(field, spec);
  }
  if (kind === 'surveys') {
    for (const need of catalogue) {
      for (const [measure, prefix] of Object.entries(MEASURE_PREFIX)) {
        const spec = map.surveys?.needs?.[need.id]?.[measure as 'importance'] ?? (map.surveys?.[`${prefix}${need.id}`] as FieldSpec | undefined) ?? `${prefix}${need.id}`;
        specs.set(`${prefix}${need.id}`, spec);
      }
    }
  }
  return specs;
}

/** Reads FILE's records in FORMAT's layout, each with its line. */
async function* readSource(format: SourceFormat, file: string, maxLineBytes: number): AsyncGenerator<SourceRecord> {
  for await (const batch of readSourceBatches(format, file, maxLineBytes)) yield* batch;
}

/** The same, a read's worth (about 1 MiB) of records at a time: one await per batch, not per record. */
async function* readSourceBatches(format: SourceFormat, file: string, maxLineBytes: number): AsyncGenerator<SourceRecord[]> {
  if (format === 'typeform') {
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new FileError(`${file}: not a Typeform Responses API document (${(error as Error).message})`);
    }
    const items = Array.isArray(doc) ? doc : (doc as { items?: unknown })?.items;
    if (!Array.isArray(items)) throw new FileError(`${file}: a Typeform Responses API document has "items": [{response_id, submitted_at, answers: […]}]`);
    yield items.map((item, i) => ({ line: i + 1, record: typeformItem(item), problem: null }));
    return;
  }
  const csv = format === 'surveymonkey' || format === 'qualtrics' || format === 'google-forms' || (format === 'posthog' && /\.csv$/i.test(file));
  const queue: RawRecord[] = [];
  const splitter = new RecordSplitter(csv ? 'csv' : 'jsonl', maxLineBytes, (r) => queue.push(r));
  let header: string[] | null = null;
  const headerRows: string[][] = [];
  const headerCount = format === 'surveymonkey' ? 2 : format === 'qualtrics' ? 3 : 1;
  const toRecord = (r: RawRecord): SourceRecord | null => {
    if (r.text === null) return { line: r.line, record: null, problem: r.problem };
    if (!csv) {
      try {
        const value = JSON.parse(r.text) as unknown;
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return { line: r.line, record: null, problem: 'not a JSON object' };
        return { line: r.line, record: value as Record<string, unknown>, problem: null };
      } catch (error) {
        return { line: r.line, record: null, problem: `not JSON (${(error as Error).message})` };
      }
    }
    const fields = parseCsvFields(r.text);
    if (typeof fields === 'string') return { line: r.line, record: null, problem: fields };
    if (header === null) {
      headerRows.push(fields);
      if (headerRows.length === headerCount) header = csvHeader(format, headerRows);
      return null;
    }
    if (fields.length !== header.length) return { line: r.line, record: null, problem: `expected ${header.length} fields (as in the header), found ${fields.length}` };
    const record: Record<string, unknown> = {};
    header.forEach((name, i) => {
      record[name] = fields[i];
      // Qualtrics: a column is also found by its question's text (the second header row).
      if (format === 'qualtrics' && headerRows[1]?.[i] !== undefined && !(headerRows[1][i] in record)) record[headerRows[1][i]] = fields[i];
    });
    if (format === 'posthog' && typeof record.properties === 'string' && record.properties.startsWith('{')) {
      try {
        record.properties = JSON.parse(record.properties);
      } catch {
        return { line: r.line, record: null, problem: 'properties: not a JSON object' };
      }
    }
    // Google Forms gives no id: one made from the row, the same in every export of it.
    if (format === 'google-forms') record._response_id = `gf-${createHash('sha256').update(r.text).digest('hex').slice(0, 24)}`;
    return { line: r.line, record, problem: null };
  };
  const drain = () => {
    const out: SourceRecord[] = [];
    for (const r of queue) {
      const record = toRecord(r);
      if (record !== null) out.push(record);
    }
    queue.length = 0;
    return out;
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    splitter.push(chunk as Buffer);
    if (queue.length > 0) yield drain();
  }
  splitter.end();
  if (queue.length > 0) yield drain();
}

/**
 * The column names of a survey export. SurveyMonkey: the question (row 1, carried over
 * the columns of its answers) and, when it is not "Response", the answer's own label (row
 * 2), as "Question / Label"; Qualtrics: the column ids of row 1 (QID1, Q2_1); others: row 1.
 */
function csvHeader(format: SourceFormat, rows: string[][]): string[] {
  if (format !== 'surveymonkey') return rows[0].map((n) => n.trim());
  let question = '';
  return rows[0].map((q, i) => {
    if (q.trim() !== '') question = q.trim();
    const label = (rows[1]?.[i] ?? '').trim();
    return label === '' || label === 'Response' || label === 'Open-Ended Response' || label === question ? question : `${question} / ${label}`;
  });
}

/** A Typeform response as an object: its own fields, `hidden`, and `answers` keyed by field ref (and by field id). */
function typeformItem(item: unknown): Record<string, unknown> | null {
  if (item === null || typeof item !== 'object') return null;
  const r = item as Record<string, unknown>;
  const answers: Record<string, unknown> = {};
  for (const a of Array.isArray(r.answers) ? (r.answers as Record<string, unknown>[]) : []) {
    const field = (a.field ?? {}) as { ref?: string; id?: string };
    const type = String(a.type ?? '');
    const raw = a[type];
    const value = type === 'choice' ? (raw as { label?: string; other?: string })?.label ?? (raw as { other?: string })?.other
      : type === 'choices' ? ((raw as { labels?: string[] })?.labels ?? []).join('; ')
        : raw;
    if (field.ref !== undefined) answers[field.ref] = value;
    if (field.id !== undefined) answers[field.id] = value;
  }
  return { ...r, answers, ...answers };
}

/** Which kind a source record is, or why it is none of needloop's (counted, never silent). */
function kindOf(format: SourceFormat, record: Record<string, unknown>, usage: Map<string, FieldSpec>, map: SourceMap): IngestKind | { skip: string } {
  if (format === 'typeform' || format === 'surveymonkey' || format === 'qualtrics' || format === 'google-forms') {
    // Qualtrics: survey previews and spam are not responses.
    if (format === 'qualtrics' && typeof record.Status === 'string' && /^(survey preview|spam|1|8)$/i.test(record.Status.trim())) return { skip: `Status ${record.Status}` };
    return 'surveys';
  }
  if (format === 'segment') {
    const type = String(record.type ?? '');
    if (type === 'identify') return 'users';
    if (type !== 'track') return { skip: `type ${type || '(none)'}` };
  }
  const event = String(record.event ?? record.event_type ?? '');
  if (format === 'posthog' && (event === '$identify' || event === '' || 'distinct_ids' in record)) return event === '' && !('distinct_ids' in record) && !('created_at' in record) ? { skip: 'no event' } : 'users';
  if (format === 'amplitude' && event === '$identify') return 'users';
  if (map.events !== undefined) return map.events.includes(event) ? 'usage' : { skip: `event ${event}` };
  // Without a list, the events that carry a request's text are the requests.
  return present(resolve(record, usage.get('request_text') ?? 'request_text').value) ? 'usage' : { skip: `event ${event || '(none)'} carries no ${pathsOf(usage.get('request_text') ?? 'request_text')}` };
}

/**
 * One needloop record from a source record: its fields, or why the map cannot make one.
 * FROM learns which source path each field is read from (for reasons): the path a value
 * came from, or, until one did, the paths looked at.
 */
function convert(format: SourceFormat, record: Record<string, unknown>, specs: Map<string, FieldSpec>, from: Map<string, string>): { out: Record<string, unknown> } | { refused: string } {
  const out: Record<string, unknown> = {};
  for (const [field, spec] of specs) {
    let { value, path } = resolve(record, spec);
    if (present(value) ? from.get(field) !== path : !from.has(field)) from.set(field, path);
    if (!present(value)) continue;
    // Amplitude says "no session" with -1.
    if (format === 'amplitude' && field === 'session_id' && String(value) === '-1') continue;
    const values = typeof spec === 'object' && !Array.isArray(spec) ? spec.values : undefined;
    if (values !== undefined) {
      const key = typeof value === 'string' ? value : JSON.stringify(value);
      if (!(key in values)) return { refused: `${path} = ${show(value)} maps to no ${field} (the map's values: ${Object.keys(values).map((k) => JSON.stringify(k)).join(', ')})` };
      value = values[key];
      if (value === null) continue;
    }
    if (TIME_FIELDS.has(field)) value = vendorTime(value);
    else if (INTEGER_FIELDS.has(field) || /^(imp|sat|kano_f|kano_d)_/.test(field)) value = answerNumber(value);
    else if (typeof value === 'object') value = JSON.stringify(value);
    else if (typeof value === 'number' && (field.endsWith('_id') || field === 'user_id')) value = String(value);
    out[field] = value;
  }
  return { out };
}

export interface ConvertedKind {
  kind: IngestKind;
  /** needloop's JSON Lines, each record on its source line. */
  path: string;
  records: number;
  /** Source lines the map refused, with why. */
  refused: Map<number, string>;
  /** needloop field → the source path it is read from (for reasons). */
  from: Map<string, string>;
}

export interface Converted {
  kinds: ConvertedKind[];
  /** Source records that are none of needloop's, by why (`type page`, `event $pageview …`). */
  skipped: Record<string, number>;
  /** Records that could not be read at all. */
  unreadable: number;
}

/**
 * Converts FILE (in FORMAT) into needloop's JSON Lines under DIR, one file per kind found.
 * A record that cannot be read, or that the map cannot convert, keeps its line with why.
 */
export async function convertSource(format: SourceFormat, file: string, map: SourceMap, catalogue: NeedCatalogue, dir: string, maxLineBytes = 16 * 1024 * 1024): Promise<Converted> {
  const kinds: IngestKind[] = ['users', 'surveys', 'usage'];
  const specs = Object.fromEntries(kinds.map((k) => [k, specsFor(format, k, map, catalogue)])) as Record<IngestKind, Map<string, FieldSpec>>;
  type Output = { stream: WriteStream; line: number; records: number; refused: Map<number, string>; buffer: string };
  const outputs = new Map<IngestKind, Output>();
  const skipped: Record<string, number> = {};
  let unreadable = 0;
  const write = (kind: IngestKind, line: number, text: string): Output => {
    let o = outputs.get(kind);
    if (o === undefined) {
      o = { stream: createWriteStream(join(dir, `${kind}.jsonl`)), line: 0, records: 0, refused: new Map(), buffer: '' };
      outputs.set(kind, o);
    }
    // Blank lines up to the record's own line: the loaded file's lines are the source's.
    if (line - 1 > o.line) o.buffer += '\n'.repeat(line - 1 - o.line);
    o.buffer += `${text}\n`;
    o.line = line;
    o.records++;
    return o;
  };
  const froms = new Map<IngestKind, Map<string, string>>();
  const fromOf = (kind: IngestKind) => {
    let m = froms.get(kind);
    if (m === undefined) froms.set(kind, (m = new Map()));
    return m;
  };
  // Written a batch at a time, waiting only when a file's stream asks to.
  const flush = async () => {
    for (const o of outputs.values()) {
      if (o.buffer === '') continue;
      const ok = o.stream.write(o.buffer);
      o.buffer = '';
      if (!ok) await new Promise<void>((resolve) => o.stream.once('drain', () => resolve()));
    }
  };
  for await (const batch of readSourceBatches(format, file, maxLineBytes)) {
    for (const r of batch) {
      if (r.record === null) {
        // Unreadable: kept as a rejection of the kind most of this format is.
        unreadable++;
        const o = write(format === 'typeform' || format === 'surveymonkey' || format === 'qualtrics' || format === 'google-forms' ? 'surveys' : 'usage', r.line, '{}');
        o.refused.set(r.line, r.problem ?? 'not a record');
        continue;
      }
      const kind = kindOf(format, r.record, specs.usage, map);
      if (typeof kind === 'object') {
        skipped[kind.skip] = (skipped[kind.skip] ?? 0) + 1;
        continue;
      }
      const c = convert(format, r.record, specs[kind], fromOf(kind));
      if ('refused' in c) {
        write(kind, r.line, '{}').refused.set(r.line, c.refused);
        continue;
      }
      write(kind, r.line, JSON.stringify(c.out));
    }
    await flush();
  }
  await flush();
  const converted: ConvertedKind[] = [];
  for (const [kind, o] of outputs) {
    o.stream.end();
    await finished(o.stream);
    converted.push({ kind, path: join(dir, `${kind}.jsonl`), records: o.records, refused: o.refused, from: froms.get(kind) ?? new Map() });
  }
  converted.sort((a, b) => kinds.indexOf(a.kind) - kinds.indexOf(b.kind));
  return { kinds: converted, skipped, unreadable };
}

/**
 * A writer of needloop's JSON Lines for rows of one KIND read elsewhere (a table of the
 * user's database): each row on its own line, refusals kept by line.
 */
export class RowConverter {
  private readonly specs: Map<string, FieldSpec>;
  readonly refused = new Map<number, string>();
  readonly from = new Map<string, string>();
  records = 0;
  constructor(readonly kind: IngestKind, map: SourceMap, catalogue: NeedCatalogue) {
    this.specs = specsFor('postgres', kind, map, catalogue);
  }
  /** The line for ROW (the LINE-th read). */
  line(row: Record<string, unknown>, line: number): string {
    this.records++;
    const c = convert('postgres', row, this.specs, this.from);
    if ('refused' in c) {
      this.refused.set(line, c.refused);
      return '{}';
    }
    return JSON.stringify(c.out);
  }
}

/** A contract's reason, said with the source field: `outcome (from properties.status): "x" is not one of …`. */
export function sourceReason(from: ReadonlyMap<string, string>): (reason: string) => string {
  return (reason) => {
    const m = /^([a-z_][a-z0-9_]*):/.exec(reason);
    const path = m === null ? undefined : from.get(m[1]);
    return path === undefined ? reason : `${m![1]} (from ${path})${reason.slice(m![1].length)}`;
  };
}

/**
 * A map inferred from FILE's first records, for the user to edit: each needloop field
 * with the source path it would be read from (the vendor's convention, or a property of
 * the same name), and the source fields seen that nothing reads, with an example value.
 */
export async function suggestMap(format: SourceFormat, file: string, catalogue: NeedCatalogue, sample = 500): Promise<Record<string, unknown>> {
  const seen = new Map<string, unknown>();
  const walk = (value: unknown, prefix: string, depth: number) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth < 3) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, prefix === '' ? k : `${prefix}.${k}`, depth + 1);
    } else if (prefix !== '' && !seen.has(prefix) && present(value)) seen.set(prefix, value);
  };
  let n = 0;
  const events = new Map<string, number>();
  for await (const r of readSource(format, file, 16 * 1024 * 1024)) {
    if (r.record === null) continue;
    walk(r.record, '', 0);
    const event = r.record.event ?? r.record.event_type;
    if (typeof event === 'string') events.set(event, (events.get(event) ?? 0) + 1);
    if (++n >= sample) break;
  }
  const out: Record<string, unknown> = { _notes: `inferred from the first ${n} records of ${file}: check every path, fill in the ones marked "?", delete what you do not need` };
  const kinds: IngestKind[] = format === 'typeform' || format === 'surveymonkey' || format === 'qualtrics' || format === 'google-forms' ? ['surveys'] : ['users', 'usage'];
  const used = new Set<string>();
  for (const kind of kinds) {
    const fields: Record<string, unknown> = {};
    for (const [field, spec] of specsFor(format, kind, {}, catalogue)) {
      if (/^(imp|sat|kano_f|kano_d)_/.test(field)) continue;
      const paths = typeof spec === 'string' ? [spec] : Array.isArray(spec) ? spec : [];
      const found = paths.find((p) => seen.has(p));
      if (found !== undefined) used.add(found);
      fields[field] = found ?? `? (${paths.join(' or ')}: not in these records)`;
    }
    out[kind] = fields;
  }
  if (kinds.includes('surveys')) {
    (out.surveys as Record<string, unknown>).needs = Object.fromEntries(catalogue.slice(0, 2).map((need) => [need.id, { importance: '? (the question asking how important this is)', satisfaction: '? (the question asking how satisfied users are)' }]));
  }
  if (events.size > 0) out.events = [...events.entries()].sort((a, b) => b[1] - a[1]).map(([e]) => e);
  out._unmapped = Object.fromEntries([...seen.entries()].filter(([p]) => !used.has(p)).slice(0, 80).map(([p, v]) => [p, typeof v === 'string' ? shown(v) : v]));
  return out;
}
