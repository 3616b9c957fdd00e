/**
 * The report's strongest signals, ranked by evidence: each finding is scored by its
 * effect over its standard error (a z-score), so that a segment's NPS far below the rest,
 * an underserved need, a candidate need that grows, or a need whose share moved lead the
 * summary — and a score resting on ten answers does not. Every sentence carries its n and,
 * where the figure has one, its 95 % interval, in English and Chinese.
 */
import { Z95 } from '../analytics/wilson-interval.js';
import type { Interval, ReportData } from './report.js';

/** Fewer answers or users than this: shown flagged ("few answers"), never a headline. */
export const FEW = 30;
/** A signal must stand this far above its noise (|z|) to be one at all. */
export const MIN_Z = 2;

export interface Signal {
  kind: 'segment_nps' | 'segment_csat' | 'underserved' | 'segment_unmet' | 'candidate_need' | 'out_of_scope' | 'need_share' | 'feature_share' | 'outcome_share' | 'nps_change' | 'csat_change' | 'emerging_need';
  /** A change against the window before (a movement), rather than a standing fact of this window. */
  movement: boolean;
  /** Effect over its standard error. */
  z: number;
  /** The respondents, users or requests the figure rests on (the smaller group's). */
  n: number;
  /** n below FEW: flagged in the text, and kept out of headlines. */
  few: boolean;
  en: string;
  zh: string;
}

const int = (n: number) => Math.round(n).toLocaleString('en');
const one = (x: number) => x.toFixed(1);
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(Math.round(x))}`;
/** Standard error from a 95 % interval; the wider side (the other may be clipped at a bound). */
const seOf = (i: { value: number | null; low: number | null; high: number | null }) =>
  i.value === null || i.low === null || i.high === null ? null : Math.max(i.high - i.value, i.value - i.low) / Z95;
/** Two proportions' z (pooled). */
function twoProportions(a: number, na: number, b: number, nb: number): number {
  if (na === 0 || nb === 0) return 0;
  const p = (a + b) / (na + nb);
  const se = Math.sqrt(p * (1 - p) * (1 / na + 1 / nb));
  return se === 0 ? 0 : (b / nb - a / na) / se;
}
const fewNote = (n: number) => (n < FEW ? [' — few answers: read with care', '——回答较少：谨慎解读'] : ['', '']);

function push(out: Signal[], s: Omit<Signal, 'few'>): void {
  if (!Number.isFinite(s.z) || Math.abs(s.z) < MIN_Z) return;
  out.push({ ...s, few: s.n < FEW });
}

/** A segment's NPS or CSAT against the other users'. */
function segmentExperience(data: ReportData, out: Signal[]): void {
  const needs = data.needs;
  if (needs === null) return;
  const name = (id: number) => [needs.segment_names[id] ?? `segment ${id}`, data.segment_names_zh?.[id] ?? needs.segment_names[id] ?? `细分群体 ${id}`];
  for (const key of ['nps', 'csat'] as const) {
    const all: Interval = needs[key];
    const seAll = seOf(all);
    if (all.value === null || seAll === null) continue;
    const perPerson = seAll * seAll * all.n;
    for (const s of needs.by_segment ?? []) {
      const seg = s[key];
      const se = seOf(seg);
      const rest = all.n - seg.n;
      if (seg.value === null || se === null || rest <= 0) continue;
      const restValue = (all.value * all.n - seg.value * seg.n) / rest;
      const z = (seg.value - restValue) / Math.sqrt(se * se + perPerson / rest);
      const [en, zh] = name(s.segment);
      const unit = key === 'nps' ? ['', ' points', ' 分'] : [' %', ' points', ' 个百分点'];
      const d = seg.value - restValue;
      const f = (x: number) => `${Math.round(x)}${unit[0]}`;
      const label = key === 'nps' ? 'NPS' : 'CSAT';
      const [few, fewZh] = fewNote(seg.n);
      push(out, {
        kind: key === 'nps' ? 'segment_nps' : 'segment_csat', movement: false, z, n: seg.n,
        en: `${en}' ${label} is ${f(seg.value)} (95 % interval ${f(seg.low!)} to ${f(seg.high!)}, n ${int(seg.n)}), ${Math.abs(Math.round(d))}${unit[1]} ${d < 0 ? 'below' : 'above'} the other users' ${f(restValue)}${few}.`,
        zh: `${zh}的 ${label} 为 ${f(seg.value)}（95 % 区间 ${f(seg.low!)} 至 ${f(seg.high!)}，n ${int(seg.n)}），比其他用户（${f(restValue)}）${d < 0 ? '低' : '高'} ${Math.abs(Math.round(d))}${unit[2]}${fewZh}。`,
      });
    }
  }
}

/** Needs underserved for all users, and the segment each is most unmet for. */
function unmetNeeds(data: ReportData, out: Signal[]): void {
  const needs = data.needs;
  if (needs === null) return;
  const label = (need: string) => data.labels[need] ?? { en: need, zh: need };
  const interval = (r: { opportunity_low?: number | null; opportunity_high?: number | null }, zh = false) =>
    r.opportunity_low == null || r.opportunity_high == null ? '' : zh ? `95 % 区间 ${one(r.opportunity_low)} 至 ${one(r.opportunity_high)}，` : `95 % interval ${one(r.opportunity_low)} to ${one(r.opportunity_high)}, `;
  const se = (r: { opportunity: number | null; opportunity_low?: number | null; opportunity_high?: number | null }) => seOf({ value: r.opportunity, low: r.opportunity_low ?? null, high: r.opportunity_high ?? null });
  for (const r of needs.rows.filter((x) => x.segment === null && x.opportunity !== null)) {
    const l = label(r.need);
    const e = se(r);
    if (r.opportunity! > 10 && e !== null && e > 0) {
      const [few, fewZh] = fewNote(r.n);
      push(out, {
        kind: 'underserved', movement: false, z: (r.opportunity! - 10) / e, n: r.n,
        en: `${l.en} is underserved: opportunity ${one(r.opportunity!)} (${interval(r)}n ${int(r.n)}; above 10 is underserved)${few}.`,
        zh: `${l.zh}未被充分满足：机会值 ${one(r.opportunity!)}（${interval(r, true)}n ${int(r.n)}；高于 10 即未被满足）${fewZh}。`,
      });
    }
    const best = needs.rows.filter((x) => x.need === r.need && x.segment !== null && x.opportunity !== null).sort((a, b) => b.opportunity! - a.opportunity!)[0];
    const eb = best === undefined ? null : se(best);
    if (best === undefined || eb === null || e === null || best.opportunity! <= r.opportunity!) continue;
    const who = [needs.segment_names[best.segment!] ?? `segment ${best.segment}`, data.segment_names_zh?.[best.segment!] ?? needs.segment_names[best.segment!] ?? `细分群体 ${best.segment}`];
    const [few, fewZh] = fewNote(best.n);
    push(out, {
      kind: 'segment_unmet', movement: false, z: (best.opportunity! - r.opportunity!) / Math.sqrt(eb * eb + e * e), n: best.n,
      en: `${l.en} is most unmet for ${who[0]}: opportunity ${one(best.opportunity!)} (${interval(best)}n ${int(best.n)}), against ${one(r.opportunity!)} for all users${few}.`,
      zh: `${l.zh}对${who[1]}最未被满足：机会值 ${one(best.opportunity!)}（${interval(best, true)}n ${int(best.n)}），全部用户为 ${one(r.opportunity!)}${fewZh}。`,
    });
  }
}

/** Candidate needs seen tonight that grew: the week's requests against the week before's (two counts, equal spans). */
function candidateNeeds(data: ReportData, out: Signal[]): void {
  for (const c of data.unnamed_needs.filter((x) => x.tonight !== false)) {
    const z = (c.size - c.previous_size) / Math.sqrt(Math.max(c.size + c.previous_size, 1));
    const growth = c.previous_size === 0 ? ['new this week', '本周新出现'] : [`${signed((100 * (c.size - c.previous_size)) / c.previous_size)} % on the week before (${int(c.previous_size)})`, `较前一周（${int(c.previous_size)}）${signed((100 * (c.size - c.previous_size)) / c.previous_size)} %`];
    push(out, {
      kind: 'candidate_need', movement: true, z, n: c.users,
      en: `A need nobody has named yet, "${c.label}": ${int(c.size)} requests from ${int(c.users)} users this week, ${growth[0]} (candidate #${c.id}).`,
      zh: `一个尚未命名的需求“${c.label}”：本周 ${int(c.users)} 位用户的 ${int(c.size)} 个请求，${growth[1]}（候选 #${c.id}）。`,
    });
  }
}

