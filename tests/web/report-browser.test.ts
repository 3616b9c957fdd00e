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
    // Kano as lists: every need with a category, under its category.
    expect(await count(page, '#kano-chart .mark-kano')).toBe(overall.filter((r) => r.kano.category !== null).length);
    // The ranked table beside the opportunity map: one row per need on the map.
    expect(await count(page, '#opportunity-table tbody tr')).toBe(overall.filter((r) => r.importance !== null && r.satisfaction !== null).length);
    expect(await count(page, '#nps-chart .mark-nps')).toBe(data.needs!.experience.filter((w) => w.nps.value !== null).length);
    expect(await count(page, '#csat-chart .mark-csat')).toBe(data.needs!.experience.filter((w) => w.csat.value !== null).length);
    expect(await count(page, '#segments-chart .mark-segment')).toBe(data.segments!.length);
    // Drift as ranked tables, one per population, every column in a row.
    expect(await count(page, '#drift-tables tr.drift-row')).toBe(data.drift!.cells.length);
    expect(await count(page, '#drift-tables tr.drift-row[data-drifted="true"]')).toBe(data.drift!.cells.filter((c) => c.drifted === true).length);
    const model = data.model!;
    expect(model.production_id).not.toBeNull();
    expect(await count(page, '#slice-chart .mark-slice')).toBe(model.candidate.holdout.slices.length);
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
    // The summary leads with the strongest signals, each with its n, none resting on few answers…
    const lead = (data.signals ?? []).filter((x) => data.summary.includes(x.en));
    expect(lead.length).toBeGreaterThan(0);
    expect(data.summary.slice(0, lead.length)).toEqual(lead.map((x) => x.en));
    for (const x of lead) expect(x.few, x.en).toBe(false);
    for (const x of lead) expect(x.en).toMatch(/\bn [\d,]+|\b[\d,]+ requests\b/);
    // …and the top needs come with their 95 % interval and n.
    expect(data.summary.some((line) => /^Top unmet needs for all users by opportunity: .+ \(\d+\.\d; 95 % interval \d+\.\d to \d+\.\d, n \d+\)/.test(line))).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    await page.locator('#model-section').screenshot({ path: join(ARTIFACTS, 'report-model.png') });
    await page.locator('#needs-section').screenshot({ path: join(ARTIFACTS, 'report-needs.png') });
    await page.locator('#drift-section').screenshot({ path: join(ARTIFACTS, 'report-drift.png') });
    await page.locator('#briefing').screenshot({ path: join(ARTIFACTS, 'report-briefing.png') });
    expect(errors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
  }, 60_000);

  it('the first screen states the data windows, what is new, the biggest movements, the actions waiting and NPS/CSAT with intervals', async () => {
    const { page, data } = await open();
    const b = data.briefing!;
    // On the first screen: the briefing starts within the first 900 px of a 1280 × 900 window.
    const box = (await page.locator('#status-block').boundingBox())!;
    expect(box.y).toBeLessThan(900);
    const windows = (await page.locator('#data-windows').innerText());
    expect(windows).toContain(`Usage: ${b.windows.usage!.from.slice(0, 10)} – `);
    expect(windows).toContain(`compared with ${b.windows.reference!.from.slice(0, 10)} – `);
    expect(windows).toContain(`Survey answers: ${b.windows.survey!.from.slice(0, 10)} – `);
    const status = await page.locator('#status-block').innerText();
    expect(status).toContain('New data: 1 file(s), 3 rows.'); // the hostile usage file, the only one the run loaded
    expect(status).toContain(`Model serving: model ${data.model!.production_id}, unchanged.`);
    expect(b.serving.changes).toEqual([]); // the promotion by setup came before this, the first run
    expect(status).toContain('Decision: retrain, because ');
    expect(status).toContain(`The gate blessed candidate model ${data.model!.candidate_id}.`);
    // The action waiting: approve the candidate, with the command and the deadline.
    const actions = await page.locator('#actions li').allInnerTexts();
    expect(actions[0]).toMatch(new RegExp(`^Model ${data.model!.candidate_id} awaits an engineer's approval \\(pipeline run ${data.run_id}\\) until \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC`));
    expect(actions[0]).toContain(`npx needloop approve ${data.run_id} --token-file FILE`);
    expect(actions[0]).toContain(`npx needloop reject ${data.run_id} --token-file FILE --reason TEXT`);
    expect(await count(page, '#movements li')).toBeGreaterThan(0);
    expect(await count(page, '#movements li')).toBeLessThanOrEqual(3);
    // Tiles: NPS and CSAT with their interval and n, as text; only all users' shown at first.
    expect(await page.locator('.tiles:visible').count()).toBe(1);
    const nps = await page.locator('#tiles [data-tile="NPS"]').innerText();
    expect(nps).toContain(`${Math.round(data.needs!.nps.value!)}`);
    expect(nps).toContain(`95 % interval ${Math.round(data.needs!.nps.low!)} to ${Math.round(data.needs!.nps.high!)}, n ${data.needs!.nps.n.toLocaleString('en')}`);
    expect(await page.locator('#tiles [data-tile="CSAT"]').innerText()).toContain(`n ${data.needs!.csat.n.toLocaleString('en')}`);
    // One truth: no sentence says there was no drift while a drift reason stands.
    const summary = (await page.locator('#summary').innerText()) + status;
    const reasons = data.drift!.retrain.reasons.length + data.drift!.cells.filter((c) => c.population === -1 && c.drifted === true).length;
    expect(reasons).toBeGreaterThan(0);
    expect(summary).not.toMatch(/no (usage or survey column )?drift|not drifted|has not drifted/i);
    // The drift headline counts the drifted columns of all users, in words.
    const judged = data.drift!.cells.filter((c) => c.population === -1 && c.drifted !== null);
    const drifted = judged.filter((c) => c.drifted === true);
    expect(await page.locator('.drift-population[data-population="-1"] .drift-headline').innerText()).toMatch(new RegExp(`^Drift in ${drifted.length} of ${judged.length} columns for all users`));
  }, 60_000);

  it('no chart label overlaps another or leaves its chart, in English and in Chinese', async () => {
    const { page } = await open();
    for (const lang of ['en', 'zh']) {
      await page.selectOption('#lang', lang);
      const problems = await page.evaluate(() => {
        const out: string[] = [];
        for (const svg of Array.from(document.querySelectorAll('svg:not(.spark)'))) {
          const frame = svg.getBoundingClientRect();
          const texts = Array.from(svg.querySelectorAll('text')).filter((t) => (t.textContent ?? '').trim() !== '' && t.getAttribute('visibility') !== 'hidden');
          const boxes = texts.map((t) => ({ text: t.textContent!, r: t.getBoundingClientRect() }));
          for (const b of boxes) {
            if (b.r.left < frame.left - 1 || b.r.right > frame.right + 1 || b.r.top < frame.top - 1 || b.r.bottom > frame.bottom + 1) out.push(`"${b.text}" leaves its chart (${svg.parentElement?.id})`);
          }
          for (let i = 0; i < boxes.length; i++) {
            for (let j = i + 1; j < boxes.length; j++) {
              const [a, c] = [boxes[i].r, boxes[j].r];
              const w = Math.min(a.right, c.right) - Math.max(a.left, c.left);
              const h = Math.min(a.bottom, c.bottom) - Math.max(a.top, c.top);
              if (w > 1 && h > 1) out.push(`"${boxes[i].text}" overlaps "${boxes[j].text}" (${svg.parentElement?.id})`);
            }
          }
        }
        return out;
      });
      expect(problems).toEqual([]);
    }
  }, 60_000);

  it('switching language translates every heading, the first screen and the charts\' titles', async () => {
    const { page } = await open();
    // Every heading, the persona cards' names among them.
    const headings = () => page.locator('h1, h2, h3').evaluateAll((hs) => hs.filter((h) => (h as HTMLElement).offsetParent !== null).map((h) => (h as HTMLElement).innerText.trim()));
    const english = await headings();
    await page.selectOption('#lang', 'zh');
    const chinese = await headings();
    expect(chinese.length).toBeGreaterThan(8);
    const cjk = /[\u4e00-\u9fff]/;
    for (const h of chinese) if (!/^(NPS|CSAT)$/.test(h)) expect(h, `heading "${h}"`).toMatch(cjk);
    expect(chinese).not.toEqual(english);
    expect(await page.locator('#status-block').innerText()).toMatch(cjk);
    // The summary too: its Chinese sentences shown, the English ones hidden.
    expect(await page.locator('#summary-zh').isVisible()).toBe(true);
    expect(await page.locator('#summary').isVisible()).toBe(false);
    const zhSummary = await page.locator('#summary-zh li').allInnerTexts();
    expect(zhSummary.length).toBe(await page.locator('#summary li').count());
    expect(zhSummary.some((line) => line.startsWith('全部用户中机会值最高（最未被满足）的需求：'))).toBe(true);
    expect(await page.locator('#opportunity-map .chart-title').textContent()).toBe('机会地图');
    await page.screenshot({ path: join(ARTIFACTS, 'report-zh-first-screen.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'report-zh.png'), fullPage: true });
  }, 60_000);

  it('the segment selector changes every filterable section (needs, Kano, drift) and says which cannot be; the label switch shows Chinese', async () => {
    const { page, data } = await open();
    const [id, name] = Object.entries(data.needs!.segment_names)[0];
    const before = { kano: await page.locator('#kano-chart').innerText(), table: await page.locator('#opportunity-table').innerText() };
    await page.selectOption('#segment-select', { label: name });
    const rows = data.needs!.rows.filter((r) => r.segment === Number(id) && r.importance !== null && r.satisfaction !== null);
    expect(await count(page, '#opportunity-map .mark-need')).toBe(rows.length);
    expect(await page.locator('#opportunity-table').innerText()).not.toBe(before.table);
    expect(await count(page, '#kano-chart .mark-kano')).toBe(data.needs!.rows.filter((r) => r.segment === Number(id) && r.kano.category !== null).length);
    // The drift table shown is the segment's.
    const visible = page.locator('.drift-population:visible');
    expect(await visible.count()).toBe(1);
    expect(await visible.getAttribute('data-population')).toBe(id);
    expect(await visible.locator('.drift-headline').innerText()).toContain(`for ${name}`);
    expect(await page.locator('#segment-scope').innerText()).toContain('always for all users');
    // The NPS tile is the segment's, with its own interval and n.
    const seg = data.needs!.by_segment!.find((x) => x.segment === Number(id))!;
    const tiles = page.locator('.tiles:visible');
    expect(await tiles.count()).toBe(1);
    expect(await tiles.locator('[data-tile^="NPS"]').innerText()).toContain(`95 % interval ${Math.round(seg.nps.low!)} to ${Math.round(seg.nps.high!)}, n ${seg.nps.n.toLocaleString('en')}`);
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
    expect(await table.locator('tr.worst td').first().innerText()).toBe(`${plan.worst} (worst served)`);
    expect(await table.locator('tr.worst td').nth(3).textContent()).toBe(`${(100 * worst.accuracy!).toFixed(1)} % (${(100 * worst.low!).toFixed(1)} %–${(100 * worst.high!).toFixed(1)} %)`);
    expect(await page.locator('#fairness').innerText()).toContain(`Largest gap: ${(100 * plan.gap!).toFixed(1)} % between the best- and worst-served groups (production: `);
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
    expect(await page.locator('#drift-tables').textContent()).not.toContain(smallest.name);
    const summary = await page.locator('#summary').textContent();
    expect(summary).toContain(`${smallest.name} (fewer than ${k})`);
    expect(summary).not.toContain(`${smallest.name} (${smallest.size})`);
    expect(data.needs!.rows.every((r) => r.n >= k)).toBe(true);
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'report-withheld.png'), fullPage: true });
  }, 60_000);
});

