// One inbox file, as a child workflow of the nightly pipeline: idempotent by the file's
// checksum (the activity loads a file once however often it is asked).
import { proxyActivities } from '@temporalio/workflow';
import type { ActivityOutput, PipelineActivities } from './types.js';

const { ingestFile } = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '5 minutes',
  retry: { maximumAttempts: 5, initialInterval: '10 seconds', nonRetryableErrorTypes: ['TrainingDataError', 'AnalysisError', 'RegistryError'] },
});

export async function ingestFileWorkflow(input: { file: string }): Promise<ActivityOutput<'ingestFile'>> {
  return ingestFile(input);
}
