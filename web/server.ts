/**
 * `needloop serve`: the index of runs, the reports, /api/predict with the current
 * production model, and the approval page. Approvers (and viewers) sign in with their
 * token; the sign-in form and every decision form carry a CSRF token; every decision and
 * sign-in is audited with its address and session; failed sign-ins are throttled per
 * address; every page is sent with a Content-Security-Policy. Bound beyond loopback, the
 * reports and /api/predict need a signed-in viewer (or a Bearer token) unless the server
 * was started `--public`. Slow clients are cut off by header and request timeouts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { findProductionModel, modelTag } from '../db/queries/model-versions.js';
import { audit, holderOfToken, type DecisionProof, pendingApprovals, type AuditEntry } from '../db/queries/pipeline-runs.js';
import type { Database } from '../db/schema.js';
import type { ModelStore } from '../models/model-store.js';
import { LONE_SURROGATE } from '../db/ingest/contracts.js';
import { approvalsPage, indexPage, loginPage } from './pages.js';
import { escapeHtml } from './report.js';
import { Predictor } from './predictor.js';
import { LoginThrottle, sameSecret, Sessions, type Session } from './sessions.js';

export interface DecisionRequest {
  kind: 'approve' | 'reject';
  candidate: string;
  by: string;
  comment: string | null;
  /** The signed-in approver's token and where the request came from: the database checks the one and audits the other. */
  proof: DecisionProof;
}

export interface ServerDeps {
  db: Kysely<Database>;
  store: ModelStore;
  reportsDir: string;
  /** The same approval path as the CLI (local runner or Temporal Update); a refusal is `{ ok: false, reason }`. */
  decide(runId: string, decision: DecisionRequest): Promise<{ ok: true; then?: string } | { ok: false; reason: string }>;
}

export interface NeedloopServerOptions {
  /** Reports, the index and /api/predict need a signed-in viewer or approver (or a Bearer token). */
  requireSignIn?: boolean;
  /**
   * Behind a reverse proxy: for a request whose connection comes from the proxy, the
   * client's address is the last X-Forwarded-For entry, and X-Forwarded-Proto: https makes
   * cookies Secure. Any other connection's headers are ignored: a client that reaches the
   * server directly cannot choose its address (to escape the sign-in throttle, or forge
   * the audited source).
   */
  trustProxy?: boolean;
  /** The proxies' own addresses (default: this machine's loopback, a proxy beside the server). */
  proxyAddresses?: readonly string[];
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: Buffer; key: Buffer };
  /** Milliseconds a client may take to send its headers, and its whole request. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Most sessions held at once. */
  maxSessions?: number;
  /**
   * Host names a request's Host header may carry (without port); any other is refused with
   * 421, so that a page the operator visits cannot rebind its own name to this server
   * (DNS rebinding) and read it. Absent: any Host.
   */
  allowedHosts?: readonly string[];
}

/** The names this machine answers to on loopback. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

/** Is HOST this machine only? (Binding beyond it exposes reports and /api/predict.) */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const MAX_BODY = 64 * 1024;
const MAX_TEXTS = 100;
const MAX_TEXT_CHARS = 4096;
/** /api/predict's body: 100 texts of 4,096 characters, each written as JSON's \uXXXX at worst, and room for the rest. */
const MAX_PREDICT_BODY = MAX_TEXTS * MAX_TEXT_CHARS * 6 + 64 * 1024;
const COOKIE = 'needloop_session';
const LOGIN_COOKIE = 'needloop_login';
const REPORT_NAME = /^(run-\d{1,18}|latest)\.html$/;
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

const LOOPBACK_PEERS = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, {
    'content-type': type, 'content-security-policy': PAGE_CSP, 'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY', 'cache-control': 'no-store', ...headers,
  });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`, headers);
const sendHtml = (res: ServerResponse, status: number, html: string, headers: Record<string, string | string[]> = {}) => send(res, status, 'text/html; charset=utf-8', html, headers);

async function body(req: IncomingMessage, limit = MAX_BODY): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new HttpError(413, `the request body is over ${limit} bytes`);
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(408, 'the request body did not arrive'); // the client went away, or timed out
  }
  return Buffer.concat(chunks).toString('utf8');
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/** The CSP of a report: its own inline scripts, by hash, and nothing else. */
function reportCsp(html: string): string {
  const hashes = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`);
  return `default-src 'none'; script-src ${hashes.join(' ')}; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`;
}

