import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/pipeline-activities.js';
import { publishRunReport } from '../../activities/publish-report.js';
import { loadConfig } from '../../config.js';
import { promoteModel } from '../../db/queries/model-versions.js';
import { selectBackend } from '../../models/backend.js';
import { evaluateCandidate } from '../../models/evaluate-candidate.js';
import { ModelStore } from '../../models/model-store.js';
import { trainCandidate } from '../../models/train-candidate.js';
import { generateScenario } from '../../scenarios/generate.js';
import type { ReportData } from '../../web/report.js';
import { runLocally } from '../../workflows/local-runner.js';
import { ARTIFACTS, launchChromium, openPage } from '../helpers/browser.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { catalogue, usageJson } from '../helpers/ingest.js';

const db = useTestDatabase();
const files = useTempFiles();
const SCRIPT = '<script>window.__xss = "comment"</script>';
const IMG = '<img src=x onerror="window.__xss = \'request\'">';
const FILE = 'usage <img src=x onerror=window.__xss=1>.jsonl';
let browser: Browser;
let reportPath: string;

beforeAll(async () => {
  await selectBackend('cpu');
  browser = await launchChromium();
  const inbox = join(files.dir, 'inbox');
  await generateScenario({ outDir: inbox, catalogue, users: 600, days: 56, scenario: 'emerging-need', seed: 5, changeDay: 28 });
  // Hostile text where users and files put text: a survey comment, request texts, a file name.
  await writeFile(join(inbox, 'late-surveys.csv'), `response_id,user_id,submitted_at,nps,csat,comment\nxss-1,u-x,2026-10-26T20:00:00Z,9,5,"${SCRIPT.replace(/"/g, '""')}"\n`);
  await writeFile(join(inbox, FILE), [1, 2, 3].map((i) => usageJson({ event_id: `xss-${i}`, user_id: 'u-x', ts: `2026-10-26T23:59:5${6 + i}Z`, feature: 'chat', request_text: `${IMG} automate my weekly report ${i}`, predicted_intent: 'draft_email', confidence: 0.3, out_of_scope: true, outcome: 'failure', feedback: 'corrected', corrected_intent: 'automate_workflows', rating: null })).join('\n'));
  const config = loadConfig({ DATABASE_URL: db.handle.url, NEEDLOOP_HOME: files.dir, NEEDLOOP_REPORTS_DIR: join(files.dir, 'reports'), TFJS_BACKEND: 'cpu' });
  const store = new ModelStore(config.modelsDir);
  const acts = createActivities({ handle: db.handle, config, store, catalogue });
  // The hostile file is left for the run to load, so its name is in the report's summary.
  for (const file of await acts.listInbox({ inbox })) if (!file.endsWith(FILE)) await acts.ingestFile({ file });
  // A production model from before the change, so the run fine-tunes and compares.
  const deps = { db: db.handle.db, store, backend: { choice: 'cpu' as const, backend: 'cpu', device: 'CPU' } };
  const first = await trainCandidate(deps, { to: new Date('2026-09-29T00:00:00Z') });
  await evaluateCandidate(deps, { candidateId: first.version.id });
  await promoteModel(db.handle.db, first.version.id, { by: 'setup' });
  const outcome = await runLocally(acts, { inbox, approvalTimeoutMs: 3_600_000, seed: 1 });
  expect(outcome.status).toBe('awaiting_approval');
  reportPath = outcome.results.report!.path;
}, 300_000);

afterAll(async () => {
  await browser?.close();
});

async function open(): Promise<{ page: Page; errors: string[]; requests: string[]; data: ReportData }> {
  const opened = await openPage(browser);
  await opened.page.goto(`file://${reportPath}`);
  await opened.page.waitForSelector('body[data-rendered="true"]');
  const data = JSON.parse((await opened.page.textContent('#report-data'))!) as ReportData;
  return { ...opened, data };
}

const count = (page: Page, selector: string) => page.locator(selector).count();

