/**
 * Writes a run's report to `<reports>/<run>.html` and `<reports>/latest.html` (each
 * written to a temporary file and renamed, so a reader never sees half a page) and
 * records it in `reports`.
 */
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { NeedCatalogue } from '../db/need-catalogue.js';
import { renderReport } from '../web/report.js';
import { columnLabel } from '../web/briefing.js';
import { MIN_GROUP_USERS } from '../models/evaluate.js';
import { zhSentences } from '../web/zh-text.js';
import { personaNameZh } from '../analytics/persona-name.js';
import { reportData } from './report-data.js';

const REPORT_MODE = 0o640;

export class ReportError extends Error {
  override name = 'ReportError';
}

interface RunResults {
  ingested?: { file: string; status: string; accepted: number; rejected: number }[];
  segments?: { k: number; segments: { name: string; size: number }[] } | null;
  needs?: { top_needs: { need: string; opportunity: number | null }[]; nps: number | null } | null;
  discovery?: { candidates: { label: string; size: number; growth: number | null; new: boolean }[] } | null;
  drift?: { dataset_drift: boolean; drifted_columns: string[]; emerging_needs: string[]; model?: string | null; reasons?: string[]; notes?: string[] } | null;
  decision?: { retrain: boolean; first_model?: boolean; reasons: string[] };
  training?: { candidate_id: string; fine_tuned: boolean; new_intents: string[] };
  evaluation?: { blessed: boolean; nothing_to_gain?: boolean; reasons: string[] };
  approval?: { kind: string; by?: string; comment?: string | null };
  error?: string;
}

/** How summarize names needs and columns, and which language it writes. */
export interface SummaryWords {
  lang: 'en' | 'zh';
  /** A need's label in that language (its id when the catalogue lacks it). */
  label(need: string): string;
  /** A drift column's name in words (web/briefing.ts's columnLabel). */
  column?(column: string): string;
}

const ENGLISH: SummaryWords = { lang: 'en', label: (need) => need };

/**
 * The report's sentences about the run itself, for a product manager, in English or
 * Chinese: what loaded, the needs nobody named, the segments, drift, the decision, the
 * candidate, the gate and the approval. The strongest signals lead them (web/signals.ts,
 * added by reportData). Reasons written by the analyses are given in the report's language
 * (web/zh-text.ts); quotations of users' text stay as written.
 */
