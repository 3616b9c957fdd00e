import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/pipeline-activities.js';
import { loadConfig } from '../../config.js';
import { findProductionModel } from '../../db/queries/model-versions.js';
import { addApprover } from '../../db/queries/pipeline-runs.js';
import { selectBackend } from '../../models/backend.js';
import { ModelStore } from '../../models/model-store.js';
import { generateScenario } from '../../scenarios/generate.js';
import { runLocally } from '../../workflows/local-runner.js';
import { ARTIFACTS, launchChromium, openPage } from '../helpers/browser.js';
import { startCli } from '../helpers/cli.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { catalogue } from '../helpers/ingest.js';
import { freePort } from '../helpers/ports.js';

/** /api/predict takes JSON only. */
const JSON_BODY = { 'content-type': 'application/json' };

const db = useTestDatabase();
const files = useTempFiles();
const TOKEN = 'alice-secret-token-1234567890';
let browser: Browser;
let serve: ChildProcess;
let base: string;
let candidate: string;
let runId: string;

beforeAll(async () => {
  await selectBackend('cpu');
  const env = { DATABASE_URL: db.handle.url, NEEDLOOP_HOME: files.dir, NEEDLOOP_REPORTS_DIR: join(files.dir, 'reports'), TFJS_BACKEND: 'cpu' };
  const config = loadConfig(env);
  await generateScenario({ outDir: join(files.dir, 'inbox'), catalogue, users: 500, days: 42, scenario: 'stable', seed: 11 });
  const outcome = await runLocally(createActivities({ handle: db.handle, config, store: new ModelStore(config.modelsDir), catalogue }), { inbox: join(files.dir, 'inbox'), approvalTimeoutMs: 3_600_000, seed: 1 });
  expect(outcome.status).toBe('awaiting_approval');
  candidate = outcome.pending!.candidate_id;
  runId = outcome.run_id;
  await addApprover(db.handle.db, 'alice', TOKEN);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const started = startCli(['serve', '--port', String(port)], env);
  serve = started.child;
  await new Promise<void>((resolve, reject) => {
    serve.stdout!.on('data', (d: Buffer) => d.toString().includes('needloop serve:') && resolve());
    void started.done.then((r) => reject(new Error(`serve exited: ${r.stderr}`)));
  });
  browser = await launchChromium();
}, 300_000);

/** Signs in as a browser would: the sign-in form's CSRF cookie and field, then the token. */
async function signIn(token: string): Promise<{ status: number; cookie: string }> {
  const form = await fetch(`${base}/login`);
  const loginCookie = form.headers.get('set-cookie')!.split(';')[0];
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1];
  const res = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { cookie: loginCookie }, body: new URLSearchParams({ csrf, token }) });
  return { status: res.status, cookie: (res.headers.getSetCookie().find((c) => c.startsWith('needloop_session=')) ?? '').split(';')[0] };
}

afterAll(async () => {
  await browser?.close();
  serve?.kill('SIGTERM');
});

