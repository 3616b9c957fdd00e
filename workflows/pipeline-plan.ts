// The nightly pipeline, written once over an effects interface: the Temporal workflow
// supplies effects from proxied activities, a child workflow per file and an Update;
// the local runner supplies in-process calls journaled in Postgres. Deterministic: no
// I/O, clock or randomness of its own.
import { isSourceLabel } from './types.js';
import type {
  ActivityInput, ActivityName, ActivityOutput, ApprovalDecision, PendingApproval, PipelineInput, PipelineResults, PipelineStep,
} from './types.js';

export interface PipelineEffects {
  run<K extends ActivityName>(name: K, input: ActivityInput<K>): Promise<ActivityOutput<K>>;
  ingestFile(file: string, index: number): Promise<ActivityOutput<'ingestFile'>>;
  /** What is new in one configured source (NEEDLOOP_SOURCES), by its name. */
  ingestSource(name: string, index: number): Promise<ActivityOutput<'ingestSource'>>;
  /** The time now, in ms since the epoch, as the runner's clock has it. */
  now(): Promise<number>;
  /** The engineer's decision, or null once `timeoutMs` has passed without one. */
  waitForApproval(pending: PendingApproval, timeoutMs: number): Promise<ApprovalDecision | null>;
  onStep(step: PipelineStep, results: PipelineResults): void;
  /**
   * Whether this run takes the code path of a plan change (Temporal's `patched`): false
   * while replaying a run that started before the change, so that a change never breaks a
   * run in flight (one may wait 72 h for approval). The local runner always takes it.
   */
  patched(changeId: string): boolean;
  /** Runs clean-up that a cancellation of the run must not stop (Temporal: a non-cancellable scope). */
  cleanup<T>(work: () => Promise<T>): Promise<T>;
  /** Whether an error is the run's own cancellation (Temporal's CancelledFailure). */
  isCancellation(error: unknown): boolean;
}

/** Plan changes, by the id `patched` records; see "Rolling out a plan change" in the README. */
export const PLAN_CHANGES = {
  /** 2026-12-02: the needs nobody has named yet, looked for after drift. */
  discoverNeeds: 'discover-needs',
  /** 2026-12-02: the approver list is read again when a decision arrives. */
  approversPerDecision: 'approvers-per-decision',
  /** 2026-12-02: ingest and analytics on task queues of their own (`<queue>-ingest`, `<queue>-analytics`). */
  taskQueues: 'task-queues',
  /** 2026-12-06: at its start, a Temporal run closes runs whose workflow was terminated, rejecting their candidates. */
  sweepEndedRuns: 'sweep-ended-runs',
  /** 2026-12-07: after the inbox, the tables of the team's Postgres that NEEDLOOP_SOURCES names. */
  postgresSources: 'postgres-sources',
} as const;

/** Thrown by a runner that cannot wait (the local one): the run stops here and resumes later. */
export class PlanSuspended extends Error {
  override name = 'PlanSuspended';
  constructor(readonly pending: PendingApproval) {
    super(`model ${pending.candidate_id} awaits approval until ${pending.deadline}`);
  }
}

/** What went wrong: the innermost cause's message (an activity's failure arrives wrapped, maybe twice). */
export function messageOf(error: unknown): string {
  let e = error as { message?: string; cause?: unknown } | null;
  for (let depth = 0; e?.cause !== undefined && e.cause !== null && depth < 10; depth++) e = e.cause as typeof e;
  return e?.message ?? String(error);
}

