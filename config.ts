/**
 * needloop's configuration: read and validated once from the environment, then passed
 * down. Nothing else in the code base reads `process.env`.
 *
 * @example
 *   const config = loadConfig();           // process.env
 *   const config = loadConfig({ DATABASE_URL: 'postgres://…' });
 */
import { resolve } from 'node:path';

export interface Config {
  /** Postgres to use; null means the embedded server under `home`. */
  readonly databaseUrl: string | null;
  /** Working folder for the embedded database, demo data and model artifacts. */
  readonly home: string;
  /** Port of the embedded Postgres server. */
  readonly embeddedPort: number;
  /** NEEDLOOP_PG_PORT was given: that port or an error; otherwise a free port is chosen when the default is taken. */
  readonly embeddedPortFixed: boolean;
  /** Where model artifacts are stored, by content hash. */
  readonly modelsDir: string;
  /** Where HTML reports are written. */
  readonly reportsDir: string;
  /** A need catalogue file that overrides the shipped default; null for the default. */
  readonly catalogueFile: string | null;
  /** Longest accepted free-text field (comment, request_text), in bytes. */
  readonly maxFieldBytes: number;
  /**
   * Personal data in free text at ingest (analytics/pii.ts): 'redact' (default) replaces it
   * by a typed placeholder, 'hash' by the placeholder with a keyed hash, 'keep' stores it.
   */
  readonly pii: { mode: 'redact' | 'hash' | 'keep'; key: string | null };
  /** A forced TensorFlow.js backend; null tries gpu, then node, then cpu. */
  readonly tfjsBackend: 'gpu' | 'node' | 'cpu' | null;
  /** Folder whose data files each pipeline run ingests first. */
  readonly inbox: string;
  /** A JSON file naming tables of the team's Postgres that each run loads after the inbox (db/ingest/source-config.ts); null: none. */
  readonly sourcesFile: string | null;
  /**
   * A pretrained sentence encoder for need discovery (NEEDLOOP_ENCODER: a local model folder
   * or a model id, models/sentence-encoder.ts); null: the built-in hashed TF-IDF space.
   */
  readonly encoder: string | null;
  /** How long a blessed candidate waits for an engineer, in ms. */
  readonly approvalTimeoutMs: number;
  /** Temporal: every activity's heartbeat timeout, training's included (NEEDLOOP_HEARTBEAT_SECONDS, default 120). */
  readonly heartbeatMs: number;
  /**
   * Fewest users a group (segment, plan, country, …) must have for its figures and
   * examples to be shown; smaller groups are withheld, with a note.
   */
  readonly minGroup: number;
  /** How much the gate lets the accuracy gap between groups of users widen (significantly). */
  readonly maxGroupGapWidening: number;
  readonly temporal: TemporalConfig;
}

export interface TemporalConfig {
  /** host:port of the Temporal frontend; null when Temporal is not used. */
  readonly address: string | null;
  readonly namespace: string;
  readonly taskQueue: string;
  /** mTLS client certificate and key files, a CA file, the server name; all optional. */
  readonly tls: { readonly cert: string | null; readonly key: string | null; readonly ca: string | null; readonly serverName: string | null } | null;
  readonly apiKey: string | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function integer(env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not valid: expected an integer from ${min} to ${max}`);
  }
  return value;
}

function fraction(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not valid: expected a number from 0 to 1`);
  }
  return value;
}

