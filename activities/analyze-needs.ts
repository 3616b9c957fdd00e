/**
 * The need analysis of a window: scores per need (overall and per segment), NPS, CSAT,
 * weekly trends, and what survey comments are about — counted in Postgres, scored in
 * analytics/, stored for the report.
 */
import { analyzeNeedAnswers, labelMatcher, termGrowth, type NeedAnalysis } from '../analytics/index.js';
import type { DatabaseHandle } from '../db/connection.js';
import type { NeedCatalogue } from '../db/need-catalogue.js';
import { storeNeedAnalysis } from '../db/queries/need-analyses.js';
import { latestSegmentRun } from '../db/queries/segment-runs.js';
import { countNeedAnswers, countResponses, surveyComments } from '../db/queries/survey-counts.js';
import { resolveWindow, type TimeWindow } from '../db/queries/time-window.js';

export interface NeedsInput {
  from?: Date;
  to?: Date;
  bySegment?: boolean;
  pipelineRunId?: string | null;
}

export interface CommentSummary {
  /** How many comments are about each need (by the production model once one exists). */
  by_need: { need: string; comments: number; share: number }[];
  unassigned: number;
  total: number;
  /** 'model N' when the production model classified them, else 'label words'. */
  classified_by: string;
  /** Terms whose share grew most against the previous window of equal length. */
  growing_terms: ReturnType<typeof termGrowth>;
}

export interface NeedsResult extends NeedAnalysis {
  window: { from: string; to: string };
  segment_run_id: string | null;
  segment_names: Record<number, string>;
  comments: CommentSummary;
  analysis_id: string | null;
}

export class AnalysisError extends Error {
  override name = 'AnalysisError';
}

/** Summarises comments: which need each is about, and the terms that grew. */
export function summarizeComments(current: readonly string[], previous: readonly string[], classify: (text: string) => string | null, needs: readonly string[], classifiedBy = 'label words'): CommentSummary {
  const counts = new Map<string, number>();
  let unassigned = 0;
  for (const text of current) {
    const need = classify(text);
    if (need === null) unassigned++;
    else counts.set(need, (counts.get(need) ?? 0) + 1);
  }
  return {
    by_need: needs.filter((n) => counts.has(n)).map((need) => ({ need, comments: counts.get(need)!, share: counts.get(need)! / current.length })).sort((a, b) => b.comments - a.comments),
    unassigned,
    total: current.length,
    classified_by: classifiedBy,
    growing_terms: termGrowth(current, previous, { phrases: true }),
  };
}

/** Assigns texts to needs in bulk (the production model); null for "no confident need". */
export interface CommentClassifier {
  name: string;
  classify(texts: readonly string[]): Promise<(string | null)[]>;
}

export async function analyzeNeeds(deps: { handle: DatabaseHandle; catalogue: NeedCatalogue; classifier?: CommentClassifier | null }, input: NeedsInput): Promise<NeedsResult> {
  const { db } = deps.handle;
  const window = await resolveWindow(db, 'survey_responses', input);
  if (window === null) throw new AnalysisError('no survey responses are stored yet: ingest a surveys file first (needloop ingest surveys.csv)');
  let segmentRunId: string | null = null;
  const segmentNames: Record<number, string> = {};
  if (input.bySegment) {
    const latest = await latestSegmentRun(db);
    if (latest === null) throw new AnalysisError('no segmentation is stored yet: run `needloop segment` first, or drop --by-segment');
    segmentRunId = latest.run.id;
    for (const s of latest.segments) segmentNames[s.segment_id] = s.name;
  }
  const needs = deps.catalogue.map((n) => n.id);
  const analysis = analyzeNeedAnswers(await countNeedAnswers(db, window, segmentRunId), await countResponses(db, window, segmentRunId), needs);
  const length = window.to.getTime() - window.from.getTime();
  const previous: TimeWindow = { from: new Date(window.from.getTime() - length), to: window.from };
  const current = await surveyComments(db, window);
  let classify = labelMatcher(deps.catalogue);
  let classifiedBy = 'label words';
  if (deps.classifier) {
    const assigned = new Map<string, string | null>();
    (await deps.classifier.classify(current)).forEach((need, i) => assigned.set(current[i], need));
    classify = (text) => assigned.get(text) ?? null;
    classifiedBy = deps.classifier.name;
  }
  const comments = summarizeComments(current, await surveyComments(db, previous), classify, needs, classifiedBy);
  const result: NeedsResult = {
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    segment_run_id: segmentRunId,
    segment_names: segmentNames,
    ...analysis,
    comments,
    analysis_id: null,
  };
  result.analysis_id = await storeNeedAnalysis(db, { window, segmentRunId, needs: analysis.needs, result, pipelineRunId: input.pipelineRunId });
  return result;
}
