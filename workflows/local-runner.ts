// The local runner: the same plan, its activities called in-process. Each finished step
// is journaled in Postgres, so a run that stops to await approval is resumed later (by
// `needloop approve`, `reject`, or a run after the deadline) by replaying the plan over
// the journal — the way Temporal replays history, without Temporal's durability: no
// retries and no timers. Not a Temporal workflow and not part of the workflow bundle.
import { checkDecision, DecisionRefused } from './approval.js';
import { pipelinePlan, PlanSuspended, runStatus, type PipelineEffects } from './pipeline-plan.js';
import type { DecisionProof } from '../db/queries/pipeline-runs.js';
import type { ApprovalDecision, PipelineActivities, PipelineInput, PipelineResults, PipelineStep } from './types.js';

export interface LocalRunOutcome {
  run_id: string;
  status: 'awaiting_approval' | 'completed' | 'completed_with_errors' | 'failed';
  results: PipelineResults;
  /** The candidate awaiting approval and until when. */
  pending: { candidate_id: string; deadline: string } | null;
}

export interface LocalRunOptions {
  onStep?: (step: PipelineStep) => void;
  /** Called with the new run's id before its first step (a simulation records its night under it). */
  onBegin?: (runId: string) => Promise<void>;
  /**
   * Runs WORK holding RUN's lock (withRunLock), so that two commands never carry the same
   * run on at once: a decision and the next night finishing it, say.
   */
  lockRun?: <T>(runId: string, work: () => Promise<T>) => Promise<T>;
}

const json = <T>(value: T): T => JSON.parse(JSON.stringify(value ?? null)) as T;

async function replay(acts: PipelineActivities, runId: string, input: PipelineInput | null, options: LocalRunOptions): Promise<LocalRunOutcome> {
  const recorded = await acts.readJournal({ run_id: runId });
  let seq = 0;
  // Returns a step's recorded output, or runs it and records what it returned.
  const journaled = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const s = seq++;
    const entry = recorded[s];
    if (entry !== undefined) {
      if (entry.name !== name) throw new Error(`pipeline run ${runId} cannot resume: its step ${s} was ${entry.name}, the plan now asks for ${name}`);
      return entry.output as T;
    }
    const output = json(await work());
    await acts.writeJournal({ run_id: runId, seq: s, name, output });
    return output;
  };
  const planInput = await journaled('input', async () => {
    if (input === null) throw new Error(`pipeline run ${runId} has no journal to resume from`);
    return input;
  });
  let latest: PipelineResults = {};
  const effects: PipelineEffects = {
    run: (name, args) => journaled(name, () => (acts[name] as (a: typeof args) => Promise<never>)(args)),
    ingestFile: (file) => journaled('ingestFile', () => acts.ingestFile({ file })),
    ingestSource: (name) => journaled('ingestSource', () => acts.ingestSource({ name })),
    now: () => journaled('clock', () => acts.clock()),
    waitForApproval: async (pending) => {
      const state = await acts.runState({ run_id: runId });
      if (state.decision !== null) return state.decision;
      if ((await acts.clock()) >= Date.parse(pending.deadline)) return null;
      throw new PlanSuspended(pending);
    },
    onStep: (step, results) => {
      latest = results;
      options.onStep?.(step);
    },
    // A local run takes every plan change, has no cancellation of its own (a killed process
    // is closed by the next run), and so runs clean-up as it comes.
    patched: () => true,
    cleanup: (work) => work(),
    isCancellation: () => false,
  };
  try {
    const results = await pipelinePlan(effects, { ...planInput, runId });
    return { run_id: runId, status: runStatus(results), results, pending: null };
  } catch (error) {
    if (error instanceof PlanSuspended) {
      return { run_id: runId, status: 'awaiting_approval', results: latest, pending: { candidate_id: error.pending.candidate_id, deadline: error.pending.deadline } };
    }
    throw error;
  }
}

/**
 * Runs the pipeline once; it stops early when a blessed candidate awaits approval. The
 * caller holds the pipeline lock (withPipelineLock): runs still marked running are then
 * leftovers of a process that stopped, and are closed as failed first.
 */
export async function runLocally(acts: PipelineActivities, input: PipelineInput, options: LocalRunOptions = {}): Promise<LocalRunOutcome> {
  await acts.closeInterruptedRuns();
  // Local runs have no timers: a run past its approval deadline (or decided, but stopped
  // before it went on) is finished by the next one.
  const locked = options.lockRun ?? ((_id, work) => work());
  for (const overdue of await acts.overdueRuns()) await locked(overdue, () => resumeLocally(acts, overdue));
  const { run_id } = await acts.beginRun({ runner: 'local', run_key: null });
  await options.onBegin?.(run_id);
  return replay(acts, run_id, input, options);
}

/** Continues a run awaiting approval: after a decision, or to expire it past its deadline. */
export async function resumeLocally(acts: PipelineActivities, runId: string, options: LocalRunOptions = {}): Promise<LocalRunOutcome> {
  return replay(acts, runId, null, options);
}

/**
 * An engineer's decision on a local run, checked by the same rules as the workflow's
 * Update validators, then the run carries on to promotion (or not) and its report. The
 * caller holds the run's lock (LocalRunOptions.lockRun); with a PROOF the database checks
 * the approver's token as it stores the decision and its audit row.
 */
export async function decideLocally(
  acts: PipelineActivities,
  runId: string,
  request: { kind: 'approve' | 'reject'; candidate?: string; by: string; comment: string | null; proof?: DecisionProof },
  options: LocalRunOptions = {},
): Promise<LocalRunOutcome> {
  const state = await acts.runState({ run_id: runId });
  if (state.runner !== 'local') throw new DecisionRefused(`pipeline run ${runId} runs under Temporal: decide through Temporal (TEMPORAL_ADDRESS)`);
  const candidate = state.candidate_id ?? '';
  const pending = state.status === 'awaiting_approval' && state.candidate_id !== null
    ? { candidate_id: candidate, evaluation_id: '', reasons: [], deadline: state.approval_deadline ?? '' }
    : null;
  const decision = state.decision as ApprovalDecision | null;
  if (pending === null && decision === null) throw new DecisionRefused(`pipeline run ${runId} is ${state.status}: no candidate awaits approval`);
  // Decided, but the process stopped before the run went on: finish it first.
  if (decision !== null && state.status === 'awaiting_approval') await resumeLocally(acts, runId, options);
  const approvers = await acts.listApprovers();
  checkDecision({ pending, decision, approvers }, { candidate: request.candidate ?? candidate, by: request.by, reason: request.kind === 'reject' ? (request.comment ?? '') : undefined });
  if (state.approval_deadline !== null && (await acts.clock()) >= Date.parse(state.approval_deadline)) {
    await resumeLocally(acts, runId, options);
    throw new DecisionRefused(`the approval of model ${candidate} expired at ${state.approval_deadline}: production is unchanged`);
  }
  const stored = await acts.recordDecision({ run_id: runId, decision: { kind: request.kind, by: request.by, comment: request.comment, at: new Date(await acts.clock()).toISOString() }, proof: request.proof });
  if (!stored) throw new DecisionRefused(`pipeline run ${runId} was decided by someone else just now`);
  return resumeLocally(acts, runId, options);
}