/** The share of requests of no known need, the last 7 days against the weeks before. */
function outOfScope(data: ReportData, out: Signal[]): void {
  const o = data.out_of_scope;
  if (o === null) return;
  const weekAgo = new Date(Date.parse(o.to) - 7 * 86_400_000).toISOString().slice(0, 10);
  const sum = (days: typeof o.days) => days.reduce((a, d) => ({ answered: a.answered + d.answered, flagged: a.flagged + d.flagged }), { answered: 0, flagged: 0 });
  const [now, then] = [sum(o.days.filter((d) => d.date >= weekAgo)), sum(o.days.filter((d) => d.date < weekAgo))];
  if (now.answered === 0 || then.answered === 0) return;
  const [a, b] = [then.flagged / then.answered, now.flagged / now.answered];
  push(out, {
    kind: 'out_of_scope', movement: true, z: twoProportions(then.flagged, then.answered, now.flagged, now.answered), n: now.answered,
    en: `${pct(b)} of requests in the last 7 days were none of the known needs (${int(now.flagged)} of ${int(now.answered)}), against ${pct(a)} in the weeks before (${int(then.flagged)} of ${int(then.answered)}).`,
    zh: `最近 7 天 ${pct(b)} 的请求不属于任何已知需求（${int(now.answered)} 个中的 ${int(now.flagged)} 个），之前几周为 ${pct(a)}（${int(then.answered)} 个中的 ${int(then.flagged)} 个）。`,
  });
}

