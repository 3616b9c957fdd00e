/**
 * Everything a run's report shows, read back from Postgres by the ids the run recorded:
 * the need analysis, the segments, the drift check (every column × segment, with
 * histograms) and the candidate's evaluation against production, with its training curve.
 */
import { basename } from 'node:path';
import type { Kysely } from 'kysely';
import type { DriftResult } from './detect-drift.js';
import type { NeedsResult } from './analyze-needs.js';
import type { Database } from '../db/schema.js';
import { outOfScopeByDay, outOfScopeExamples } from '../db/queries/feedback.js';
import { candidatesWithLatest } from '../db/queries/need-candidates.js';
import { stepTimes } from '../db/queries/pipeline-runs.js';
import { DEFAULT_WINDOW_DAYS, latestTime } from '../db/queries/time-window.js';
import type { NeedCatalogue } from '../db/need-catalogue.js';
import { findProductionModel } from '../db/queries/model-versions.js';
import { loopTimeline, modelDecisions } from '../db/queries/loop-timeline.js';
import { pendingDecisions } from '../db/queries/pending-decisions.js';
import { personaMatches } from '../db/queries/segment-runs.js';
import { groupBy, personaNameZh } from '../analytics/index.js';
import { headlines, strongestSignals } from '../web/signals.js';
import { zhSentence } from '../web/zh-text.js';
import { MIN_GROUP_USERS } from '../models/evaluate.js';
import type { EvaluationView, Interval, ReportData } from '../web/report.js';

interface RunIds {
  segments?: { segment_run_id: string | null } | null;
  needs?: { analysis_id: string | null } | null;
  drift?: { drift_run_id: string | null } | null;
  training?: { candidate_id: string };
  evaluation?: { evaluation_id: string };
}

const DAY_MS = 86_400_000;

/** How strongly a column drifted, on one scale for every method: 1 at the threshold. */
function strength(c: { method: string | null; threshold: number | null; ks_p: number | null; chi2_p: number | null; wasserstein_norm: number | null; js: number | null; psi: number | null }): number | null {
  if (c.method === null || c.threshold === null) return null;
  const pValue = c.method === 'ks' ? c.ks_p : c.method === 'chi2' ? c.chi2_p : null;
  if (c.method === 'ks' || c.method === 'chi2') return pValue === null ? null : Math.log10(Math.max(pValue, 1e-300)) / Math.log10(c.threshold);
  const value = { wasserstein: c.wasserstein_norm, js: c.js, psi: c.psi }[c.method as 'js'];
  return value === null ? null : value / c.threshold;
}

/** The statistic a column's test compared with its threshold (a p-value for KS and chi-square). */
function score(c: { method: string | null; ks_p: number | null; chi2_p: number | null; wasserstein_norm: number | null; js: number | null; psi: number | null }): number | null {
  if (c.method === null) return null;
  return { ks: c.ks_p, chi2: c.chi2_p, wasserstein: c.wasserstein_norm, js: c.js, psi: c.psi }[c.method as 'ks'] ?? null;
}

interface BriefingResults {
  ingested?: { file: string; status: string; accepted: number; error?: string }[];
  drift?: { model?: string | null } | null;
  decision?: { retrain: boolean; reasons: string[] };
  evaluation?: { blessed: boolean; nothing_to_gain?: boolean; reasons: string[]; candidate_id?: string; production_id?: string | null };
  training?: { candidate_id: string };
  approval?: { kind: string; by?: string; deadline?: string };
  promotion?: { production_id: string };
}

/** When run `id` began (now, for an id that is no pipeline run's). */
async function ownStart(db: Kysely<Database>, id: string): Promise<Date> {
  const row = /^\d{1,18}$/.test(id) ? await db.selectFrom('pipeline_runs').select('started_at').where('id', '=', id).executeTakeFirst() : undefined;
  return row?.started_at ?? new Date();
}

