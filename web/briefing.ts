/**
 * The report's first screen, a morning briefing for a product manager — the data windows,
 * what is new since the previous run, the three biggest movements in plain words with
 * their size and n, the actions waiting with their command, NPS and CSAT tiles — and the
 * drift table: one row per column, ranked by how far it moved. Rendered on the server in
 * English and Chinese at once (the language switch shows one), as text, so that every fact
 * is readable without a mouse, by a screen reader and in print. Everything here is drawn
 * from the same decision objects as the sections below it.
 */
import { decisionLines } from './decision-words.js';
import { escapeHtml as esc, t } from './html.js';
import type { Interval, ReportData } from './report.js';
import { zhSentence } from './zh-text.js';

const int = (n: number) => Math.round(n).toLocaleString('en');
const pct = (x: number, digits = 0) => `${(100 * x).toFixed(digits)} %`;
const day = (iso: string) => iso.slice(0, 10);
/** A window as dates, its end exclusive: [from, to) shown as "from – the day before to". */
const span = (w: { from: string; to: string }) => `${day(w.from)} – ${day(new Date(Date.parse(w.to) - 1).toISOString())}`;

export type NeedLabels = ReportData['labels'];

/** A sentence with the catalogue's need ids ("automate_workflows") replaced by their labels, escaped. */
export function plain(text: string, labels: NeedLabels, lang: 'en' | 'zh'): string {
  return esc(text.replace(/"?\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b"?/g, (whole, id: string) => (labels[id] === undefined ? whole : `“${labels[id][lang]}”`)));
}

/** A column's name in words (survey columns name their need), English and Chinese. */
export function columnLabel(column: string, labels: NeedLabels): { en: string; zh: string; group: 'usage' | 'model' | 'survey' } {
  const fixed: Record<string, [string, string, 'usage' | 'model' | 'survey']> = {
    feature: ['Feature used', '使用的功能', 'usage'],
    outcome: ['Outcome (success, failure, abandoned)', '结果（成功、失败、放弃）', 'usage'],
    latency_ms: ['Response time (ms)', '响应时间（毫秒）', 'usage'],
    rating: ['Rating (1–5)', '评分（1–5）', 'usage'],
    feedback: ['Feedback on the answer', '对回答的反馈', 'usage'],
    corrected_intent: ['Need users corrected to', '用户更正后的需求', 'usage'],
    request_length: ['Request length (characters)', '请求长度（字符）', 'usage'],
    predicted_intent: ['Need the model answered', '模型识别的需求', 'model'],
    confidence: ['Model confidence', '模型置信度', 'model'],
    nps: ['Likelihood to recommend (0–10)', '推荐意愿（0–10）', 'survey'],
    csat: ['Satisfaction score (CSAT)', '满意度评分（CSAT）', 'survey'],
  };
  const f = fixed[column];
  if (f !== undefined) return { en: f[0], zh: f[1], group: f[2] };
  const m = /^(imp|sat|kano_f|kano_d)_(.+)$/.exec(column);
  if (m !== null) {
    const need = labels[m[2]] ?? { en: m[2].replace(/_/g, ' '), zh: m[2].replace(/_/g, ' ') };
    const [en, zh] = {
      imp: [`Importance of ${need.en}`, `${need.zh}的重要性`],
      sat: [`Satisfaction with ${need.en}`, `对${need.zh}的满意度`],
      kano_f: [`${need.en}: how users would feel with it (Kano)`, `${need.zh}：具备时的感受（Kano）`],
      kano_d: [`${need.en}: how users would feel without it (Kano)`, `${need.zh}：缺失时的感受（Kano）`],
    }[m[1] as 'imp'];
    return { en, zh, group: 'survey' };
  }
  return { en: column.replace(/_/g, ' '), zh: column.replace(/_/g, ' '), group: 'usage' };
}

const TESTS: Record<string, [string, string]> = {
  ks: ['Kolmogorov–Smirnov test (p-value)', 'Kolmogorov–Smirnov 检验（p 值）'],
  chi2: ['chi-square test (p-value)', '卡方检验（p 值）'],
  wasserstein: ['Wasserstein distance ÷ reference spread', 'Wasserstein 距离 ÷ 参考离散度'],
  js: ['Jensen–Shannon distance', 'Jensen–Shannon 距离'],
  psi: ['population stability index', '群体稳定性指数（PSI）'],
};

type Cell = NonNullable<ReportData['drift']>['cells'][number];

