// The nightly pipeline under Temporal: the shared plan, with training routed to the
// GPU task queue, a child workflow per inbox file, engineers' decisions by Update and
// the run's state by Query.
import {
  ApplicationFailure, condition, defineQuery, defineUpdate, executeChild, proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import { checkDecision } from './approval.js';
import { ingestFileWorkflow } from './ingest-file.js';
import { pipelinePlan, type PipelineEffects } from './pipeline-plan.js';
import {
  TRAINING_TASK_QUEUE, type ApprovalDecision, type ApprovalInput, type PendingApproval, type PipelineActivities, type PipelineInput,
  type PipelineResults, type PipelineStatus, type PipelineStep, type RejectionInput,
} from './types.js';

export const approvePromotion = defineUpdate<ApprovalDecision, [ApprovalInput]>('approvePromotion');
export const rejectPromotion = defineUpdate<ApprovalDecision, [RejectionInput]>('rejectPromotion');
export const statusQuery = defineQuery<PipelineStatus>('status');

const NON_RETRYABLE = ['TrainingDataError', 'AnalysisError', 'RegistryError', 'ReportError'];

const activities = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '30 minutes',
  retry: { maximumAttempts: 5, initialInterval: '5 seconds', nonRetryableErrorTypes: NON_RETRYABLE },
});

const training = proxyActivities<PipelineActivities>({
  taskQueue: TRAINING_TASK_QUEUE,
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 3, initialInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE },
});

export async function nightlyPipeline(input: PipelineInput): Promise<PipelineResults> {
  const status: PipelineStatus = { run_id: null, step: 'ingest', pending: null, decision: null, results: {} };
  let approvers: string[] = [];
  setHandler(statusQuery, () => status);
  const decide = (decision: ApprovalDecision) => {
    status.decision = decision;
    return decision;
  };
  setHandler(approvePromotion, (u) => decide({ kind: 'approve', by: u.by, comment: u.comment ?? null, at: new Date().toISOString() }), {
    validator: (u) => checkDecision({ ...status, approvers }, { candidate: u.candidate, by: u.by }),
  });
  setHandler(rejectPromotion, (u) => decide({ kind: 'reject', by: u.by, comment: u.reason, at: new Date().toISOString() }), {
    validator: (u) => checkDecision({ ...status, approvers }, { candidate: u.candidate, by: u.by, reason: u.reason }),
  });

  const { workflowId } = workflowInfo();
  const { run_id } = await activities.beginRun({ runner: 'temporal', run_key: workflowId });
  status.run_id = run_id;
  const effects: PipelineEffects = {
    run: (name, args) => {
      const proxy = name === 'fineTune' ? training : activities;
      return (proxy[name] as unknown as (a: typeof args) => Promise<never>)(args);
    },
    ingestFile: (file, index) => executeChild(ingestFileWorkflow, { args: [{ file }], workflowId: `${workflowId}-ingest-${index}` }),
    // The workflow clock is deterministic: Temporal replays it from history.
    now: async () => new Date().getTime(),
    waitForApproval: async (pending: PendingApproval, timeoutMs: number) => {
      approvers = await activities.listApprovers();
      status.pending = pending;
      const decided = await condition(() => status.decision !== null, timeoutMs);
      status.pending = null;
      return decided ? status.decision : null;
    },
    onStep: (step: PipelineStep, results: PipelineResults) => {
      status.step = step;
      status.results = results;
    },
  };
  const results = await pipelinePlan(effects, { ...input, runId: run_id });
  if (results.error !== undefined) throw ApplicationFailure.create({ message: results.error, type: 'PipelineFailed', nonRetryable: true });
  return results;
}
