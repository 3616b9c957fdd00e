import { chmod, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportData } from '../../web/report.js';
import { ARTIFACTS, englishPhrases, labelGaps, launchChromium, openPage, smallChartText } from '../helpers/browser.js';
import { loadConfig } from '../../config.js';
import { openDatabase } from '../../db/connection.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';
import { freePort } from '../helpers/ports.js';

let files: Awaited<ReturnType<typeof tempDir>>;
let env: Record<string, string>;
let browser: Browser;

/** A report as a person opens it: rendered, with its embedded data. */
async function openReport(path: string, lang: 'en' | 'zh' = 'en'): Promise<{ page: Page; data: ReportData; errors: string[] }> {
  const { page, errors } = await openPage(browser);
  await page.goto(`file://${path}`);
  await page.waitForSelector('body[data-rendered="true"]');
  if (lang === 'zh') await page.selectOption('#lang', 'zh');
  return { page, errors, data: JSON.parse((await page.textContent('#report-data'))!) as ReportData };
}

beforeAll(async () => {
  browser = await launchChromium();
  files = await tempDir();
  await chmod(files.dir, 0o755);
  // The README's main command on the embedded default: its own server, its own folder.
  env = { DATABASE_URL: '', NEEDLOOP_HOME: `${files.dir}/home`, NEEDLOOP_PG_PORT: String(await freePort()), NEEDLOOP_REPORTS_DIR: `${files.dir}/reports`, NEEDLOOP_INBOX: `${files.dir}/inbox` };
});
afterAll(async () => {
  await browser?.close();
  await files.cleanup();
});

