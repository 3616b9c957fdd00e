/**
 * The input contracts: which columns each kind of file has, which are required, and what
 * a valid value is. A row becomes COPY-ready fields, or a list of readable reasons.
 */
import { OUT_OF_SCOPE, type NeedCatalogue } from '../need-catalogue.js';
import type { IngestKind } from '../schema.js';
import { PiiScrubber } from '../../analytics/pii.js';
import { COPY_NULL, copyText } from './copy-text.js';

/** Parses one raw value (blank already turned into null); pushes a reason on failure. */
type Parse = (value: string, errors: string[]) => string | null;

export interface ColumnSpec {
  name: string;
  required: boolean;
  /** Postgres type of the staged and stored column. */
  sqlType: string;
  parse: Parse;
}

export interface Contract {
  kind: IngestKind;
  /** Input columns, in the order they are stored. */
  columns: readonly ColumnSpec[];
  /** The column that identifies a row (stored once). */
  key: string;
  /** Columns written to COPY for a valid row (input columns, then derived ones). */
  outputColumns: readonly { name: string; sqlType: string }[];
  /**
   * Validates a row given as raw values aligned with `columns` (undefined when absent)
   * and returns its COPY fields, or null with `errors` filled.
   */
  toRow(values: readonly unknown[], errors: string[]): string[] | null;
}

/** Finds personal data in free text and replaces it (analytics/pii.ts), counting what it replaced unless told not to. */
export interface TextScrubber {
  scrub(text: string, count?: boolean): string;
  /** An identifier with personal data in it replaced whole by a keyed pseudonym; others as written. */
  pseudonym?(id: string, count?: boolean, remember?: boolean): string;
  readonly counts: Readonly<Record<string, number>>;
}

export interface ContractOptions {
  catalogue: NeedCatalogue;
  maxFieldBytes: number;
  /**
   * Replaces personal data before it is stored: in free text (request texts, survey
   * comments) and the other text columns (feature, industry, …) by placeholders; in user
   * and session ids by keyed pseudonyms. Absent: stored as written.
   */
  scrub?: TextScrubber | null;
}

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const MIN_YEAR = 1970;
const MAX_YEAR = 2100;
const ID_MAX_CHARS = 200;
/** In a `u` regex a surrogate pair is one code point: only a lone surrogate matches. */
export const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Finds personal data in a value a reason quotes (a rejection is diagnostics: redacted whatever NEEDLOOP_PII says). */
const QUOTE_SCRUBBER = new PiiScrubber('redact');

/**
 * A value as a reason quotes it: its personal data replaced *before* it is cut to 60
 * characters — a cut first could leave a phone number too short to be found, and quoted.
 */
export function quote(value: string): string {
  return JSON.stringify(shown(value));
}

/** A value as shown to a person (a reason, an example): personal data replaced, then cut to 60 characters. */
export function shown(value: string): string {
  const v = QUOTE_SCRUBBER.scrub(value, false);
  return v.length > 60 ? `${v.slice(0, 60)}…` : v;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in MONTH (1–12) of YEAR, by the Gregorian rule (no Date per row: this runs millions of times a load). */
function daysInMonth(year: number, month: number): number {
  return month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : DAYS_IN_MONTH[month - 1];
}

const timestamp =
  (name: string): Parse =>
  (value, errors) => {
    const v = value.trim();
    const m = ISO_DATE_TIME.exec(v);
    if (m === null) {
      errors.push(`${name}: ${quote(value)} is not an ISO 8601 date-time (e.g. 2026-03-01T12:30:00Z)`);
      return null;
    }
    const y = Number(m[1]);
    const mo = Number(m[2]);
    const day = Number(m[3]);
    if (y < MIN_YEAR || y > MAX_YEAR) {
      errors.push(`${name}: year ${y} is outside ${MIN_YEAR}–${MAX_YEAR}`);
      return null;
    }
    // Hours, minutes and seconds are two digits (or absent, 0): only their upper bounds can fail.
    if (mo < 1 || mo > 12 || day < 1 || day > daysInMonth(y, mo) || Number(m[4] ?? 0) > 23 || Number(m[5] ?? 0) > 59 || Number(m[6] ?? 0) > 59) {
      errors.push(`${name}: ${quote(value)} is not a valid date-time`);
      return null;
    }
    const zone = m[7];
    if (zone !== undefined && zone !== 'Z' && (Number(zone.slice(1, 3)) > 14 || Number(zone.replace(':', '').slice(3, 5) || '0') > 59)) {
      errors.push(`${name}: ${quote(value)} has an invalid UTC offset`);
      return null;
    }
    // At the ends of the range an offset can carry the instant outside it (2100-12-31T23:00-14:00 is 2101 in UTC).
    if ((y === MIN_YEAR || y === MAX_YEAR) && zone !== undefined && zone !== 'Z') {
      const sign = zone[0] === '-' ? -1 : 1;
      const offset = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.replace(':', '').slice(3, 5) || '0'));
      const utc = new Date(Date.UTC(y, mo - 1, day, Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)) - offset * 60_000).getUTCFullYear();
      if (utc < MIN_YEAR || utc > MAX_YEAR) {
        errors.push(`${name}: ${quote(value)} is in ${utc} in UTC, outside ${MIN_YEAR}–${MAX_YEAR}`);
        return null;
      }
    }
    // Postgres parses ISO 8601 itself; values without an offset are read as UTC (the
    // ingest session's time zone).
    return v;
  };

