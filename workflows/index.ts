// The workflows a worker registers (the entry point of the workflow bundle).
export { ingestFileWorkflow } from './ingest-file.js';
export { approvePromotion, nightlyPipeline, rejectPromotion, statusQuery } from './nightly-pipeline.js';