/** The host name of a Host header, without its port or an IPv6 address's brackets; null when it is none. */
export function hostName(header: string | undefined): string | null {
  if (header === undefined || header === '') return null;
  try {
    return new URL(`http://${header}`).hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  } catch {
    return null;
  }
}

/** Parses /api/predict's body: {"texts": [...]} or {"text": "..."}. */
export function predictRequest(raw: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'the body is not JSON: send {"texts": ["…"]}');
  }
  const texts = typeof parsed === 'object' && parsed !== null ? ((parsed as { texts?: unknown }).texts ?? ((parsed as { text?: unknown }).text === undefined ? undefined : [(parsed as { text: unknown }).text])) : undefined;
  if (!Array.isArray(texts) || texts.length === 0) throw new HttpError(400, 'send {"texts": ["…"]} with 1 to 100 texts');
  if (texts.length > MAX_TEXTS) throw new HttpError(400, `at most ${MAX_TEXTS} texts per request (got ${texts.length})`);
  texts.forEach((t, i) => {
    if (typeof t !== 'string') throw new HttpError(400, `texts[${i}] is not a string`);
    if (t.length > MAX_TEXT_CHARS) throw new HttpError(400, `texts[${i}] is over ${MAX_TEXT_CHARS} characters`);
    // What ingest refuses, prediction refuses too.
    if (t.trim() === '') throw new HttpError(400, `texts[${i}] is empty`);
    if (t.includes('\u0000')) throw new HttpError(400, `texts[${i}] holds a NUL character`);
    if (LONE_SURROGATE.test(t)) throw new HttpError(400, `texts[${i}] holds a lone UTF-16 surrogate: it is not text`);
  });
  return texts as string[];
}