const integer =
  (name: string, min: number, max: number): Parse =>
  (value, errors) => {
    const v = value.trim();
    if (!/^[+-]?\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      errors.push(/^[+-]?\d+$/.test(v) ? `${name}: ${v} is out of range (${min}–${max})` : `${name}: ${quote(value)} is not a whole number from ${min} to ${max}`);
      return null;
    }
    return String(Number(v));
  };

const decimal =
  (name: string, min: number, max: number): Parse =>
  (value, errors) => {
    const v = value.trim();
    const n = Number(v);
    // Number() also reads "0x1", "0b1" and "Infinity": only decimal notation is a number here.
    if (!DECIMAL.test(v) || !Number.isFinite(n)) {
      errors.push(`${name}: ${quote(value)} is not a number`);
      return null;
    }
    if (n < min || n > max) {
      errors.push(`${name}: ${v} is out of range (${min}–${max})`);
      return null;
    }
    return String(n);
  };

const oneOf =
  (name: string, allowed: readonly string[], what = 'one of'): Parse =>
  (value, errors) => {
    const v = value.trim();
    if (!allowed.includes(v)) {
      errors.push(`${name}: ${quote(v)} must be ${what} ${allowed.length > 8 ? `the need catalogue's ids (${allowed.slice(0, 5).join(', ')}, …)` : allowed.join(', ')}`);
      return null;
    }
    return v;
  };

const text =
  (name: string, maxBytes: number, trim: boolean, scrub: TextScrubber | null = null): Parse =>
  (value, errors) => {
    const v = trim ? value.trim() : value;
    if (v.indexOf('\0') !== -1) {
      errors.push(`${name}: contains a NUL character`);
      return null;
    }
    // A lone UTF-16 surrogate (JSON's "\ud800") is not text: Postgres would store U+FFFD or refuse.
    const lone = LONE_SURROGATE.exec(v);
    if (lone !== null) {
      errors.push(`${name}: contains a lone surrogate (\\u${lone[0].charCodeAt(0).toString(16).toUpperCase()}), which is not Unicode text`);
      return null;
    }
    if (v.length > maxBytes / 3) {
      const bytes = Buffer.byteLength(v);
      if (bytes > maxBytes) {
        errors.push(`${name}: ${bytes} bytes long; at most ${maxBytes} bytes are allowed`);
        return null;
      }
    }
    return copyText(scrub === null ? v : scrub.scrub(v));
  };

/**
 * An id (user_id, event_id, response_id): the same limit in every file, ID_MAX_CHARS
 * characters. With `scrub`, an id that holds personal data (a user id that is an e-mail
 * address) is stored as its keyed pseudonym — the same for the same id, so a key stays a
 * key. `key`: an id seen once (an event's), not remembered.
 */
const identifier = (name: string, scrub: TextScrubber | null = null, key = false): Parse => {
  const asText = text(name, ID_MAX_CHARS * 4, true);
  return (value, errors) => {
    const parsed = asText(value, errors);
    if (parsed === null) return null;
    // Characters are code points; a string of at most ID_MAX_CHARS UTF-16 units has no more.
    const trimmed = value.trim();
    const chars = trimmed.length <= ID_MAX_CHARS ? trimmed.length : [...trimmed].length;
    if (chars > ID_MAX_CHARS) {
      errors.push(`${name}: ${chars} characters long; at most ${ID_MAX_CHARS} are allowed`);
      return null;
    }
    return scrub?.pseudonym === undefined ? parsed : copyText(scrub.pseudonym(trimmed, true, !key));
  };
};

function column(name: string, required: boolean, sqlType: string, parse: Parse): ColumnSpec {
  return { name, required, sqlType, parse };
}

/** Turns a raw value into its text, or null when blank; pushes a reason for non-scalars. */
function scalar(name: string, raw: unknown, errors: string[]): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'string') return raw.trim() === '' ? null : raw;
  if (typeof raw === 'number') {
    // JSON.parse has already rounded these: say so rather than store another value.
    if (!Number.isFinite(raw)) {
      errors.push(`${name}: the JSON number overflows (it reads as ${raw}): write a number within ±1.8e308`);
      return null;
    }
    if (Number.isInteger(raw) && !Number.isSafeInteger(raw)) {
      errors.push(`${name}: the JSON number ${raw} is beyond 2^53 and has lost its last digits: write it as a string`);
      return null;
    }
    return String(raw);
  }
  errors.push(`${name}: expected a string or a number, got ${Array.isArray(raw) ? 'an array' : typeof raw}`);
  return null;
}