export function summarize(results: RunResults, minGroup = MIN_GROUP_USERS, words: SummaryWords = ENGLISH): string[] {
  const zh = words.lang === 'zh';
  const w = (en: string, chinese: string) => (zh ? chinese : en);
  const list = (items: string[]) => items.join(zh ? '、' : ', ');
  const said = (reasons: readonly string[]) => (zh ? zhSentences(reasons) : reasons.join('; '));
  const column = words.column ?? ((c: string) => c);
  const out: string[] = [];
  if (results.error !== undefined) out.push(w(`The run failed: ${results.error}`, `本次运行失败：${results.error}`));
  const loaded = results.ingested?.filter((f) => f.status === 'loaded') ?? [];
  if (loaded.length > 0) out.push(w(`Loaded ${loaded.length} new file(s): ${loaded.map((f) => `${f.file} (${f.accepted} rows, ${f.rejected} rejected)`).join(', ')}.`, `加载了 ${loaded.length} 个新文件：${loaded.map((f) => `${f.file}（${f.accepted} 行，拒绝 ${f.rejected} 行）`).join('、')}。`));
  else if (results.ingested !== undefined) out.push(w('Nothing new arrived: no new file in the inbox, so these figures are the same data as the previous report.', '没有新数据：收件箱中没有新文件，这些数字与上一份报告的数据相同。'));
  const unloaded = results.ingested?.filter((f) => f.status === 'failed') ?? [];
  if (unloaded.length > 0) out.push(w(`${unloaded.length} file(s) could not be loaded, and nothing of them is in these figures: ${unloaded.map((f) => basename(f.file)).join(', ')} (the run's errors say why).`, `${unloaded.length} 个文件未能加载，这些数字中不含它们的任何内容：${unloaded.map((f) => basename(f.file)).join('、')}（原因见运行错误）。`));
  const unnamed = results.discovery?.candidates ?? [];
  if (unnamed.length > 0) {
    const growth = (c: (typeof unnamed)[number]) => (c.growth === null ? w('new', '新出现') : w(`${c.growth >= 0 ? '+' : ''}${(100 * c.growth).toFixed(0)} % on the week before`, `较前一周 ${c.growth >= 0 ? '+' : ''}${(100 * c.growth).toFixed(0)} %`));
    out.push(w(`${unnamed.length} need(s) nobody has named yet: ${unnamed.slice(0, 3).map((c) => `"${c.label}" (${c.size} requests, ${growth(c)})`).join(', ')} — see "Needs nobody has named yet".`, `${unnamed.length} 个尚未命名的需求：${unnamed.slice(0, 3).map((c) => `“${c.label}”（${c.size} 个请求，${growth(c)}）`).join('、')}——见“尚未命名的需求”。`));
  }
  if (results.segments) {
    const size = (n: number) => (n < minGroup ? w(`fewer than ${minGroup}`, `少于 ${minGroup}`) : String(n));
    out.push(w(`Users fall into ${results.segments.k} segments: ${results.segments.segments.map((s) => `${s.name} (${size(s.size)})`).join(', ')}.`, `用户分为 ${results.segments.k} 个细分群体：${results.segments.segments.map((s) => `${personaNameZh(s.name)}（${size(s.size)}）`).join('、')}。`));
  }
  // One truth: a sentence about drift never says "no drift" while a drift reason stands
  // (the model's checks — request texts, accuracy, recall, out-of-scope — are drift too).
  if (results.drift) {
    const columns = results.drift.drifted_columns.map(column);
    const reasons = results.drift.reasons ?? [];
    if (columns.length > 0) out.push(w(`Columns that drifted for all users: ${columns.join(', ')}${results.drift.dataset_drift ? '' : ' (too few for dataset drift)'}.`, `全部用户中发生漂移的列：${columns.join('、')}${results.drift.dataset_drift ? '' : '（不足以构成数据集漂移）'}。`));
    else if (reasons.length > 0) out.push(w(`Usage and survey columns are steady for all users, but what users ask has changed: ${said(reasons)}.`, `全部用户的使用和调查列保持稳定，但用户的请求发生了变化：${said(reasons)}。`));
    else out.push(w('No usage or survey column drifted for all users, and the model\'s own checks found no change.', '全部用户的使用和调查列均未漂移，模型自身的检查也未发现变化。'));
    if (results.drift.emerging_needs.length > 0) out.push(w(`Emerging needs: ${list(results.drift.emerging_needs.map(words.label))}.`, `新兴需求：${list(results.drift.emerging_needs.map(words.label))}。`));
  }
  if (results.decision !== undefined) {
    const about = results.drift?.model ? w(`production model ${results.drift.model}`, `生产模型 ${results.drift.model}`) : w('the model', '模型');
    // The drift sentence above already gives drift's reasons: the decision names only the others.
    const given = new Set(results.drift?.reasons ?? []);
    const own = results.decision.reasons.filter((r) => !given.has(r));
    if (results.decision.retrain) {
      if (own.length === 0 && given.size > 0) out.push(w('Retrained because of the change above.', '因上述变化而重新训练。'));
      else out.push(w(`Retrained: ${said(own.length > 0 ? own : results.decision.reasons)}${own.length > 0 && given.size > 0 ? ', and the change above' : ''}.`, `重新训练：${said(own.length > 0 ? own : results.decision.reasons)}${own.length > 0 && given.size > 0 ? '，以及上述变化' : ''}。`));
    } else {
      const why = results.decision.reasons.length > 0 ? w(` (${said(results.decision.reasons)})`, `（${said(results.decision.reasons)}）`) : w(` — ${about} holds up`, `——${about}表现稳定`);
      out.push(w(`The model was not retrained: nothing calls for it${why}.`, `模型未重新训练：没有需要的理由${why}。`));
    }
  }
  if (results.training !== undefined) {
    const t = results.training;
    out.push(w(`Candidate model ${t.candidate_id} was ${t.fine_tuned ? 'fine-tuned from production' : 'trained as the first model'}${t.new_intents.length > 0 ? `, learning ${list(t.new_intents.map(words.label))}` : ''}.`, `候选模型 ${t.candidate_id} ${t.fine_tuned ? '由生产模型微调而来' : '作为第一个模型训练'}${t.new_intents.length > 0 ? `，学习了${list(t.new_intents.map(words.label))}` : ''}。`));
  }
  if (results.evaluation !== undefined) {
    const e = results.evaluation;
    const failed = e.reasons.filter((r) => r.startsWith('FAIL')).map((r) => r.slice(5));
    out.push(e.blessed ? w('The gate blessed it.', '它通过了评审门。') : e.nothing_to_gain
      ? w(`Production stays: the candidate has nothing to gain over it (${said(failed)}).`, `生产模型保持不变：候选模型没有提升（${said(failed)}）。`)
      : w(`The gate refused it: ${said(failed)}.`, `评审门拒绝了它：${said(failed)}。`));
  }
  const a = results.approval;
  if (a !== undefined) {
    if (a.kind === 'approve') out.push(w(`${a.by} approved it: it is the production model now.`, `${a.by} 批准了它：它现在是生产模型。`));
    else if (a.kind === 'reject') out.push(w(`${a.by} rejected it${a.comment ? `: ${a.comment}` : ''}.`, `${a.by} 拒绝了它${a.comment ? `：${a.comment}` : ''}。`));
    else if (a.kind === 'expired') out.push(w('Nobody decided in time: the candidate expired and production is unchanged.', '无人及时决定：候选模型已过期，生产模型不变。'));
    else if (a.kind === 'pending') out.push(w('It awaits an engineer\'s approval.', '它正在等待工程师批准。'));
  }
  return out;
}

