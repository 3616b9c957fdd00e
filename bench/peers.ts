/**
 * bench/peers — needloop beside the tools a team would pick instead, on the same data, in
 * one run (issue 35). The peers run in a virtual environment of their own, which the bench
 * installs from bench/peers/requirements.txt (pinned) the first time; they are never a
 * dependency of needloop.
 *
 * 1. Drift: one night's windows (28 days of reference, 7 current; 80 % / 20 % of the rows)
 *    of 20 columns (10 numeric, 10 categorical, half of each shifting), at each size.
 *    needloop: the windows summarised in Postgres (tableColumnDrift, as `needloop drift`),
 *    the data stored already as in production. Evidently: DataDriftPreset on the same rows
 *    read from CSV; NannyML: UnivariateDriftCalculator (KS, Jensen–Shannon, Wasserstein;
 *    chi-square, Jensen–Shannon), chunks of the current window's size, so that its
 *    thresholds come from the reference's four weeks. Wall time (the peers' CSV reading
 *    apart), peak memory, and agreement of the per-column verdicts; the statistics that are
 *    the same by definition are compared value by value.
 * 2. Performance without labels: the simulated nights of `emerging-need` and
 *    `vocabulary-shift` (`simulate`, 2,000 users, 12 nights), each day's answers as
 *    production served them (calibrated top probability, and whether the answer was the
 *    user's true need). Per model version: its first two nights served, with their realised
 *    labels, are the reference; every later night it served is estimated without labels.
 *    needloop: `estimateAccuracy` (an isotonic reliability curve, `fitReliability`); NannyML: CBPE
 *    on the same answers as a binary problem (is the answer right), fitted on the same
 *    reference. Also needloop's calibrated confidence alone, with no reference labels at all.
 *    Errors: mean absolute difference from the realised accuracy, over the estimated nights.
 * 3. The classifier: scikit-learn's LogisticRegression and LinearSVC on word 1–2-gram and
 *    character 2–5-gram TF-IDF, beside needloop's first model, on BANKING77.
 * 4. The report: size and time to load in Chromium of Evidently's HTML report for the drift
 *    above, and of needloop's run report (bench/report's 200,000-event demo, when there).
 *
 *   node bin/run-ts.js bench/peers.ts [--sizes 200000,2000000] [--skip-classifier] [--skip-estimate] [--nights 12] [--needloop-report FILE] [--json]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import pgCopy from 'pg-copy-streams';
import { chromium } from 'playwright-core';
import { tableColumnDrift } from '../activities/drift-populations.js';
import { classificationMetrics, datasetDrift, estimateAccuracy, fitReliability, type ColumnDrift } from '../analytics/index.js';
import { loadConfig } from '../config.js';
import { loadCatalogue } from '../db/need-catalogue.js';
import type { DriftColumn, DriftTable } from '../db/queries/drift-windows.js';
import { selectBackend } from '../models/backend.js';
import { simulate, type ServedAnswer } from '../scenarios/simulate.js';
import { benchServer, log, machine, readBanking77, report, timed } from './bench-kit.js';
import { needloopOn } from './needloop-banking77.js';

const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const SIZES = (arg('--sizes') ?? '200000,2000000').split(',').map(Number);
const NUMERIC = 10;
const CATEGORICAL = 10;
const work = join('.needloop', 'bench', 'peers');
const ESTIMATE_NIGHTS = Number(arg('--nights') ?? 12);
/** Nights of a model's serving, with their realised labels, that the label-free estimates are fitted on. */
const REFERENCE_NIGHTS = 2;
const venv = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'needloop-bench', 'peers-venv');
const python = join(venv, 'bin', 'python');
const PEERS_PY = resolve('bench', 'peers', 'peers.py');

