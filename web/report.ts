/**
 * The run report: one self-contained HTML file — d3 inlined, the data embedded as JSON,
 * the charts drawn in the browser by report-client.js — viewable from disk with no
 * network. User text is only ever put on the page as text: the server-side parts are
 * escaped, and the client sets textContent, never innerHTML.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import type { ModelDecision, TimelineNight } from '../db/queries/loop-timeline.js';
import type { PendingDecisions } from '../db/queries/pending-decisions.js';
import type { AttributeFairness } from '../models/fairness.js';
import type { Signal } from './signals.js';
import { briefingSection, driftTables } from './briefing.js';
import { CLI } from './decision-words.js';
import { escapeHtml, t } from './html.js';

export interface SliceView {
  dimension: string;
  value: string;
  n: number;
  accuracy: number;
  macro_f1: number;
}

export interface EvaluationView {
  holdout: {
    n: number; accuracy: number | null; macro_f1: number | null; ece: number | null; slices: SliceView[];
    confusion: { labels: string[]; matrix: number[][] };
    per_intent: { label: string; precision: number; recall: number; f1: number; support: number }[];
    /** Accuracy per group of users, per attribute (models/fairness.ts); absent in evaluations from before. */
    fairness?: AttributeFairness[];
    /** Expected calibration error's bins: requests, mean confidence and share right per 0.1 of confidence. */
    calibration?: { from: number; n: number; confidence: number | null; accuracy: number | null }[];
  };
  golden: { n: number; accuracy: number | null };
  latency: { p50_ms: number; p95_ms: number };
}

export interface Interval {
  value: number | null;
  low: number | null;
  high: number | null;
  n: number;
}

export interface ReportData {
  run_id: string;
  generated_at: string;
  summary: string[];
  /** The same sentences in Chinese (absent in reports from before). */
  summary_zh?: string[];
  /** Each segment's persona name in Chinese, by segment id (absent in reports from before). */
  segment_names_zh?: Record<number, string>;
  labels: Record<string, { en: string; zh: string }>;
  needs: {
    window: { from: string; to: string };
    segment_names: Record<number, string>;
    /** opportunity_low/high: its 95 % interval (absent in reports from before). */
    rows: { need: string; segment: number | null; n: number; importance: number | null; satisfaction: number | null; opportunity: number | null; opportunity_low?: number | null; opportunity_high?: number | null; kano: { category: string | null; better: number | null; worse: number | null } }[];
    experience: { week: string; nps: Interval; csat: Interval }[];
    /** NPS and CSAT of each segment over the window (absent in reports from before). */
    by_segment?: { segment: number; nps: Interval; csat: Interval }[];
    nps: Interval;
    csat: Interval;
    growing_terms: { term: string; count: number }[];
    recent_comments: string[];
  } | null;
  /**
   * previous_size: the size of the persona this segment continues in the segmentation before,
   * matched by the users they share (null: new, or none before); previous_name: its name
   * then, when it was renamed (absent in reports from before).
   */
  segments: { id: number; name: string; size: number; previous_size?: number | null; previous_name?: string | null; previous_name_zh?: string | null; previous_withheld?: boolean; distinctive: { feature: string; z: number }[] }[] | null;
  drift: {
    reference: unknown;
    current: unknown;
    populations: { id: number; name: string; dataset_drift: boolean }[];
    cells: { column: string; population: number; drifted: boolean | null; method: string | null; strength: number | null; score?: number | null; threshold?: number | null; reason: string; histogram: { bins: string[]; reference: number[]; current: number[] } | null }[];
    text: { js: number; new_terms: { term: string; count: number }[]; grown_terms: { term: string; count: number }[] } | null;
    emerging_needs: { need: string; current: number; examples: string[] }[];
    retrain: { retrain: boolean; reasons: { kind: string; message: string }[] };
  } | null;
  model: {
    candidate_id: string;
    production_id: string | null;
    status: string;
    blessed: boolean;
    reasons: string[];
    /** The reasons in Chinese (web/zh-text.ts); absent in reports from before. */
    reasons_zh?: string[];
    candidate: EvaluationView;
    production: EvaluationView | null;
    curve: { epoch: number; loss: number; validation_loss: number | null; validation_accuracy: number | null }[];
  } | null;
  /**
   * Requests the serving model found to be none of its needs, per day of the four weeks up
   * to the run's data, and the newest of them: a PM's first hint of a need nobody named.
   * Null when no logged prediction says (logs from before models could).
   */
  out_of_scope: {
    /** The end of the four weeks. */
    to: string;
    days: { date: string; answered: number; flagged: number }[];
    examples: { ts: string; text: string; guess: string | null; confidence: number | null }[];
  } | null;
  /**
   * Needs nobody has named yet: every open candidate of discovery (the ones `needloop needs
   * candidates` lists), tonight's first, most promising first; `tonight`: seen by this run.
   */
  unnamed_needs: {
    id: string; label: string; size: number; users: number; previous_size: number; growth: number | null; growth_p: number | null; opportunity: number;
    first_seen: string; last_seen?: string; tonight?: boolean; nights: number; examples: string[]; by_plan: Record<string, number>; experience: { failure_rate: number; abandon_rate: number; mean_rating: number | null };
  }[];
  /** What waits for a decision as this report is written (db/queries/pending-decisions.ts); absent in reports from before. */
  pending?: PendingDecisions;
  /** The strongest signals, ranked by effect over uncertainty (web/signals.ts); absent in reports from before. */
  signals?: Signal[];
  /** Groups too small to show (fewer than `min_group` users), and what was withheld of them. */
  privacy: { min_group: number; withheld: string[]; withheld_zh?: string[] };
  /** Every run up to this one, night by night: what users got, what the loop did, and the decisions on the registry. */
  timeline: (TimelineNight & { reasons_zh?: string[] })[];
  /** The first screen (web/briefing.ts); absent in reports from before. */
  briefing?: {
    windows: { usage: { from: string; to: string } | null; reference: { from: string; to: string } | null; survey: { from: string; to: string } | null };
    previous_run: { id: string; started_at: string } | null;
    new_data: { loaded: { file: string; rows: number }[]; failed: { file: string; error: string }[] };
    /** The model the previous report said served, the one serving now, and the registry's decisions since the previous run began. */
    serving: { before: string | null; now: string | null; changes: ModelDecision[] };
    decision: { retrain: boolean; reasons: string[] } | null;
    verdict: { en: string; zh: string } | null;
    approval: { kind: string; by?: string; deadline?: string } | null;
    tiles: { nps: Interval & { previous: Interval | null; same_window: boolean }; csat: Interval & { previous: Interval | null; same_window: boolean } } | null;
  };
  /** How long each step of the run took so far (the report's own step is still running); absent in reports from before. */
  steps?: { step: string; seconds: number | null }[];
}

