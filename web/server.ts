/**
 * `needloop serve`: the index of runs, the reports, /api/predict with the current
 * production model, and the approval page. Approvers sign in with their token; decision
 * forms carry a CSRF token that is spent on use; every decision and sign-in is audited;
 * every page is sent with a Content-Security-Policy.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { findProductionModel } from '../db/queries/model-versions.js';
import { approverByToken, audit, pendingApprovals } from '../db/queries/pipeline-runs.js';
import type { Database } from '../db/schema.js';
import type { ModelStore } from '../models/model-store.js';
import { approvalsPage, indexPage, loginPage } from './pages.js';
import { escapeHtml } from './report.js';
import { Predictor } from './predictor.js';
import { modelTag } from '../db/queries/model-versions.js';
import { Sessions } from './sessions.js';

export interface DecisionRequest {
  kind: 'approve' | 'reject';
  candidate: string;
  by: string;
  comment: string | null;
}

export interface ServerDeps {
  db: Kysely<Database>;
  store: ModelStore;
  reportsDir: string;
  /** The same approval path as the CLI (local runner or Temporal Update); a refusal is `{ ok: false, reason }`. */
  decide(runId: string, decision: DecisionRequest): Promise<{ ok: true } | { ok: false; reason: string }>;
}

const MAX_BODY = 64 * 1024;
const MAX_TEXTS = 100;
const MAX_TEXT_CHARS = 4096;
const COOKIE = 'needloop_session';
const REPORT_NAME = /^(run-\d{1,18}|latest)\.html$/;
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': type, 'content-security-policy': PAGE_CSP, 'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY', 'cache-control': 'no-store', ...headers,
  });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, value: unknown) => send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`);
const sendHtml = (res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}) => send(res, status, 'text/html; charset=utf-8', html, headers);

async function body(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `the request body is over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
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
  });
  return texts as string[];
}

export function createNeedloopServer(deps: ServerDeps): { server: Server; close(): Promise<void> } {
  const sessions = new Sessions();
  const predictor = new Predictor(deps);
  const production = async () => (await findProductionModel(deps.db))?.id ?? null;

  async function approvals(res: ServerResponse, session: { approver: string; csrf: string }, message: string | null, status = 200) {
    const pending = await pendingApprovals(deps.db);
    sendHtml(res, status, approvalsPage(session.approver, session.csrf, pending, await production(), message));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/') {
      const runs = await deps.db.selectFrom('pipeline_runs as r').leftJoin('reports as p', 'p.pipeline_run_id', 'r.id')
        .select(['r.id', 'r.status', 'r.started_at', 'r.candidate_id', (eb) => eb.fn.max('p.id').as('report_id')])
        .groupBy(['r.id', 'r.status', 'r.started_at', 'r.candidate_id']).orderBy('r.id', 'desc').limit(200).execute();
      return sendHtml(res, 200, indexPage(runs.map((r) => ({ ...r, report: r.report_id === null ? null : `run-${r.id}.html` })), await production()));
    }
    if (method === 'GET' && path.startsWith('/reports/')) {
      const name = decodeURIComponent(path.slice('/reports/'.length));
      if (!REPORT_NAME.test(name)) throw new HttpError(404, 'no such report');
      const html = await readFile(join(deps.reportsDir, name), 'utf8').catch(() => {
        throw new HttpError(404, 'no such report');
      });
      return sendHtml(res, 200, html, { 'content-security-policy': reportCsp(html) });
    }
    if (path === '/api/predict') {
      if (method !== 'POST') throw new HttpError(405, 'POST {"texts": ["…"]} to /api/predict');
      const texts = predictRequest(await body(req));
      const result = await predictor.predict(texts);
      if (result === null) throw new HttpError(503, 'there is no production model yet');
      return sendJson(res, 200, { model: result.model, model_version: modelTag(result.model), predictions: result.predictions.map((p, i) => ({ text: texts[i], ...p })) });
    }
    if (path === '/login') {
      if (method === 'GET') return sendHtml(res, 200, loginPage(null));
      if (method !== 'POST') throw new HttpError(405, 'method not allowed');
      const token = new URLSearchParams(await body(req)).get('token') ?? '';
      const approver = token === '' ? null : await approverByToken(deps.db, token);
      if (approver === null) {
        await audit(deps.db, { actor: null, action: 'sign-in', target: null, outcome: 'refused', detail: 'unknown token' });
        return sendHtml(res, 401, loginPage('That token is not an approver\'s.'));
      }
      const { id } = sessions.create(approver);
      await audit(deps.db, { actor: approver, action: 'sign-in', target: null, outcome: 'accepted' });
      res.writeHead(303, { location: '/approvals', 'set-cookie': `${COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=28800`, 'content-security-policy': PAGE_CSP });
      return void res.end();
    }
    const session = sessions.get(cookie(req, COOKIE));
    if (method === 'GET' && path === '/approvals') {
      if (session === null) return sendHtml(res, 401, loginPage('Sign in with your approver token to see candidates awaiting approval.'));
      return approvals(res, session, null);
    }
    const decision = /^\/approvals\/(\d{1,18})\/(approve|reject)$/.exec(path);
    if (method === 'POST' && decision !== null) {
      const [, runId, kind] = decision;
      const form = new URLSearchParams(await body(req));
      if (session === null) {
        await audit(deps.db, { actor: null, action: kind, target: `run ${runId}`, outcome: 'refused', detail: 'not signed in' });
        throw new HttpError(403, 'sign in with an approver token first');
      }
      if (!sessions.spendCsrf(session, form.get('csrf') ?? undefined)) {
        await audit(deps.db, { actor: session.approver, action: kind, target: `run ${runId}`, outcome: 'refused', detail: 'bad or reused CSRF token' });
        throw new HttpError(403, 'this form has expired or was not issued to you: reload the approval page');
      }
      const comment = (form.get('comment') ?? '').trim();
      const result = await deps.decide(runId, { kind: kind as 'approve' | 'reject', candidate: form.get('candidate') ?? '', by: session.approver, comment: comment === '' ? null : comment });
      await audit(deps.db, { actor: session.approver, action: kind, target: `run ${runId}, model ${form.get('candidate') ?? ''}`, outcome: result.ok ? 'accepted' : 'refused', detail: result.ok ? comment || null : result.reason });
      return approvals(res, session, result.ok ? `${kind === 'approve' ? 'Approved' : 'Rejected'}: run ${runId} is decided.` : `Refused: ${result.reason}`, result.ok ? 200 : 409);
    }
    if (method === 'POST' && path === '/logout') {
      const form = new URLSearchParams(await body(req));
      if (session === null || !sessions.spendCsrf(session, form.get('csrf') ?? undefined)) throw new HttpError(403, 'this form has expired or was not issued to you');
      sessions.end(cookie(req, COOKIE));
      res.writeHead(303, { location: '/login', 'set-cookie': `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0` });
      return void res.end();
    }
    throw new HttpError(404, 'not found');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof HttpError ? error.message : 'internal error';
      if (status === 500) process.stderr.write(`needloop serve: ${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}: ${(error as Error).message}\n`);
      if (res.headersSent) return void res.end();
      if ((req.url ?? '').startsWith('/api/')) sendJson(res, status, { error: message });
      else sendHtml(res, status, `<!doctype html><title>${status}</title><p>${escapeHtml(message)}</p>`);
    });
  });
  return {
    server,
    close: () => new Promise<void>((resolve) => {
      predictor.dispose();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
