/**
 * Personal data in free text, found and replaced before it is stored: e-mail addresses,
 * phone numbers (libphonenumber-js with its full metadata, so that a number must be valid
 * for its country, not merely of a plausible length: international numbers anywhere,
 * national formats of the countries asked for — by default the US, China, the UK, France,
 * India and Japan; not Germany, whose variable-length numbers match dates and versions in
 * free text), payment card numbers (13–19 digits that pass the Luhn check) and IBANs (ibantools:
 * country format and mod-97 check digits). Each is replaced by a typed placeholder —
 * `[EMAIL]`, `[PHONE]`, `[CARD]`, `[IBAN]` — or, in hash mode, by the placeholder with a keyed
 * hash (`[EMAIL:3f9a0c1b2d]`, HMAC-SHA-256 of the normalised value) so that repeats can still
 * be counted without the value.
 *
 * Why regular expressions for e-mail and card candidates: the libraries that fit validate a
 * whole string (is this an address? a card?) rather than find one inside a sentence; the
 * candidates here are loose, and the Luhn and IBAN checks are what decide.
 */
import { createHmac } from 'node:crypto';
import { electronicFormatIBAN, isValidIBAN } from 'ibantools';
import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js/max';

export type PiiMode = 'redact' | 'hash' | 'keep';
export const PII_KINDS = ['email', 'phone', 'card', 'iban'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

export const DEFAULT_PHONE_COUNTRIES: readonly CountryCode[] = ['US', 'CN', 'GB', 'FR', 'IN', 'JP'];

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;
/** 13–19 digits, single spaces or dashes between groups. */
const CARD = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;
/** Two letters, two check digits, then groups of up to four letters or digits, spaces allowed between groups. */
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}\b/gi;
/** Cheap tests first: most texts have no '@' and fewer than seven digits, and skip the scans. */
const SEVEN_DIGITS = /\d(?:\D{0,3}\d){6}/;

interface Span {
  start: number;
  end: number;
  kind: PiiKind;
  value: string;
}

/** The Luhn check of a card number's digits. */
export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

export class PiiScrubber {
  /** Values replaced so far, per kind. */
  readonly counts: Record<PiiKind, number> = { email: 0, phone: 0, card: 0, iban: 0 };

  constructor(
    readonly mode: PiiMode,
    private readonly key: string | null = null,
    private readonly countries: readonly CountryCode[] = DEFAULT_PHONE_COUNTRIES,
  ) {
    if (mode === 'hash' && (key === null || key.length < 16)) throw new Error('PII hash mode needs a key of at least 16 characters');
  }

  /** The personal data `text` holds, as spans (non-overlapping, in order). */
  find(text: string): Span[] {
    const mayHoldEmail = text.includes('@');
    const mayHoldNumbers = SEVEN_DIGITS.test(text);
    // Most texts hold neither: nothing to look for, and nothing to allocate for the search.
    if (!mayHoldEmail && !mayHoldNumbers) return [];
    const spans: Span[] = [];
    const add = (start: number, end: number, kind: PiiKind) => {
      if (spans.some((s) => start < s.end && end > s.start)) return;
      spans.push({ start, end, kind, value: text.slice(start, end) });
    };
    if (mayHoldEmail) for (const m of text.matchAll(EMAIL)) add(m.index, m.index + m[0].length, 'email');
    if (mayHoldNumbers) {
      for (const m of text.matchAll(IBAN)) {
        // The candidate may run on into the next word ("… 0130 00 pls"): drop groups from its end until it checks.
        for (let candidate = m[0]; candidate.length >= 15; candidate = candidate.replace(/ ?[A-Z0-9]{1,4}$/i, '')) {
          if (isValidIBAN(electronicFormatIBAN(candidate) ?? '')) {
            add(m.index, m.index + candidate.length, 'iban');
            break;
          }
          if (!/ ?[A-Z0-9]{1,4}$/i.test(candidate)) break;
        }
      }
      for (const m of text.matchAll(CARD)) if (luhn(m[0].replace(/\D/g, ''))) add(m.index, m.index + m[0].length, 'card');
      // libphonenumber-js throws (and catches) a ParseError for every digit run that is not a
      // number; capturing those errors' stack traces was 3/4 of a 2M-event ingest.
      const stackTraceLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        for (const country of [undefined, ...this.countries]) {
          for (const found of findPhoneNumbersInText(text, country === undefined ? {} : { defaultCountry: country })) add(found.startsAt, found.endsAt, 'phone');
        }
      } finally {
        Error.stackTraceLimit = stackTraceLimit;
      }
    }
    return spans.sort((a, b) => a.start - b.start);
  }

  /** `text` with its personal data replaced (as it is, in keep mode); counts what it replaced unless `count` is false. */
  scrub(text: string, count = true): string {
    if (this.mode === 'keep') return text;
    const spans = this.find(text);
    if (spans.length === 0) return text;
    let out = '';
    let at = 0;
    for (const s of spans) {
      if (count) this.counts[s.kind]++;
      out += text.slice(at, s.start) + this.placeholder(s);
      at = s.end;
    }
    return out + text.slice(at);
  }

  private placeholder(s: Span): string {
    const tag = s.kind.toUpperCase();
    if (this.mode !== 'hash') return `[${tag}]`;
    const normalised = s.kind === 'email' ? s.value.toLowerCase() : s.value.replace(/[^\dA-Za-z+]/g, '').toUpperCase();
    return `[${tag}:${createHmac('sha256', this.key!).update(`${s.kind}:${normalised}`).digest('hex').slice(0, 10)}]`;
  }
}

/** A fresh scrubber per file, as configured (NEEDLOOP_PII); none when personal data is kept. */
export function scrubberFactory(pii: { mode: PiiMode; key: string | null }): (() => PiiScrubber) | undefined {
  return pii.mode === 'keep' ? undefined : () => new PiiScrubber(pii.mode, pii.key);
}