/** Parses every column into its COPY field (null when blank), pushing reasons to `errors`. */
function parseColumns(columns: readonly ColumnSpec[], values: readonly unknown[], errors: string[]): (string | null)[] {
  const parsed: (string | null)[] = new Array(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const spec = columns[i];
    const before = errors.length;
    // JSON's true and false are the values of a boolean column (CSV spells them out).
    const raw = spec.sqlType === 'boolean' && typeof values[i] === 'boolean' ? String(values[i]) : scalar(spec.name, values[i], errors);
    if (raw !== null) parsed[i] = spec.parse(raw, errors);
    else {
      parsed[i] = null;
      if (spec.required && errors.length === before) errors.push(`${spec.name} is required`);
    }
  }
  return parsed;
}

function copyFields(parsed: readonly (string | null)[]): string[] {
  return parsed.map((v) => (v === null ? COPY_NULL : v));
}

function usersContract({ scrub = null }: ContractOptions): Contract {
  const columns = [
    column('user_id', true, 'text', identifier('user_id', scrub)),
    column('signup_at', true, 'timestamptz', timestamp('signup_at')),
    column('plan', true, 'text', oneOf('plan', ['free', 'pro', 'enterprise'])),
    column('country', false, 'text', text('country', 64, true, scrub)),
    column('industry', false, 'text', text('industry', 200, true, scrub)),
    // Optional groups for fairness across users; any labels the team uses ("25-34", "f").
    column('age_band', false, 'text', text('age_band', 64, true, scrub)),
    column('gender', false, 'text', text('gender', 64, true, scrub)),
  ];
  return {
    kind: 'users',
    columns,
    key: 'user_id',
    outputColumns: columns,
    toRow(values, errors) {
      const parsed = parseColumns(columns, values, errors);
      return errors.length > 0 ? null : copyFields(parsed);
    },
  };
}

export const SURVEY_ANSWER_PREFIXES = [
  ['imp_', 'importance'],
  ['sat_', 'satisfaction'],
  ['kano_f_', 'kano_functional'],
  ['kano_d_', 'kano_dysfunctional'],
] as const;