describe('needloop serve', () => {
  it('/api/predict refuses bad requests and has no model to answer with before a promotion', async () => {
    expect((await fetch(`${base}/api/predict`, { method: 'POST', headers: JSON_BODY, body: '{"texts": []}' })).status).toBe(400);
    const bad = await fetch(`${base}/api/predict`, { method: 'POST', headers: JSON_BODY, body: 'texts=1' });
    expect(await bad.json()).toEqual({ error: 'the body is not JSON: send {"texts": ["…"]}' });
    const none = await fetch(`${base}/api/predict`, { method: 'POST', headers: JSON_BODY, body: JSON.stringify({ texts: ['summarize this'] }) });
    expect(none.status).toBe(503);
  });

  it('refuses the approval page and decisions without an approver token, and path traversal', async () => {
    const page = await fetch(`${base}/approvals`);
    expect(page.status).toBe(401);
    expect(await page.text()).not.toContain(`candidate model ${candidate}`);
    const post = await fetch(`${base}/approvals/${runId}/approve`, { method: 'POST', body: new URLSearchParams({ csrf: 'x', candidate }) });
    expect(post.status).toBe(403);
    expect((await signIn('not-a-token')).status).toBe(401);
    expect((await fetch(`${base}/reports/..%2F..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);
    expect((await fetch(`${base}/reports/../package.json`)).status).toBe(404);
    expect((await findProductionModel(db.handle.db))).toBeNull();
  });

  it('/api/predict?model=V: an approver measures the candidate before deciding; nobody else may', async () => {
    const ask = (query: string, headers: Record<string, string> = {}) => fetch(`${base}/api/predict?${query}`, { method: 'POST', headers: { ...JSON_BODY, ...headers }, body: JSON.stringify({ texts: ['summarize this contract'] }) });
    const anonymous = await ask(`model=${candidate}`);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.json()).toEqual({ error: '?model= is for approvers: sign in with an approver token or send it as Authorization: Bearer TOKEN' });
    const bearer = { authorization: `Bearer ${TOKEN}` };
    const res = await ask(`model=${candidate}`, bearer);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ model: candidate, status: 'awaiting_approval', predictions: [{ text: 'summarize this contract', intent: 'summarize_documents' }] });
    expect((await ask('model=999', bearer)).status).toBe(404);
    expect((await ask('model=1%20or%201', bearer)).status).toBe(400);
    // Without ?model= it is still production's answer, and there is none yet.
    expect((await ask('', bearer)).status).toBe(503);
  });

  it('an approver signs in, approves, and the production model changes; a replayed form is refused', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${base}/approvals`);
    await page.fill('input[name=token]', TOKEN);
    await page.click('button[type=submit]');
    await page.waitForSelector('#approver');
    expect(await page.textContent('#production')).toBe('none yet');
    const section = page.locator(`section.pending[data-run="${runId}"]`);
    expect(await section.locator('h2').textContent()).toBe(`Run ${runId}: candidate model ${candidate}`);
    expect(await section.locator('li.pass').count()).toBe(3);
    const csrf = await section.locator('input[name=csrf]').first().inputValue();
    await section.locator('textarea[name=comment]').first().fill('looks good');
    await section.locator('button[value=approve]').click();
    await page.waitForSelector('#message');
    expect(await page.textContent('#message')).toBe(`Approved: run ${runId} is decided.`);
    expect(await page.textContent('#production')).toBe(candidate);
    await page.screenshot({ path: join(ARTIFACTS, 'approvals.png'), fullPage: true });
    expect((await findProductionModel(db.handle.db))!.id).toBe(candidate);

    // The same form again, from the same session: its CSRF token was spent.
    const replay = await page.request.post(`${base}/approvals/${runId}/approve`, { form: { csrf, candidate, comment: 'again' } });
    expect(replay.status()).toBe(403);
    const audit = await db.handle.db.selectFrom('audit_log').select(['actor', 'action', 'outcome', 'detail']).orderBy('id').execute();
    expect(audit).toEqual(expect.arrayContaining([
      { actor: null, action: 'approve', outcome: 'refused', detail: 'not signed in' },
      { actor: null, action: 'sign-in', outcome: 'refused', detail: 'unknown token' },
      { actor: 'alice', action: 'sign-in', outcome: 'accepted', detail: 'approver' },
      { actor: 'alice', action: 'approve', outcome: 'accepted', detail: 'looks good' },
      { actor: 'alice', action: 'approve', outcome: 'refused', detail: 'bad or reused CSRF token' },
    ]));
    expect(JSON.stringify(audit)).not.toContain(TOKEN);
    // The only error: the approval page refused before sign-in.
    expect(errors).toEqual(['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
  }, 60_000);

  it('refuses a form posted with another session\'s CSRF token', async () => {
    await addApprover(db.handle.db, 'bob', 'bob-secret-token-0987654321');
    const approvalsOf = async (token: string) => {
      const { cookie } = await signIn(token);
      const page = await (await fetch(`${base}/approvals`, { headers: { cookie } })).text();
      return { cookie, page };
    };
    const alice = await approvalsOf(TOKEN);
    const bob = await approvalsOf('bob-secret-token-0987654321');
    expect(alice.page).toContain('Signed in as <strong id="approver">alice</strong>');
    const aliceCsrf = /name="csrf" value="([^"]+)"/.exec(alice.page)![1];
    const res = await fetch(`${base}/approvals/${runId}/reject`, { method: 'POST', headers: { cookie: bob.cookie }, body: new URLSearchParams({ csrf: aliceCsrf, candidate, comment: 'no' }) });
    expect(res.status).toBe(403);
    const last = await db.handle.db.selectFrom('audit_log').select(['actor', 'outcome', 'detail']).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(last).toEqual({ actor: 'bob', outcome: 'refused', detail: 'bad or reused CSRF token' });
  });

  it('/api/predict answers with the new production model, swapped in without a restart', async () => {
    const res = await fetch(`${base}/api/predict`, { method: 'POST', headers: JSON_BODY, body: JSON.stringify({ texts: ['summarize this contract', '把这段话翻译成日语'] }) });
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const out = await res.json() as { model: string; model_version: string; predictions: { text: string; intent: string; confidence: number }[] };
    expect(out.model).toBe(candidate);
    expect(out.model_version).toBe(`needloop-${candidate}`);
    expect(out.predictions.map((p) => p.intent)).toEqual(['summarize_documents', 'translate_text']);
  });

  it('serves the reports with a CSP that lets exactly their own scripts run', async () => {
    const { page, errors } = await openPage(browser);
    const response = await page.goto(`${base}/reports/run-${runId}.html`);
    expect(response!.headers()['content-security-policy']).toMatch(/^default-src 'none'; script-src 'sha256-[^']+' 'sha256-[^']+';/);
    await page.waitForSelector('body[data-rendered="true"]');
    expect(errors).toEqual([]);
    // Reports quote what users typed: not readable by every user of the machine.
    expect((await stat(join(files.dir, 'reports', `run-${runId}.html`))).mode & 0o777).toBe(0o640);
    const index = await (await fetch(`${base}/`)).text();
    expect(index).toContain(`href="/reports/run-${runId}.html"`);
  }, 60_000);
});
