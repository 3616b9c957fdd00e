/**
 * `needloop simulate` — the loop over many simulated nights, with needloop's own model
 * serving the scenario's users: a night-by-night timeline, or JSON.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe } from './index.js';
import { waitingDecisions } from './decisions.js';
import type { Config } from '../../config.js';
import { loadCatalogue } from '../../db/need-catalogue.js';
import { withPipelineLock } from '../../db/queries/pipeline-runs.js';
import { SCENARIOS, type ScenarioName } from '../../scenarios/generate.js';
import { simulate, SimulationError, type SimulatedNight, type SimulationResult, type SimulateOptions } from '../../scenarios/simulate.js';
import { printJson, say, UserError } from '../output.js';
import { progressFor } from '../progress.js';
import { integerOption } from './options.js';
import { withDatabase } from './with-database.js';

const pct = (x: number | null) => (x === null ? '   –  ' : `${(100 * x).toFixed(1).padStart(5)}%`);

/** One line of the timeline: what users got that day, and what the loop did that night. */
export function describeNight(n: SimulatedNight): string {
  const did = n.promoted !== null
    ? `retrained → model ${n.candidate} promoted`
    : n.candidate !== null
      ? `retrained → model ${n.candidate} ${n.status === 'awaiting_approval' ? 'awaits approval' : 'not promoted'}`
      : n.retrain ? 'retrain due' : 'quiet';
  const why = n.retrain ? ` — ${n.reasons[0] ?? ''}` : n.reasons.length > 0 ? ` — ${n.reasons[0]}` : '';
  const found = n.discovered.length === 0 ? '' : `; unnamed: ${n.discovered.map((d) => `"${d}"`).join(', ')}${n.adopted === null ? '' : ` → adopted as ${n.adopted}`}`;
  return `night ${String(n.night).padStart(2)} ${n.date}  served by model ${n.production_model ?? '–'}  accuracy ${pct(n.accuracy)}  changed need ${pct(n.changed_need_recall)}  ${did}${why}${found}`;
}

export function simulationJson(r: SimulationResult) {
  return {
    scenario: r.scenario, seed: r.seed, users: r.users, change_night: r.change_night, changed_need: r.changed_need, bootstrap: r.bootstrap, pending: r.pending,
    nights: r.nights.map((n) => ({
      night: n.night, date: n.date, run_id: n.run_id, production_model: n.production_model, requests: n.requests, accuracy: n.accuracy,
      changed_need_recall: n.changed_need_recall, retrain: n.retrain, reasons: n.reasons, notes: n.notes, candidate: n.candidate, promoted: n.promoted, gate: n.gate,
      discovered: n.discovered, adopted: n.adopted,
    })),
  };
}

/** Runs a simulation in the configured (empty) database under the pipeline lock. */
export async function runSimulation(cfg: Config, options: Omit<SimulateOptions, 'workDir'>, json: boolean): Promise<SimulationResult> {
  const progress = progressFor(json);
  progress.start(options.nights, 'simulating', ' nights');
  try {
    return await withDatabase(cfg, (handle) =>
      withPipelineLock(handle.pool, () =>
        simulate({ handle, config: cfg, catalogue: loadCatalogue(cfg.catalogueFile) }, {
          ...options,
          workDir: join(cfg.home, 'simulation'),
          onNight: (n) => {
            progress.update(n.night, n.retrain ? 'retrain' : 'quiet');
            options.onNight?.(n);
          },
        }),
      ),
    );
  } catch (error) {
    if (error instanceof SimulationError) throw new UserError(error.message);
    throw error;
  } finally {
    progress.stop();
  }
}

export function registerSimulate(program: Command, config: () => Config): void {
  program
    .command('simulate')
    .description(describe('simulate'))
    .requiredOption('--scenario <name>', `what changes: ${SCENARIOS.join(' | ')}`)
    .requiredOption('--nights <n>', 'simulated nights after the four weeks of history', integerOption('--nights', 1, 365))
    .option('--users <n>', 'number of users', integerOption('--users', 50), 2000)
    .option('--seed <s>', 'random seed', '1')
    .option('--change-night <n>', 'the first night whose day has the change (default: a third in)', integerOption('--change-night', 1))
    .option('--approve <mode>', 'auto: a simulated engineer approves blessed candidates | never', 'auto')
    .option('--adopt <mode>', 'auto: a simulated product manager adopts a discovered need the catalogue lacks | never', 'never')
    .option('--json', 'print {nights: [...]} as JSON')
    .action(async (flags: { scenario: ScenarioName; nights: number; users: number; seed: string; changeNight?: number; approve: string; adopt: string; json?: boolean }) => {
      if (!SCENARIOS.includes(flags.scenario)) throw new UserError(`--scenario must be one of ${SCENARIOS.join(', ')} (got ${flags.scenario})`);
      if (flags.approve !== 'auto' && flags.approve !== 'never') throw new UserError(`--approve must be auto or never (got ${flags.approve})`);
      if (flags.adopt !== 'auto' && flags.adopt !== 'never') throw new UserError(`--adopt must be auto or never (got ${flags.adopt})`);
      const json = flags.json === true;
      const result = await runSimulation(config(), {
        scenario: flags.scenario, nights: flags.nights, users: flags.users, seed: /^\d+$/.test(flags.seed) ? Number(flags.seed) : flags.seed,
        changeNight: flags.changeNight, approve: flags.approve, adopt: flags.adopt,
        onNight: (n) => {
          if (!json) say(describeNight(n));
        },
      }, json);
      if (json) printJson(simulationJson(result));
      else for (const line of await withDatabase(config(), async (handle) => (await waitingDecisions(handle.db)).lines)) say(line);
    });
}