function surveysContract({ catalogue, maxFieldBytes, scrub = null }: ContractOptions): Contract {
  const base = [
    column('response_id', true, 'text', identifier('response_id', scrub, true)),
    column('user_id', true, 'text', identifier('user_id', scrub)),
    column('submitted_at', true, 'timestamptz', timestamp('submitted_at')),
    column('nps', false, 'smallint', integer('nps', 0, 10)),
    column('csat', false, 'smallint', integer('csat', 1, 5)),
    column('comment', false, 'text', text('comment', maxFieldBytes, false, scrub)),
  ];
  const answers = catalogue.flatMap((need) =>
    SURVEY_ANSWER_PREFIXES.map(([prefix]) => column(`${prefix}${need.id}`, false, 'smallint', integer(`${prefix}${need.id}`, 1, 5))),
  );
  const columns = [...base, ...answers];
  return {
    kind: 'surveys',
    columns,
    key: 'response_id',
    // Per-need answers travel as one jsonb object {need: [imp, sat, kano_f, kano_d]} and
    // are unnested into survey_answers in SQL.
    outputColumns: [...base, { name: 'answers', sqlType: 'jsonb' }],
    toRow(values, errors) {
      const parsed = parseColumns(columns, values, errors);
      if (errors.length > 0) return null;
      const perNeed: string[] = [];
      for (let n = 0; n < catalogue.length; n++) {
        const at = base.length + n * 4;
        const four = parsed.slice(at, at + 4);
        if (four.some((v) => v !== null)) perNeed.push(`"${catalogue[n].id}":[${four.map((v) => v ?? 'null').join(',')}]`);
      }
      return [...copyFields(parsed.slice(0, base.length)), `{${perNeed.join(',')}}`];
    },
  };
}

function usageContract({ catalogue, maxFieldBytes, scrub = null }: ContractOptions): Contract {
  const intents = catalogue.map((n) => n.id);
  const columns = [
    column('event_id', true, 'text', identifier('event_id', scrub, true)),
    column('user_id', true, 'text', identifier('user_id', scrub)),
    column('ts', true, 'timestamptz', timestamp('ts')),
    column('session_id', false, 'text', identifier('session_id', scrub)),
    column('feature', true, 'text', text('feature', 200, true, scrub)),
    column('request_text', false, 'text', text('request_text', maxFieldBytes, false, scrub)),
    column('predicted_intent', false, 'text', oneOf('predicted_intent', intents, 'a need id:')),
    column('confidence', false, 'real', decimal('confidence', 0, 1)),
    column('model_version', false, 'text', text('model_version', 200, true, scrub)),
    column('out_of_scope', false, 'boolean', oneOf('out_of_scope', ['true', 'false'])),
    column('outcome', true, 'text', oneOf('outcome', ['success', 'failure', 'abandoned'])),
    column('latency_ms', false, 'real', decimal('latency_ms', 0, 1e9)),
    column('rating', false, 'smallint', integer('rating', 1, 5)),
    column('feedback', false, 'text', oneOf('feedback', ['confirmed', 'corrected'])),
    column('corrected_intent', false, 'text', oneOf('corrected_intent', [...intents, OUT_OF_SCOPE], `a need id or ${OUT_OF_SCOPE}:`)),
  ];
  const at = (name: string) => columns.findIndex((c) => c.name === name);
  const [PREDICTED, FEEDBACK, CORRECTED] = [at('predicted_intent'), at('feedback'), at('corrected_intent')];
  return {
    kind: 'usage',
    columns,
    key: 'event_id',
    outputColumns: columns,
    toRow(values, errors) {
      const parsed = parseColumns(columns, values, errors);
      const feedback = parsed[FEEDBACK];
      if (feedback === 'corrected' && parsed[CORRECTED] === null && scalar('corrected_intent', values[CORRECTED], []) === null) {
        errors.push('feedback is "corrected" but corrected_intent is blank');
      }
      if (feedback !== 'corrected' && parsed[CORRECTED] !== null) {
        errors.push(`corrected_intent is given but feedback is ${feedback === null ? 'blank' : `"${feedback}"`} (must be "corrected")`);
      }
      if (feedback === 'confirmed' && parsed[PREDICTED] === null && scalar('predicted_intent', values[PREDICTED], []) === null) {
        errors.push('feedback is "confirmed" but predicted_intent is blank');
      }
      return errors.length > 0 ? null : copyFields(parsed);
    },
  };
}

export function contractFor(kind: IngestKind, options: ContractOptions): Contract {
  switch (kind) {
    case 'users':
      return usersContract(options);
    case 'surveys':
      return surveysContract(options);
    case 'usage':
      return usageContract(options);
  }
}

/** The kind a file holds, judged from its column names; null when they fit none. */
export function inferKind(columnNames: readonly string[]): IngestKind | null {
  const names = new Set(columnNames);
  if (names.has('event_id')) return 'usage';
  if (names.has('response_id')) return 'surveys';
  if (names.has('user_id') && (names.has('signup_at') || names.has('plan'))) return 'users';
  return null;
}