/** The peers' virtual environment, made and filled from the pinned requirements when missing. */
function ensurePeers(): void {
  const ready = existsSync(python) && spawnSync(python, ['-c', 'import evidently, nannyml, sklearn'], { stdio: 'ignore' }).status === 0;
  if (ready) return;
  log(`installing the peers (bench/peers/requirements.txt) into ${venv}…`);
  execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(join(venv, 'bin', 'pip'), ['install', '-q', '--disable-pip-version-check', '-r', resolve('bench', 'peers', 'requirements.txt')], { stdio: 'inherit' });
}

interface PeerColumn { method: string; value: number; threshold?: number; drifted: boolean; methods?: Record<string, { value: number; alert: boolean }> }
interface PeerDrift { tool: string; load_seconds: number; seconds: number; peak_mb: number; columns: Record<string, PeerColumn>; html_seconds?: number | null }

function peer(args: string[]): { out: PeerDrift; wall: number } {
  const start = process.hrtime.bigint();
  const run = spawnSync(python, [PEERS_PY, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`peers.py ${args[0]} ${args[1]} failed: ${run.stderr.slice(-2000)}`);
  return { out: JSON.parse(run.stdout.trim().split('\n').at(-1)!) as PeerDrift, wall: Number(process.hrtime.bigint() - start) / 1e9 };
}

const columns: DriftColumn[] = [
  ...Array.from({ length: NUMERIC }, (_, i): DriftColumn => ({ name: `n${i}`, type: 'numeric', expression: `t.n${i}` })),
  ...Array.from({ length: CATEGORICAL }, (_, i): DriftColumn => ({ name: `c${i}`, type: 'categorical', expression: `t.c${i}` })),
];
const spec: DriftTable = { table: 'bench_events', time: 'ts', key: 'event_id', user: 'user_id', columns };
const reference = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-29T00:00:00Z') };
const current = { from: reference.to, to: new Date('2026-02-05T00:00:00Z') };
const numericNames = columns.filter((c) => c.type === 'numeric').map((c) => c.name);
const categoricalNames = columns.filter((c) => c.type === 'categorical').map((c) => c.name);

const share = (xs: boolean[]) => xs.filter(Boolean).length / Math.max(1, xs.length);
/** The absolute difference of two values of one statistic (relative ones mean nothing near 0, where columns that did not drift sit). */
const absDiff = (a: number | null, b: number | null | undefined) => (a === null || b === null || b === undefined ? null : Math.abs(a - b));
const median = (xs: (number | null)[]) => {
  const v = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
  return v.length === 0 ? null : v[Math.floor(v.length / 2)];
};

await mkdir(work, { recursive: true });
ensurePeers();
const bench = await benchServer();
const driftRows: Record<string, string | number>[] = [];
const finals: Record<string, number | null> = {};
let evidentlyHtml: string | null = null;
try {
  for (const size of SIZES) {
    const [nRef, nCur] = [Math.round(size * 0.8), Math.round(size * 0.2)];
    const handle = await bench.database(`peers_${size}`);
    log(`drift: ${nRef} reference + ${nCur} current rows × ${columns.length} columns…`);
    const numericDefs = Array.from({ length: NUMERIC }, (_, i) => `round(((random() + random() + random()) * ${10 + i} + case when cur and ${i} % 2 = 0 then ${(i + 1) * 0.4} else 0 end)::numeric, 3)::float8 as n${i}`);
    const categoricalDefs = Array.from({ length: CATEGORICAL }, (_, i) => `chr(65 + floor(power(random(), case when cur and ${i} % 2 = 0 then 1.3 else 1 end) * ${3 + i})::int) as c${i}`);
    await sql`select setseed(0.42)`.execute(handle.db);
    await sql.raw(`
      create table bench_events as
      select md5(g::text) as event_id, 'u' || (g % 50000) as user_id,
             case when cur then timestamptz '2026-01-29' + ((g - ${nRef})::float8 / ${nCur + 1}) * interval '7 days'
                  else timestamptz '2026-01-01' + (g::float8 / ${nRef + 1}) * interval '28 days' end as ts,
             ${[...numericDefs, ...categoricalDefs].join(',\n             ')}
        from generate_series(1, ${nRef + nCur}) g, lateral (select g > ${nRef} as cur) w`).execute(handle.db);
    await sql`create index on bench_events using brin (ts)`.execute(handle.db);
    await sql`vacuum analyze bench_events`.execute(handle.db);

    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
    const ours = await timed(async () => datasetDrift(await tableColumnDrift(handle, spec, { window: reference }, { window: current })));
    clearInterval(sampler);

    // The same rows as the peers read them.
    const files = { ref: join(work, `ref-${size}.csv`), cur: join(work, `cur-${size}.csv`) };
    for (const [file, window] of [[files.ref, reference], [files.cur, current]] as const) {
      const client = await handle.pool.connect();
      try {
        const q = `COPY (select ${columns.map((c) => c.name).join(', ')} from bench_events where ts >= '${window.from.toISOString()}' and ts < '${window.to.toISOString()}') TO STDOUT WITH (FORMAT csv, HEADER true)`;
        await pipeline(client.query(pgCopy.to(q)), createWriteStream(file));
      } finally {
        client.release();
      }
    }
    const html = join(work, `evidently-${size}.html`);
    log('  Evidently DataDriftPreset…');
    const ev = peer(['drift', 'evidently', files.ref, files.cur, numericNames.join(','), categoricalNames.join(','), '--html', html]);
    log('  NannyML UnivariateDriftCalculator…');
    const nm = peer(['drift', 'nannyml', files.ref, files.cur, numericNames.join(','), categoricalNames.join(','), '--chunk-size', String(nCur)]);
    if (evidentlyHtml === null || size <= 200_000) evidentlyHtml = html;

    const cols = ours.result.columns as ColumnDrift[];
    const agreeEv = share(cols.map((c) => c.drifted === ev.out.columns[c.column].drifted));
    const agreeNm = share(cols.map((c) => c.drifted === nm.out.columns[c.column].drifted));
    // The statistics defined alike: Wasserstein ÷ reference sd (Evidently's numeric default), KS D and chi-square (NannyML's).
    const wassersteinDiff = median(cols.filter((c) => c.type === 'numeric').map((c) => absDiff(c.wasserstein_norm, ev.out.columns[c.column].value)));
    const ksDiff = median(cols.filter((c) => c.type === 'numeric').map((c) => absDiff(c.ks_d, nm.out.columns[c.column].methods?.kolmogorov_smirnov.value)));
    // Jensen–Shannon distance: needloop's is base 2, Evidently's (scipy's default) base e, √ln 2 apart.
    const jsDiff = median(cols.filter((c) => c.type === 'categorical').map((c) => absDiff(c.js === null ? null : c.js * Math.sqrt(Math.LN2), ev.out.columns[c.column].value)));
    const numericAgree = share(cols.filter((c) => c.type === 'numeric').map((c) => c.drifted === ev.out.columns[c.column].drifted));
    const chi2Diff = median(cols.filter((c) => c.type === 'categorical').map((c) => absDiff(c.chi2, nm.out.columns[c.column].methods?.chi2.value)));
    const evVerdicts = cols.filter((c) => c.drifted !== ev.out.columns[c.column].drifted)
      .map((c) => `${c.column} needloop ${c.type === 'numeric' ? `W/sd ${c.wasserstein_norm?.toFixed(3)}` : `JS ${c.js?.toFixed(3)}`} ${c.drifted ? 'drifted' : 'not'}, Evidently ${ev.out.columns[c.column].method} ${ev.out.columns[c.column].value.toFixed(3)} ${ev.out.columns[c.column].drifted ? 'drifted' : 'not'}`).join('; ');
    log(`  needloop ${ours.seconds.toFixed(2)} s, Evidently ${ev.out.seconds.toFixed(2)} s (+${ev.out.load_seconds.toFixed(2)} s reading), NannyML ${nm.out.seconds.toFixed(2)} s (+${nm.out.load_seconds.toFixed(2)} s); agreement ${agreeEv.toFixed(2)} / ${agreeNm.toFixed(2)}${evVerdicts === '' ? '' : `; differing: ${evVerdicts}`}`);
    driftRows.push(
      { rows: size, tool: 'needloop (Postgres summaries)', seconds: ours.seconds.toFixed(2), read_seconds: '0 (stored)', peak_mb: `${Math.round(rssPeak / 1048576)} (node RSS; Postgres apart)`, drifted: cols.filter((c) => c.drifted).length, agreement: '–', same_statistic_median_abs_diff: '–' },
      { rows: size, tool: 'Evidently DataDriftPreset', seconds: ev.out.seconds.toFixed(2), read_seconds: ev.out.load_seconds.toFixed(2), peak_mb: Math.round(ev.out.peak_mb), drifted: Object.values(ev.out.columns).filter((c) => c.drifted).length, agreement: agreeEv.toFixed(2), same_statistic_median_abs_diff: `W/sd ${wassersteinDiff?.toExponential(1) ?? '–'}; JS ×√ln2 ${jsDiff?.toExponential(1) ?? '–'}; numeric agreement ${numericAgree.toFixed(2)}` },
      { rows: size, tool: 'NannyML univariate (KS / chi2 alert)', seconds: nm.out.seconds.toFixed(2), read_seconds: nm.out.load_seconds.toFixed(2), peak_mb: Math.round(nm.out.peak_mb), drifted: Object.values(nm.out.columns).filter((c) => c.drifted).length, agreement: agreeNm.toFixed(2), same_statistic_median_abs_diff: `KS D ${ksDiff?.toExponential(1) ?? '–'}, chi2 ${chi2Diff?.toExponential(1) ?? '–'}` },
    );
    // The figures for tools: at the largest size, the peers' compute time (their CSV reading apart) over needloop's.
    finals.drift_speed_vs_evidently = ev.out.seconds / ours.seconds;
    finals.drift_speed_vs_nannyml = nm.out.seconds / ours.seconds;
    finals.drift_agreement_evidently = agreeEv;
    finals.drift_agreement_evidently_same_statistic = numericAgree;
    finals.drift_agreement_nannyml = agreeNm;
  }

  // 2. Performance without labels.
  const estimates: Record<string, string | number>[] = [];
  if (!process.argv.includes('--skip-estimate')) {
    await selectBackend(null);
    const errors = { needloop: [] as number[], unlabelled: [] as number[], nannyml: [] as number[] };
    let cbpeSeconds = 0;
    for (const scenario of ['emerging-need', 'vocabulary-shift'] as const) {
      log(`performance without labels: simulate ${scenario}, ${ESTIMATE_NIGHTS} nights…`);
      const dir = join(work, `estimate-${scenario}`);
      const handle = await bench.database(`peers_estimate_${scenario.replace('-', '_')}`);
      const config = loadConfig({ DATABASE_URL: handle.url, NEEDLOOP_HOME: dir, NEEDLOOP_REPORTS_DIR: join(dir, 'reports'), NEEDLOOP_MODELS_DIR: join(dir, `models-${Date.now()}`) });
      const served = new Map<number, ServedAnswer[]>();
      await simulate({ handle, config, catalogue: loadCatalogue(null) }, {
        scenario, nights: ESTIMATE_NIGHTS, users: 2000, seed: 'peers', approve: 'auto', workDir: join(dir, 'simulation'), onServed: (night, answers) => served.set(night, answers),
      });
      // Each model version's nights, in order: the first REFERENCE_NIGHTS are its reference.
      const byModel = new Map<string, number[]>();
      for (const [night, answers] of [...served].sort((a, b) => a[0] - b[0])) if (answers.length > 0) byModel.set(answers[0].model, [...(byModel.get(answers[0].model) ?? []), night]);
      for (const [model, nights] of byModel) {
        const [refNights, anaNights] = [nights.slice(0, REFERENCE_NIGHTS), nights.slice(REFERENCE_NIGHTS)];
        if (anaNights.length === 0) continue;
        const ref = refNights.flatMap((n) => served.get(n)!);
        const curve = fitReliability(ref.map((a) => a.confidence), ref.map((a) => a.correct));
        const csv = (ns: number[]) => `night,confidence,correct\n${ns.flatMap((n) => served.get(n)!.map((a) => `${n},${a.confidence},${a.correct ? 1 : 0}`)).join('\n')}\n`;
        const [refFile, anaFile] = [join(dir, `cbpe-ref-${model}.csv`), join(dir, `cbpe-ana-${model}.csv`)];
        await writeFile(refFile, csv(refNights));
        await writeFile(anaFile, csv(anaNights));
        const run = spawnSync(python, [PEERS_PY, 'cbpe', refFile, anaFile], { encoding: 'utf8', maxBuffer: 16 << 20 });
        if (run.status !== 0) throw new Error(`peers.py cbpe failed: ${run.stderr.slice(-2000)}`);
        const cbpe = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { cbpe: Record<string, number>; seconds: number };
        cbpeSeconds += cbpe.seconds;
        for (const night of anaNights) {
          const answers = served.get(night)!;
          const realised = share(answers.map((a) => a.correct));
          const ours = estimateAccuracy(curve, answers.map((a) => a.confidence))!;
          const unlabelled = answers.reduce((s, a) => s + a.confidence, 0) / answers.length;
          const theirs = cbpe.cbpe[String(night)];
          errors.needloop.push(Math.abs(ours - realised));
          errors.unlabelled.push(Math.abs(unlabelled - realised));
          if (theirs !== undefined) errors.nannyml.push(Math.abs(theirs - realised));
          estimates.push({
            scenario, night, model, requests: answers.length, realised: realised.toFixed(3), needloop: ours.toFixed(3), nannyml_cbpe: theirs === undefined ? '–' : theirs.toFixed(3),
            needloop_confidence_alone: unlabelled.toFixed(3), reference_nights: refNights.join('+'),
          });
        }
      }
    }
    const mae = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
    finals.estimate_error_needloop = mae(errors.needloop);
    finals.estimate_error_nannyml = mae(errors.nannyml);
    finals.estimate_error_needloop_confidence_alone = mae(errors.unlabelled);
    const worst = (xs: number[]) => (xs.length === 0 ? '–' : Math.max(...xs).toFixed(3));
    log(`  mean absolute error: needloop ${finals.estimate_error_needloop?.toFixed(4)} (worst ${worst(errors.needloop)}), NannyML CBPE ${finals.estimate_error_nannyml?.toFixed(4)} (worst ${worst(errors.nannyml)}; ${cbpeSeconds.toFixed(1)} s), needloop's confidence alone ${finals.estimate_error_needloop_confidence_alone?.toFixed(4)} (worst ${worst(errors.unlabelled)})`);
  }

  // 4. The report.
  const reports: Record<string, string | number>[] = [];
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const loadTime = async (file: string) => {
      const page = await browser.newPage();
      const start = Date.now();
      await page.goto(`file://${resolve(file)}`, { waitUntil: 'load', timeout: 120_000 });
      const ms = Date.now() - start;
      await page.close();
      return ms;
    };
    if (evidentlyHtml !== null) reports.push({ report: `Evidently HTML, drift of ${SIZES[0]} rows`, mb: ((await stat(evidentlyHtml)).size / 1048576).toFixed(2), load_ms: await loadTime(evidentlyHtml) });
    // needloop's report of a night: the one given, or the newest of bench/report's demo, or npm start's.
    const demo = join('.needloop', 'bench', 'pipeline', 'reports');
    const newest = existsSync(demo) ? (await readdir(demo)).filter((f) => /^run-\d+\.html$/.test(f)).sort().at(-1) : undefined;
    const ours = arg('--needloop-report') ?? (newest === undefined ? (existsSync(join('reports', 'latest.html')) ? join('reports', 'latest.html') : undefined) : join(demo, newest));
    if (ours !== undefined) reports.push({ report: `needloop run report ${ours} (a whole night: drift, needs, model, timeline; another night's data)`, mb: ((await stat(ours)).size / 1048576).toFixed(2), load_ms: await loadTime(ours) });
  } finally {
    await browser.close();
  }

  // 3. The classifier.
  const classifier: Record<string, string | number>[] = [];
  if (!process.argv.includes('--skip-classifier')) {
    log('BANKING77: scikit-learn on TF-IDF, and needloop…');
    const [train, test] = [await readBanking77('train.csv'), await readBanking77('test.csv')];
    const dir = join(work, 'banking77');
    await mkdir(dir, { recursive: true });
    const csv = (rows: { text: string; intent: string }[]) => `text,category\n${rows.map((r) => `"${r.text.replaceAll('"', '""')}",${r.intent}`).join('\n')}\n`;
    await writeFile(join(dir, 'train.csv'), csv(train));
    await writeFile(join(dir, 'test.csv'), csv(test));
    const run = spawnSync(python, [PEERS_PY, 'classify', join(dir, 'train.csv'), join(dir, 'test.csv')], { encoding: 'utf8', maxBuffer: 16 << 20 });
    if (run.status !== 0) throw new Error(`peers.py classify failed: ${run.stderr.slice(-2000)}`);
    const sk = (JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { classify: Record<string, { accuracy: number; samples_per_second: number; requests_per_second: number; train_seconds: number }> }).classify;
    await selectBackend(null);
    const ours = await needloopOn(train, test);
    const accuracy = classificationMetrics(test.map((e, i) => ({ predicted: ours.test[i].intent, actual: e.intent, count: 1 }))).accuracy!;
    const best = Math.max(...Object.values(sk).map((r) => r.accuracy));
    classifier.push({ model: 'needloop (first model, pure-JS CPU)', accuracy: accuracy.toFixed(3), train_seconds: ours.seconds.toFixed(1), samples_per_s: Math.round(ours.samplesPerSecond), vs_best_sklearn: (accuracy / best).toFixed(3) });
    for (const [name, r] of Object.entries(sk)) classifier.push({ model: `scikit-learn ${name}, word+char TF-IDF`, accuracy: r.accuracy.toFixed(3), train_seconds: r.train_seconds.toFixed(1), samples_per_s: Math.round(r.samples_per_second), vs_best_sklearn: (r.accuracy / best).toFixed(3), requests_per_s: Math.round(r.requests_per_second) });
    finals.accuracy_vs_sklearn = accuracy / best;
  }

  if (estimates.length > 0) report('bench/peers: accuracy estimated without labels, per night', estimates, { reference: `each model's first ${REFERENCE_NIGHTS} nights served, with their realised labels` });
  if (reports.length > 0) report('bench/peers: reports', reports, {});
  if (classifier.length > 0) report('bench/peers: classifier on BANKING77', classifier, {});
  report('bench/peers: drift', driftRows, { machine: machine(), sizes: SIZES, ...finals });
  const order = ['drift_speed_vs_evidently', 'drift_speed_vs_nannyml', 'drift_agreement_evidently', 'drift_agreement_evidently_same_statistic', 'drift_agreement_nannyml', 'estimate_error_needloop', 'estimate_error_nannyml', 'estimate_error_needloop_confidence_alone', 'accuracy_vs_sklearn'];
  for (const k of order) process.stdout.write(`${k}: ${finals[k] === null || finals[k] === undefined ? 'not measured' : finals[k]!.toFixed(k.startsWith('estimate_error') ? 4 : 3)}\n`);
} finally {
  await bench.stop();
}
process.exit(0);
