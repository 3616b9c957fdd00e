import type { Command } from 'commander';
import { describe } from './index.js';
import type { Config } from '../../config.js';
import { loadCatalogue } from '../../db/need-catalogue.js';
import { generateScenario, SCENARIOS, type GenerateResult, type Locale, type ScenarioName } from '../../scenarios/generate.js';
import { printJson, say, UserError } from '../output.js';
import { progressFor } from '../progress.js';
import { integerOption } from './options.js';

export interface GenerateFlags {
  out: string;
  users: number;
  days: number;
  seed: string;
  scenario: ScenarioName;
  locale: Locale;
  personas: number;
  events?: number;
  start: string;
  changeDay?: number;
  usageFormat: 'jsonl' | 'csv';
  json?: boolean;
}

export async function runGenerate(config: Config, flags: GenerateFlags): Promise<GenerateResult> {
  if (!SCENARIOS.includes(flags.scenario)) throw new UserError(`--scenario must be one of ${SCENARIOS.join(', ')} (got ${flags.scenario})`);
  if (!['en', 'zh', 'mixed'].includes(flags.locale)) throw new UserError(`--locale must be en, zh or mixed (got ${flags.locale})`);
  if (!['jsonl', 'csv'].includes(flags.usageFormat)) throw new UserError(`--usage-format must be jsonl or csv (got ${flags.usageFormat})`);
  const progress = progressFor(flags.json === true);
  progress.start(flags.days, 'generating', ' days');
  try {
    return await generateScenario({
      outDir: flags.out,
      catalogue: loadCatalogue(config.catalogueFile),
      users: flags.users,
      days: flags.days,
      seed: /^\d+$/.test(flags.seed) ? Number(flags.seed) : flags.seed,
      scenario: flags.scenario,
      locale: flags.locale,
      personas: flags.personas,
      events: flags.events,
      start: flags.start,
      changeDay: flags.changeDay,
      usageFormat: flags.usageFormat,
      onProgress: ({ day, events }) => progress.update(day, `${events} events`),
    });
  } finally {
    progress.stop();
  }
}

export function registerGenerate(program: Command, config: () => Config): void {
  program
    .command('generate')
    .description(describe('generate'))
    .requiredOption('--out <dir>', 'folder to write users.csv, surveys.csv, usage.jsonl and truth.json to')
    .option('--users <n>', 'number of users', integerOption('--users', 1), 1000)
    .option('--days <n>', 'number of days of activity', integerOption('--days', 2), 60)
    .option('--seed <s>', 'random seed: the same seed writes the same files', '1')
    .option('--scenario <name>', `what changes: ${SCENARIOS.join(' | ')}`, 'stable')
    .option('--locale <locale>', 'language of requests and comments: en | zh | mixed', 'mixed')
    .option('--personas <n>', 'number of latent personas (4 to 6)', integerOption('--personas', 4, 6), 5)
    .option('--events <n>', 'aim for about this many usage events (scales activity)', integerOption('--events', 1))
    .option('--start <date>', 'first day (ISO date)', '2026-09-01')
    .option('--change-day <n>', 'day (0-based) the change starts; default two thirds in', integerOption('--change-day', 1))
    .option('--usage-format <format>', 'jsonl | csv', 'jsonl')
    .option('--json', 'print files and ground truth as JSON')
    .action(async (flags: GenerateFlags) => {
      const result = await runGenerate(config(), flags);
      if (flags.json) {
        printJson({ files: result.files, counts: result.counts, ...result.truth });
        return;
      }
      say(`Wrote ${result.counts.users} users, ${result.counts.surveys} survey responses and ${result.counts.events} usage events to ${flags.out}`);
      say(`  scenario ${result.truth.scenario}${result.truth.change_date ? `, change on ${result.truth.change_date}` : ''}${result.truth.new_need ? `, new need ${result.truth.new_need}` : ''}`);
      say(`  ground truth in ${result.files.truth}`);
    });
}
