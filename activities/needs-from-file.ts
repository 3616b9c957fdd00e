/**
 * The need analysis of an exported surveys file, without a database: rows are checked by
 * the same contract as ingest (bad ones are reported with line and reason), then scored
 * exactly as in database mode.
 */
import { readFile } from 'node:fs/promises';
import { analyzeNeedAnswers, isoWeekStart, labelMatcher, type AnswerCount, type ResponseCount } from '../analytics/index.js';
import { contractFor, type TextScrubber } from '../db/ingest/contracts.js';
import { fromCopyText } from '../db/ingest/copy-text.js';
import { checkHeader, detectLayout } from '../db/ingest/layout.js';
import { parseCsvFields } from '../db/ingest/records.js';
import { scanFile } from '../db/ingest/scan-file.js';
import type { NeedCatalogue } from '../db/need-catalogue.js';
import { DEFAULT_WINDOW_DAYS } from '../db/queries/time-window.js';
import { AnalysisError, summarizeComments, type NeedsResult } from './analyze-needs.js';

interface ParsedResponse {
  user_id: string;
  at: Date;
  nps: number | null;
  csat: number | null;
  comment: string | null;
  answers: Record<string, (number | null)[]>;
}

const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** ISO 8601 without an offset is UTC, as in ingest (JavaScript would read it as local time). */
function utc(value: string): Date {
  return new Date(/[zZ]|[+-]\d{2}:?\d{2}$/.test(value) || !value.includes('T') ? value : `${value}Z`);
}

async function readSegments(file: string): Promise<Map<string, number>> {
  const lines = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = (parseCsvFields(lines[0]) as string[]).map((h) => h.trim());
  const [u, s] = [header.indexOf('user_id'), header.indexOf('segment')];
  if (u === -1 || s === -1) throw new AnalysisError(`${file}:1: needs columns user_id and segment`);
  const map = new Map<string, number>();
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const fields = parseCsvFields(line);
    const segment = typeof fields === 'string' ? NaN : Number(fields[s]);
    if (typeof fields === 'string' || !Number.isInteger(segment)) throw new AnalysisError(`${file}:${i + 2}: segment must be a whole number`);
    map.set(fields[u], segment);
  });
  return map;
}

export async function analyzeNeedsFile(
  input: { file: string; segmentsFile?: string; from?: Date; to?: Date; catalogue: NeedCatalogue; maxFieldBytes: number; scrub?: TextScrubber | null },
): Promise<NeedsResult & { rejected: { line: number; reason: string }[] }> {
  // Comments are quoted in the result: personal data in them is replaced, as at ingest.
  const contract = contractFor('surveys', { catalogue: input.catalogue, maxFieldBytes: input.maxFieldBytes, scrub: input.scrub ?? null });
  const layout = await detectLayout(input.file, 'surveys', MAX_LINE_BYTES);
  checkHeader(input.file, layout, contract);
  const responses: ParsedResponse[] = [];
  const rejected: { line: number; reason: string }[] = [];
  await scanFile(input.file, layout, contract, {
    accept(_line, _raw, fields) {
      const [, user_id, submitted, nps, csat, comment, answers] = fields.map(fromCopyText);
      responses.push({
        user_id: user_id!,
        at: utc(submitted!),
        nps: nps === null ? null : Number(nps),
        csat: csat === null ? null : Number(csat),
        comment,
        answers: JSON.parse(answers!) as Record<string, (number | null)[]>,
      });
    },
    reject(line, _raw, reason) {
      rejected.push({ line, reason });
    },
    drained: async () => undefined,
  }, { maxLineBytes: MAX_LINE_BYTES });
  if (responses.length === 0) throw new AnalysisError(`${input.file}: no valid survey response to analyse${rejected.length > 0 ? ` (${rejected.length} rejected, first: line ${rejected[0].line}: ${rejected[0].reason})` : ''}`);

  const to = input.to ?? new Date(Math.max(...responses.map((r) => r.at.getTime())) + 1);
  const from = input.from ?? new Date(to.getTime() - DEFAULT_WINDOW_DAYS * 86_400_000);
  const length = to.getTime() - from.getTime();
  const segments = input.segmentsFile === undefined ? null : await readSegments(input.segmentsFile);
  const inWindow = responses.filter((r) => r.at >= from && r.at < to);
  const answers: AnswerCount[] = [];
  const counts: ResponseCount[] = [];
  for (const r of inWindow) {
    const segment = segments?.get(r.user_id) ?? null;
    const week = isoWeekStart(r.at);
    counts.push({ segment, week, nps: r.nps, csat: r.csat, count: 1 });
    for (const [need, [importance, satisfaction, f, d]] of Object.entries(r.answers)) {
      answers.push({ need, segment, week, importance, satisfaction, kano_functional: f, kano_dysfunctional: d, count: 1 });
    }
  }
  const needs = input.catalogue.map((n) => n.id);
  const comments = (list: ParsedResponse[]) => list.filter((r) => r.comment !== null).map((r) => r.comment!);
  const previous = responses.filter((r) => r.at.getTime() >= from.getTime() - length && r.at < from);
  return {
    window: { from: from.toISOString(), to: to.toISOString() },
    segment_run_id: null,
    segment_names: {},
    ...analyzeNeedAnswers(answers, counts, needs),
    comments: summarizeComments(comments(inWindow), comments(previous), labelMatcher(input.catalogue), needs),
    analysis_id: null,
    rejected,
  };
}