/** A small reference-vs-current histogram (shares per bin) as an inline SVG, with its text alternative. */
/** Each window's share of rows per bin, its rows, and the bin whose share moved most (the first of equals). */
function shifts(h: NonNullable<Cell['histogram']>) {
  const total = (x: number[]) => x.reduce((a, b) => a + b, 0) || 1;
  const [refRows, curRows] = [total(h.reference), total(h.current)];
  const [ref, cur] = [h.reference.map((x) => x / refRows), h.current.map((x) => x / curRows)];
  let i = 0;
  for (let k = 1; k < h.bins.length; k++) if (Math.abs(cur[k] - ref[k]) > Math.abs(cur[i] - ref[i])) i = k;
  return { ref, cur, refRows, curRows, largest: { bin: h.bins[i], ref: ref[i], cur: cur[i] } };
}

function sparkHistogram(h: Cell['histogram'], name: string): string {
  if (h === null || h.bins.length === 0) return '';
  const { ref, cur, largest } = shifts(h);
  const bins = h.bins.length;
  const w = Math.min(8, Math.floor(120 / bins / 2));
  const max = Math.max(...ref, ...cur, 1e-9);
  const height = 28;
  const bar = (x: number, v: number, cls: string) => `<rect class="${cls}" x="${x}" y="${(height - (height * v) / max).toFixed(1)}" width="${w}" height="${((height * v) / max).toFixed(1)}"/>`;
  const rects = h.bins.map((_, i) => bar(i * (2 * w + 2), ref[i], 'ref') + bar(i * (2 * w + 2) + w, cur[i], 'cur')).join('');
  const change = [`largest change in ${largest.bin}, ${pct(largest.ref, 1)} → ${pct(largest.cur, 1)} of rows`, `变化最大的是 ${largest.bin}：占行数的 ${pct(largest.ref, 1)} → ${pct(largest.cur, 1)}`];
  const alt = `${name}: ${change[0]}`;
  return `<svg class="spark" width="${bins * (2 * w + 2)}" height="${height}" role="img" aria-label="${esc(alt)}"><title>${esc(alt)}</title>${rects}</svg><span class="spark-text">${t(esc(change[0]), esc(change[1]))}</span>`;
}

/** The score against its threshold, as the test reads it. */
function scoreText(c: Cell & { score?: number | null; threshold?: number | null }): string {
  if (c.score === undefined || c.score === null || c.threshold === undefined || c.threshold === null) return '–';
  const pValue = c.method === 'ks' || c.method === 'chi2';
  const v = pValue ? (c.score < 0.001 ? c.score.toExponential(1) : c.score.toFixed(3)) : c.score.toFixed(3);
  return pValue ? `p = ${v} ${t(`(drift below ${c.threshold})`, `（低于 ${c.threshold} 为漂移）`)}` : `${v} ${t(`(drift from ${c.threshold})`, `（≥ ${c.threshold} 为漂移）`)}`;
}

/**
 * The drift section's table: a headline ("drift in 5 of 60 columns for all users"), then a
 * row per column of the chosen population ranked by how far past its threshold it moved,
 * grouped as usage / model / survey; the drifted columns and the nearest misses shown, the
 * rest folded. One table per population; the segment selector shows one.
 */
