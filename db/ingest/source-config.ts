/**
 * The nightly run's own sources besides the inbox (NEEDLOOP_SOURCES): tables of the team's
 * Postgres, each read as `ingest --from-postgres` reads one — through a cursor, read only,
 * mapped by a map file, incrementally by its since column, exactly once.
 *
 *   {
 *     "postgres": [
 *       { "name": "support", "url_env": "SUPPORT_DATABASE_URL", "table": "support.requests",
 *         "map": "support-map.json", "since_column": "asked_at" }
 *     ]
 *   }
 *
 * `url_env` names the environment variable holding the connection URL (so that no password
 * sits in the file); `url` gives it directly. Map paths are relative to the sources file.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { NeedCatalogue } from '../need-catalogue.js';
import { loadSourceMap } from './formats.js';
import { FileError } from './layout.js';
import type { PostgresSource } from './postgres-source.js';

export interface ConfiguredSource {
  name: string;
  source: PostgresSource;
}

const FIELDS = new Set(['name', 'url', 'url_env', 'table', 'map', 'since_column']);

/** The sources FILE names, checked whole (every entry, every map) before any is read. */
export async function loadSources(file: string, env: Record<string, string | undefined>, catalogue: NeedCatalogue): Promise<ConfiguredSource[]> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new FileError(`NEEDLOOP_SOURCES ${file}: cannot be read (${error.code ?? error.message})`);
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new FileError(`NEEDLOOP_SOURCES ${file}: not JSON (${(error as Error).message})`);
  }
  const fail = (where: string, why: string): never => {
    throw new FileError(`NEEDLOOP_SOURCES ${file}: ${where}: ${why}`);
  };
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail('the file', 'must be an object with a "postgres" list');
  const top = parsed as Record<string, unknown>;
  for (const key of Object.keys(top)) if (key !== 'postgres') fail(key, 'is not a kind of source needloop reads (only "postgres")');
  const list = top.postgres ?? [];
  if (!Array.isArray(list)) fail('postgres', 'must be a list of sources');
  const out: ConfiguredSource[] = [];
  for (const [i, entry] of (list as unknown[]).entries()) {
    const at = `postgres[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(at, 'must be an object');
    const e = entry as Record<string, unknown>;
    for (const key of Object.keys(e)) if (!FIELDS.has(key)) fail(`${at}.${key}`, `is not a field of a source (${[...FIELDS].join(', ')})`);
    const str = (key: string, required: boolean): string | undefined => {
      const v = e[key];
      if (v === undefined && !required) return undefined;
      if (typeof v !== 'string' || v.trim() === '') return fail(`${at}.${key}`, required ? 'is required, a non-empty string' : 'must be a non-empty string');
      return v.trim();
    };
    const name = str('name', true)!;
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) fail(`${at}.name`, `${JSON.stringify(name)} must be 1–64 letters, digits, ".", "_" or "-"`);
    if (out.some((s) => s.name === name)) fail(`${at}.name`, `${JSON.stringify(name)} is the name of an earlier source too`);
    const [url, urlEnv] = [str('url', false), str('url_env', false)];
    if ((url === undefined) === (urlEnv === undefined)) fail(at, 'needs one of url or url_env (the environment variable holding the connection URL)');
    const connection = url ?? env[urlEnv!]?.trim();
    if (connection === undefined || connection === '') fail(`${at}.url_env`, `${urlEnv} is not set in the environment`);
    if (!/^postgres(ql)?:\/\//.test(connection!)) fail(url === undefined ? `${at}.url_env` : `${at}.url`, 'must be a postgres:// connection URL');
    const table = str('table', true)!;
    const mapFile = resolve(dirname(file), str('map', true)!);
    const map = await loadSourceMap(mapFile, catalogue).catch((error: Error) => fail(`${at}.map`, error.message));
    out.push({ name, source: { url: connection!, table, sinceColumn: str('since_column', false), map } });
  }
  return out;
}
