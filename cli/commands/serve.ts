/** `needloop serve [--port P] [--host H]`: reports, /api/predict and the approval page. */
import type { Command } from 'commander';
import type { Config } from '../../config.js';
import { openDatabase } from '../../db/connection.js';
import { selectBackend } from '../../models/backend.js';
import { ModelStore } from '../../models/model-store.js';
import { createNeedloopServer, type DecisionRequest } from '../../web/server.js';
import { say, UserError } from '../output.js';
import { decideRun } from './pipeline.js';

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
      const decide = async (runId: string, d: DecisionRequest) => {
        const result = await decideRun(cfg, handle, runId, d);
        return result.ok ? { ok: true as const } : result;
      };
      const { server, close } = createNeedloopServer({ db: handle.db, store: new ModelStore(cfg.modelsDir), reportsDir: cfg.reportsDir, decide });
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