/** What the first screen says (web/briefing.ts), from the run's own results and the run before it. */
async function briefing(db: Kysely<Database>, run: { id: string; results: unknown }, data: ReportData): Promise<NonNullable<ReportData['briefing']>> {
  const r = run.results as BriefingResults;
  const window = (w: unknown) => (w !== null && typeof w === 'object' && 'from' in w && 'to' in w ? { from: String(w.from), to: String(w.to) } : null);
  const previous = /^\d{1,18}$/.test(run.id)
    ? await db.selectFrom('pipeline_runs').select(['id', 'started_at']).where('id', '<', run.id).orderBy('id', 'desc').limit(1).executeTakeFirst()
    : undefined;
  let tiles: NonNullable<ReportData['briefing']>['tiles'] = null;
  const ids = run.results as RunIds;
  if (data.needs !== null && ids.needs?.analysis_id) {
    const before = await db.selectFrom('need_analyses').select('result').where('id', '<', ids.needs.analysis_id).orderBy('id', 'desc').limit(1).executeTakeFirst();
    const prev = before?.result as NeedsResult | undefined;
    const same = prev !== undefined && prev.window.from === data.needs.window.from && prev.window.to === data.needs.window.to;
    tiles = {
      // An earlier window of fewer than k respondents is withheld like the current one.
      nps: { ...data.needs.nps, previous: prev !== undefined && prev.nps.n >= data.privacy.min_group ? prev.nps : null, same_window: same },
      csat: { ...data.needs.csat, previous: prev !== undefined && prev.csat.n >= data.privacy.min_group ? prev.csat : null, same_window: same },
    };
  }
  const e = r.evaluation;
  const candidate = r.training?.candidate_id ?? data.model?.candidate_id ?? '';
  const failed = (e?.reasons ?? []).filter((x) => x.startsWith('FAIL')).map((x) => x.slice(5));
  const verdict = e === undefined ? null : e.blessed
    ? { en: `The gate blessed candidate model ${candidate}.`, zh: `候选模型 ${candidate} 通过了评审门。` }
    : e.nothing_to_gain
      ? { en: `Candidate model ${candidate} has nothing to gain over production, which stays.`, zh: `候选模型 ${candidate} 相比生产模型没有提升，生产模型保持不变。` }
      : { en: `The gate refused candidate model ${candidate}: ${failed[0] ?? 'see the model section'}.`, zh: `评审门拒绝了候选模型 ${candidate}：${failed[0] ?? '见模型部分'}。` };
  return {
    windows: { usage: window(data.drift?.current), reference: window(data.drift?.reference), survey: data.needs?.window ?? null },
    previous_run: previous === undefined ? null : { id: previous.id, started_at: previous.started_at.toISOString() },
    new_data: {
      loaded: (r.ingested ?? []).filter((f) => f.status === 'loaded').map((f) => ({ file: basename(f.file), rows: f.accepted })),
      failed: (r.ingested ?? []).filter((f) => f.status === 'failed').map((f) => ({ file: basename(f.file), error: f.error ?? '' })),
    },
    serving: {
      before: r.drift?.model ?? e?.production_id ?? data.model?.production_id ?? null,
      now: (await findProductionModel(db))?.id ?? null,
      // Every decision on the registry since the run before began: this run's, an engineer's, by hand.
      // (The first run: those since it began; what came before is the history it starts from.)
      changes: await modelDecisions(db, previous?.started_at ?? (await ownStart(db, run.id))),
    },
    decision: r.decision === undefined ? null : { retrain: r.decision.retrain, reasons: r.decision.reasons },
    verdict,
    approval: r.approval ?? null,
    tiles,
  };
}