export { escapeHtml } from './html.js';

/** JSON that is safe inside <script type="application/json">: it cannot close the element. */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const require = createRequire(import.meta.url);
/** d3's package folder (its exports map hides dist/ from require.resolve). */
function d3Root(): string {
  const main = require.resolve('d3');
  const marker = `${sep}node_modules${sep}d3${sep}`;
  return main.slice(0, main.lastIndexOf(marker) + marker.length);
}
let assets: { d3: string; client: string; css: string } | null = null;
function loadAssets() {
  assets ??= {
    d3: readFileSync(join(d3Root(), 'dist', 'd3.min.js'), 'utf8'),
    client: readFileSync(new URL('./report-client.js', import.meta.url), 'utf8'),
    css: readFileSync(new URL('./report.css', import.meta.url), 'utf8'),
  };
  return assets;
}

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)} %`);

/**
 * The fairness table, for a PM: per attribute of users, each group's accuracy with its
 * 95 % interval and recall, production's accuracy beside it, the worst-served group and the
 * gap; groups too small to show say so instead of a figure.
 */
export function fairnessTable(model: ReportData['model'], minGroup: number): string {
  const candidate = model?.candidate.holdout.fairness ?? [];
  if (candidate.length === 0) return `<p class="empty">${t('No attribute of users (plan, country, age band, gender) has two groups in the holdout: nothing to compare.', '保留集中没有任何用户属性（套餐、国家、年龄段、性别）有两个群体：无可比较。')}</p>`;
  const production = model?.production?.holdout.fairness ?? [];
  return candidate.map((a) => {
    const prod = production.find((p) => p.attribute === a.attribute);
    const rows = a.groups.map((g) => {
      const p = prod?.groups.find((x) => x.value === g.value);
      if (g.withheld) return `<tr class="withheld"><td>${escapeHtml(g.value)}</td><td colspan="5">${t(`fewer than ${minGroup} users: withheld`, `少于 ${minGroup} 位用户：隐去`)}</td></tr>`;
      return `<tr${a.worst === g.value ? ' class="worst"' : ''}><td>${escapeHtml(g.value)}${a.worst === g.value ? ` <strong>${t('(worst served)', '（服务最差）')}</strong>` : ''}</td><td>${g.users}</td><td>${g.requests}</td><td>${pct(g.accuracy)} <span class="ci">(${pct(g.low)}–${pct(g.high)})</span></td><td>${pct(g.recall)}</td><td>${p === undefined || p.withheld ? '–' : pct(p.accuracy)}</td></tr>`;
    }).join('');
    const prodGap = prod?.gap === null || prod === undefined ? null : prod.gap;
    const gap = a.gap === null ? '' : `<p>${t(`Largest gap: ${pct(a.gap)} between the best- and worst-served groups${prodGap === null ? '' : ` (production: ${pct(prodGap)})`}.`, `最大差距：服务最好与最差的群体之间相差 ${pct(a.gap)}${prodGap === null ? '' : `（生产模型：${pct(prodGap)}）`}。`)}</p>`;
    const title = t(...({ plan: ['Plan', '套餐'], country: ['Country', '国家'], age_band: ['Age band', '年龄段'], gender: ['Gender', '性别'] } as Record<string, [string, string]>)[a.attribute]);
    return `<h3>${title}</h3><table class="fairness" data-attribute="${escapeHtml(a.attribute)}"><thead><tr><th>${t('group', '群体')}</th><th>${t('users', '用户')}</th><th>${t('requests', '请求')}</th><th>${t('accuracy (95 % interval)', '准确率（95 % 区间）')}</th><th>${t('recall', '召回率')}</th><th>${t("production's accuracy", '生产模型准确率')}</th></tr></thead><tbody>${rows}</tbody></table>${gap}`;
  }).join('\n');
}

/**
 * The "Needs nobody has named yet" section: every open candidate of discovery — the ones
 * `needloop needs candidates` lists — tonight's sightings first, then those last seen on
 * an earlier night; with nothing open, it says so beside the share of requests of no
 * known need, so the two never seem to disagree.
 */
export function unnamedNeedsSection(needs: ReportData['unnamed_needs'], outOfScope: ReportData['out_of_scope'] = null): string {
  if (needs.length === 0) {
    const recent = outOfScope?.days.slice(-7) ?? [];
    const [answered, flagged] = [recent.reduce((a, d) => a + d.answered, 0), recent.reduce((a, d) => a + d.flagged, 0)];
    const share = answered === 0 ? null : `${((100 * flagged) / answered).toFixed(1)} %`;
    return `<p class="empty">${t(`No candidate need is open: discovery found no group of similar requests outside the known needs large and coherent enough to propose${share === null ? '' : ` — although ${share} of the last 7 days' requests were none of the known needs (see "Requests of no known need" below)`}.`, `没有待决定的候选需求：发现步骤未找到足够大且一致的、已知需求之外的相似请求群${share === null ? '' : `——尽管最近 7 天有 ${share} 的请求不属于任何已知需求（见下方“不属于任何已知需求的请求”）`}。`)}</p>`;
  }
  const growth = (n: ReportData['unnamed_needs'][number]) => (n.growth === null
    ? t('new this week', '本周新出现')
    : t(`${n.growth >= 0 ? '+' : ''}${(100 * n.growth).toFixed(0)} % on the week before${n.growth_p !== null && n.growth_p < 0.05 ? ' (significant)' : ''}`, `较前一周 ${n.growth >= 0 ? '+' : ''}${(100 * n.growth).toFixed(0)} %${n.growth_p !== null && n.growth_p < 0.05 ? '（显著）' : ''}`));
  const seen = (n: ReportData['unnamed_needs'][number]) => (n.tonight !== false
    ? t('seen tonight', '今晚出现')
    : t(`last seen ${escapeHtml((n.last_seen ?? n.first_seen).slice(0, 10))}, not tonight`, `最近一次出现于 ${escapeHtml((n.last_seen ?? n.first_seen).slice(0, 10))}，今晚未出现`));
  const rows = needs.map((n) => `<tr class="unnamed-need" data-candidate="${escapeHtml(n.id)}" data-tonight="${String(n.tonight !== false)}"><td><strong class="quote">${escapeHtml(n.label)}</strong><br><span class="ci">${t(`candidate #${escapeHtml(n.id)}, first seen ${escapeHtml(n.first_seen.slice(0, 10))}${n.nights > 1 ? `, ${n.nights} nights` : ''}`, `候选 #${escapeHtml(n.id)}，首次出现于 ${escapeHtml(n.first_seen.slice(0, 10))}${n.nights > 1 ? `，共 ${n.nights} 晚` : ''}`)}; ${seen(n)}</span></td>
<td>${t(`${n.size} requests from ${n.users} users`, `${n.users} 位用户的 ${n.size} 个请求`)}</td><td>${growth(n)}</td>
<td>${t(`${pct(n.experience.failure_rate + n.experience.abandon_rate)} failed or abandoned${n.experience.mean_rating === null ? '' : `; rated ${n.experience.mean_rating.toFixed(1)}/5`}`, `${pct(n.experience.failure_rate + n.experience.abandon_rate)} 失败或被放弃${n.experience.mean_rating === null ? '' : `；评分 ${n.experience.mean_rating.toFixed(1)}/5`}`)}</td>
<td>${Object.entries(n.by_plan).slice(0, 3).map(([p, share]) => `${escapeHtml(p)} ${pct(share)}`).join(', ')}</td>
<td><ul>${n.examples.slice(0, 3).map((e) => `<li class="quote">${escapeHtml(e)}</li>`).join('')}</ul></td></tr>`).join('\n');
  return `<table class="fairness"><thead><tr><th>${t('candidate need', '候选需求')}</th><th>${t('size', '规模')}</th><th>${t('growth', '增长')}</th><th>${t('how they are served', '服务情况')}</th><th>${t('plans', '套餐')}</th><th>${t('examples', '示例')}</th></tr></thead><tbody>${rows}</tbody></table>
<p class="ci">${t('Adopt one', '采纳')}: <code>${CLI} needs adopt ID --as NEED_ID</code> ${t('(its requests become labelled examples for the next fine-tune); hide one', '（其请求成为下次微调的标注样本）；隐藏')}: <code>${CLI} needs dismiss ID</code>.</p>`;
}

const STEP_NAMES: Record<string, [string, string]> = {
  ingest: ['Load the inbox files', '加载收件箱文件'], segment: ['Group users into segments', '划分用户细分群体'], needs: ['Score needs', '需求评分'],
  drift: ['Check drift, look for unnamed needs', '检查漂移，寻找未命名需求'], decide: ['Decide whether to retrain', '决定是否重新训练'],
  train: ['Train a candidate model', '训练候选模型'], evaluate: ['Evaluate it against production', '与生产模型对比评估'], awaiting_approval: ['Wait for an engineer', '等待工程师'],
  promote: ['Promote or reject', '升级或拒绝'], report: ['Write this report', '撰写本报告'],
};

/** The "how long each step took" table; the wait for an engineer is not counted as work. */
export function stepsTable(steps: NonNullable<ReportData['steps']>): string {
  const done = steps.filter((s) => s.seconds !== null);
  if (done.length === 0) return `<p class="empty">${t('No step times were recorded for this run.', '本次运行没有记录步骤耗时。')}</p>`;
  const secs = (x: number) => (x < 60 ? `${x.toFixed(1)} s` : `${Math.floor(x / 60)} min ${Math.round(x % 60)} s`);
  const work = done.filter((s) => s.step !== 'awaiting_approval').reduce((sum, s) => sum + s.seconds!, 0);
  const name = (step: string) => (STEP_NAMES[step] === undefined ? escapeHtml(step) : t(...STEP_NAMES[step]));
  const rows = done.map((s) => `<tr data-step="${escapeHtml(s.step)}"><td>${name(s.step)}</td><td class="num">${secs(s.seconds!)}</td><td class="num">${s.step === 'awaiting_approval' || work === 0 ? '–' : `${Math.round((100 * s.seconds!) / work)} %`}</td></tr>`).join('');
  return `<table class="steps"><thead><tr><th>${t('step', '步骤')}</th><th>${t('time', '耗时')}</th><th>${t('share of the work', '占比')}</th></tr></thead><tbody>${rows}</tbody><tfoot><tr><td>${t(`All steps before this report${done.some((s) => s.step === 'awaiting_approval') ? ', without the wait' : ''}`, '本报告之前的所有步骤')}</td><td class="num">${secs(work)}</td><td></td></tr></tfoot></table>`;
}

export function renderReport(data: ReportData): string {
  const { d3, client, css } = loadAssets();
  const items = data.summary.map((s) => `<li>${escapeHtml(s)}</li>`).join('\n');
  const withheld = data.privacy.withheld.length === 0 ? '' : `<div id="privacy-note" class="notice"><p>${t(`Withheld to protect privacy: figures and examples of groups of fewer than ${data.privacy.min_group} users (NEEDLOOP_MIN_GROUP) are not shown.`, `为保护隐私而隐去：少于 ${data.privacy.min_group} 位用户的群体的数字和示例不予显示（NEEDLOOP_MIN_GROUP）。`)}</p><ul>${data.privacy.withheld.map((w, i) => `<li>${t(escapeHtml(w), escapeHtml(data.privacy.withheld_zh?.[i] ?? w))}</li>`).join('')}</ul></div>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>needloop — run ${escapeHtml(data.run_id)}</title>
<style>${css}</style>
</head>
<body>
<header>
<h1>${t('What users need', '用户需要什么')} — ${t('pipeline run', '流水线运行')} ${escapeHtml(data.run_id)}</h1>
<p class="meta">${t('Generated', '生成于')} ${escapeHtml(data.generated_at.slice(0, 16).replace('T', ' '))} UTC · <label>${t('Language', '语言')} <select id="lang"><option value="en">English</option><option value="zh">中文</option></select></label> · <label>${t('Segment', '细分群体')} <select id="segment-select"></select></label></p>
<p id="segment-scope" class="meta">${t('The segment filter applies to the NPS and CSAT tiles, the needs (opportunity map, its ranked table, Kano) and the drift table; the weekly NPS and CSAT charts, comments, the segments, requests of no known need, the timeline and the model are always for all users.', '细分群体筛选适用于 NPS 与 CSAT 指标卡、需求（机会地图、排序表、Kano）和漂移表；每周 NPS 与 CSAT 图、评论、细分群体、无已知需求的请求、时间线和模型始终针对全部用户。')}</p>
</header>
${briefingSection(data)}
<section id="summary-section"><h2>${t('Summary', '摘要')}</h2><ul id="summary" class="en">
${items}
</ul>${data.summary_zh === undefined ? '<p class="zh">（详细摘要以英文生成。）</p>' : `<ul id="summary-zh" class="zh" lang="zh">${data.summary_zh.map((x) => `<li>${escapeHtml(x)}</li>`).join('\n')}</ul>`}${withheld}</section>
<section id="needs-section"><h2>${t('Needs', '需求')}</h2>
<div class="row"><figure id="opportunity-map"></figure><div id="opportunity-table"></div></div>
<div id="kano-chart"></div>
<div class="row"><figure id="nps-chart"></figure><figure id="csat-chart"></figure></div>
<div id="comment-terms"></div></section>
<section id="segments-section"><h2>${t('Segments (personas)', '细分群体（用户画像）')}</h2><figure id="segments-chart"></figure><ul id="segment-features"></ul></section>
<section id="drift-section"><h2>${t('Drift: what changed in usage, the model and the surveys', '漂移：使用、模型和调查中的变化')}</h2><div id="drift-tables">${driftTables(data.drift, data.labels, data.segment_names_zh)}</div><div id="text-drift"></div></section>
<section id="unnamed-needs-section"><h2>${t('Needs nobody has named yet', '尚未命名的需求')}</h2><div id="unnamed-needs">${unnamedNeedsSection(data.unnamed_needs, data.out_of_scope)}</div></section>
<section id="out-of-scope-section"><h2>${t('Requests of no known need', '不属于任何已知需求的请求')}</h2><figure id="out-of-scope-chart"></figure><ul id="out-of-scope-examples"></ul></section>
<section id="timeline-section"><h2>${t('The loop, night by night', '每晚的闭环')}</h2><figure id="timeline-chart"></figure><ol id="timeline-events"></ol></section>
<section id="model-section"><h2>${t('Model', '模型')}</h2><div id="gate"></div>
<div class="row"><div id="slice-chart"></div><figure id="confusion-matrix"></figure></div>
<div class="row"><figure id="reliability-chart"></figure><figure id="training-curve"></figure></div>
<h3>${t('Fairness across groups of users', '不同用户群体之间的公平性')}</h3><div id="fairness">${data.model === null ? `<p class="empty">${t('No model was evaluated in this run.', '本次运行没有评估模型。')}</p>` : fairnessTable(data.model, data.privacy.min_group)}</div></section>
<section id="steps-section"><h2>${t('How long each step took', '各步骤耗时')}</h2>${stepsTable(data.steps ?? [])}</section>
<script type="application/json" id="report-data">${embedJson(data)}</script>
<script>${d3}</script>
<script>${client}</script>
</body>
</html>
`;
}
