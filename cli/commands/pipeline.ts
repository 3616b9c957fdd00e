/**
 * The pipeline's commands: run (local runner or Temporal), status, approve, reject. A
 * RUN that is a number is a local run (from `run --local`); anything else is a Temporal
 * workflow id.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import { describe } from './index.js';
import { createActivities, type PipelineActivities } from '../../activities/pipeline-activities.js';
import type { Config } from '../../config.js';
import type { DatabaseHandle } from '../../db/connection.js';
import { loadCatalogue } from '../../db/need-catalogue.js';
import { audit, DecisionProofError, findPipelineRun, latestPipelineRun, recordDecision, stepTimes, withPipelineLock, withRunLock, type DecisionProof, type StepTime } from '../../db/queries/pipeline-runs.js';
import type { PipelineRun } from '../../db/schema.js';
import { ModelStore } from '../../models/model-store.js';
import { DecisionRefused } from '../../workflows/approval.js';
import { decideLocally, runLocally, type LocalRunOutcome } from '../../workflows/local-runner.js';
import { approvePromotion, nightlyPipeline, rejectPromotion, statusQuery } from '../../workflows/nightly-pipeline.js';
import { runStatus } from '../../workflows/pipeline-plan.js';
import type { ApprovalDecision, PipelineInput, PipelineResults } from '../../workflows/types.js';
import { printJson, say, UserError } from '../output.js';
import { cliDecider } from '../credential.js';
import { scheduleIdOf } from './schedule.js';
import { connectClient } from '../temporal.js';
import { withDatabase } from './with-database.js';
import { waitingDecisions } from './decisions.js';

export function pipelineActivities(handle: DatabaseHandle, config: Config): PipelineActivities {
  return createActivities({ handle, config, store: new ModelStore(config.modelsDir), catalogue: loadCatalogue(config.catalogueFile) });
}

const isLocalRun = (run: string | undefined) => run === undefined || /^\d{1,18}$/.test(run);

export function describeResults(results: PipelineResults): string[] {
  const lines: string[] = [];
  for (const f of results.ingested ?? []) lines.push(`  ingested ${f.file}: ${f.status}, ${f.accepted} accepted, ${f.rejected} rejected${f.error ? ` — ${f.error}` : ''}`);
  if (results.segments) lines.push(`  segments: ${results.segments.k} (${results.segments.segments.map((s) => s.name).join(', ')})`);
  if (results.needs) lines.push(`  top needs: ${results.needs.top_needs.map((n) => n.need).join(', ')}`);
  if (results.drift) lines.push(`  columns drifted for all users: ${results.drift.drifted_columns.length === 0 ? 'none' : results.drift.drifted_columns.join(', ')}${results.drift.emerging_needs.length > 0 ? `; emerging needs: ${results.drift.emerging_needs.join(', ')}` : ''}`);
  if (results.decision) lines.push(`  retrain: ${results.decision.retrain ? `yes — ${results.decision.reasons.join('; ')}` : `no${results.decision.reasons.length > 0 ? ` — ${results.decision.reasons.join('; ')}` : results.drift?.model ? ` — production model ${results.drift.model} holds up` : ''}`}`);
  if (results.training) lines.push(`  candidate: model ${results.training.candidate_id} (${results.training.fine_tuned ? `fine-tuned from ${results.training.parent_id}` : 'first model'}, on ${results.training.device})`);
  if (results.evaluation) lines.push(`  gate: ${results.evaluation.blessed ? 'blessed' : `${results.evaluation.nothing_to_gain ? 'production stays, nothing to gain' : 'refused'} — ${results.evaluation.reasons.filter((r) => r.startsWith('FAIL')).join('; ')}`}`);
  if (results.approval && results.approval.kind !== 'pending') lines.push(`  decision: ${results.approval.kind}${results.approval.by ? ` by ${results.approval.by}` : ''}`);
  if (results.report) lines.push(`  report: ${results.report.path} (${results.report.latest_run === undefined ? `also ${results.report.latest}` : `${results.report.latest} is run ${results.report.latest_run}'s, newer, written again with this decision`})`);
  if (results.error) lines.push(`  error: ${results.error}`);
  return lines;
}

function printOutcome(outcome: LocalRunOutcome): void {
  say(`Pipeline run ${outcome.run_id}: ${outcome.status.replaceAll('_', ' ')}`);
  for (const line of describeResults(outcome.results)) say(line);
}

function outcomeJson(o: LocalRunOutcome) {
  return { run_id: o.run_id, runner: 'local', status: o.status, candidate: o.pending?.candidate_id ?? o.results.training?.candidate_id ?? null, approval_deadline: o.pending?.deadline ?? null, report: o.results.report?.path ?? null, results: o.results };
}

const STEP_WORDS: Record<string, string> = { awaiting_approval: 'waiting for approval', decide: 'decide', drift: 'drift and need discovery' };

/** How long each step took, a line each: "  ingest            12.3 s". */
export function describeSteps(steps: StepTime[], runStatus: string): string[] {
  if (steps.length === 0) return [];
  const width = Math.max(...steps.map((s) => (STEP_WORDS[s.step] ?? s.step).length));
  const lines = steps.map((s) => {
    const took = s.seconds !== null ? `${s.seconds.toFixed(1)} s` : runStatus === 'running' || runStatus === 'awaiting_approval' ? 'running' : 'did not finish';
    return `  ${(STEP_WORDS[s.step] ?? s.step).padEnd(width)}  ${took}`;
  });
  const work = steps.filter((s) => s.step !== 'awaiting_approval' && s.seconds !== null).reduce((t, s) => t + s.seconds!, 0);
  return ['Steps:', ...lines, `  ${'(working time)'.padEnd(width)}  ${work.toFixed(1)} s`];
}