export async function reportData(db: Kysely<Database>, catalogue: NeedCatalogue, run: { id: string; results: unknown; summary: string[]; summary_zh?: string[] }, options: { minGroup?: number } = {}): Promise<ReportData> {
  const ids = run.results as RunIds;
  const data: ReportData = {
    run_id: run.id, generated_at: new Date().toISOString(), summary: run.summary,
    labels: Object.fromEntries(catalogue.map((n) => [n.id, { en: n.label.en, zh: n.label.zh }])),
    needs: null, segments: null, drift: null, model: null, out_of_scope: null, timeline: [], unnamed_needs: [],
    privacy: { min_group: options.minGroup ?? MIN_GROUP_USERS, withheld: [] },
  };
  if (ids.needs?.analysis_id) {
    const row = await db.selectFrom('need_analyses').select('result').where('id', '=', ids.needs.analysis_id).executeTakeFirst();
    const r = row?.result as NeedsResult | undefined;
    if (r) {
      data.needs = {
        window: r.window, segment_names: r.segment_names,
        rows: r.needs.map((n) => ({ need: n.need, segment: n.segment, n: n.n, importance: n.importance, satisfaction: n.satisfaction, opportunity: n.opportunity, opportunity_low: n.opportunity_low ?? null, opportunity_high: n.opportunity_high ?? null, kano: { category: n.kano.category, better: n.kano.better, worse: n.kano.worse } })),
        experience: r.trends.experience, nps: r.nps, csat: r.csat, by_segment: (r.segments ?? []).map((s) => ({ segment: s.segment, nps: s.nps, csat: s.csat })), growing_terms: r.comments.growing_terms.slice(0, 15),
        recent_comments: (await db.selectFrom('survey_responses').select('comment').where('comment', 'is not', null)
          .where('submitted_at', '>=', new Date(r.window.from)).where('submitted_at', '<', new Date(r.window.to))
          .orderBy('submitted_at', 'desc').limit(8).execute()).map((c) => c.comment!),
      };
    }
  }
  if (ids.segments?.segment_run_id) {
    const rows = await db.selectFrom('segments').select(['segment_id', 'name', 'size', 'distinctive']).where('segment_run_id', '=', ids.segments.segment_run_id).orderBy('segment_id').execute();
    // The persona each continues in the segmentation before, by the users they share (not by name).
    const earlier = new Map((await personaMatches(db, ids.segments.segment_run_id)).map((m) => [m.segment_id, m.previous]));
    data.segments = rows.map((s) => {
      const before = earlier.get(s.segment_id) ?? null;
      return { id: s.segment_id, name: s.name, size: s.size, previous_size: before?.size ?? null, previous_name: before !== null && before.name !== s.name ? before.name : null, previous_name_zh: before !== null && before.name !== s.name ? personaNameZh(before.name) : null, distinctive: s.distinctive.slice(0, 4) };
    });
  }
  if (ids.drift?.drift_run_id) {
    const row = await db.selectFrom('drift_runs').select('result').where('id', '=', ids.drift.drift_run_id).executeTakeFirst();
    const r = row?.result as DriftResult | undefined;
    if (r) {
      const populations = [{ id: -1, name: 'All users', columns: r.columns, dataset_drift: r.dataset_drift }, ...r.segments.map((s) => ({ id: s.segment, name: s.name, columns: s.columns, dataset_drift: s.dataset_drift }))];
      data.drift = {
        reference: r.reference, current: r.current,
        populations: populations.map((p) => ({ id: p.id, name: p.name, dataset_drift: p.dataset_drift })),
        cells: populations.flatMap((p) => p.columns.map((c) => ({ column: c.column, population: p.id, drifted: c.drifted, method: c.method, strength: strength(c), score: score(c), threshold: c.threshold, reason: c.reason, histogram: c.histogram }))),
        text: r.text === null ? null : { js: r.text.js, new_terms: r.text.new_terms.slice(0, 15), grown_terms: r.text.grown_terms.slice(0, 15) },
        emerging_needs: r.emerging_needs.map((e) => ({ need: e.need, current: e.current, examples: e.examples.slice(0, 3) })),
        retrain: r.retrain,
      };
    }
  }
  if (ids.evaluation?.evaluation_id) {
    const e = await db.selectFrom('evaluations').selectAll().where('id', '=', ids.evaluation.evaluation_id).executeTakeFirst();
    const candidate = e === undefined ? undefined : await db.selectFrom('model_versions').select(['id', 'status', 'training', 'parent_id']).where('id', '=', e.candidate_id).executeTakeFirst();
    if (e && candidate) {
      const report = e.report as { candidate: EvaluationView; production: EvaluationView | null };
      data.model = {
        candidate_id: e.candidate_id, production_id: e.production_id, status: candidate.status, blessed: e.blessed, reasons: e.reasons,
        candidate: report.candidate, production: report.production,
        curve: ((candidate.training as { curve?: NonNullable<ReportData['model']>['curve'] }).curve ?? []),
      };
    }
  }
  data.out_of_scope = await outOfScope(db, data.drift?.current);
  // Every open candidate, as `needloop needs candidates` lists them: tonight's sightings first.
  data.unnamed_needs = (await candidatesWithLatest(db, ['open'])).map((c) => {
    const d = c.latest.detail as { examples: string[]; by_plan: Record<string, number>; experience: { failure_rate: number; abandon_rate: number; mean_rating: number | null } };
    return {
      id: c.id, label: c.label, size: c.latest.size, users: c.latest.users, previous_size: c.latest.previous_size, growth: c.latest.growth, growth_p: c.latest.growth_p,
      opportunity: c.latest.opportunity, first_seen: c.first_seen.toISOString(), last_seen: c.last_seen.toISOString(), tonight: c.latest.pipeline_run_id === run.id, nights: c.nights,
      examples: d.examples, by_plan: d.by_plan, experience: d.experience,
    };
  }).sort((a, b) => Number(b.tonight) - Number(a.tonight));
  if (/^\d{1,18}$/.test(run.id)) {
    data.timeline = (await loopTimeline(db, { run_id: run.id, results: run.results })).map((n) => ({ ...n, reasons_zh: n.reasons.map(zhSentence) }));
    data.steps = (await stepTimes(db, run.id)).map((s) => ({ step: s.step, seconds: s.seconds }));
  }
  data.pending = await pending(db, run);
  withholdSmallGroups(data);
  data.briefing = await briefing(db, run, data);
  data.segment_names_zh = Object.fromEntries([...(data.segments ?? []).map((s) => [s.id, s.name] as const), ...(data.drift?.populations ?? []).filter((p) => p.id !== -1).map((p) => [p.id, p.name] as const)].map(([id, name]) => [id, personaNameZh(name)]));
  if (data.model !== null) data.model.reasons_zh = data.model.reasons.map(zhSentence);
  // The summary leads with the strongest signals on enough answers, each with its n and interval.
  data.signals = strongestSignals(data);
  const lead = headlines(data.signals);
  data.summary = [...lead.map((x) => x.en), ...topNeeds(data, 'en'), ...data.summary];
  if (run.summary_zh !== undefined) data.summary_zh = [...lead.map((x) => x.zh), ...topNeeds(data, 'zh'), ...run.summary_zh];
  return data;
}

