/**
 * Need scores, NPS and CSAT for a set of survey answers, overall, per segment and per
 * week. Input is counts of identical answers — what Postgres returns from a GROUP BY, or
 * one per answer when reading a file — so node never walks millions of rows.
 */
import { customerSatisfaction } from './customer-satisfaction.js';
import type { ScoreWithInterval } from './net-promoter-score.js';
import { netPromoterScore } from './net-promoter-score.js';
import { needScore, type NeedAnswers, type NeedScore } from './need-score.js';
import type { Tally } from './tally.js';

/** `count` responses gave this need these answers (null = blank). */
export interface AnswerCount {
  need: string;
  segment: number | null;
  week: string;
  importance: number | null;
  satisfaction: number | null;
  kano_functional: number | null;
  kano_dysfunctional: number | null;
  count: number;
}

/** `count` responses gave this NPS and CSAT (null = blank). */
export interface ResponseCount {
  segment: number | null;
  week: string;
  nps: number | null;
  csat: number | null;
  count: number;
}

export interface NeedRow extends NeedScore {
  need: string;
  /** null for all respondents. */
  segment: number | null;
}

export interface NeedAnalysis {
  needs: NeedRow[];
  nps: ScoreWithInterval;
  csat: ScoreWithInterval;
  segments: { segment: number; nps: ScoreWithInterval; csat: ScoreWithInterval }[];
  trends: {
    needs: (NeedRow & { week: string })[];
    experience: { week: string; nps: ScoreWithInterval; csat: ScoreWithInterval }[];
  };
}

function emptyAnswers(): NeedAnswers {
  return {
    importance: { min: 1, counts: [0, 0, 0, 0, 0] },
    satisfaction: { min: 1, counts: [0, 0, 0, 0, 0] },
    kano: Array.from({ length: 5 }, () => [0, 0, 0, 0, 0]),
    respondents: 0,
    both: { n: 0, importance: 0, satisfaction: 0, top: 0 },
  };
}

function addAnswer(into: NeedAnswers, a: AnswerCount): void {
  const inScale = (v: number | null): v is number => v !== null && Number.isInteger(v) && v >= 1 && v <= 5;
  if (inScale(a.importance)) into.importance.counts[a.importance - 1] += a.count;
  if (inScale(a.satisfaction)) into.satisfaction.counts[a.satisfaction - 1] += a.count;
  if (inScale(a.kano_functional) && inScale(a.kano_dysfunctional)) (into.kano[a.kano_functional - 1] as number[])[a.kano_dysfunctional - 1] += a.count;
  if (inScale(a.importance) || inScale(a.satisfaction)) into.respondents += a.count;
  if (inScale(a.importance) && inScale(a.satisfaction)) {
    const [i, s] = [a.importance >= 4, a.satisfaction >= 4];
    into.both.n += a.count;
    if (i) into.both.importance += a.count;
    if (s) into.both.satisfaction += a.count;
    if (i && s) into.both.top += a.count;
  }
}

function group<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = make()));
  return v;
}

function experience(rows: readonly ResponseCount[]): { nps: ScoreWithInterval; csat: ScoreWithInterval } {
  const nps: Tally = { min: 0, counts: new Array<number>(11).fill(0) };
  const csat: Tally = { min: 1, counts: new Array<number>(5).fill(0) };
  for (const r of rows) {
    if (r.nps !== null && r.nps >= 0 && r.nps <= 10) nps.counts[r.nps] += r.count;
    if (r.csat !== null && r.csat >= 1 && r.csat <= 5) csat.counts[r.csat - 1] += r.count;
  }
  return { nps: netPromoterScore(nps), csat: customerSatisfaction(csat) };
}

/**
 * Scores every need of `needs` (in that order), overall and — when answers carry a
 * segment — per segment, plus weekly trends of the overall scores.
 */
export function analyzeNeedAnswers(answers: Iterable<AnswerCount>, responses: readonly ResponseCount[], needs: readonly string[]): NeedAnalysis {
  const overall = new Map<string, NeedAnswers>();
  const bySegment = new Map<string, NeedAnswers>();
  const byWeek = new Map<string, NeedAnswers>();
  const segmentIds = new Set<number>();
  for (const a of answers) {
    addAnswer(group(overall, a.need, emptyAnswers), a);
    addAnswer(group(byWeek, `${a.week}\u0000${a.need}`, emptyAnswers), a);
    if (a.segment !== null) {
      segmentIds.add(a.segment);
      addAnswer(group(bySegment, `${a.segment}\u0000${a.need}`, emptyAnswers), a);
    }
  }
  for (const r of responses) if (r.segment !== null) segmentIds.add(r.segment);
  const segments = [...segmentIds].sort((a, b) => a - b);
  const weeks = [...new Set(responses.map((r) => r.week))].sort();

  const rows: NeedRow[] = [];
  for (const need of needs) rows.push({ need, segment: null, ...needScore(overall.get(need) ?? emptyAnswers()) });
  for (const segment of segments) {
    for (const need of needs) rows.push({ need, segment, ...needScore(bySegment.get(`${segment}\u0000${need}`) ?? emptyAnswers()) });
  }
  const trendNeeds: NeedAnalysis['trends']['needs'] = [];
  for (const week of weeks) {
    for (const need of needs) {
      const answersOfWeek = byWeek.get(`${week}\u0000${need}`);
      if (answersOfWeek !== undefined) trendNeeds.push({ week, need, segment: null, ...needScore(answersOfWeek) });
    }
  }
  return {
    needs: rows,
    ...experience(responses),
    segments: segments.map((segment) => ({ segment, ...experience(responses.filter((r) => r.segment === segment)) })),
    trends: {
      needs: trendNeeds,
      experience: weeks.map((week) => ({ week, ...experience(responses.filter((r) => r.week === week)) })),
    },
  };
}

/** Monday (UTC) of the ISO week of a date, as YYYY-MM-DD — the key of weekly trends. */
export function isoWeekStart(date: Date): string {
  const day = (date.getUTCDay() + 6) % 7;
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() - day)).toISOString().slice(0, 10);
}