export function createNeedloopServer(deps: ServerDeps, options: NeedloopServerOptions = {}): { server: Server; close(): Promise<void> } {
  const sessions = new Sessions(options.maxSessions);
  const throttle = new LoginThrottle();
  const predictor = new Predictor(deps);
  const production = async () => (await findProductionModel(deps.db))?.id ?? null;

  const proxies = new Set(options.proxyAddresses ?? LOOPBACK_PEERS);
  /** Whether the request came through a proxy the operator trusts (its headers count). */
  const viaProxy = (req: IncomingMessage) => options.trustProxy === true && proxies.has(req.socket.remoteAddress ?? '');
  const address = (req: IncomingMessage): string => {
    const forwarded = viaProxy(req) ? String(req.headers['x-forwarded-for'] ?? '').split(',').map((a) => a.trim()).filter((a) => a !== '').at(-1) : undefined;
    return forwarded ?? req.socket.remoteAddress ?? 'unknown';
  };
  const secure = (req: IncomingMessage) => (req.socket as TLSSocket).encrypted === true || (viaProxy(req) && req.headers['x-forwarded-proto'] === 'https');
  const cookieAttributes = (req: IncomingMessage, path: string, maxAge: number) => `HttpOnly; SameSite=Strict; Path=${path}; Max-Age=${maxAge}${secure(req) ? '; Secure' : ''}`;
  const source = (req: IncomingMessage, session: Session | null) => {
    const client = address(req);
    const peer = req.socket.remoteAddress ?? 'unknown';
    return `web ${client}${client === peer ? '' : ` via proxy ${peer}`}${session === null ? '' : `, session ${session.tag}`}`;
  };
  const record = (req: IncomingMessage, session: Session | null, entry: Omit<AuditEntry, 'source'>) => audit(deps.db, { ...entry, source: source(req, session) });

  /** The request's session, if its token still holds: re-issued or removed tokens end their sessions. */
  async function sessionOf(req: IncomingMessage): Promise<Session | null> {
    const id = cookie(req, COOKIE);
    const session = sessions.get(id);
    if (session === null) return null;
    const holder = await holderOfToken(deps.db, session.token);
    if (holder === null || holder.name !== session.name || holder.role !== session.role) {
      sessions.end(id);
      return null;
    }
    return session;
  }

  /** A Bearer token's holder, for machines calling /api/predict. */
  async function bearer(req: IncomingMessage): Promise<boolean> {
    return (await bearerHolder(req)) !== null;
  }

  /** Holders whose Bearer token was used from an address, audited once per server run. */
  const bearerSeen = new Set<string>();

  /**
   * A Bearer token's holder. Unknown tokens count against the address as failed sign-ins
   * do (the same throttle: 429 once it must wait) and are audited when they start a wait;
   * a token's first use from an address is audited too.
   */
  async function bearerHolder(req: IncomingMessage) {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (m === null) return null;
    const from = address(req);
    const wait = throttle.waitSeconds(from);
    if (wait > 0) throw new HttpError(429, `too many unknown tokens from your address: try again in ${Math.ceil(wait / 60)} minute(s)`, { 'retry-after': String(wait) });
    const holder = await holderOfToken(deps.db, m[1]);
    if (holder === null) {
      const startsWait = throttle.fail(from);
      if (throttle.waitSeconds(from) === 0 || startsWait) {
        await record(req, null, { actor: null, action: 'bearer token', target: null, outcome: 'refused', detail: startsWait ? 'unknown token; too many failures: this address must wait' : 'unknown token' });
      }
      return null;
    }
    const seen = `${holder.name}\u0000${from}`;
    if (!bearerSeen.has(seen)) {
      if (bearerSeen.size >= 10_000) bearerSeen.clear();
      bearerSeen.add(seen);
      await record(req, null, { actor: holder.name, action: 'bearer token', target: null, outcome: 'accepted', detail: `${holder.role}; first use from this address since the server started` });
    }
    return holder;
  }

  function showLogin(req: IncomingMessage, res: ServerResponse, status: number, message: string | null) {
    const csrf = randomBytes(24).toString('base64url');
    sendHtml(res, status, loginPage(message, csrf), { 'set-cookie': `${LOGIN_COOKIE}=${csrf}; ${cookieAttributes(req, '/login', 1800)}` });
  }

  async function approvals(res: ServerResponse, session: Session, message: string | null, status = 200) {
    const pending = await pendingApprovals(deps.db);
    sendHtml(res, status, approvalsPage(session.name, session.csrf, pending, await production(), message));
  }

  async function login(req: IncomingMessage, res: ServerResponse) {
    const from = address(req);
    const wait = throttle.waitSeconds(from);
    if (wait > 0) {
      res.setHeader('retry-after', String(wait));
      return showLogin(req, res, 429, `Too many failed sign-ins from your address: try again in ${Math.ceil(wait / 60)} minute(s).`);
    }
    const form = new URLSearchParams(await body(req));
    const issued = cookie(req, LOGIN_COOKIE) ?? '';
    if (issued === '' || !sameSecret(issued, form.get('csrf'))) {
      await record(req, null, { actor: null, action: 'sign-in', target: null, outcome: 'refused', detail: 'the sign-in form was not issued to this browser (CSRF)' });
      return showLogin(req, res, 403, 'This sign-in form has expired: sign in again.');
    }
    const token = form.get('token') ?? '';
    const holder = token === '' ? null : await holderOfToken(deps.db, token);
    if (holder === null) {
      const startsWait = throttle.fail(from);
      // Only the failure that starts a wait is recorded: a guessing address cannot flood the log.
      if (throttle.waitSeconds(from) === 0 || startsWait) {
        await record(req, null, { actor: null, action: 'sign-in', target: null, outcome: 'refused', detail: startsWait ? 'unknown token; too many failures: this address must wait' : 'unknown token' });
      }
      return showLogin(req, res, 401, 'That token is not an approver\'s or a viewer\'s.');
    }
    throttle.succeed(from);
    const { id, session } = sessions.create(holder, token);
    await record(req, session, { actor: holder.name, action: 'sign-in', target: null, outcome: 'accepted', detail: holder.role });
    res.writeHead(303, {
      location: holder.role === 'approver' ? '/approvals' : '/',
      'set-cookie': [`${COOKIE}=${id}; ${cookieAttributes(req, '/', 28800)}`, `${LOGIN_COOKIE}=; ${cookieAttributes(req, '/login', 0)}`],
      'content-security-policy': PAGE_CSP,
    });
    return void res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (options.allowedHosts !== undefined) {
      const host = hostName(req.headers.host);
      if (host === null || !options.allowedHosts.includes(host)) throw new HttpError(421, `this server answers to ${options.allowedHosts.join(', ')}, not ${JSON.stringify(String(req.headers.host ?? '').slice(0, 80))}`);
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    // HEAD is GET without the body (node leaves the body out of a HEAD response).
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    if (path === '/login') {
      if (method === 'GET') return showLogin(req, res, 200, null);
      if (method !== 'POST') throw new HttpError(405, 'method not allowed');
      return login(req, res);
    }
    const session = await sessionOf(req);
    const viewer = session !== null || !options.requireSignIn;
    if (method === 'GET' && path === '/') {
      if (!viewer) return showLogin(req, res, 401, 'Sign in with your viewer or approver token to see the runs.');
      const runs = await deps.db.selectFrom('pipeline_runs as r').leftJoin('reports as p', 'p.pipeline_run_id', 'r.id')
        .select(['r.id', 'r.status', 'r.started_at', 'r.candidate_id', (eb) => eb.fn.max('p.id').as('report_id')])
        .groupBy(['r.id', 'r.status', 'r.started_at', 'r.candidate_id']).orderBy('r.id', 'desc').limit(200).execute();
      return sendHtml(res, 200, indexPage(runs.map((r) => ({ ...r, report: r.report_id === null ? null : `run-${r.id}.html` })), await production()));
    }
    if (method === 'GET' && path.startsWith('/reports/')) {
      let name: string;
      try {
        name = decodeURIComponent(path.slice('/reports/'.length));
      } catch {
        throw new HttpError(400, 'the report path is not valid percent-encoding');
      }
      if (!REPORT_NAME.test(name)) throw new HttpError(404, 'no such report');
      if (!viewer && !(await bearer(req))) return showLogin(req, res, 401, 'Sign in with your viewer or approver token to read the reports.');
      const html = await readFile(join(deps.reportsDir, name), 'utf8').catch(() => {
        throw new HttpError(404, 'no such report');
      });
      return sendHtml(res, 200, html, { 'content-security-policy': reportCsp(html) });
    }
    if (path === '/api/predict') {
      if (method !== 'POST') throw new HttpError(405, 'POST {"texts": ["…"]} to /api/predict');
      if (!viewer && !(await bearer(req))) throw new HttpError(401, 'send Authorization: Bearer TOKEN (needloop viewer add NAME) or sign in');
      // JSON only: a page elsewhere can post text/plain to this server without asking, never application/json.
      if (!/^application\/json\s*(?:;|$)/i.test(String(req.headers['content-type'] ?? ''))) throw new HttpError(415, 'send the body as Content-Type: application/json');
      const texts = predictRequest(await body(req, MAX_PREDICT_BODY));
      const asked = url.searchParams.get('model');
      // Another version than production: approvers only (it is how they measure a candidate before deciding).
      if (asked !== null) {
        if (session?.role !== 'approver' && (await bearerHolder(req))?.role !== 'approver') throw new HttpError(403, '?model= is for approvers: sign in with an approver token or send it as Authorization: Bearer TOKEN');
        if (!/^\d{1,18}$/.test(asked)) throw new HttpError(400, `?model= takes a model version id (got ${JSON.stringify(asked.slice(0, 40))})`);
        const other = await predictor.predictWith(asked, texts);
        if (other === null) throw new HttpError(404, `there is no model ${asked}`);
        return sendJson(res, 200, { model: other.model, model_version: modelTag(other.model), status: other.status, predictions: other.predictions.map((p, i) => ({ text: texts[i], ...p })) });
      }
      const result = await predictor.predict(texts);
      if (result === null) throw new HttpError(503, 'there is no production model yet');
      return sendJson(res, 200, { model: result.model, model_version: modelTag(result.model), predictions: result.predictions.map((p, i) => ({ text: texts[i], ...p })) });
    }
    if (method === 'GET' && path === '/approvals') {
      if (session === null) return showLogin(req, res, 401, 'Sign in with your approver token to see candidates awaiting approval.');
      if (session.role !== 'approver') throw new HttpError(403, `${session.name} is a viewer: only approvers see and decide candidates`);
      return approvals(res, session, null);
    }
    const decision = /^\/approvals\/(\d{1,18})\/(approve|reject)$/.exec(path);
    if (method === 'POST' && decision !== null) {
      const [, runId, kind] = decision;
      const form = new URLSearchParams(await body(req));
      if (session === null || session.role !== 'approver') {
        await record(req, session, { actor: session?.name ?? null, action: kind, target: `run ${runId}`, outcome: 'refused', detail: session === null ? 'not signed in' : 'a viewer, not an approver' });
        throw new HttpError(403, 'sign in with an approver token first');
      }
      if (!sessions.spendCsrf(session, form.get('csrf'))) {
        await record(req, session, { actor: session.name, action: kind, target: `run ${runId}`, outcome: 'refused', detail: 'bad or reused CSRF token' });
        throw new HttpError(403, 'this form has expired or was not issued to you: reload the approval page');
      }
      const comment = (form.get('comment') ?? '').trim();
      // The session's token proves the decision to the database, which audits it in the same transaction.
      const result = await deps.decide(runId, { kind: kind as 'approve' | 'reject', candidate: form.get('candidate') ?? '', by: session.name, comment: comment === '' ? null : comment, proof: { token: session.token, source: source(req, session) } });
      if (!result.ok) await record(req, session, { actor: session.name, action: kind, target: `run ${runId}, model ${form.get('candidate') ?? ''}`, outcome: 'refused', detail: result.reason });
      return approvals(res, session, result.ok ? `${kind === 'approve' ? 'Approved' : 'Rejected'}: run ${runId} is decided.${result.then === undefined ? '' : ` ${result.then}`}` : `Refused: ${result.reason}`, result.ok ? 200 : 409);
    }
    if (method === 'POST' && path === '/logout') {
      const form = new URLSearchParams(await body(req));
      if (session === null || !sessions.spendCsrf(session, form.get('csrf'))) throw new HttpError(403, 'this form has expired or was not issued to you');
      sessions.end(cookie(req, COOKIE));
      res.writeHead(303, { location: '/login', 'set-cookie': `${COOKIE}=; ${cookieAttributes(req, '/', 0)}` });
      return void res.end();
    }
    throw new HttpError(404, 'not found');
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof HttpError ? error.message : 'internal error';
      if (status === 500) process.stderr.write(`needloop serve: ${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}: ${(error as Error).message}\n`);
      if (res.headersSent) return void res.end();
      const headers = error instanceof HttpError ? error.headers : {};
      if ((req.url ?? '').startsWith('/api/')) sendJson(res, status, { error: message }, status === 401 ? { 'www-authenticate': 'Bearer realm="needloop"', ...headers } : headers);
      else sendHtml(res, status, `<!doctype html><title>${status}</title><p>${escapeHtml(message)}</p>`, headers);
    });
  };
  // Slow clients (a trickled header or body) are answered 408 and cut off; the check runs every second.
  const timeouts: ServerOptions = {
    headersTimeout: options.headersTimeoutMs ?? 5_000,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    keepAliveTimeout: 5_000,
    connectionsCheckingInterval: 1_000,
  };
  const server: Server = options.tls === undefined ? createServer(timeouts, listener) : createTlsServer({ ...timeouts, cert: options.tls.cert, key: options.tls.key }, listener);
  return {
    server,
    close: () => new Promise<void>((resolve) => {
      predictor.dispose();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