function text(env: Record<string, string | undefined>, name: string): string | null {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? null : raw.trim();
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const databaseUrl = text(env, 'DATABASE_URL');
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError(`DATABASE_URL must start with postgres:// or postgresql:// (got ${JSON.stringify(databaseUrl.slice(0, 20))}…)`);
  }
  const home = resolve(text(env, 'NEEDLOOP_HOME') ?? '.needloop');
  const catalogue = text(env, 'NEEDLOOP_CATALOGUE');
  const backend = text(env, 'TFJS_BACKEND');
  if (backend !== null && !['gpu', 'node', 'cpu'].includes(backend)) {
    throw new ConfigError(`TFJS_BACKEND=${JSON.stringify(backend)} is not valid: expected gpu, node or cpu`);
  }
  const piiMode = text(env, 'NEEDLOOP_PII') ?? 'redact';
  if (!['redact', 'hash', 'keep'].includes(piiMode)) throw new ConfigError(`NEEDLOOP_PII=${JSON.stringify(piiMode)} is not valid: expected redact, hash or keep`);
  const piiKey = text(env, 'NEEDLOOP_PII_KEY');
  if (piiMode === 'hash' && (piiKey === null || piiKey.length < 16)) throw new ConfigError('NEEDLOOP_PII=hash needs NEEDLOOP_PII_KEY, a secret of at least 16 characters (the same key gives the same hash, so repeats can be counted)');
  const tlsCert = text(env, 'TEMPORAL_TLS_CERT');
  const tlsKey = text(env, 'TEMPORAL_TLS_KEY');
  if ((tlsCert === null) !== (tlsKey === null)) throw new ConfigError('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: set both or neither');
  const tlsCa = text(env, 'TEMPORAL_TLS_CA');
  const tlsServerName = text(env, 'TEMPORAL_TLS_SERVER_NAME');
  const tlsOn = tlsCert !== null || tlsCa !== null || tlsServerName !== null || text(env, 'TEMPORAL_TLS') === 'true';
  return Object.freeze({
    databaseUrl,
    home,
    embeddedPort: integer(env, 'NEEDLOOP_PG_PORT', 54329, 1024, 65535),
    embeddedPortFixed: (env.NEEDLOOP_PG_PORT ?? '') !== '',
    modelsDir: resolve(text(env, 'NEEDLOOP_MODELS_DIR') ?? `${home}/models`),
    reportsDir: resolve(text(env, 'NEEDLOOP_REPORTS_DIR') ?? 'reports'),
    catalogueFile: catalogue === null ? null : resolve(catalogue),
    maxFieldBytes: integer(env, 'NEEDLOOP_MAX_FIELD_BYTES', 64 * 1024, 1024, 256 * 1024 * 1024),
    pii: Object.freeze({ mode: piiMode as Config['pii']['mode'], key: piiKey }),
    tfjsBackend: backend as Config['tfjsBackend'],
    inbox: resolve(text(env, 'NEEDLOOP_INBOX') ?? `${home}/inbox`),
    sourcesFile: text(env, 'NEEDLOOP_SOURCES') === null ? null : resolve(text(env, 'NEEDLOOP_SOURCES')!),
    encoder: text(env, 'NEEDLOOP_ENCODER'),
    approvalTimeoutMs: integer(env, 'NEEDLOOP_APPROVAL_TIMEOUT_HOURS', 72, 1, 24 * 365) * 3600 * 1000,
    heartbeatMs: integer(env, 'NEEDLOOP_HEARTBEAT_SECONDS', 120, 5, 3600) * 1000,
    minGroup: integer(env, 'NEEDLOOP_MIN_GROUP', 10, 1, 1_000_000),
    maxGroupGapWidening: fraction(env, 'NEEDLOOP_FAIRNESS_MAX_GAP_WIDENING', 0.05),
    temporal: Object.freeze({
      address: text(env, 'TEMPORAL_ADDRESS'),
      namespace: text(env, 'TEMPORAL_NAMESPACE') ?? 'default',
      taskQueue: text(env, 'TEMPORAL_TASK_QUEUE') ?? 'needloop',
      tls: tlsOn ? Object.freeze({ cert: tlsCert && resolve(tlsCert), key: tlsKey && resolve(tlsKey), ca: tlsCa && resolve(tlsCa), serverName: tlsServerName }) : null,
      apiKey: text(env, 'TEMPORAL_API_KEY'),
    }),
  });
}
