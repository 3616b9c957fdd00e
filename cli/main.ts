/**
 * The `needloop` command line. Thin by design: each command parses its flags, calls one
 * function and prints the result — sentences on a terminal, JSON with `--json`. Only the
 * module of the command given is loaded (cli/commands/index.ts).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { COMMANDS, loaderOf } from './commands/index.js';
import { UserError } from './output.js';

let config: Config | null = null;
const getConfig = (): Config => (config ??= loadConfig());
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('needloop')
  .description('User-needs analytics and feedback-driven retraining for AI products')
  .version(version, '-V, --version', 'print needloop\'s version')
  .showHelpAfterError('(run npx needloop --help for usage)')
  .exitOverride();

/** Commander's own exits: help and version are successes; anything else is a usage error (2). */
const SUCCESS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/** Errors a person can act on, printed without a stack trace: their class names, and the exit code. */
async function known(error: unknown): Promise<number | null> {
  if (error instanceof UserError) return error.exitCode;
  if (error instanceof ConfigError) return 2;
  const name = (error as Error | null)?.name;
  // Loaded lazily, as the command's own modules are: their classes are known by name.
  if (['CatalogueError', 'GenerateError', 'EmbeddedServerError'].includes(name ?? '')) return 2;
  if (['PipelineBusy', 'RegistryError', 'ArtifactError', 'BackendError', 'TrainingDataError', 'WindowError'].includes(name ?? '')) return 1;
  return null;
}

try {
  const args = process.argv.slice(2);
  // `needloop CMD …` and `needloop help CMD`: that command's module; otherwise (`--help`,
  // `--version`, a mistyped name) every command by its name and description alone.
  const named = args[0] === 'help' ? args[1] : args[0];
  const load = named === undefined ? null : loaderOf(named);
  if (load !== null) (await load())(program, getConfig);
  else for (const c of COMMANDS) program.command(c.name).description(c.description);
  await program.parseAsync(process.argv);
} catch (error) {
  const code = error instanceof CommanderError ? (SUCCESS.has(error.code) ? 0 : 2) : await known(error);
  if (error instanceof CommanderError) {
    process.exitCode = code!;
  } else if (code !== null) {
    process.stderr.write(`needloop: ${(error as Error).message}\n`);
    process.exitCode = code;
  } else if ((await import('../db/connection.js')).isConnectionLoss(error)) {
    process.stderr.write(`needloop: lost the connection to Postgres (${(error as Error).message}). Nothing half-done was kept: each file and each step commits on its own. Run the command again once the database is back.\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`needloop: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}
