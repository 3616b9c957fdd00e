/** Encoding for Postgres COPY's text format: tab-separated, `\N` for NULL. */

export const COPY_NULL = '\\N';

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

export function copyText(value: string): string {
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c]) : value;
}

export function copyBytea(bytes: Buffer): string {
  return `\\\\x${bytes.toString('hex')}`;
}

export function copyLine(fields: readonly string[]): string {
  return `${fields.join('\t')}\n`;
}

const UNESCAPES: Record<string, string> = { '\\\\': '\\', '\\t': '\t', '\\n': '\n', '\\r': '\r' };

/** The inverse of copyText; `\N` reads as null. */
export function fromCopyText(field: string): string | null {
  if (field === COPY_NULL) return null;
  return field.indexOf('\\') === -1 ? field : field.replace(/\\[\\tnr]/g, (e) => UNESCAPES[e]);
}