export async function pipelinePlan(fx: PipelineEffects, input: PipelineInput & { runId: string }): Promise<PipelineResults> {
  const run_id = input.runId;
  const results: PipelineResults = { run_id };
  const step = async (s: PipelineStep) => {
    fx.onStep(s, results);
    await fx.run('recordRun', { run_id, step: s });
  };
  try {
    await step('ingest');
    const files = await fx.run('listInbox', { inbox: input.inbox });
    results.ingested = [];
    for (const [i, file] of files.entries()) results.ingested.push(await fx.ingestFile(file, i));
    if (fx.patched(PLAN_CHANGES.postgresSources)) {
      const sources = await fx.run('listSources', {});
      for (const [i, name] of sources.entries()) results.ingested.push(await fx.ingestSource(name, i));
    }
    await step('segment');
    results.segments = await fx.run('segmentUsers', { run_id });
    await step('needs');
    results.needs = await fx.run('analyzeNeeds', { run_id, by_segment: results.segments !== null });
    await step('drift');
    results.drift = await fx.run('detectDrift', { run_id });
    if (fx.patched(PLAN_CHANGES.discoverNeeds)) results.discovery = await fx.run('discoverNeeds', { run_id });
    await step('decide');
    results.decision = results.drift === null
      ? { retrain: false, first_model: false, reasons: ['there are no usage events to learn from'] }
      : await fx.run('decideRetraining', { drift_retrain: results.drift.retrain, drift_reasons: results.drift.reasons, run_id });
    if (results.decision.retrain) await retrainAndAskForApproval(fx, input, results, step);
  } catch (error) {
    if (error instanceof PlanSuspended) throw error;
    const cancelled = fx.isCancellation(error);
    results.error = cancelled ? 'the run was cancelled' : messageOf(error);
    // A candidate nobody can decide on any more must not block the next runs — also, and
    // above all, when the run was cancelled: the clean-up must not be cancelled with it.
    const undecided = results.training !== undefined && results.promotion === undefined && (results.approval === undefined || results.approval.kind === 'pending');
    if (cancelled) {
      await fx.cleanup(async () => {
        if (undecided) await fx.run('rejectCandidate', { candidate_id: results.training!.candidate_id, by: 'needloop', reason: 'its pipeline run was cancelled' });
        await fx.run('finishRun', { run_id, status: 'failed', results, error: results.error! });
      });
      throw error;
    }
    if (undecided) {
      await fx.run('rejectCandidate', { candidate_id: results.training!.candidate_id, by: 'needloop', reason: `its pipeline run failed: ${results.error}` }).catch(() => undefined);
    }
  }
  await step('report');
  try {
    results.report = await fx.run('publishReport', { run_id, results });
  } catch (error) {
    results.error = [results.error, `the report was not published: ${messageOf(error)}`].filter(Boolean).join('; ');
  }
  fx.onStep('done', results);
  await fx.run('finishRun', { run_id, status: runStatus(results), results, error: results.error ?? ingestErrors(results) });
  return results;
}

/** How a finished run ended: failed; completed, but inbox files failed to load; or completed. */
export function runStatus(results: PipelineResults): 'completed' | 'completed_with_errors' | 'failed' {
  if (results.error !== undefined) return 'failed';
  return ingestErrors(results) === null ? 'completed' : 'completed_with_errors';
}

/** The inbox files (and configured sources) that failed to load, in words; null when none did. */
export function ingestErrors(results: PipelineResults): string | null {
  const failed = (results.ingested ?? []).filter((f) => f.status === 'failed');
  if (failed.length === 0) return null;
  const what = results.ingested!.some((f) => isSourceLabel(f.file)) ? 'inbox file(s) and source(s)' : 'inbox file(s)';
  return `${failed.length} of ${results.ingested!.length} ${what} failed to load: ${failed.map((f) => f.error ?? f.file).join('; ')}`;
}

async function retrainAndAskForApproval(fx: PipelineEffects, input: PipelineInput & { runId: string }, results: PipelineResults, step: (s: PipelineStep) => Promise<void>): Promise<void> {
  const run_id = input.runId;
  await step('train');
  results.training = await fx.run('fineTune', { run_id, seed: input.seed });
  const candidate_id = results.training.candidate_id;
  await step('evaluate');
  results.evaluation = await fx.run('evaluateCandidate', { candidate_id });
  if (!results.evaluation.blessed) return;

  const deadline = new Date((await fx.now()) + input.approvalTimeoutMs).toISOString();
  const pending: PendingApproval = { candidate_id, evaluation_id: results.evaluation.evaluation_id, reasons: results.evaluation.reasons, deadline };
  results.approval = { kind: 'pending', deadline };
  // The report shows the candidate while it waits; it is published again once decided.
  results.report = await fx.run('publishReport', { run_id, results });
  fx.onStep('awaiting_approval', results);
  await fx.run('recordRun', { run_id, step: 'awaiting_approval', status: 'awaiting_approval', candidate_id, approval_deadline: deadline, results });
  const decision = await fx.waitForApproval(pending, input.approvalTimeoutMs);
  await fx.run('recordRun', { run_id, step: 'promote', status: 'running' });
  fx.onStep('promote', results);
  if (decision === null) {
    results.approval = { kind: 'expired' };
    await fx.run('rejectCandidate', { candidate_id, by: 'needloop', reason: `nobody decided by ${deadline}: the approval expired` });
  } else if (decision.kind === 'approve') {
    results.approval = decision;
    results.promotion = await fx.run('promoteCandidate', { candidate_id, by: decision.by, comment: decision.comment });
  } else {
    results.approval = decision;
    await fx.run('rejectCandidate', { candidate_id, by: decision.by, reason: decision.comment ?? 'rejected' });
  }
}
