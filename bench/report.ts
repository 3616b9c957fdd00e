/**
 * bench/report — the size of a run's report and its time to render in Chromium, for the
 * 200,000-event demo (the data bench/pipeline generates), next to the same page with no
 * data (d3 and the page alone) measured in the same run.
 *
 *   node bin/run-ts.js bench/report.ts [--json]
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { createActivities } from '../activities/pipeline-activities.js';
import { loadConfig } from '../config.js';
import { loadCatalogue } from '../db/need-catalogue.js';
import { selectBackend } from '../models/backend.js';
import { ModelStore } from '../models/model-store.js';
import { generateScenario } from '../scenarios/generate.js';
import { renderReport, type ReportData } from '../web/report.js';
import { runLocally } from '../workflows/local-runner.js';
import { benchServer, log, report } from './bench-kit.js';

const catalogue = loadCatalogue(null);
const dir = join('.needloop', 'bench', 'pipeline');
const inbox = join(dir, 'inbox');
if (!existsSync(join(inbox, 'usage.jsonl'))) {
  log(`generating the 200,000-event demo in ${inbox}…`);
  await generateScenario({ outDir: inbox, catalogue, users: 20_000, days: 60, events: 200_000, seed: 'bench-pipeline', scenario: 'emerging-need' });
}
await selectBackend(null);
const bench = await benchServer();
let reportFile: string;
try {
  const handle = await bench.database('report');
  const config = loadConfig({ DATABASE_URL: handle.url, NEEDLOOP_HOME: dir, NEEDLOOP_REPORTS_DIR: join(dir, 'reports'), NEEDLOOP_MODELS_DIR: join(dir, `models-${Date.now()}`) });
  log('running the pipeline on the demo to get its report…');
  const run = await runLocally(createActivities({ handle, config, store: new ModelStore(config.modelsDir), catalogue }), { inbox, approvalTimeoutMs: config.approvalTimeoutMs, seed: 1 });
  reportFile = run.results.report!.path;
} finally {
  await bench.stop();
}
const html = await readFile(reportFile, 'utf8');
const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]) as ReportData;
const emptyFile = join(dir, 'reports', 'empty.html');
await writeFile(emptyFile, renderReport({ ...data, summary: [], needs: null, segments: null, drift: null, model: null }));

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
/** Milliseconds from navigation start to the charts drawn; the median of 5 loads. */
async function renderTime(file: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await page.goto(`file://${resolve(file)}`);
    await page.waitForSelector('body[data-rendered="true"]');
    times.push(await page.evaluate(() => performance.now()));
    await page.close();
  }
  return times.sort((a, b) => a - b)[2];
}
const baseline = await renderTime(emptyFile);
const full = await renderTime(reportFile);
await browser.close();
const size = Buffer.byteLength(html);
report('bench/report', [
  { page: 'the same page with no data (baseline)', bytes: Buffer.byteLength(await readFile(emptyFile, 'utf8')), render_ms: Math.round(baseline) },
  { page: `report of the 200,000-event demo (${data.drift?.cells.length ?? 0} drift cells)`, bytes: size, render_ms: Math.round(full) },
], { size_mb: size / 2 ** 20, ratio_render: full / baseline, target: 'under 2 MB and 1.5 s' });
process.exit(0);