export function driftTables(drift: ReportData['drift'], labels: NeedLabels, namesZh: Record<number, string> = {}): string {
  if (drift === null) return `<p class="empty">${t('No drift check in this run.', '本次运行没有漂移检查。')}</p>`;
  const segments = drift.populations.filter((p) => p.id !== -1);
  return drift.populations.map((p) => {
    const cells = drift.cells.filter((c) => c.population === p.id);
    const judged = cells.filter((c) => c.drifted !== null);
    const drifted = judged.filter((c) => c.drifted === true);
    const ranked = [...cells].sort((a, b) => (b.strength ?? -1) - (a.strength ?? -1));
    const shown = ranked.filter((c, i) => c.drifted === true || (c.drifted === false && i < drifted.length + 5));
    const folded = ranked.filter((c) => !shown.includes(c));
    const inGroups = (column: string) => {
      if (p.id !== -1 || segments.length === 0) return '';
      const k = drift.cells.filter((c) => c.column === column && c.population !== -1 && c.drifted === true).length;
      return `<td class="num">${t(`${k} of ${segments.length}`, `${segments.length} 个中 ${k} 个`)}</td>`;
    };
    const row = (c: Cell) => {
      const name = columnLabel(c.column, labels);
      const verdict = c.drifted === null ? t('not judged', '未判断') : c.drifted ? `<strong>${t('yes, drifted', '是，已漂移')}</strong>` : t('no', '否');
      const test = c.method === null ? '–' : t(TESTS[c.method]?.[0] ?? c.method, TESTS[c.method]?.[1] ?? c.method);
      return `<tr class="drift-row${c.drifted === true ? ' drifted' : ''}" data-column="${esc(c.column)}" data-drifted="${c.drifted === null ? 'null' : String(c.drifted)}">
<td>${t(esc(name.en), esc(name.zh))}<br><span class="ci">${esc(c.column)}</span></td><td class="kind">${t({ usage: 'usage', model: 'model', survey: 'survey' }[name.group], { usage: '使用', model: '模型', survey: '调查' }[name.group])}</td>
<td>${test}</td><td>${scoreText(c)}</td><td>${verdict}</td>${inGroups(c.column)}<td>${sparkHistogram(c.histogram, name.en)}</td>
<td><details><summary>${t('why', '原因')}</summary>${t(esc(c.reason), esc(zhSentence(c.reason)))}</details></td></tr>`;
    };
    const head = `<thead><tr><th>${t('column', '列')}</th><th>${t('kind', '类别')}</th><th>${t('test', '检验')}</th><th>${t('score against threshold', '得分与阈值')}</th><th>${t('drifted?', '是否漂移')}</th>${p.id === -1 && segments.length > 0 ? `<th>${t('drifted in segments', '漂移的细分群体')}</th>` : ''}<th>${t('reference (grey) vs current (blue)', '参考（灰）与当前（蓝）')}</th><th></th></tr></thead>`;
    const who = p.id === -1 ? t('for all users', '（全部用户）') : t(`for ${esc(p.name)}`, `（${esc(namesZh[p.id] ?? p.name)}）`);
    const headline = `<p class="drift-headline"><strong>${t(`Drift in ${drifted.length} of ${judged.length} columns`, `${judged.length} 列中有 ${drifted.length} 列漂移`)}</strong> ${who}${drifted.length === 0 ? '' : ': '}${drifted.slice(0, 5).map((c) => { const n = columnLabel(c.column, labels); return t(esc(n.en), esc(n.zh)); }).join(', ')}${drifted.length > 5 ? '…' : ''}.</p>`;
    const more = folded.length === 0 ? '' : `<details class="drift-more"><summary>${t(`The other ${folded.length} columns (no drift, or not judged)`, `其余 ${folded.length} 列（未漂移或未判断）`)}</summary><table class="drift">${head}<tbody>${folded.map(row).join('')}</tbody></table></details>`;
    return `<div class="drift-population" data-population="${p.id}"${p.id === -1 ? '' : ' hidden'}>${headline}<table class="drift">${head}<tbody>${shown.map(row).join('')}</tbody></table>${more}</div>`;
  }).join('\n');
}

/** A tile: the figure, its 95 % interval and n, and its change against the previous run's window. */
function tile(name: [string, string], i: (Interval & { previous?: Interval | null; same_window?: boolean }) | null, unit: string, segment = false): string {
  if (i === null || i.value === null) return `<div class="tile"><h3>${t(name[0], name[1])}</h3><p class="figure">–</p><p class="ci">${t('no answers in the window', '窗口内没有回答')}</p></div>`;
  const f = (x: number | null) => (x === null ? '–' : unit === '%' ? `${Math.round(x)} %` : String(Math.round(x)));
  let change = t('no earlier run to compare with', '没有可比较的上一次运行');
  // A segment has no earlier figure: segments are found again each run.
  if (segment) change = t('this segment, over the survey window', '该细分群体，调查窗口内');
  else if (i.same_window) change = t('same answers as the previous run: nothing new', '与上一次运行相同的回答：无新数据');
  else if (i.previous && i.previous.value !== null) {
    const d = i.value - i.previous.value;
    const overlap = i.previous.low !== null && i.previous.high !== null && i.low !== null && i.high !== null && i.low <= i.previous.high && i.previous.low <= i.high;
    const size = `${d >= 0 ? '+' : '−'}${f(Math.abs(d))}`;
    change = t(`${size} against the previous window (${f(i.previous.value)}, n ${int(i.previous.n)})${overlap ? ', within the noise' : ''}`, `较上一窗口 ${size}（${f(i.previous.value)}，n ${int(i.previous.n)}）${overlap ? '，在误差范围内' : ''}`);
  }
  return `<div class="tile" data-tile="${esc(name[0])}"><h3>${t(name[0], name[1])}</h3><p class="figure">${f(i.value)}</p><p class="ci">${t(`95 % interval ${f(i.low)} to ${f(i.high)}, n ${int(i.n)}`, `95 % 区间 ${f(i.low)} 至 ${f(i.high)}，n ${int(i.n)}`)}</p><p class="change">${change}</p></div>`;
}