describe('needloop start (npm start)', () => {
  let pending: { run_id: string; candidate_id: string };
  // Which of the two racing approvers took the decision (either may).
  let approver = '';

  it('on an empty embedded database: the loop\'s story over simulated nights, ending with a candidate for you to approve', async () => {
    const run = await runCli(['start', '--json'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.database).toBe(`embedded Postgres in ${files.dir}/home/pg`);
    const nights = out.demo.nights as { night: number; retrain: boolean; promoted: string | null; reasons: string[]; changed_need_recall: number | null; accuracy: number }[];
    expect(nights).toHaveLength(13);
    const story = JSON.stringify(nights.map((n) => [n.night, n.retrain, n.promoted, n.changed_need_recall, n.reasons[0]?.slice(0, 60)]));
    // Detect: the new need (night 4) is the reason to retrain that night or the next…
    const detected = nights.find((n) => n.retrain)!;
    expect(detected.night, story).toBeLessThanOrEqual(5);
    expect(detected.reasons[0]).toMatch(/^emerging need "automate_workflows"/);
    // …retrain and approve: the simulated engineer promotes the candidate; recover: users get the new need right…
    const promoted = nights.find((n) => n.promoted !== null)!;
    expect(promoted.night, story).toBeLessThanOrEqual(5);
    expect(nights.find((n) => n.night === promoted.night + 1)!.changed_need_recall, story).toBeGreaterThanOrEqual(0.8);
    // …quiet: nights without retraining follow…
    expect(nights.filter((n) => n.night > promoted.night && n.night < 9 && !n.retrain).length, story).toBeGreaterThanOrEqual(2);
    // …and users' words shift on night 10: retrained that very night, before corrections
    // pile up, on what needs no labels (the requests production calls none of its needs)…
    const shifted = nights.find((n) => n.night === 10)!;
    expect(shifted.retrain, story).toBe(true);
    expect(shifted.reasons.join(' '), story).toMatch(/^model 2 calls [\d.]+ % of this week's requests \(\d+\) against [\d.]+ % on its training period \(\d+\) none of its needs/);
    // …and the last candidate awaits a person.
    expect(out.pending, story).not.toBeNull();
    pending = out.pending;
    expect(await readFile(out.run.report, 'utf8')).toContain('The loop, night by night');
    report = out.run.report;
  }, 300_000);

  let report: string;
  it('the report the terminal names shows the waiting model and its commands on its first screen, worded as `status` words it', async () => {
    const { page, data, errors } = await openReport(report);
    const actions = await page.locator('#actions li').allInnerTexts();
    expect(actions[0]).toContain(`Model ${pending.candidate_id} awaits an engineer's approval (pipeline run ${pending.run_id})`);
    expect(actions[0]).toContain(`npx needloop approve ${pending.run_id} --token-file FILE`);
    expect(actions[0]).toContain(`npx needloop reject ${pending.run_id} --token-file FILE --reason TEXT`);
    expect((await page.locator('#actions').boundingBox())!.y).toBeLessThan(900);
    // The terminal says the same sentence.
    const status = await runCli(['status'], env);
    expect(status.code).toBe(0);
    const sentence = actions[0].split('\n')[0];
    expect(status.stdout.split('\n')).toContain(`  ${sentence}`);
    // Every candidate need the CLI lists as open is on the report, its commands too.
    const candidates = JSON.parse((await runCli(['needs', 'candidates', '--json'], env)).stdout) as { candidates: { id: string; status: string }[] };
    const open = candidates.candidates.filter((c) => c.status === 'open');
    expect(open.length).toBeGreaterThan(0);
    expect(await page.locator('#unnamed-needs tr.unnamed-need').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.candidate))).toEqual(expect.arrayContaining(open.map((c) => c.id)));
    expect(await page.locator('#unnamed-needs tr.unnamed-need').count()).toBe(open.length);
    for (const c of open.slice(0, 3)) expect(actions.join('\n')).toContain(`npx needloop needs adopt ${c.id} --as NEED_ID`);
    // The timeline holds every night up to the report's own.
    expect(data.timeline.at(-1)!.run_id).toBe(data.run_id);
    expect(data.timeline.map((n) => n.night)).toEqual(data.timeline.map((_, i) => data.timeline[0].night + i));
    expect(await page.locator('#timeline-chart .mark-promote').count()).toBe(data.timeline.flatMap((n) => n.decisions).filter((d) => d.action === 'promote').length);
    // Opportunity labels: on their mark, or joined to it by a leader line, never farther than it allows.
    const gaps = await labelGaps(page);
    expect(gaps.length).toBeGreaterThan(0);
    for (const g of gaps) {
      expect(g.gap, `label ${g.rank}`).toBeLessThanOrEqual(60);
      if (g.gap > 8) expect(g.leader, `label ${g.rank} sits ${g.gap.toFixed(0)} px off its mark without a leader`).toBe(true);
    }
    expect(await page.locator('#opportunity-map .need-label').evaluateAll((ls) => ls.filter((l) => /^\d+$/.test(l.textContent ?? '')).length)).toBe(0);
    expect(await smallChartText(page)).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'story-report.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('the Chinese view: no English sentence outside users\' own words, and no chart text under 12 px', async () => {
    const { page, errors } = await openReport(report, 'zh');
    expect(await englishPhrases(page)).toEqual([]);
    expect(await smallChartText(page)).toEqual([]);
    // The drift table's kind column keeps its two glyphs on one line.
    const kind = page.locator('#drift-tables .drift-population:not([hidden]) td.kind span.zh').first();
    expect((await kind.boundingBox())!.height).toBeLessThan(30);
    await page.screenshot({ path: join(ARTIFACTS, 'story-report-zh.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('run again: loads nothing new and asks for no second candidate while one awaits', async () => {
    const run = await runCli(['start', '--json'], env);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.demo).toBeNull();
    expect(out.run.results.ingested).toEqual([]);
    expect(out.run.results.decision).toEqual({ retrain: false, first_model: false, reasons: [`model ${pending.candidate_id} already awaits approval: no new candidate until it is decided`] });
    expect(out.run).toMatchObject({ status: 'completed', candidate: null });
  });

  it('the README\'s next step: an approver approves the waiting run, proven by their token, and its model serves predictions', async () => {
    const claimed = await runCli(['approve', pending.run_id, '--by', 'alice'], env);
    expect(claimed.code).toBe(2);
    expect(claimed.stderr).toBe('needloop: Approving a candidate is decided by an approver, who proves it with their token: set NEEDLOOP_TOKEN, or pass --token-file FILE (the token `needloop approver add NAME` printed)\n');
    const aliceFile = join(files.dir, 'alice.token');
    const bobFile = join(files.dir, 'bob.token');
    expect((await runCli(['approver', 'add', 'alice', '--token-file', aliceFile], env)).stdout).toBe(`Approver alice added. Token written to ${aliceFile} (readable by you only): sign in to needloop serve with it, and decide with --token-file ${aliceFile}.\n`);
    expect((await stat(aliceFile)).mode & 0o777).toBe(0o600);
    expect((await runCli(['approver', 'add', 'bob', '--token-file', bobFile], env)).code).toBe(0);
    // Never a file that is there already (another token, a link to one).
    expect((await runCli(['approver', 'add', 'carol', '--token-file', bobFile], env)).stderr).toBe(`needloop: --token-file ${bobFile}: exists already: name a new file (or remove the old one first)\n`);
    // Two approvers decide at the same moment: one decision is taken, the other told so plainly; both audited.
    const tries = await Promise.all([['alice', aliceFile], ['bob', bobFile]].map(async ([name, file]) => ({ name, run: await runCli(['approve', pending.run_id, '--token-file', file, '--comment', 'demo', '--json'], env) })));
    const won = tries.filter((t) => t.run.code === 0);
    const lost = tries.filter((t) => t.run.code !== 0);
    expect(won.map((t) => t.name)).toHaveLength(1);
    const winner = won[0].name;
    approver = winner;
    expect(lost[0].run.code).toBe(1);
    expect(lost[0].run.stderr).toMatch(new RegExp(`^needloop: refused: a decision was already taken: approve by ${winner} at \\S+\\n$`));
    const approved = won[0].run;
    expect(JSON.parse(approved.stdout)).toMatchObject({ run_id: pending.run_id, status: 'completed', results: { approval: { kind: 'approve', by: winner }, promotion: { production_id: pending.candidate_id } } });
    // The home's own database, opened beside the commands (they share its server): the decision and its audit row, one transaction, stamped by the database.
    const handle = await openDatabase(loadConfig(env));
    try {
      const rows = await handle.db.selectFrom('audit_log').select(['actor', 'action', 'outcome', 'detail', 'source', 'db_user', 'at']).where('action', '=', 'approve').orderBy('id').execute();
      const people = rows.filter((r) => r.actor !== 'simulated-engineer');
      expect(people.map((r) => [r.actor, r.outcome]).sort()).toEqual([[winner, 'accepted'], [lost[0].name, 'refused']].sort());
      expect(people.every((r) => r.db_user === 'needloop_app' && Math.abs(r.at.getTime() - Date.now()) < 600_000)).toBe(true);
      // The simulated engineer's approvals of the story's nights are audited too, as what they were.
      const simulated = rows.filter((r) => r.actor === 'simulated-engineer');
      expect(simulated.length).toBeGreaterThan(0);
      expect(simulated.every((r) => r.outcome === 'accepted' && r.source!.startsWith('simulate ('))).toBe(true);
    } finally {
      await handle.close();
    }
    // Its own report is run-N.html; latest.html is the later run's, written again (the terminal says so).
    const newest = (JSON.parse((await runCli(['status', '--json'], env)).stdout) as { run_id: string }).run_id;
    expect(newest).not.toBe(pending.run_id);
    expect(JSON.parse(approved.stdout).results.report.latest_run).toBe(newest);
    const predicted = JSON.parse((await runCli(['predict', 'automate the weekly report every monday', '--json'], env)).stdout);
    expect(predicted).toMatchObject({ model: pending.candidate_id, predictions: [{ intent: 'automate_workflows' }] });
  });

  it('after the approval, latest.html is the newest run\'s report, written after the decision, its timeline marking the promotion', async () => {
    const latest = `${files.dir}/reports/latest.html`;
    const { page, data } = await openReport(latest);
    const runs = JSON.parse((await runCli(['status', '--json'], env)).stdout) as { run_id: string };
    expect(data.run_id).toBe(runs.run_id); // the newest run, not the approved one
    expect(data.run_id).not.toBe(pending.run_id);
    expect((await stat(latest)).mtimeMs).toBeGreaterThanOrEqual((await stat(`${files.dir}/reports/run-${pending.run_id}.html`)).mtimeMs);
    expect(data.briefing!.serving.now).toBe(pending.candidate_id);
    expect(data.pending!.models).toEqual([]);
    const promotion = data.timeline.flatMap((n) => n.decisions).find((d) => d.action === 'promote' && d.model === pending.candidate_id)!;
    expect(promotion).toMatchObject({ by: approver });
    expect(await page.locator(`#timeline-chart .mark-promote[data-model="${pending.candidate_id}"]`).count()).toBe(1);
    expect(await page.locator('#timeline-events').innerText()).toContain(`model ${pending.candidate_id} promoted by ${approver}`);
    expect(await page.locator('#actions').innerText()).not.toContain('awaits an engineer');
  });

  it('dismissing a candidate need writes the newest report again: it leaves "Waiting for you" at once', async () => {
    const open = (JSON.parse((await runCli(['needs', 'candidates', '--json'], env)).stdout) as { candidates: { id: string }[] }).candidates;
    const id = open[0].id;
    const dismissed = await runCli(['needs', 'dismiss', id, '--token-file', join(files.dir, 'alice.token')], env);
    expect(dismissed.code).toBe(0);
    expect(dismissed.stdout).toMatch(new RegExp(`^Candidate need ${id} dismissed\\.\\nReport updated: ${files.dir}/reports/run-\\d+\\.html \\(and ${files.dir}/reports/latest\\.html\\)\\n$`));
    const { page, data } = await openReport(`${files.dir}/reports/latest.html`);
    expect(data.pending!.needs.map((n) => n.id)).not.toContain(id);
    expect(await page.locator(`#unnamed-needs tr[data-candidate="${id}"]`).count()).toBe(0);
    expect(await page.locator('#actions').innerText()).not.toContain(`needs dismiss ${id}`);
  });

  it('the next night\'s report says which model serves now and what changed since the night before', async () => {
    const run = await runCli(['start', '--json'], env);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    const { page, data } = await openReport(out.run.report);
    expect(data.briefing!.serving.changes).toEqual([expect.objectContaining({ action: 'promote', model: pending.candidate_id, by: approver })]);
    expect(await page.locator('#status-block').innerText()).toContain(`Model serving: model ${pending.candidate_id}. Since the previous run: model ${pending.candidate_id} promoted by ${approver}`);
    expect(data.timeline.at(-1)!.run_id).toBe(data.run_id);
  });
});
