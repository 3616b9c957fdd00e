/**
 * Every top-level command: its one-line description and the module that registers it.
 * `needloop --help` lists them from here alone, and a command loads only its own module
 * (with its database, model and Temporal code): `--help` and `--version` start in a
 * fraction of a second, and `predict` does not load Temporal.
 */
import type { Command } from 'commander';
import type { Config } from '../../config.js';

export type Register = (program: Command, config: () => Config) => void;

const modules = {
  start: () => import('./start.js').then((m) => m.registerStart),
  generate: () => import('./generate.js').then((m) => m.registerGenerate),
  ingest: () => import('./ingest.js').then((m) => m.registerIngest),
  segment: () => import('./segment.js').then((m) => m.registerSegment),
  needs: () => import('./needs.js').then((m) => m.registerNeeds),
  drift: () => import('./drift.js').then((m) => m.registerDrift),
  models: () => import('./models.js').then((m) => m.registerModels),
  pipeline: () => import('./pipeline.js').then((m) => m.registerPipeline),
  approver: () => import('./approver.js').then((m) => m.registerApprover),
  worker: () => import('./worker.js').then((m) => m.registerWorker),
  schedule: () => import('./schedule.js').then((m) => m.registerSchedule),
  serve: () => import('./serve.js').then((m) => m.registerServe),
  simulate: () => import('./simulate.js').then((m) => m.registerSimulate),
} satisfies Record<string, () => Promise<Register>>;

/** Each command, in the order `--help` lists them, with the module that defines it. */
export const COMMANDS: readonly { name: string; module: keyof typeof modules; description: string }[] = [
  { name: 'start', module: 'start', description: 'the main job: demo data if there is nothing to analyse, then the whole pipeline through the local runner' },
  { name: 'generate', module: 'generate', description: 'write a synthetic scenario (users, surveys, usage logs) and its ground truth' },
  { name: 'ingest', module: 'ingest', description: 'load users, survey and usage files (CSV or JSON Lines) into the database' },
  { name: 'segment', module: 'segment', description: 'segment users into personas from their behaviour (k-means++, k by silhouette)' },
  { name: 'needs', module: 'needs', description: 'score needs for a window (needs [score]); find, adopt and dismiss the needs nobody has named (needs discover|candidates|adopt|dismiss)' },
  { name: 'drift', module: 'drift', description: 'detect drift between a reference and a current window (or two files), and decide on retraining' },
  { name: 'train', module: 'models', description: 'train a candidate model from usage feedback: the first model, or a fine-tune of production' },
  { name: 'evaluate', module: 'models', description: 'evaluate a candidate against production on the recent holdout and the golden set, and apply the gate' },
  { name: 'models', module: 'models', description: 'list the model versions, newest first, each on its own holdout beside the model it replaced on that same holdout' },
  { name: 'promote', module: 'models', description: 'make a blessed candidate (awaiting approval) the production model' },
  { name: 'rollback', module: 'models', description: 'put back the production model that the current one replaced' },
  { name: 'predict', module: 'models', description: 'classify requests with the production model: TEXT... or, for machines, --input FILE (one prediction per line, streaming)' },
  { name: 'run', module: 'pipeline', description: 'run the pipeline: ingest the inbox, needs, segments, drift, and retraining when due' },
  { name: 'status', module: 'pipeline', description: 'what waits for a decision, and where a pipeline run is: its step, its candidate, its results' },
  { name: 'approve', module: 'pipeline', description: 'approve the candidate a run awaits: it becomes the production model' },
  { name: 'reject', module: 'pipeline', description: 'reject the candidate a run awaits: production stays as it is' },
  { name: 'approver', module: 'approver', description: 'engineers who may approve or reject a candidate model' },
  { name: 'viewer', module: 'approver', description: 'people and services who may read reports and call /api/predict when `needloop serve` is reachable beyond this machine' },
  { name: 'worker', module: 'worker', description: 'serve the pipeline\'s workflows and activities on Temporal (training runs where the training queue is served)' },
  { name: 'schedule', module: 'schedule', description: 'the nightly Temporal Schedule of the pipeline' },
  { name: 'serve', module: 'serve', description: 'serve the run reports, /api/predict with the production model, and the approval page' },
  { name: 'simulate', module: 'simulate', description: 'run the loop over simulated nights: users send requests, needloop\'s production model answers, feedback comes back, the pipeline runs each night' },
];

/** A command's description, for its module's registration (one text for both). */
export function describe(name: string): string {
  const found = COMMANDS.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no command ${name} in cli/commands/index.ts`);
  return found.description;
}

/** The registration of the module that defines NAME; null for no such command. */
export function loaderOf(name: string): (() => Promise<Register>) | null {
  const found = COMMANDS.find((c) => c.name === name);
  return found === undefined ? null : modules[found.module];
}