/**
 * Takes out every figure and example of a group of fewer than `privacy.min_group` users —
 * a segment, a segment's answers on a need, a week's NPS and CSAT — and says in
 * `privacy.withheld` what was taken out and why, so that a small group cannot be singled
 * out in a report that is shared widely. (Groups in the model's fairness table are
 * withheld where they are scored, models/fairness.ts.)
 */
export function withholdSmallGroups(data: ReportData): void {
  const k = data.privacy.min_group;
  const zh: string[] = (data.privacy.withheld_zh ??= []);
  const note = (text: string, chinese: string) => {
    data.privacy.withheld.push(text);
    zh.push(chinese);
  };
  const small = new Set((data.segments ?? []).filter((s) => s.size < k).map((s) => s.id));
  if (data.segments !== null) {
    for (const s of data.segments.filter((x) => small.has(x.id))) note(`Segment "${s.name}" has fewer than ${k} users: its size, features, needs and drift are withheld.`, `细分群体“${personaNameZh(s.name)}”少于 ${k} 位用户：其规模、特征、需求和漂移均不显示。`);
    data.segments = data.segments.filter((s) => !small.has(s.id));
    // A persona that was a small group in the run before: its size then is not shown either.
    for (const s of data.segments) if (s.previous_size != null && s.previous_size < k) Object.assign(s, { previous_size: null, previous_withheld: true });
  }
  if (data.needs !== null) {
    const needs = data.needs;
    const names = needs.segment_names;
    const thin = needs.rows.filter((r) => (r.segment === null || !small.has(r.segment)) && r.n < k);
    const bySegment = groupBy(thin, (r) => (r.segment === null ? 'all users' : `segment "${names[r.segment] ?? r.segment}"`));
    for (const [who, rows] of bySegment) {
      const segment = rows[0].segment;
      const whoZh = segment === null ? '全部用户' : `细分群体“${personaNameZh(names[segment] ?? String(segment))}”`;
      note(`Scores of ${rows.map((r) => data.labels[r.need]?.en ?? r.need).join(', ')} for ${who}: fewer than ${k} respondents, withheld.`, `${whoZh}对${rows.map((r) => data.labels[r.need]?.zh ?? r.need).join('、')}的评分：回答者少于 ${k} 位，不显示。`);
    }
    needs.rows = needs.rows.filter((r) => (r.segment === null || !small.has(r.segment)) && r.n >= k);
    const kept = new Set(needs.rows.map((r) => r.segment));
    needs.segment_names = Object.fromEntries(Object.entries(names).filter(([id]) => kept.has(Number(id))));
    const blank = (i: Interval): Interval => ({ value: null, low: null, high: null, n: i.n < k ? 0 : i.n });
    let weeks = 0;
    needs.experience = needs.experience.map((w) => {
      if (w.nps.n >= k && w.csat.n >= k) return w;
      weeks++;
      return { week: w.week, nps: w.nps.n >= k ? w.nps : blank(w.nps), csat: w.csat.n >= k ? w.csat : blank(w.csat) };
    });
    if (weeks > 0) note(`NPS or CSAT of ${weeks} week(s) with fewer than ${k} respondents: withheld.`, `${weeks} 周的 NPS 或 CSAT 回答者少于 ${k} 位：不显示。`);
    needs.by_segment = (needs.by_segment ?? []).filter((s) => !small.has(s.segment)).map((s) => ({ segment: s.segment, nps: s.nps.n >= k ? s.nps : blank(s.nps), csat: s.csat.n >= k ? s.csat : blank(s.csat) }));
    if (needs.nps.n < k) needs.nps = blank(needs.nps);
    if (needs.csat.n < k) needs.csat = blank(needs.csat);
    if (Math.max(needs.nps.n, needs.csat.n) < k && needs.recent_comments.length > 0) {
      needs.recent_comments = [];
      note(`The latest comments: fewer than ${k} respondents in the window, withheld.`, `最新评论：窗口内回答者少于 ${k} 位，不显示。`);
    }
  }
  if (data.drift !== null && small.size > 0) {
    data.drift.populations = data.drift.populations.filter((p) => !small.has(p.id));
    data.drift.cells = data.drift.cells.filter((c) => !small.has(c.population));
  }
  const withheldGroups = (data.model?.candidate.holdout.fairness ?? []).flatMap((a) => a.groups.filter((g) => g.withheld).map((g) => `${a.attribute} ${g.value}`));
  if (withheldGroups.length > 0) note(`Model accuracy for ${withheldGroups.join(', ')}: fewer than ${k} users, withheld.`, `${withheldGroups.join('、')}的模型准确率：用户少于 ${k} 位，不显示。`);
}

