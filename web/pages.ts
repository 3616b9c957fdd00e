/**
 * The server's own pages: the index of runs, the sign-in form, and the approval page.
 * Server-rendered, every value escaped, no scripts.
 */
import { escapeHtml as e } from './report.js';

const CSS = 'body{font:14px/1.45 system-ui,sans-serif;max-width:64rem;margin:0 auto;padding:0 1.5rem 3rem;color:#1f2328}table{border-collapse:collapse}td,th{border-bottom:1px solid #d0d7de;padding:.25rem .6rem;text-align:left}.pass{color:#1a7f37}.fail{color:#cf222e}.notice{background:#ddf4ff;padding:.5rem .8rem;border-radius:4px}form.inline{display:inline-block;margin-right:1rem}textarea{width:22rem;height:3rem}';

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${e(title)}</title><style>${CSS}</style></head><body><h1>${e(title)}</h1>${body}</body></html>`;
}

export interface RunRow {
  id: string;
  status: string;
  started_at: Date;
  candidate_id: string | null;
  report: string | null;
}

export function indexPage(runs: RunRow[], production: string | null): string {
  const rows = runs.map((r) => `<tr><td>${e(r.id)}</td><td>${e(r.status.replaceAll('_', ' '))}</td><td>${e(r.started_at.toISOString().slice(0, 16).replace('T', ' '))}</td><td>${r.candidate_id === null ? '–' : e(r.candidate_id)}</td><td>${r.report === null ? '–' : `<a href="/reports/${e(r.report)}">report</a>`}</td></tr>`).join('');
  return page('needloop — pipeline runs', `<p>Production model: <strong id="production">${production === null ? 'none yet' : e(production)}</strong> · <a href="/reports/latest.html">latest report</a> · <a href="/approvals">approvals</a></p>
<table><thead><tr><th>run</th><th>status</th><th>started (UTC)</th><th>candidate</th><th></th></tr></thead><tbody>${rows}</tbody></table>`);
}

export function loginPage(message: string | null, csrf: string): string {
  return page('needloop — sign in', `${message === null ? '' : `<p class="notice" id="message">${e(message)}</p>`}
<form method="post" action="/login"><input type="hidden" name="csrf" value="${e(csrf)}"><label>Token <input type="password" name="token" autocomplete="off" required></label> <button type="submit">Sign in</button></form>
<p>Tokens come from <code>needloop approver add NAME</code> (approvers) and <code>needloop viewer add NAME</code> (readers of the reports).</p>`);
}

export interface PendingRow {
  run_id: string;
  candidate_id: string;
  production_id: string | null;
  deadline: Date | null;
  reasons: string[];
  metrics: Record<string, unknown> | null;
}

const num = (x: unknown) => (typeof x === 'number' ? x.toFixed(3) : '–');

export function approvalsPage(approver: string, csrf: string, pending: PendingRow[], production: string | null, message: string | null): string {
  const items = pending.map((p) => {
    const m = p.metrics ?? {};
    const prod = (m.production ?? null) as Record<string, unknown> | null;
    const form = (action: 'approve' | 'reject') => `<form class="inline" method="post" action="/approvals/${e(p.run_id)}/${action}"><input type="hidden" name="csrf" value="${e(csrf)}"><input type="hidden" name="candidate" value="${e(p.candidate_id)}"><textarea name="comment" placeholder="${action === 'approve' ? 'comment (optional)' : 'reason (required)'}"${action === 'reject' ? ' required' : ''}></textarea> <button type="submit" name="decision" value="${action}">${action === 'approve' ? 'Approve' : 'Reject'}</button></form>`;
    return `<section class="pending" data-run="${e(p.run_id)}"><h2>Run ${e(p.run_id)}: candidate model ${e(p.candidate_id)}</h2>
<p>Against production model ${p.production_id === null ? 'none (the first model)' : e(p.production_id)}; the approval expires ${p.deadline === null ? '–' : e(p.deadline.toISOString())}.</p>
<table><tr><th></th><th>holdout accuracy</th><th>macro-F1</th><th>golden accuracy</th><th>p95 latency (ms)</th></tr>
<tr><td>candidate</td><td>${num(m.holdout_accuracy)}</td><td>${num(m.holdout_macro_f1)}</td><td>${num(m.golden_accuracy)}</td><td>${num(m.p95_latency_ms)}</td></tr>
${prod === null ? '' : `<tr><td>production</td><td>${num(prod.holdout_accuracy)}</td><td>${num(prod.holdout_macro_f1)}</td><td>${num(prod.golden_accuracy)}</td><td>${num(prod.p95_latency_ms)}</td></tr>`}</table>
<ul>${p.reasons.map((r) => `<li class="${r.startsWith('PASS') ? 'pass' : 'fail'}">${e(r)}</li>`).join('')}</ul>
${form('approve')}${form('reject')}</section>`;
  }).join('');
  return page('needloop — approvals', `<p>Signed in as <strong id="approver">${e(approver)}</strong>. Production model: <strong id="production">${production === null ? 'none yet' : e(production)}</strong>. <a href="/">runs</a></p>
<form class="inline" method="post" action="/logout"><input type="hidden" name="csrf" value="${e(csrf)}"><button type="submit">Sign out</button></form>
${message === null ? '' : `<p class="notice" id="message">${e(message)}</p>`}
${pending.length === 0 ? '<p id="none">No candidate awaits approval.</p>' : items}`);
}