/**
 * The three biggest movements of users and needs, in words, with their size and n: the
 * strongest movement signals (web/signals.ts) on enough answers — never a model-internal
 * bin. Nothing new arrived: nothing moved, and it says so.
 */
export function movements(data: ReportData): { en: string; zh: string; weight: number }[] {
  if (data.briefing !== undefined && data.briefing.new_data.loaded.length === 0) return [];
  return (data.signals ?? []).filter((x) => x.movement && !x.few).slice(0, 3).map((x) => ({ en: esc(x.en), zh: esc(x.zh), weight: Math.abs(x.z) }));
}

/** The decisions waiting for someone, each with its commands (web/decision-words.ts), and the files to fix. */
export function actions(data: ReportData): { en: string; zh: string; commands: string[] }[] {
  const out: { en: string; zh: string; commands: string[] }[] = [];
  if (data.pending !== undefined) for (const l of decisionLines(data.pending, { maxNeeds: 3 })) out.push({ en: esc(l.en), zh: esc(l.zh), commands: l.commands });
  for (const f of data.briefing?.new_data.failed ?? []) {
    out.push({ en: `Fix and drop again ${esc(f.file)}: it could not be loaded and nothing of it is in these figures.`, zh: `修正后重新放入 ${esc(f.file)}：它未能加载，这些数字中不含它的任何内容。`, commands: [] });
  }
  return out;
}

const ACTION_WORDS = { promote: ['promoted', '升级'], reject: ['rejected', '拒绝'], rollback: ['rolled back to', '回滚到'] } as const;

/** Which model serves, and every decision on the registry since the previous run. */
function servingSentence(b: NonNullable<ReportData['briefing']>): string {
  const changes = b.serving.changes.map((c) => {
    const [en, zh] = ACTION_WORDS[c.action];
    const when = `${c.at.slice(0, 16).replace('T', ' ')} UTC`;
    return t(`model ${esc(c.model)} ${c.action === 'rollback' ? `was restored (${en} it)` : en} by ${esc(c.by)} at ${when}`, `模型 ${esc(c.model)} 由 ${esc(c.by)} 于 ${when}${c.action === 'rollback' ? '回滚恢复' : zh}`);
  });
  const since = changes.length === 0 ? '' : t(` Since the previous run: ${changes.join('; ')}.`, `自上一次运行以来：${changes.join('；')}。`);
  const now = b.serving.now;
  if (now === null) return t('Model serving: none yet.', '当前服务模型：尚无。') + since;
  if (b.serving.before !== null && b.serving.before !== now) return t(`Model serving: <strong>model ${esc(now)}</strong>, which replaced model ${esc(b.serving.before)}.`, `当前服务模型：<strong>模型 ${esc(now)}</strong>，取代了模型 ${esc(b.serving.before)}。`) + since;
  if (changes.length > 0) return t(`Model serving: <strong>model ${esc(now)}</strong>.`, `当前服务模型：<strong>模型 ${esc(now)}</strong>。`) + since;
  return t(`Model serving: model ${esc(now)}, unchanged.`, `当前服务模型：模型 ${esc(now)}，未变。`);
}

