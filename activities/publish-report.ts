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
import { MIN_GROUP_USERS } from '../models/evaluate.js';
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

/** The report's opening sentences, for a product manager. */
export function summarize(results: RunResults, minGroup = MIN_GROUP_USERS): string[] {
  const out: string[] = [];
  if (results.error !== undefined) out.push(`The run failed: ${results.error}`);
  const loaded = results.ingested?.filter((f) => f.status === 'loaded') ?? [];
  if (loaded.length > 0) out.push(`Loaded ${loaded.length} new file(s): ${loaded.map((f) => `${f.file} (${f.accepted} rows, ${f.rejected} rejected)`).join(', ')}.`);
  const unloaded = results.ingested?.filter((f) => f.status === 'failed') ?? [];
  if (unloaded.length > 0) out.push(`${unloaded.length} file(s) could not be loaded, and nothing of them is in these figures: ${unloaded.map((f) => basename(f.file)).join(', ')} (the run's errors say why).`);
  const unnamed = results.discovery?.candidates ?? [];
  if (unnamed.length > 0) out.push(`${unnamed.length} need(s) nobody has named yet: ${unnamed.slice(0, 3).map((c) => `"${c.label}" (${c.size} requests, ${c.growth === null ? 'new' : `${c.growth >= 0 ? '+' : ''}${(100 * c.growth).toFixed(0)} % on the week before`})`).join(', ')} — see "Needs nobody has named yet".`);
  const top = results.needs?.top_needs ?? [];
  if (top.length > 0) out.push(`Top unmet needs by opportunity: ${top.map((n) => `${n.need} (${n.opportunity?.toFixed(1)})`).join(', ')}.`);
  if (results.segments) out.push(`Users fall into ${results.segments.k} segments: ${results.segments.segments.map((s) => `${s.name} (${s.size < minGroup ? `fewer than ${minGroup}` : s.size})`).join(', ')}.`);
  // Users' behaviour and the model's fitness are two questions: each sentence answers one.
  // One truth: a sentence about drift never says "no drift" while a drift reason stands
  // (the model's checks — request texts, accuracy, recall, out-of-scope — are drift too).
  if (results.drift) {
    const columns = results.drift.drifted_columns;
    const reasons = results.drift.reasons ?? [];
    if (columns.length > 0) out.push(`Columns that drifted for all users: ${columns.join(', ')}${results.drift.dataset_drift ? '' : ' (too few for dataset drift)'}.`);
    else if (reasons.length > 0) out.push(`Usage and survey columns are steady for all users, but what users ask has changed: ${reasons.join('; ')}.`);
    else out.push('No usage or survey column drifted for all users, and the model\'s own checks found no change.');
    if (results.drift.emerging_needs.length > 0) out.push(`Emerging needs: ${results.drift.emerging_needs.join(', ')}.`);
  }
  if (results.decision !== undefined) {
    const about = results.drift?.model ? `production model ${results.drift.model}` : 'the model';
    // The drift sentence above already gives drift's reasons: the decision names only the others.
    const given = new Set(results.drift?.reasons ?? []);
    const own = results.decision.reasons.filter((r) => !given.has(r));
    if (results.decision.retrain) out.push(own.length === 0 && given.size > 0 ? 'Retrained because of the change above.' : `Retrained: ${(own.length > 0 ? own : results.decision.reasons).join('; ')}${own.length > 0 && given.size > 0 ? ', and the change above' : ''}.`);
    else out.push(`The model was not retrained: nothing calls for it${results.decision.reasons.length > 0 ? ` (${results.decision.reasons.join('; ')})` : ` — ${about} holds up`}.`);
  }
  if (results.training !== undefined) out.push(`Candidate model ${results.training.candidate_id} was ${results.training.fine_tuned ? 'fine-tuned from production' : 'trained as the first model'}${results.training.new_intents.length > 0 ? `, learning ${results.training.new_intents.join(', ')}` : ''}.`);
  if (results.evaluation !== undefined) {
    const e = results.evaluation;
    const failed = e.reasons.filter((r) => r.startsWith('FAIL')).map((r) => r.slice(5));
    out.push(e.blessed ? 'The gate blessed it.' : e.nothing_to_gain ? `Production stays: the candidate has nothing to gain over it (${failed.join('; ')}).` : `The gate refused it: ${failed.join('; ')}.`);
  }
  const a = results.approval;
  if (a !== undefined) {
    if (a.kind === 'approve') out.push(`${a.by} approved it: it is the production model now.`);
    else if (a.kind === 'reject') out.push(`${a.by} rejected it${a.comment ? `: ${a.comment}` : ''}.`);
    else if (a.kind === 'expired') out.push('Nobody decided in time: the candidate expired and production is unchanged.');
    else if (a.kind === 'pending') out.push('It awaits an engineer\'s approval.');
  }
  return out;
}

export async function publishRunReport(deps: { db: Kysely<Database>; reportsDir: string; catalogue: NeedCatalogue; minGroup?: number }, input: { run_id: string; results: unknown }): Promise<{ path: string; latest: string; bytes: number }> {
  const results = input.results as RunResults & Record<string, unknown>;
  const minGroup = deps.minGroup ?? MIN_GROUP_USERS;
  const data = await reportData(deps.db, deps.catalogue, { id: input.run_id, results, summary: summarize(results, minGroup) }, { minGroup });
  const html = renderReport(data);
  if (!/^\d{1,18}$/.test(input.run_id)) throw new ReportError(`${JSON.stringify(input.run_id)} is not a pipeline run id`);
  const path = join(deps.reportsDir, `run-${input.run_id}.html`);
  const latest = join(deps.reportsDir, 'latest.html');
  try {
    // Reports quote what users typed: readable by the owner and their group, not the world.
    await mkdir(deps.reportsDir, { recursive: true, mode: 0o750 });
    for (const target of [path, latest]) {
      await writeFile(`${target}.partial`, html, { mode: REPORT_MODE });
      await chmod(`${target}.partial`, REPORT_MODE); // the mode above is masked by the umask
      await rename(`${target}.partial`, target);
    }
  } catch (error) {
    throw new ReportError(`cannot write the report to ${deps.reportsDir}: ${(error as Error).message}`);
  }
  await deps.db.insertInto('reports').values({ pipeline_run_id: input.run_id, path, bytes: Buffer.byteLength(html) }).execute();
  return { path, latest, bytes: Buffer.byteLength(html) };
}
