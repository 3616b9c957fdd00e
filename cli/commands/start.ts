/**
 * `needloop start` — the main job on one machine. On an empty database and inbox it tells
 * the loop's story: a simulation of a few weeks (a new need emerges, needloop detects it,
 * retrains, a simulated engineer approves, the model recovers, the loop goes quiet; then
 * users' words shift and the last candidate is left for you to approve). Otherwise one
 * pipeline run through the local runner. Prints where the report is and, when a
 * candidate awaits approval, how to decide.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe } from './index.js';
import type { Config } from '../../config.js';
import { withPipelineLock, withRunLock } from '../../db/queries/pipeline-runs.js';
import { runLocally } from '../../workflows/local-runner.js';
import { printJson, say } from '../output.js';
import { describeResults, pipelineActivities } from './pipeline.js';
import { describeNight, runSimulation, simulationJson } from './simulate.js';
import { storesNothing } from '../../scenarios/simulate.js';
import { withDatabase } from './with-database.js';
import { waitingDecisions } from './decisions.js';

/**
 * The demo: an AI assistant's users over two weeks after four weeks of history. A new
 * need emerges on night 4 (approved by the simulated engineer); users' words shift from
 * night 10, and that candidate awaits a person.
 */
export const DEMO = { users: 500, nights: 13, seed: 42, scenario: 'emerging-need', changeNight: 4, secondChange: { kind: 'vocabulary-shift', night: 10 }, approveUntilNight: 9 } as const;

async function hasDataFiles(dir: string): Promise<boolean> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.some((n) => /\.(csv|jsonl|ndjson)$/i.test(n));
}

export function registerStart(program: Command, config: () => Config): void {
  program
    .command('start')
    .description(describe('start'))
    .option('--json', 'print {database, demo, run, pending} as JSON')
    .action(async (flags: { json?: boolean }) => {
      const json = flags.json === true;
      const cfg = config();
      const empty = await withDatabase(cfg, async (handle) => {
        return (await storesNothing(handle.db)) && !(await hasDataFiles(cfg.inbox));
      });
      if (empty) {
        if (!json) say(`Nothing to analyse yet: simulating ${DEMO.nights} nights of ${DEMO.users} users after four weeks of history (a new need emerges on night ${DEMO.changeNight}; users' words shift from night ${DEMO.secondChange.night})`);
        const demo = await runSimulation(cfg, { ...DEMO, approve: 'auto', onNight: (n) => { if (!json) say(describeNight(n)); } }, json);
        const last = demo.nights[demo.nights.length - 1];
        const report = join(cfg.reportsDir, `run-${last.run_id}.html`);
        if (json) {
          printJson({ database: cfg.databaseUrl === null ? `embedded Postgres in ${join(cfg.home, 'pg')}` : 'DATABASE_URL', demo: simulationJson(demo), run: { run_id: last.run_id, status: last.status, report }, pending: demo.pending });
          return;
        }
        say(`Report of the last night: ${report}`);
        if (demo.pending !== null) say("Users' words shifted and the simulated engineer has gone home: the last candidate is yours to decide.");
        for (const line of await withDatabase(cfg, async (handle) => (await waitingDecisions(handle.db)).lines)) say(line);
        return;
      }
      const summary = await withDatabase(cfg, async (handle) => {
        const run = await withPipelineLock(handle.pool, () => runLocally(pipelineActivities(handle, cfg), { inbox: cfg.inbox, approvalTimeoutMs: cfg.approvalTimeoutMs, seed: 1 }, {
          lockRun: (id, work) => withRunLock(handle.pool, id, work),
          onStep: (step) => {
            if (!json) process.stderr.write(`… ${step}\n`);
          },
        }));
        return { database: handle.location, run, waiting: await waitingDecisions(handle.db) };
      });
      const { run } = summary;
      if (json) {
        printJson({ database: summary.database, demo: null, run: { run_id: run.run_id, status: run.status, candidate: run.pending?.candidate_id ?? null, approval_deadline: run.pending?.deadline ?? null, report: run.results.report?.path ?? null, results: run.results }, pending: run.pending === null ? null : { run_id: run.run_id, candidate_id: run.pending.candidate_id }, waiting: summary.waiting.pending });
      } else {
        say(`Database: ${summary.database}`);
        say(`Pipeline run ${run.run_id}: ${run.status.replaceAll('_', ' ')}`);
        for (const line of describeResults(run.results)) say(line);
        if (run.results.report) say(`Report: ${run.results.report.path}`);
        for (const line of summary.waiting.lines) say(line);
      }
      if (run.status === 'failed' || run.status === 'completed_with_errors') process.exitCode = 1;
    });
}
