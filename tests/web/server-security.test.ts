/**
 * The hostile review of `needloop serve` (issue 15), one finding per test: each fails
 * without its fix. A real server on a real database; no pipeline run is needed.
 */
import { request as httpRequest } from 'node:http';
import { connect as tcp } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApprover, removeApprover } from '../../db/queries/pipeline-runs.js';
import { allowedHosts } from '../../cli/commands/serve.js';
import { ModelStore } from '../../models/model-store.js';
import { createNeedloopServer, type NeedloopServerOptions } from '../../web/server.js';
import { startCli } from '../helpers/cli.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { freePort } from '../helpers/ports.js';

/** /api/predict takes JSON only. */
const JSON_BODY = { 'content-type': 'application/json' };

const db = useTestDatabase();
const files = useTempFiles();
const servers: { close(): Promise<void> }[] = [];

async function serve(options: NeedloopServerOptions = {}): Promise<string> {
  const reportsDir = join(files.dir, 'reports');
  await mkdir(reportsDir, { recursive: true });
  await writeFile(join(reportsDir, 'latest.html'), '<!doctype html><title>r</title><p>a report</p>');
  const decide = async () => ({ ok: false as const, reason: 'no decision in these tests' });
  const s = createNeedloopServer({ db: db.handle.db, store: new ModelStore(join(files.dir, 'models')), reportsDir, decide }, options);
  servers.push(s);
  await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(s.server.address() as { port: number }).port}`;
}

/** Signs in as a browser would: the sign-in form's CSRF cookie and field, then the token. */
async function signIn(base: string, token: string, headers: Record<string, string> = {}): Promise<{ status: number; cookie: string | null; setCookie: string }> {
  const form = await fetch(`${base}/login`, { headers });
  const loginCookie = form.headers.get('set-cookie')!.split(';')[0];
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1];
  const res = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { ...headers, cookie: loginCookie }, body: new URLSearchParams({ csrf, token }) });
  const setCookie = res.headers.getSetCookie().join('\n');
  const session = /needloop_session=([^;]+)/.exec(setCookie);
  return { status: res.status, cookie: session === null || session[1] === '' ? null : `needloop_session=${session[1]}`, setCookie };
}

const auditRows = () => db.handle.db.selectFrom('audit_log').selectAll().orderBy('id').execute();

beforeAll(async () => {
  await addApprover(db.handle.db, 'alice', 'alice-token-0123456789');
  await addApprover(db.handle.db, 'vera', 'vera-token-0123456789', 'viewer');
});

afterAll(async () => {
  for (const s of servers) await s.close();
});

describe('needloop serve under a hostile review', () => {
  it('a re-issued or removed token ends the sessions signed in with it', async () => {
    const base = await serve();
    const first = await signIn(base, 'alice-token-0123456789');
    expect(first.status).toBe(303);
    expect((await fetch(`${base}/approvals`, { headers: { cookie: first.cookie! } })).status).toBe(200);
    await addApprover(db.handle.db, 'alice', 'alice-token-rotated-987654'); // what `approver add alice` does
    expect((await fetch(`${base}/approvals`, { headers: { cookie: first.cookie! } })).status).toBe(401);
    const post = await fetch(`${base}/approvals/1/approve`, { method: 'POST', headers: { cookie: first.cookie! }, body: new URLSearchParams({ csrf: 'x', candidate: '1' }) });
    expect(post.status).toBe(403);

    const second = await signIn(base, 'alice-token-rotated-987654');
    expect((await fetch(`${base}/approvals`, { headers: { cookie: second.cookie! } })).status).toBe(200);
    await removeApprover(db.handle.db, 'alice');
    expect((await fetch(`${base}/approvals`, { headers: { cookie: second.cookie! } })).status).toBe(401);
    expect((await signIn(base, 'alice-token-rotated-987654')).status).toBe(401);
    await addApprover(db.handle.db, 'alice', 'alice-token-0123456789');
  });

  it('holds a bounded number of sessions, letting the oldest go', async () => {
    const base = await serve({ maxSessions: 3 });
    const cookies = [];
    for (let i = 0; i < 4; i++) cookies.push((await signIn(base, 'alice-token-0123456789')).cookie!);
    const statuses = await Promise.all(cookies.map(async (cookie) => (await fetch(`${base}/approvals`, { headers: { cookie } })).status));
    expect(statuses).toEqual([401, 200, 200, 200]);
  });

  it('the sign-in form carries a CSRF token: a sign-in posted from elsewhere is refused', async () => {
    const base = await serve();
    const bare = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ token: 'alice-token-0123456789' }) });
    expect(bare.status).toBe(403);
    expect(bare.headers.get('set-cookie')).not.toMatch(/needloop_session=[^;]/);
    const form = await fetch(`${base}/login`);
    const cookie = form.headers.get('set-cookie')!.split(';')[0];
    const forged = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { cookie }, body: new URLSearchParams({ csrf: 'guessed', token: 'alice-token-0123456789' }) });
    expect(forged.status).toBe(403);
  });

  it('throttles failed sign-ins per address and audits only the failure that starts the wait', async () => {
    const base = await serve({ trustProxy: true });
    const before = (await auditRows()).length;
    const from = { 'x-forwarded-for': '203.0.113.9' };
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await signIn(base, `guess-${i}`, from)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    // Even the right token waits, from that address; another address is not held up.
    const right = await signIn(base, 'alice-token-0123456789', from);
    expect(right.status).toBe(429);
    expect((await signIn(base, 'alice-token-0123456789', { 'x-forwarded-for': '198.51.100.7' })).status).toBe(303);
    const added = (await auditRows()).slice(before);
    const refused = added.filter((a) => a.action === 'sign-in' && a.outcome === 'refused');
    expect(refused).toHaveLength(5);
    expect(refused.at(-1)!.detail).toBe('unknown token; too many failures: this address must wait');
    expect(refused.every((a) => a.source === 'web 203.0.113.9 via proxy 127.0.0.1')).toBe(true);
    expect(added.at(-1)).toMatchObject({ actor: 'alice', action: 'sign-in', outcome: 'accepted', detail: 'approver' });
    expect(added.at(-1)!.source).toMatch(/^web 198\.51\.100\.7 via proxy 127\.0\.0\.1, session [0-9a-f]{8}$/);
  });

  it('with --trust-proxy, a client that is not the proxy cannot choose its address: no fresh guesses, no forged source', async () => {
    const base = await serve({ trustProxy: true, proxyAddresses: ['192.0.2.250'] }); // the proxy is elsewhere; this client is not it
    const before = (await auditRows()).length;
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await signIn(base, `guess-${i}`, { 'x-forwarded-for': `203.0.113.${100 + i}` })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const added = (await auditRows()).slice(before);
    expect(added.length).toBeGreaterThan(0);
    expect(added.every((a) => a.source === 'web 127.0.0.1')).toBe(true);
  });

  it('throttles and audits Bearer tokens as sign-ins are: unknown ones count against the address, a holder\'s first use is recorded', async () => {
    const base = await serve({ trustProxy: true, requireSignIn: true });
    const before = (await auditRows()).length;
    const predict = (token: string, from: string) => fetch(`${base}/api/predict`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-forwarded-for': from }, body: '{"texts":["hello"]}' });
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await predict(`guess-${i}`, '203.0.113.200')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect((await predict('vera-token-0123456789', '203.0.113.200')).headers.get('retry-after')).toMatch(/^\d+$/);
    // The viewer's own token from another address works (503: no model in these tests), recorded once.
    expect((await predict('vera-token-0123456789', '198.51.100.20')).status).toBe(503);
    expect((await predict('vera-token-0123456789', '198.51.100.20')).status).toBe(503);
    const added = (await auditRows()).slice(before).filter((a) => a.action === 'bearer token');
    expect(added.map((a) => [a.actor, a.outcome])).toEqual([[null, 'refused'], [null, 'refused'], [null, 'refused'], [null, 'refused'], [null, 'refused'], ['vera', 'accepted']]);
    expect(added.at(-1)!.source).toBe('web 198.51.100.20 via proxy 127.0.0.1');
  });

  it('a success does not forgive earlier failures: one token cannot be used to reset the count and guess others without end', async () => {
    const base = await serve({ trustProxy: true });
    const from = { 'x-forwarded-for': '203.0.113.77' };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await signIn(base, `guess-${i}`, from)).status);
    statuses.push((await signIn(base, 'alice-token-0123456789', from)).status);
    statuses.push((await signIn(base, 'guess-5', from)).status);
    statuses.push((await signIn(base, 'guess-6', from)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 303, 401, 429]);
  });

  it('sets the Secure cookie flag behind a TLS proxy (--trust-proxy), not on plain HTTP', async () => {
    const proxied = await serve({ trustProxy: true });
    const https = await signIn(proxied, 'alice-token-0123456789', { 'x-forwarded-proto': 'https', 'x-forwarded-for': '192.0.2.1' });
    expect(https.setCookie).toMatch(/needloop_session=[^;]+;[^\n]*; Secure/);
    const plain = await signIn(await serve(), 'alice-token-0123456789');
    expect(plain.setCookie).not.toContain('Secure');
    // Without --trust-proxy a client cannot pick its own address for the audit log.
    const direct = await serve();
    await signIn(direct, 'alice-token-0123456789', { 'x-forwarded-for': '10.9.9.9' });
    expect((await auditRows()).at(-1)!.source).toMatch(/^web 127\.0\.0\.1, session /);
  });

  it('answers 400 to a malformed percent-encoding and supports HEAD on reports', async () => {
    const base = await serve();
    const bad = await fetch(`${base}/reports/%E0%A4%A`);
    expect(bad.status).toBe(400);
    const head = await fetch(`${base}/reports/latest.html`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await head.text()).toBe('');
    expect((await fetch(`${base}/reports/run-404.html`, { method: 'HEAD' })).status).toBe(404);
  });

  it('beyond loopback, reports, the index and /api/predict need a viewer: signed in, or a Bearer token', async () => {
    const base = await serve({ requireSignIn: true });
    const anonymous = await fetch(`${base}/reports/latest.html`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain('a report');
    expect((await fetch(base)).status).toBe(401);
    const api = await fetch(`${base}/api/predict`, { method: 'POST', headers: JSON_BODY, body: JSON.stringify({ texts: ['hi'] }) });
    expect(api.status).toBe(401);
    expect(api.headers.get('www-authenticate')).toBe('Bearer realm="needloop"');
    const wrong = await fetch(`${base}/api/predict`, { method: 'POST', headers: { ...JSON_BODY, authorization: 'Bearer not-a-token' }, body: JSON.stringify({ texts: ['hi'] }) });
    expect(wrong.status).toBe(401);
    // A viewer's token passes the door (there is no production model to answer with yet).
    const viewerApi = await fetch(`${base}/api/predict`, { method: 'POST', headers: { ...JSON_BODY, authorization: 'Bearer vera-token-0123456789' }, body: JSON.stringify({ texts: ['hi'] }) });
    expect(viewerApi.status).toBe(503);
    const vera = await signIn(base, 'vera-token-0123456789');
    expect(vera.status).toBe(303);
    const report = await fetch(`${base}/reports/latest.html`, { headers: { cookie: vera.cookie! } });
    expect(await report.text()).toContain('a report');
    expect((await fetch(base, { headers: { cookie: vera.cookie! } })).status).toBe(200);
    // A viewer reads; only an approver decides.
    expect((await fetch(`${base}/approvals`, { headers: { cookie: vera.cookie! } })).status).toBe(403);
  });

  it('cuts off a client that trickles its request body', async () => {
    const base = new URL(await serve({ headersTimeoutMs: 500, requestTimeoutMs: 1000 }));
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = tcp(Number(base.port), base.hostname, () => {
        socket.write('POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"texts": [');
      });
      let got = '';
      socket.on('data', (d) => (got += d.toString()));
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
      setTimeout(() => reject(new Error('the server held the slow client for 10 s')), 10_000).unref();
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('`serve --host 0.0.0.0` warns and asks for sign-in; `--public` warns that it does not', async () => {
    const env = { DATABASE_URL: db.handle.url, NEEDLOOP_HOME: files.dir, NEEDLOOP_REPORTS_DIR: join(files.dir, 'reports'), TFJS_BACKEND: 'cpu' };
    for (const extra of [[], ['--public']]) {
      const port = await freePort();
      const { child, done } = startCli(['serve', '--host', '0.0.0.0', '--port', String(port), ...extra], env);
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('needloop serve:') && resolve()));
      const status = (await fetch(`http://127.0.0.1:${port}/reports/latest.html`)).status;
      child.kill('SIGTERM');
      expect((await done).code).toBe(0);
      if (extra.length === 0) {
        expect(status).toBe(401);
        expect(stderr).toContain('beyond this machine: the reports and /api/predict need a signed-in viewer or approver');
      } else {
        expect(status).toBe(200);
        expect(stderr).toContain('--public on 0.0.0.0: anyone who can reach this server reads the reports');
      }
      expect(stderr).toContain('plain HTTP beyond this machine');
    }
  }, 60_000);
});