function localStatus(run: PipelineRun) {
  const results = (run.results ?? {}) as PipelineResults;
  return {
    run_id: run.id, runner: run.runner, status: run.status, step: run.step, candidate: run.candidate_id, approval_deadline: run.approval_deadline,
    decision: run.decision, started_at: run.started_at, finished_at: run.finished_at, error: run.error, report: results.report?.path ?? null, results,
  };
}

export interface DecisionRequest {
  kind: 'approve' | 'reject';
  /** The model decided on; the one the run awaits when left out. */
  candidate?: string;
  by: string;
  comment: string | null;
  /** The approver's token and where the decision came from; checked by the database. */
  proof?: DecisionProof;
}

export type DecisionResult =
  | { ok: true; candidate: string; outcome: LocalRunOutcome | null; decision: ApprovalDecision | null }
  | { ok: false; reason: string };

/**
 * An engineer's decision on a run, by the one path the CLI and the approval page share: a
 * local run goes through the local runner, a Temporal run through its Update. RUN is a
 * run id (a number) or a Temporal workflow id.
 */
export async function decideRun(config: Config, handle: DatabaseHandle, run: string, d: DecisionRequest): Promise<DecisionResult> {
  let workflowId = run;
  if (isLocalRun(run)) {
    const stored = await findPipelineRun(handle.db, run);
    if (stored === null) return { ok: false, reason: `pipeline run ${run} does not exist` };
    if (stored.runner === 'temporal') workflowId = stored.run_key!;
    else {
      try {
        // One decision at a time on a run: the second waits, then is told it was decided.
        const outcome = await withRunLock(handle.pool, run, () => decideLocally(pipelineActivities(handle, config), run, d, { lockRun: (id, work) => (id === run ? work() : withRunLock(handle.pool, id, work)) }));
        return { ok: true, candidate: stored.candidate_id ?? '', outcome, decision: null };
      } catch (error) {
        const refused = refusal(error);
        if (refused !== null) return { ok: false, reason: refused };
        throw error;
      }
    }
  }
  if (workflowId === run && config.temporal.address === null) throw notARun(run);
  const client = await connectClient(config);
  try {
    const workflow = client.workflow.getHandle(workflowId);
    const candidate = d.candidate ?? (await workflow.query(statusQuery)).pending?.candidate_id ?? '';
    if (d.proof !== undefined) {
      // The decision and its audit row go into the database first, the token checked there:
      // the step that promotes (or rejects) finds it on record, and needs it to.
      const stored = await handle.db.selectFrom('pipeline_runs').select(['id', 'candidate_id']).where('run_key', '=', workflowId).executeTakeFirst();
      if (stored === undefined) return { ok: false, reason: `Temporal run ${workflowId} is not in this database: it belongs to another needloop database, or has not started` };
      if (stored.candidate_id !== candidate) return { ok: false, reason: `run ${workflowId} awaits a decision on model ${stored.candidate_id ?? 'none'}, not ${candidate}` };
      const recorded = await recordDecision(handle.db, stored.id, { kind: d.kind, by: d.by, comment: d.comment, at: new Date().toISOString() }, d.proof).catch((error: unknown) => {
        const refused = refusal(error);
        if (refused === null) throw error;
        return refused;
      });
      if (recorded !== true) return { ok: false, reason: typeof recorded === 'string' ? recorded : `pipeline run ${stored.id} awaits no decision: it was decided by someone else just now, or has ended (needloop status ${workflowId})` };
    }
    const decision = d.kind === 'approve'
      ? await workflow.executeUpdate(approvePromotion, { args: [{ candidate, by: d.by, comment: d.comment }] })
      : await workflow.executeUpdate(rejectPromotion, { args: [{ candidate, by: d.by, reason: d.comment ?? '' }] });
    return { ok: true, candidate, outcome: null, decision };
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) return { ok: false, reason: (error.cause as Error | undefined)?.message ?? error.message };
    if (error instanceof WorkflowNotFoundError) return { ok: false, reason: `there is no open Temporal run ${workflowId}: it has finished (needloop status ${workflowId}), or never started` };
    // Servers before 1.25 refuse Updates unless the dynamic config enables them.
    if (/update.*(disabled|not enabled)|enableUpdateWorkflowExecution/i.test((error as Error).message ?? '')) {
      return { ok: false, reason: 'this Temporal server refuses Updates: set frontend.enableUpdateWorkflowExecution to true in its dynamic config (needed before server 1.25), see "Running on Temporal" in the README' };
    }
    throw error;
  } finally {
    await client.connection.close();
  }
}