describe('the run report in Chromium', () => {
  it('draws one mark per datum in every chart, with no console errors and no network', async () => {
    const { page, errors, requests, data } = await open();
    const overall = data.needs!.rows.filter((r) => r.segment === null);
    expect(overall.length).toBe(12);
    expect(await count(page, '#opportunity-map .mark-need')).toBe(overall.filter((r) => r.importance !== null && r.satisfaction !== null).length);
    expect(await count(page, '#kano-chart .mark-kano')).toBe(overall.filter((r) => r.kano.better !== null && r.kano.worse !== null).length);
    expect(await count(page, '#nps-chart .mark-nps')).toBe(data.needs!.experience.filter((w) => w.nps.value !== null).length);
    expect(await count(page, '#csat-chart .mark-csat')).toBe(data.needs!.experience.filter((w) => w.csat.value !== null).length);
    expect(await count(page, '#segments-chart .mark-segment')).toBe(data.segments!.length);
    expect(await count(page, '#drift-heatmap .mark-drift')).toBe(data.drift!.cells.length);
    expect(await count(page, '#drift-heatmap .mark-drifted')).toBe(data.drift!.cells.filter((c) => c.drifted === true).length);
    const model = data.model!;
    expect(model.production_id).not.toBeNull();
    expect(await count(page, '#slice-chart .mark-slice')).toBe(model.candidate.holdout.slices.length + model.production!.holdout.slices.length);
    expect(await count(page, '#confusion-matrix .mark-confusion')).toBe(model.candidate.holdout.confusion.labels.length ** 2);
    const bins = (e: typeof model.candidate) => e.holdout.calibration!.filter((b) => b.n > 0 && b.confidence !== null).length;
    expect(bins(model.candidate)).toBeGreaterThan(0);
    expect(await count(page, '#reliability-chart .mark-reliability')).toBe(bins(model.candidate) + bins(model.production!));
    expect(await count(page, '#training-curve .mark-curve')).toBe(model.curve.length + model.curve.filter((p) => p.validation_loss !== null).length);
    expect(await page.locator('#gate li').allTextContents()).toEqual(model.reasons);
    // Requests of no known need: the hostile file's three, flagged by the model that served them.
    const oos = data.out_of_scope!;
    expect(oos.days.filter((d) => d.flagged > 0)).toEqual([{ date: '2026-10-26', answered: 3, flagged: 3 }]);
    expect(await count(page, '#out-of-scope-chart .mark-out-of-scope')).toBe(oos.days.length);
    expect(await page.locator('#out-of-scope-examples li').count()).toBe(3);
    expect(await page.locator('#out-of-scope-examples li').first().textContent()).toContain('automate my weekly report 3');
    expect(data.summary.some((line) => /^100\.0 % of requests in the last 7 days \(3 of 3\) were none of the known needs; e\.g\. ".*automate my weekly report 3"\.$/.test(line))).toBe(true);
    // The summary says for whom the top needs are most unmet.
    expect(data.summary.some((line) => / is most unmet for .+ \(opportunity \d+\.\d, against \d+\.\d overall\)\.$/.test(line))).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    await page.locator('#model-section').screenshot({ path: join(ARTIFACTS, 'report-model.png') });
    await page.locator('#needs-section').screenshot({ path: join(ARTIFACTS, 'report-needs.png') });
    await page.locator('#drift-histogram').screenshot({ path: join(ARTIFACTS, 'report-histogram.png') });
    expect(errors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
  }, 60_000);

  it('a clicked drift cell shows its reference and current histograms', async () => {
    const { page, data } = await open();
    const index = data.drift!.cells.findIndex((c) => c.column === 'feature' && c.population === -1);
    await page.locator('#drift-heatmap .mark-drift').nth(index).click();
    const cell = data.drift!.cells[index];
    expect(await count(page, '#drift-histogram .mark-histogram')).toBe(2 * cell.histogram!.bins.length);
    expect(await page.locator('#drift-histogram .chart-title').textContent()).toBe('feature — All users: reference vs current');
  }, 60_000);

  it('the segment selector redraws the needs of that segment; the label switch shows Chinese', async () => {
    const { page, data } = await open();
    const [id, name] = Object.entries(data.needs!.segment_names)[0];
    await page.selectOption('#segment-select', { label: name });
    const rows = data.needs!.rows.filter((r) => r.segment === Number(id) && r.importance !== null && r.satisfaction !== null);
    expect(await count(page, '#opportunity-map .mark-need')).toBe(rows.length);
    await page.selectOption('#lang', 'zh');
    expect(await page.locator('#opportunity-map').textContent()).toContain(data.labels.translate_text.zh);
    await page.screenshot({ path: join(ARTIFACTS, 'report-segment-zh.png'), fullPage: true });
  }, 60_000);

  it('user text with <script> or <img onerror> shows as text and runs nothing', async () => {
    const { page, errors } = await open();
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(await page.locator('#comment-terms').textContent()).toContain(SCRIPT);
    expect(await page.locator('#text-drift').textContent()).toContain(`${IMG} automate my weekly report 3`);
    expect(await page.locator('#summary').textContent()).toContain(FILE);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('body script').count()).toBe(3); // the data, d3 and the charts: nothing injected
    expect(errors).toEqual([]);
  }, 60_000);

  it('shows a fairness table a PM can read: each group\'s accuracy with its interval, production\'s beside it, the worst-served group', async () => {
    const { page, data } = await open();
    const plan = data.model!.candidate.holdout.fairness!.find((a) => a.attribute === 'plan')!;
    expect(plan.groups.map((g) => g.value)).toEqual(['enterprise', 'free', 'pro']);
    const table = page.locator('#fairness table[data-attribute="plan"]');
    expect(await table.locator('tbody tr').count()).toBe(3);
    const worst = plan.groups.find((g) => g.value === plan.worst)!;
    expect(await table.locator('tr.worst td').first().textContent()).toBe(`${plan.worst} (worst served)`);
    expect(await table.locator('tr.worst td').nth(3).textContent()).toBe(`${(100 * worst.accuracy!).toFixed(1)} % (${(100 * worst.low!).toFixed(1)} %–${(100 * worst.high!).toFixed(1)} %)`);
    expect(await page.locator('#fairness').textContent()).toContain(`Largest gap: ${(100 * plan.gap!).toFixed(1)} % between the best- and worst-served groups (production: `);
    expect(await page.locator('#fairness table[data-attribute="age_band"] tbody tr').count()).toBe(5);
    await page.locator('#fairness').screenshot({ path: join(ARTIFACTS, 'report-fairness.png') });
  }, 60_000);

  it('withholds every figure of a group below NEEDLOOP_MIN_GROUP, and says so where a PM reads', async () => {
    const stored = await db.handle.db.selectFrom('pipeline_runs').select(['id', 'results']).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    const segments = (stored.results as { segments: { segments: { id: number; name: string; size: number }[] } }).segments.segments;
    const smallest = [...segments].sort((a, b) => a.size - b.size)[0];
    const k = smallest.size + 1; // the smallest segment is one user short
    const published = await publishRunReport({ db: db.handle.db, reportsDir: join(files.dir, 'reports-k'), catalogue, minGroup: k }, { run_id: stored.id, results: stored.results });
    const { page, errors } = await openPage(browser);
    await page.goto(`file://${published.path}`);
    await page.waitForSelector('body[data-rendered="true"]');
    const data = JSON.parse((await page.textContent('#report-data'))!) as ReportData;
    const note = await page.locator('#privacy-note').textContent();
    expect(note).toContain(`Withheld to protect privacy: figures and examples of groups of fewer than ${k} users (NEEDLOOP_MIN_GROUP) are not shown.`);
    expect(note).toContain(`Segment "${smallest.name}" has fewer than ${k} users: its size, features, needs and drift are withheld.`);
    // No figure of the small segment anywhere: not in the data, the charts, the selector or the summary.
    expect(data.segments!.map((x) => x.name)).not.toContain(smallest.name);
    expect(data.needs!.rows.filter((r) => r.segment === smallest.id)).toEqual([]);
    expect(data.drift!.populations.map((p) => p.name)).not.toContain(smallest.name);
    expect(await page.locator('#segments-section').textContent()).not.toContain(smallest.name);
    expect(await page.locator('#segment-select option').allTextContents()).not.toContain(smallest.name);
    expect(await page.locator('#drift-heatmap').textContent()).not.toContain(smallest.name);
    const summary = await page.locator('#summary').textContent();
    expect(summary).toContain(`${smallest.name} (fewer than ${k})`);
    expect(summary).not.toContain(`${smallest.name} (${smallest.size})`);
    expect(data.needs!.rows.every((r) => r.n >= k)).toBe(true);
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'report-withheld.png'), fullPage: true });
  }, 60_000);
});