describe('the review of issue 33: a web page the operator visits cannot read or use the server', () => {
  /** A raw request with a chosen Host header (fetch sets its own). */
  const raw = (base: string, path: string, host: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(base);
      const req = httpRequest({ host: url.hostname, port: url.port, path, method: init.method ?? 'GET', headers: { host, ...init.headers } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on('error', reject).end(init.body);
    });

  it('answers only the names of this machine on loopback (DNS rebinding: a page at evil.example whose name now points to 127.0.0.1 gets 421)', async () => {
    const base = await serve({ allowedHosts: allowedHosts(true, '127.0.0.1', []) });
    const port = new URL(base).port;
    expect((await raw(base, '/reports/latest.html', `127.0.0.1:${port}`)).status).toBe(200);
    expect((await raw(base, '/reports/latest.html', `localhost:${port}`)).status).toBe(200);
    expect((await raw(base, '/reports/latest.html', `[::1]:${port}`)).status).toBe(200);
    const rebound = await raw(base, '/reports/latest.html', `evil.example:${port}`);
    expect(rebound.status).toBe(421);
    expect(rebound.body).not.toContain('a report');
    expect((await raw(base, '/api/predict', `evil.example:${port}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"texts": ["hi"]}' })).status).toBe(421);
    // A name the operator set up for a proxy is answered too.
    const proxied = await serve({ allowedHosts: allowedHosts(true, '127.0.0.1', ['needloop.internal']) });
    expect((await raw(proxied, '/reports/latest.html', 'needloop.internal')).status).toBe(200);
  });

  it('/api/predict takes JSON only (a page may post text/plain anywhere without asking), and refuses what ingest refuses', async () => {
    const base = await serve();
    const post = (body: string, type = 'application/json') => fetch(`${base}/api/predict`, { method: 'POST', headers: { 'content-type': type }, body });
    const plain = await post('{"texts": ["hi"]}', 'text/plain');
    expect(plain.status).toBe(415);
    expect((await plain.json()).error).toBe('send the body as Content-Type: application/json');
    expect((await post('{"texts": ["   "]}')).status).toBe(400);
    expect((await (await post('{"texts": ["a\\u0000b"]}')).json()).error).toBe('texts[0] holds a NUL character');
    expect((await (await post('{"texts": ["ok", "\\ud800"]}')).json()).error).toBe('texts[1] holds a lone UTF-16 surrogate: it is not text');
    // The documented most (100 texts of 4,096 characters) gets through the body limit: here to "no model yet", not 413.
    const most = await post(JSON.stringify({ texts: Array.from({ length: 100 }, () => '字'.repeat(4096)) }));
    expect(most.status).toBe(503);
    expect((await post(JSON.stringify({ texts: ['x'.repeat(3_000_000)] }))).status).toBe(413);
  });
});