/** The four weeks up to the run's current drift window (or the newest data), day by day. */
async function outOfScope(db: Kysely<Database>, current: unknown): Promise<ReportData['out_of_scope']> {
  const to = current !== null && typeof current === 'object' && 'to' in current ? new Date(String(current.to)) : await latestTime(db, 'usage_events');
  if (to === null || Number.isNaN(to.getTime())) return null;
  const window = { from: new Date(to.getTime() - DEFAULT_WINDOW_DAYS * DAY_MS), to };
  const days = await outOfScopeByDay(db, window);
  if (days.length === 0) return null;
  const examples = await outOfScopeExamples(db, { from: new Date(to.getTime() - 7 * DAY_MS), to });
  return { to: to.toISOString(), days, examples: examples.map((e) => ({ ts: e.ts.toISOString(), text: e.text, guess: e.guess, confidence: e.confidence })) };
}

/** The needs most unmet for all users, each with its 95 % interval and n; none resting on few answers. */
function topNeeds(data: ReportData, lang: 'en' | 'zh'): string[] {
  if (data.needs === null) return [];
  const top = data.needs.rows.filter((r) => r.segment === null && r.opportunity !== null).sort((a, b) => b.opportunity! - a.opportunity!).slice(0, 3);
  if (top.length === 0) return [];
  const f = (x: number) => x.toFixed(1);
  const one = (r: (typeof top)[number]) => {
    const label = data.labels[r.need]?.[lang] ?? r.need;
    const ci = r.opportunity_low == null || r.opportunity_high == null ? '' : lang === 'zh' ? `95 % 区间 ${f(r.opportunity_low)} 至 ${f(r.opportunity_high)}，` : `95 % interval ${f(r.opportunity_low)} to ${f(r.opportunity_high)}, `;
    return lang === 'zh' ? `${label}（${f(r.opportunity!)}；${ci}n ${r.n}）` : `${label} (${f(r.opportunity!)}; ${ci}n ${r.n})`;
  };
  return [lang === 'zh' ? `全部用户中机会值最高（最未被满足）的需求：${top.map(one).join('、')}。` : `Top unmet needs for all users by opportunity: ${top.map(one).join(', ')}.`];
}

/**
 * What waits for a decision now — and this run's own candidate, which waits from the
 * moment its report is published (the run records itself as awaiting just after).
 */
async function pending(db: Kysely<Database>, run: { id: string; results: unknown }): Promise<NonNullable<ReportData['pending']>> {
  const p = await pendingDecisions(db);
  const r = run.results as BriefingResults;
  const own = r.training?.candidate_id;
  if (r.approval?.kind === 'pending' && own !== undefined && !p.models.some((m) => m.candidate_id === own && m.run_id !== null)) {
    // Blessed a moment ago, it is listed as awaiting promotion by hand until the run records its wait.
    p.models = p.models.filter((m) => m.candidate_id !== own);
    const row = /^\d{1,18}$/.test(run.id) ? await db.selectFrom('pipeline_runs').select(['runner', 'run_key']).where('id', '=', run.id).executeTakeFirst() : undefined;
    p.models.unshift({ run_id: run.id, runner: row?.runner ?? null, run_key: row?.run_key ?? null, candidate_id: own, production_id: (await findProductionModel(db))?.id ?? null, deadline: r.approval.deadline ?? null });
  }
  return p;
}