type ReportDeps = { db: Kysely<Database>; reportsDir: string; catalogue: NeedCatalogue; minGroup?: number };

/** Renders run `runId`'s report as its results stand, and writes it (temporary file, then rename) to each target. */
async function writeRunReport(deps: ReportDeps, runId: string, results: RunResults & Record<string, unknown>, targets: (path: string) => string[]): Promise<{ path: string; bytes: number }> {
  if (!/^\d{1,18}$/.test(runId)) throw new ReportError(`${JSON.stringify(runId)} is not a pipeline run id`);
  const minGroup = deps.minGroup ?? MIN_GROUP_USERS;
  const labels = new Map(deps.catalogue.map((n) => [n.id, n.label]));
  const named = Object.fromEntries(deps.catalogue.map((n) => [n.id, n.label]));
  const words = (lang: 'en' | 'zh'): SummaryWords => ({ lang, label: (need) => labels.get(need)?.[lang] ?? need, column: (c) => columnLabel(c, named)[lang] });
  const data = await reportData(deps.db, deps.catalogue, { id: runId, results, summary: summarize(results, minGroup, words('en')), summary_zh: summarize(results, minGroup, words('zh')) }, { minGroup });
  const html = renderReport(data);
  const path = join(deps.reportsDir, `run-${runId}.html`);
  try {
    // Reports quote what users typed: readable by the owner and their group, not the world.
    await mkdir(deps.reportsDir, { recursive: true, mode: 0o750 });
    for (const target of targets(path)) {
      await writeFile(`${target}.partial`, html, { mode: REPORT_MODE });
      await chmod(`${target}.partial`, REPORT_MODE); // the mode above is masked by the umask
      await rename(`${target}.partial`, target);
    }
  } catch (error) {
    throw new ReportError(`cannot write the report to ${deps.reportsDir}: ${(error as Error).message}`);
  }
  await deps.db.insertInto('reports').values({ pipeline_run_id: runId, path, bytes: Buffer.byteLength(html) }).execute();
  return { path, bytes: Buffer.byteLength(html) };
}

/** The newest run that has published a report, with its results as recorded. */
async function newestReported(db: Kysely<Database>): Promise<{ id: string; results: RunResults & Record<string, unknown> } | null> {
  const row = await db.selectFrom('pipeline_runs').select(['id', 'results'])
    .where('results', 'is not', null).where('id', 'in', (eb) => eb.selectFrom('reports').select('pipeline_run_id'))
    .orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row === undefined ? null : { id: row.id, results: row.results as RunResults & Record<string, unknown> };
}

/**
 * Writes a run's report to `<reports>/run-<id>.html`, and `latest.html` with the newest
 * state: when a later run has published already (run 13 approved while run 14's report
 * exists), the later run's report is written again — it now shows the decision, the model
 * serving and what waits — and `latest.html` is that one. `latest.html` never goes back.
 */
export async function publishRunReport(deps: ReportDeps, input: { run_id: string; results: unknown }): Promise<{ path: string; latest: string; bytes: number; latest_run?: string }> {
  const latest = join(deps.reportsDir, 'latest.html');
  const newest = /^\d{1,18}$/.test(input.run_id) ? await newestReported(deps.db) : null;
  const later = newest !== null && BigInt(newest.id) > BigInt(input.run_id);
  const own = await writeRunReport(deps, input.run_id, input.results as RunResults & Record<string, unknown>, (path) => (later ? [path] : [path, latest]));
  if (later) await writeRunReport(deps, newest.id, newest.results, (path) => [path, latest]);
  // latest_run: whose report latest.html now is, when it is a later run's.
  return { path: own.path, latest, bytes: own.bytes, ...(later ? { latest_run: newest.id } : {}) };
}

/**
 * After a decision taken outside a run (`promote`, `rollback`, `needs adopt`, `needs
 * dismiss`): the newest run's report, written again as things stand now, and `latest.html`
 * with it. Null when no run has published a report yet.
 */
export async function republishNewest(deps: ReportDeps): Promise<{ path: string; latest: string } | null> {
  const newest = await newestReported(deps.db);
  if (newest === null) return null;
  const latest = join(deps.reportsDir, 'latest.html');
  const own = await writeRunReport(deps, newest.id, newest.results, (path) => [path, latest]);
  return { path: own.path, latest };
}