const notARun = (run: string) => new UserError(`${JSON.stringify(run)} is not a pipeline run: runs of this database have numeric ids (npx needloop status shows the latest and what waits for a decision); a Temporal workflow id needs TEMPORAL_ADDRESS set`);

/** A decision refused on the way: by the rules, or by the database (a token that does not hold). */
function refusal(error: unknown): string | null {
  if (error instanceof DecisionRefused || error instanceof DecisionProofError) return error.message;
  const e = error as { code?: string; message?: string };
  if (e.code === '28000' || e.code === '42501') return e.message ?? 'refused by the database';
  return null;
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

export function registerPipeline(program: Command, config: () => Config): void {
  program
    .command('run')
    .description(describe('run'))
    .option('--local', 'run in this process (the embedded default) instead of on Temporal')
    .option('--wait', 'Temporal: wait for the run to finish (it may await approval for days)')
    .option('--inbox <dir>', 'folder of data files to ingest first (default: NEEDLOOP_INBOX)')
    .option('--date <date>', 'Temporal: the night the run is for; one run per night (default: today, UTC)')
    .option('--seed <n>', 'training seed', '1')
    .option('--json', 'print {run_id, status, candidate, …} as JSON')
    .action(async (flags: { local?: boolean; wait?: boolean; inbox?: string; date?: string; seed: string; json?: boolean }) => {
      const cfg = config();
      const seed = Number(flags.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new UserError(`--seed must be a whole number (got ${flags.seed})`);
      const input: PipelineInput = { inbox: flags.inbox ?? cfg.inbox, approvalTimeoutMs: cfg.approvalTimeoutMs, seed, ...(flags.local ? {} : { heartbeatMs: cfg.heartbeatMs }) };
      if (flags.local) {
        const { outcome, waiting } = await withDatabase(cfg, async (handle) => {
          const done = await withPipelineLock(handle.pool, () => runLocally(pipelineActivities(handle, cfg), input, {
            lockRun: (id, work) => withRunLock(handle.pool, id, work),
            onStep: (step) => {
              if (!flags.json) process.stderr.write(`… ${step}\n`);
            },
          }));
          return { outcome: done, waiting: await waitingDecisions(handle.db) };
        });
        if (flags.json) printJson({ ...outcomeJson(outcome), pending: waiting.pending });
        else {
          printOutcome(outcome);
          for (const line of waiting.lines) say(line);
        }
        // A run whose inbox files failed to load is not a success either: cron should see it.
        if (outcome.status === 'failed' || outcome.status === 'completed_with_errors') process.exitCode = 1;
        return;
      }
      const date = flags.date ?? today();
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new UserError(`--date must be YYYY-MM-DD (got ${date})`);
      const client = await connectClient(cfg);
      const workflowId = `${scheduleIdOf(cfg.temporal.taskQueue)}-${date}`;
      try {
        const handle = await client.workflow.start(nightlyPipeline, {
          taskQueue: cfg.temporal.taskQueue, workflowId, args: [{ ...input, night: date }], workflowIdReusePolicy: 'REJECT_DUPLICATE',
          // It may wait for approval; past that and a day more, it is stopped rather than left to block the night after.
          workflowRunTimeout: `${Math.ceil(cfg.approvalTimeoutMs / 3_600_000) + 24} hours`,
        });
        if (!flags.wait) {
          if (flags.json) printJson({ run_id: workflowId, runner: 'temporal', status: 'running' });
          else say(`Started ${workflowId}: npx needloop status ${workflowId}`);
          return;
        }
        const results = await handle.result();
        const status = runStatus(results);
        if (flags.json) printJson({ run_id: workflowId, runner: 'temporal', status, results });
        else for (const line of [`Pipeline ${workflowId}: ${status.replaceAll('_', ' ')}`, ...describeResults(results)]) say(line);
        if (status !== 'completed') process.exitCode = 1;
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) throw new UserError(`the pipeline for ${date} already ran or is running (${workflowId}); one run per night`, 1);
        throw error;
      } finally {
        await client.connection.close();
      }
    });

  program
    .command('status')
    .description(describe('status'))
    .argument('[run]', 'a local run id or a Temporal workflow id (default: the latest local run)')
    .option('--json', 'print {run_id, status, step, candidate, …} as JSON')
    .action(async (run: string | undefined, flags: { json?: boolean }) => {
      const cfg = config();
      if (isLocalRun(run)) {
        const [found, steps, waiting] = await withDatabase(cfg, async (handle) => {
          const r = run === undefined ? await latestPipelineRun(handle.db) : await findPipelineRun(handle.db, run);
          return [r, r === null ? [] : await stepTimes(handle.db, r.id), await waitingDecisions(handle.db)] as const;
        });
        // What waits for a decision comes first: it is what a person came to see.
        if (found === null && run === undefined) {
          if (flags.json) printJson({ run_id: null, pending: waiting.pending });
          else for (const line of [...waiting.lines, 'No pipeline has run yet: npx needloop start (or npx needloop run --local)']) say(line);
          return;
        }
        if (found === null) throw new UserError(`pipeline run ${run} does not exist`, 1);
        const status = { ...localStatus(found), steps, pending: waiting.pending };
        if (flags.json) printJson(status);
        else {
          if (run === undefined) for (const line of [...waiting.lines, '']) say(line);
          say(`Pipeline run ${status.run_id} (${status.runner}): ${status.status.replaceAll('_', ' ')}, step ${status.step ?? '–'}`);
          for (const line of describeSteps(steps, found.status)) say(line);
          for (const line of describeResults(status.results)) say(line);
          if (status.status === 'awaiting_approval') say(`Model ${status.candidate} awaits approval until ${status.approval_deadline?.toISOString()}: npx needloop approve ${status.run_id} --token-file FILE, or npx needloop reject ${status.run_id} --token-file FILE --reason TEXT`);
        }
        return;
      }
      const client = await connectClient(cfg);
      try {
        const handle = client.workflow.getHandle(run!);
        const [description, state] = await Promise.all([handle.describe(), handle.query(statusQuery)]);
        const status = state.pending !== null ? 'awaiting_approval' : description.status.name.toLowerCase();
        // The step times are in Postgres, under the run the workflow began (null before that).
        const steps = state.results.run_id === undefined ? [] : await withDatabase(cfg, (db) => stepTimes(db.db, state.results.run_id!));
        const out = { run_id: run, runner: 'temporal', status, step: state.step, candidate: state.pending?.candidate_id ?? state.results.training?.candidate_id ?? null, approval_deadline: state.pending?.deadline ?? null, decision: state.decision, results: state.results, steps };
        if (flags.json) printJson(out);
        else {
          say(`Pipeline ${run} (Temporal): ${status.replaceAll('_', ' ')}, step ${state.step}`);
          for (const line of describeSteps(steps, status === 'running' || status === 'awaiting_approval' ? 'running' : status)) say(line);
          for (const line of describeResults(state.results)) say(line);
        }
      } finally {
        await client.connection.close();
      }
    });

  const decide = (kind: 'approve' | 'reject') => async (run: string, flags: { by?: string; tokenFile?: string; comment?: string; reason?: string; candidate?: string; json?: boolean }) => {
    const cfg = config();
    const comment = (kind === 'approve' ? flags.comment : flags.reason) ?? null;
    const target = `run ${run}${flags.candidate === undefined ? '' : `, model ${flags.candidate}`}`;
    if (!isLocalRun(run) && cfg.temporal.address === null) throw notARun(run);
    const result = await withDatabase(cfg, async (handle) => {
      const decider = await cliDecider(handle.db, flags, { action: kind, target, what: `${kind === 'approve' ? 'Approving' : 'Rejecting'} a candidate` });
      const decided = await decideRun(cfg, handle, run, { kind, candidate: flags.candidate, by: decider.by, comment, proof: { token: decider.token, source: decider.source } });
      // An accepted decision is audited with the decision itself, in its transaction.
      if (!decided.ok) await audit(handle.db, { actor: decider.by, action: kind, target, outcome: 'refused', detail: decided.reason, source: decider.source });
      return { ...decided, by: decider.by, waiting: decided.ok ? await waitingDecisions(handle.db) : null };
    });
    if (!result.ok) throw new UserError(`refused: ${result.reason}`, 1);
    if (result.outcome !== null) {
      if (flags.json) printJson({ ...outcomeJson(result.outcome), pending: result.waiting?.pending ?? null });
      else printOutcome(result.outcome);
    } else if (flags.json) {
      printJson({ run_id: run, runner: 'temporal', decision: result.decision, pending: result.waiting?.pending ?? null });
    } else {
      say(`${kind === 'approve' ? 'Approved' : 'Rejected'} model ${result.candidate} in ${run}, by ${result.by}.`);
    }
    if (!flags.json) for (const line of result.waiting?.lines ?? []) say(line);
  };

  program
    .command('approve')
    .description(describe('approve'))
    .argument('<run>', 'a local run id or a Temporal workflow id')
    .option('--token-file <file>', "a file whose first line is your approver token (default: NEEDLOOP_TOKEN)")
    .option('--by <name>', 'your name, checked against the token (the token says who decides)')
    .option('--comment <text>', 'why')
    .option('--candidate <id>', 'the model you approve (default: the one the run awaits)')
    .option('--json', 'print the run as JSON')
    .action(decide('approve'));

  program
    .command('reject')
    .description(describe('reject'))
    .argument('<run>', 'a local run id or a Temporal workflow id')
    .option('--token-file <file>', "a file whose first line is your approver token (default: NEEDLOOP_TOKEN)")
    .option('--by <name>', 'your name, checked against the token (the token says who decides)')
    .requiredOption('--reason <text>', 'why')
    .option('--candidate <id>', 'the model you reject (default: the one the run awaits)')
    .option('--json', 'print the run as JSON')
    .action(decide('reject'));
}
