/** `needloop serve [--port P] [--host H]`: reports, /api/predict and the approval page. */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import type { Config } from '../../config.js';
import { openDatabase, type DatabaseHandle } from '../../db/connection.js';
import { findPipelineRun } from '../../db/queries/pipeline-runs.js';
import { selectBackend } from '../../models/backend.js';
import { ModelStore } from '../../models/model-store.js';
import { createNeedloopServer, type DecisionRequest } from '../../web/server.js';
import { DecisionRefused } from '../../workflows/approval.js';
import { decideLocally } from '../../workflows/local-runner.js';
import { approvePromotion, rejectPromotion } from '../../workflows/nightly-pipeline.js';
import { say, UserError } from '../output.js';
import { connectClient } from '../temporal.js';
import { pipelineActivities } from './pipeline.js';

/** The approval path the CLI uses: the local runner for local runs, a Temporal Update otherwise. */
export function decisionPath(config: Config, handle: DatabaseHandle) {
  return async (runId: string, d: DecisionRequest): Promise<{ ok: true } | { ok: false; reason: string }> => {
    const run = await findPipelineRun(handle.db, runId);
    if (run === null) return { ok: false, reason: `pipeline run ${runId} does not exist` };
    try {
      if (run.runner === 'local') {
        await decideLocally(pipelineActivities(handle, config), runId, { kind: d.kind, candidate: d.candidate, by: d.by, comment: d.comment });
        return { ok: true };
      }
      const client = await connectClient(config);
      try {
        const workflow = client.workflow.getHandle(run.run_key!);
        if (d.kind === 'approve') await workflow.executeUpdate(approvePromotion, { args: [{ candidate: d.candidate, by: d.by, comment: d.comment }] });
        else await workflow.executeUpdate(rejectPromotion, { args: [{ candidate: d.candidate, by: d.by, reason: d.comment ?? '' }] });
        return { ok: true };
      } finally {
        await client.connection.close();
      }
    } catch (error) {
      if (error instanceof DecisionRefused) return { ok: false, reason: error.message };
      if (error instanceof WorkflowUpdateFailedError) return { ok: false, reason: (error.cause as Error | undefined)?.message ?? error.message };
      throw error;
    }
  };
}

export function registerServe(program: Command, config: () => Config): void {
  program
    .command('serve')
    .description('serve the run reports, /api/predict with the production model, and the approval page')
    .option('--port <n>', 'port', '8080')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .action(async (flags: { port: string; host: string }) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port must be a port number (got ${flags.port})`);
      const cfg = config();
      await selectBackend(cfg.tfjsBackend);
      const handle = await openDatabase(cfg);
      const { server, close } = createNeedloopServer({ db: handle.db, store: new ModelStore(cfg.modelsDir), reportsDir: cfg.reportsDir, decide: decisionPath(cfg, handle) });
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, flags.host, resolve));
      const address = server.address();
      say(`needloop serve: http://${flags.host}:${typeof address === 'object' && address !== null ? address.port : port}/ (reports, /api/predict, /approvals); Ctrl-C stops it`);
      // Our own handlers: stop accepting, finish what is in flight, close the database.
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.removeAllListeners(signal);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await close();
      await handle.close();
    });
}