/** What users ask for, use and get, in shares of requests: the category of each column whose share moved most. */
function shares(data: ReportData, out: Signal[]): void {
  const cells = (data.drift?.cells ?? []).filter((c) => c.population === -1 && c.histogram !== null && c.histogram.bins.length > 0);
  const words: Record<string, (bin: string) => [string, string] | null> = {
    predicted_intent: (bin) => (data.labels[bin] === undefined ? null : [`Requests for "${data.labels[bin].en}"`, `对“${data.labels[bin].zh}”的请求`]),
    feature: (bin) => [`Use of the feature "${bin}"`, `功能“${bin}”的使用`],
    outcome: (bin) => ({ success: ['Requests that succeeded', '成功的请求'], failure: ['Requests that failed', '失败的请求'], abandoned: ['Requests users abandoned', '被用户放弃的请求'] } as Record<string, [string, string]>)[bin] ?? null,
  };
  const kinds: Record<string, Signal['kind']> = { predicted_intent: 'need_share', feature: 'feature_share', outcome: 'outcome_share' };
  for (const c of cells) {
    const say = words[c.column];
    if (say === undefined) continue;
    const h = c.histogram!;
    const [na, nb] = [h.reference.reduce((x, y) => x + y, 0), h.current.reduce((x, y) => x + y, 0)];
    let best: { z: number; i: number; text: [string, string] } | null = null;
    h.bins.forEach((bin, i) => {
      const text = say(bin);
      const z = twoProportions(h.reference[i], na, h.current[i], nb);
      if (text !== null && (best === null || Math.abs(z) > Math.abs(best.z))) best = { z, i, text };
    });
    if (best === null) continue;
    const { z, i, text } = best as { z: number; i: number; text: [string, string] };
    const [a, b] = [h.reference[i] / na, h.current[i] / nb];
    push(out, {
      kind: kinds[c.column], movement: true, z, n: Math.min(na, nb),
      en: `${text[0]} went from ${pct(a)} to ${pct(b)} of requests (n ${int(nb)} this window, ${int(na)} before).`,
      zh: `${text[1]}从请求的 ${pct(a)} 变为 ${pct(b)}（本窗口 n ${int(nb)}，之前 ${int(na)}）。`,
    });
  }
}

/** NPS and CSAT against the previous report's window. */
function experienceChanges(data: ReportData, out: Signal[]): void {
  const tiles = data.briefing?.tiles;
  if (tiles === null || tiles === undefined) return;
  for (const [key, name] of [['nps', 'NPS'], ['csat', 'CSAT']] as const) {
    const i = tiles[key];
    const [se, sp] = [seOf(i), i.previous === null ? null : seOf(i.previous)];
    if (i.same_window || i.previous === null || i.value === null || i.previous.value === null || se === null || sp === null) continue;
    const d = i.value - i.previous.value;
    const unit = key === 'csat' ? ' %' : '';
    push(out, {
      kind: key === 'nps' ? 'nps_change' : 'csat_change', movement: true, z: d / Math.sqrt(se * se + sp * sp), n: Math.min(i.n, i.previous.n),
      en: `${name} ${d > 0 ? 'rose' : 'fell'} from ${Math.round(i.previous.value)}${unit} to ${Math.round(i.value)}${unit} (95 % interval ${Math.round(i.low!)} to ${Math.round(i.high!)}, n ${int(i.n)}; ${int(i.previous.n)} before).`,
      zh: `${name} 从 ${Math.round(i.previous.value)}${unit} ${d > 0 ? '升至' : '降至'} ${Math.round(i.value)}${unit}（95 % 区间 ${Math.round(i.low!)} 至 ${Math.round(i.high!)}，n ${int(i.n)}；之前 ${int(i.previous.n)}）。`,
    });
  }
}

/** Corrections to a need the model does not know. */
function emerging(data: ReportData, out: Signal[]): void {
  for (const e of data.drift?.emerging_needs ?? []) {
    const l = data.labels[e.need] ?? { en: e.need, zh: e.need };
    push(out, {
      kind: 'emerging_need', movement: true, z: Math.sqrt(e.current), n: e.current,
      en: `Users ask for ${l.en}, which the model does not know: ${int(e.current)} requests corrected to it this week.`,
      zh: `用户需要模型尚不认识的${l.zh}：本周有 ${int(e.current)} 个请求被更正为该需求。`,
    });
  }
}

/** Every signal of the report's data, strongest first. */
export function strongestSignals(data: ReportData): Signal[] {
  const out: Signal[] = [];
  segmentExperience(data, out);
  unmetNeeds(data, out);
  candidateNeeds(data, out);
  outOfScope(data, out);
  shares(data, out);
  experienceChanges(data, out);
  emerging(data, out);
  return out.sort((a, b) => Math.abs(b.z) - Math.abs(a.z));
}

/** The summary's headlines: the strongest signals on enough answers. */
export function headlines(signals: readonly Signal[], count = 4): Signal[] {
  return signals.filter((s) => !s.few).slice(0, count);
}