/** The first screen: windows, what is new, movements, actions, tiles. */
export function briefingSection(data: ReportData): string {
  const b = data.briefing;
  if (b === undefined) return '';
  const windows: string[] = [];
  if (b.windows.usage !== null) windows.push(t(`Usage: ${span(b.windows.usage)}${b.windows.reference === null ? '' : `, compared with ${span(b.windows.reference)}`}`, `使用数据：${span(b.windows.usage)}${b.windows.reference === null ? '' : `，对比 ${span(b.windows.reference)}`}`));
  if (b.windows.survey !== null) windows.push(t(`Survey answers: ${span(b.windows.survey)}`, `调查回答：${span(b.windows.survey)}`));
  const since = b.previous_run === null ? t('This is the first run.', '这是第一次运行。') : t(`Since run ${esc(b.previous_run.id)} (${day(b.previous_run.started_at)}):`, `自运行 ${esc(b.previous_run.id)}（${day(b.previous_run.started_at)}）以来：`);
  const news: string[] = [];
  const rows = b.new_data.loaded.reduce((s, f) => s + f.rows, 0);
  if (b.new_data.loaded.length === 0) news.push(t('<strong>Nothing new arrived</strong>: no new file in the inbox, so the figures below are the same data as the previous report.', '<strong>没有新数据</strong>：收件箱中没有新文件，下面的数字与上一份报告的数据相同。'));
  else news.push(t(`New data: ${b.new_data.loaded.length} file(s), ${int(rows)} rows.`, `新数据：${b.new_data.loaded.length} 个文件，${int(rows)} 行。`));
  if (b.new_data.failed.length > 0) news.push(t(`${b.new_data.failed.length} file(s) failed to load.`, `${b.new_data.failed.length} 个文件加载失败。`));
  const serving = servingSentence(b);
  news.push(serving);
  if (b.decision !== null) {
    const first = b.decision.reasons[0];
    news.push(b.decision.retrain
      ? t(`Decision: retrain, because ${first === undefined ? 'drift called for it' : plain(first, data.labels, 'en')}${b.decision.reasons.length > 1 ? ` (and ${b.decision.reasons.length - 1} more reason(s) in the summary)` : ''}.`, `决定：重新训练，原因：${first === undefined ? '漂移' : plain(zhSentence(first), data.labels, 'zh')}${b.decision.reasons.length > 1 ? `（另有 ${b.decision.reasons.length - 1} 条原因见摘要）` : ''}。`)
      : b.decision.reasons.length > 0
        ? t(`Decision: no retraining (${b.decision.reasons.map((x) => plain(x, data.labels, 'en')).join('; ')}).`, `决定：不重新训练（${b.decision.reasons.map((x) => plain(zhSentence(x), data.labels, 'zh')).join('；')}）。`)
        : t('Decision: no retraining; nothing calls for it.', '决定：不重新训练；没有需要的理由。'));
  }
  if (b.verdict !== null) news.push(t(plain(b.verdict.en, data.labels, 'en'), plain(b.verdict.zh, data.labels, 'zh')));
  const moves = movements(data);
  const todo = actions(data);
  return `<section id="briefing" aria-labelledby="briefing-title">
<h2 id="briefing-title">${t('This morning', '今日概览')}</h2>
<p id="data-windows" class="meta">${windows.join(' · ')}</p>
<div id="status-block" class="status">
<div><h3>${t('What is new', '新变化')}</h3><p>${since}</p><ul>${news.map((n) => `<li>${n}</li>`).join('')}</ul></div>
<div><h3>${t('Biggest movements', '最大变化')}</h3>${moves.length === 0 ? `<p class="empty">${b.new_data.loaded.length === 0 ? t(`Nothing new arrived${b.previous_run === null ? '' : ` since run ${esc(b.previous_run.id)}`}, so nothing moved.`, `${b.previous_run === null ? '' : `自运行 ${esc(b.previous_run.id)} 以来`}没有新数据，因此没有变化。`) : t('Nothing moved beyond the noise.', '没有超出噪声的变化。')}</p>` : `<ol id="movements">${moves.map((m) => `<li>${t(m.en, m.zh)}</li>`).join('')}</ol>`}</div>
<div><h3>${t('Waiting for you', '待办事项')}</h3>${todo.length === 0 ? `<p class="empty">${t('Nothing waits for a decision.', '没有待决定的事项。')}</p>` : `<ul id="actions">${todo.map((a) => `<li>${t(a.en, a.zh)}${a.commands.map((c) => `<br><code>${esc(c)}</code>`).join('')}</li>`).join('')}</ul>`}</div>
</div>
<div id="tiles" class="tiles" data-population="-1">${tile(['NPS', '净推荐值 NPS'], b.tiles?.nps ?? null, '')}${tile(['CSAT', '满意度 CSAT'], b.tiles?.csat ?? null, '%')}</div>
${(data.needs?.by_segment ?? []).map((s) => {
    const raw = data.needs!.segment_names[s.segment] ?? `segment ${s.segment}`;
    const [name, nameZh] = [esc(raw), esc(data.segment_names_zh?.[s.segment] ?? raw)];
    return `<div class="tiles" data-population="${s.segment}" hidden>${tile([`NPS — ${name}`, `净推荐值 NPS — ${nameZh}`], { ...s.nps, previous: null, same_window: false }, '', true)}${tile([`CSAT — ${name}`, `满意度 CSAT — ${nameZh}`], { ...s.csat, previous: null, same_window: false }, '%', true)}</div>`;
  }).join('\n')}
</section>`;
}
