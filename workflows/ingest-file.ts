// One inbox file (or one configured source), as a child workflow of the nightly pipeline: idempotent by the file's
// checksum (the activity loads a file once however often it is asked). Loaded on the
// ingest queue (`<queue>-ingest`), where workers near the files and Postgres serve it.
import { patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { PLAN_CHANGES } from './pipeline-plan.js';
import { ingestTaskQueue, type ActivityOutput, type PipelineActivities } from './types.js';

const ingestOn = (taskQueue: string | undefined) => proxyActivities<PipelineActivities>({
  ...(taskQueue === undefined ? {} : { taskQueue, scheduleToStartTimeout: '1 hour' }),
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '5 minutes',
  // As the night's activities: about 6 minutes of retries, so a database away for minutes does not fail the file.
  retry: { maximumAttempts: 10, initialInterval: '5 seconds', maximumInterval: '1 minute', nonRetryableErrorTypes: ['TrainingDataError', 'AnalysisError', 'RegistryError'] },
});

export async function ingestFileWorkflow(input: { file: string }): Promise<ActivityOutput<'ingestFile'>> {
  // A file whose workflow started before the split loads where it always did.
  const queue = patched(PLAN_CHANGES.taskQueues) ? ingestTaskQueue(workflowInfo().taskQueue) : undefined;
  return ingestOn(queue).ingestFile(input);
}

/** One configured source (NEEDLOOP_SOURCES) for the night, on the ingest queue too: its watermark makes a retry load nothing twice. */
export async function ingestSourceWorkflow(input: { name: string }): Promise<ActivityOutput<'ingestSource'>> {
  return ingestOn(ingestTaskQueue(workflowInfo().taskQueue)).ingestSource(input);
}
