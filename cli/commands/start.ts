/**
 * `needloop start` — the main job on one machine: demo data when the database and the
 * inbox are empty, then one pipeline run through the local runner; prints where the
 * report is and, when a candidate awaits approval, how to decide.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { sql } from 'kysely';
import type { Config } from '../../config.js';
import { withPipelineLock } from '../../db/queries/pipeline-runs.js';
import { runLocally } from '../../workflows/local-runner.js';
import { printJson, say } from '../output.js';
import { runGenerate } from './generate.js';
import { describeResults, pipelineActivities } from './pipeline.js';
import { withDatabase } from './with-database.js';

/** The demo: an AI assistant's users, with a new need emerging two thirds in. */
export const DEMO = { users: 2000, days: 60, seed: '42', scenario: 'emerging-need' } as const;

async function hasDataFiles(dir: string): Promise<boolean> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.some((n) => /\.(csv|jsonl|ndjson)$/i.test(n));
}

export function registerStart(program: Command, config: () => Config): void {
  program
    .command('start')
    .description('the main job: demo data if there is nothing to analyse, then the whole pipeline through the local runner')
    .option('--json', 'print {database, demo_dir, run} as JSON')
    .action(async (flags: { json?: boolean }) => {
      const json = flags.json === true;
      const cfg = config();
      const summary = await withDatabase(cfg, async (handle) => {
        const { rows } = await sql<{ n: string }>`select count(*) as n from ingest_batches`.execute(handle.db);
        let inbox = cfg.inbox;
        let demoDir: string | null = null;
        if (Number(rows[0].n) === 0 && !(await hasDataFiles(inbox))) {
          demoDir = join(cfg.home, 'demo');
          if (!json) say(`Nothing to analyse yet: generating demo data (${DEMO.users} users, ${DEMO.days} days, scenario ${DEMO.scenario}) in ${demoDir}`);
          await runGenerate(cfg, { out: demoDir, ...DEMO, locale: 'mixed', personas: 5, start: '2026-09-01', usageFormat: 'jsonl', json });
          inbox = demoDir;
        }
        const run = await withPipelineLock(handle.pool, () => runLocally(pipelineActivities(handle, cfg), { inbox, approvalTimeoutMs: cfg.approvalTimeoutMs, seed: 1 }, {
          onStep: (step) => {
            if (!json) process.stderr.write(`… ${step}\n`);
          },
        }));
        return { database: handle.location, demo_dir: demoDir, run };
      });
      const { run } = summary;
      if (json) {
        printJson({ database: summary.database, demo_dir: summary.demo_dir, run: { run_id: run.run_id, status: run.status, candidate: run.pending?.candidate_id ?? null, approval_deadline: run.pending?.deadline ?? null, report: run.results.report?.path ?? null, results: run.results } });
      } else {
        say(`Database: ${summary.database}`);
        say(`Pipeline run ${run.run_id}: ${run.status.replace('_', ' ')}`);
        for (const line of describeResults(run.results)) say(line);
        if (run.results.report) say(`Report: ${run.results.report.path}`);
        if (run.pending !== null) {
          say(`Model ${run.pending.candidate_id} awaits an engineer's approval until ${run.pending.deadline}:`);
          say('  needloop approver add NAME                       (once: registers who may decide)');
          say(`  needloop approve ${run.run_id} --by NAME [--comment TEXT]   or   needloop reject ${run.run_id} --by NAME --reason TEXT`);
        }
      }
      if (run.status === 'failed') process.exitCode = 1;
    });
}
