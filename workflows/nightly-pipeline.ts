// The nightly pipeline under Temporal: the shared plan, with training routed to the
// GPU task queue, a child workflow per inbox file, engineers' decisions by Update and
// the run's state by Query.
import {
  ApplicationFailure, CancellationScope, condition, defineQuery, defineUpdate, executeChild, isCancellation, patched, proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { checkDecision, DecisionRefused } from './approval.js';
import { ingestFileWorkflow, ingestSourceWorkflow } from './ingest-file.js';
import { PLAN_CHANGES, pipelinePlan, type PipelineEffects } from './pipeline-plan.js';
import {
  ANALYTICS_ACTIVITIES, analyticsTaskQueue, trainingTaskQueue, type ApprovalDecision, type ApprovalInput, type PendingApproval, type PipelineActivities, type PipelineInput,
  type PipelineResults, type PipelineStatus, type PipelineStep, type RejectionInput,
} from './types.js';

export const approvePromotion = defineUpdate<ApprovalDecision, [ApprovalInput]>('approvePromotion');
export const rejectPromotion = defineUpdate<ApprovalDecision, [RejectionInput]>('rejectPromotion');
export const statusQuery = defineQuery<PipelineStatus>('status');

/** The workflow clock: deterministic in a workflow (Temporal replays it from history). */
const workflowNow = () => new Date().getTime();

const NON_RETRYABLE = ['TrainingDataError', 'AnalysisError', 'RegistryError', 'ReportError'];

/**
 * Bookkeeping on the run's own queue. Every activity heartbeats while it runs (the worker
 * does it for those that do not themselves), so a worker killed mid-task is noticed within
 * the heartbeat timeout, not after the 30 minutes an attempt may take. Retries span about 6
 * minutes (5 s doubling to a minute, 10 tries): a database away for minutes does not fail
 * the night.
 */
const RETRY = { maximumAttempts: 10, initialInterval: '5 seconds', maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE };
const defaultOn = (heartbeatMs: number) => proxyActivities<PipelineActivities>({ startToCloseTimeout: '30 minutes', heartbeatTimeout: heartbeatMs, retry: RETRY });

/**
 * Training goes to this run's own training queue. With no training worker up it does not
 * wait for ever: after an hour unstarted the run fails and says so (scheduleToStart), and
 * no attempt runs past 6 hours, nor all attempts past 12 (a stuck night must not make the
 * Schedule skip every later one). The activity heartbeats from its start, four times per
 * heartbeat timeout (2 minutes unless the run's input says otherwise) or every 30 s.
 */
const trainingOn = (taskQueue: string, heartbeatMs: number) => proxyActivities<PipelineActivities>({
  taskQueue,
  scheduleToStartTimeout: '1 hour',
  startToCloseTimeout: '6 hours',
  scheduleToCloseTimeout: '12 hours',
  heartbeatTimeout: heartbeatMs,
  // A lost worker is retried after at most a minute (sooner with a short heartbeat timeout).
  retry: { maximumAttempts: 3, initialInterval: Math.min(60_000, heartbeatMs), nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Housekeeping that must not hold a night up: two tries, and the run goes on without it. */
const housekeeping = proxyActivities<PipelineActivities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 2, initialInterval: '2 seconds' } });

/** The night's analytics on their own queue: a run fails within an hour, saying so, when no analytics worker serves it. */
const analyticsOn = (taskQueue: string, heartbeatMs: number) => proxyActivities<PipelineActivities>({
  taskQueue,
  scheduleToStartTimeout: '1 hour',
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: heartbeatMs,
  retry: RETRY,
});

const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/**
 * The night a run is for: the one its input names (`needloop run --date`); for a Schedule's
 * run, the date of the time it was scheduled for, in the Schedule's time zone (a backfill
 * names past nights, and a night at 00:30 Paris is not the UTC day before); else the day it
 * started, UTC.
 */
function nightOf(input: PipelineInput): string {
  if (input.night !== undefined) return input.night;
  const scheduled = workflowInfo().typedSearchAttributes.get(SCHEDULED_START);
  const at = scheduled ?? workflowInfo().runStartTime;
  if (scheduled === undefined || input.timezone === undefined) return new Date(at.getTime()).toISOString().slice(0, 10);
  return new Intl.DateTimeFormat('en-CA', { timeZone: input.timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

export async function nightlyPipeline(input: PipelineInput): Promise<PipelineResults> {
  const status: PipelineStatus = { run_id: null, step: 'ingest', pending: null, decision: null, results: {} };
  const heartbeatMs = input.heartbeatMs ?? input.trainingHeartbeatMs ?? 120_000;
  const activities = defaultOn(heartbeatMs);
  let approvers: string[] = [];
  setHandler(statusQuery, () => status);
  const decide = (decision: ApprovalDecision) => {
    status.decision = decision;
    return decision;
  };
  // An approver removed while the run waits may no longer decide: the list is read again
  // when a decision arrives (a plan change: runs started before it skip the reading).
  const stillApprover = async (by: string) => {
    if (!patched(PLAN_CHANGES.approversPerDecision)) return;
    approvers = await activities.listApprovers();
    checkDecision({ ...status, approvers }, { candidate: status.pending?.candidate_id ?? '', by }, workflowNow());
  };
  const refuse = (error: unknown): never => {
    throw error instanceof DecisionRefused ? ApplicationFailure.create({ message: error.message, type: 'DecisionRefused', nonRetryable: true }) : error;
  };
  setHandler(approvePromotion, async (u) => {
    await stillApprover(u.by).catch(refuse);
    return decide({ kind: 'approve', by: u.by, comment: u.comment ?? null, at: new Date().toISOString() });
  }, {
    // The workflow clock: a decision after the stored deadline is refused.
    validator: (u) => checkDecision({ ...status, approvers }, { candidate: u.candidate, by: u.by }, workflowNow()),
  });
  setHandler(rejectPromotion, async (u) => {
    await stillApprover(u.by).catch(refuse);
    return decide({ kind: 'reject', by: u.by, comment: u.reason, at: new Date().toISOString() });
  }, {
    validator: (u) => checkDecision({ ...status, approvers }, { candidate: u.candidate, by: u.by, reason: u.reason }, workflowNow()),
  });

  const { workflowId, taskQueue } = workflowInfo();
  const training = trainingOn(trainingTaskQueue(taskQueue), heartbeatMs);
  const analytics = analyticsOn(analyticsTaskQueue(taskQueue), heartbeatMs);
  // One run per night, whatever its workflow id.
  const night = nightOf(input);
  const { run_id } = await activities.beginRun({ runner: 'temporal', run_key: workflowId, night });
  status.run_id = run_id;
  // A terminated run cannot reject its own candidate: the next run closes it (audited).
  if (patched(PLAN_CHANGES.sweepEndedRuns)) await housekeeping.sweepEndedRuns({ run_key: workflowId }).catch(() => undefined);
  const effects: PipelineEffects = {
    run: (name, args) => {
      // Asked where the routing happens, so that a run started before the split replays on one queue.
      const proxy = name === 'fineTune' ? training : ANALYTICS_ACTIVITIES.includes(name) && patched(PLAN_CHANGES.taskQueues) ? analytics : activities;
      return (proxy[name] as unknown as (a: typeof args) => Promise<never>)(args);
    },
    ingestFile: (file, index) => executeChild(ingestFileWorkflow, { args: [{ file }], workflowId: `${workflowId}-ingest-${index}` }),
    ingestSource: (name, index) => executeChild(ingestSourceWorkflow, { args: [{ name }], workflowId: `${workflowId}-source-${index}` }),
    // The workflow clock is deterministic: Temporal replays it from history.
    now: async () => new Date().getTime(),
    waitForApproval: async (pending: PendingApproval, timeoutMs: number) => {
      approvers = await activities.listApprovers();
      status.pending = pending;
      // Until the stored deadline, not `timeoutMs` from now: the report and the record were
      // written after the deadline was set, and a decision must not outlive it.
      const remaining = Math.max(0, Math.min(timeoutMs, Date.parse(pending.deadline) - workflowNow()));
      const decided = await condition(() => status.decision !== null, remaining);
      status.pending = null;
      return decided ? status.decision : null;
    },
    onStep: (step: PipelineStep, results: PipelineResults) => {
      status.step = step;
      status.results = results;
    },
    patched: (changeId) => patched(changeId),
    // As Temporal's samples clean up: in a scope a cancellation of the run cannot reach.
    cleanup: (work) => CancellationScope.nonCancellable(work),
    isCancellation: (error) => isCancellation(error),
  };
  const results = await pipelinePlan(effects, { ...input, runId: run_id });
  if (results.error !== undefined) throw ApplicationFailure.create({ message: results.error, type: 'PipelineFailed', nonRetryable: true });
  return results;
}
