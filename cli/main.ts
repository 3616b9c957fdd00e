/**
 * The `needloop` command line. Thin by design: each command parses its flags, calls one
 * function and prints the result — sentences on a terminal, JSON with `--json`.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { isConnectionLoss } from '../db/connection.js';
import { CatalogueError } from '../db/need-catalogue.js';
import { RegistryError } from '../db/queries/model-versions.js';
import { PipelineBusy } from '../db/queries/pipeline-runs.js';
import { WindowError } from '../db/queries/time-window.js';
import { ArtifactError } from '../models/artifacts.js';
import { BackendError } from '../models/backend.js';
import { TrainingDataError } from '../models/train-candidate.js';
import { GenerateError } from '../scenarios/generate.js';
import { registerApprover } from './commands/approver.js';
import { registerDrift } from './commands/drift.js';
import { registerGenerate } from './commands/generate.js';
import { registerIngest } from './commands/ingest.js';
import { registerModels } from './commands/models.js';
import { registerNeeds } from './commands/needs.js';
import { registerPipeline } from './commands/pipeline.js';
import { registerSchedule } from './commands/schedule.js';
import { registerServe } from './commands/serve.js';
import { registerSegment } from './commands/segment.js';
import { registerSimulate } from './commands/simulate.js';
import { registerStart } from './commands/start.js';
import { registerWorker } from './commands/worker.js';
import { UserError } from './output.js';

let config: Config | null = null;
const getConfig = (): Config => (config ??= loadConfig());

const program = new Command('needloop')
  .description('User-needs analytics and feedback-driven retraining for AI products')
  .showHelpAfterError('(run needloop --help for usage)')
  .exitOverride();

registerStart(program, getConfig);
registerGenerate(program, getConfig);
registerIngest(program, getConfig);
registerSegment(program, getConfig);
registerNeeds(program, getConfig);
registerDrift(program, getConfig);
registerModels(program, getConfig);
registerPipeline(program, getConfig);
registerApprover(program, getConfig);
registerWorker(program, getConfig);
registerSchedule(program, getConfig);
registerServe(program, getConfig);
registerSimulate(program, getConfig);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else if (error instanceof UserError || error instanceof ConfigError || error instanceof CatalogueError || error instanceof GenerateError) {
    process.stderr.write(`needloop: ${error.message}\n`);
    process.exitCode = error instanceof UserError ? error.exitCode : 2;
  } else if (error instanceof PipelineBusy || error instanceof RegistryError || error instanceof ArtifactError || error instanceof BackendError || error instanceof TrainingDataError || error instanceof WindowError) {
    process.stderr.write(`needloop: ${error.message}\n`);
    process.exitCode = 1;
  } else if (isConnectionLoss(error)) {
    process.stderr.write(`needloop: lost the connection to Postgres (${(error as Error).message}). Nothing half-done was kept: each file and each step commits on its own. Run the command again once the database is back.\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`needloop: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}
