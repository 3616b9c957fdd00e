// The workflows a worker registers (the entry point of the workflow bundle).
export { ingestFileWorkflow, ingestSourceWorkflow } from './ingest-file.js';
export { approvePromotion, nightlyPipeline, rejectPromotion, statusQuery } from './nightly-pipeline.js';
