/**
 * `needloop start` — the main job on one machine: demo data when the database is empty,
 * ingest, and the pipeline as far as it exists, then where to find the results.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { sql } from 'kysely';
import type { Config } from '../../config.js';
import type { DatabaseHandle } from '../../db/connection.js';
import type { FileResult } from '../../db/ingest/ingest-file.js';
import { printJson, say } from '../output.js';
import { runGenerate } from './generate.js';
import { describeResult, ingestWithProgress } from './ingest.js';
import { withDatabase } from './with-database.js';

/** The demo: an AI assistant's users, with a new need emerging two thirds in. */
export const DEMO = { users: 2000, days: 60, seed: '42', scenario: 'emerging-need' } as const;

async function tableCounts(handle: DatabaseHandle) {
  const { rows } = await sql<{ users: string; responses: string; events: string; rejected: string; batches: string }>`
    select (select count(*) from users) as users, (select count(*) from survey_responses) as responses,
           (select count(*) from usage_events) as events, (select count(*) from rejected_rows) as rejected,
           (select count(*) from ingest_batches) as batches`.execute(handle.db);
  return Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, Number(v)])) as Record<keyof (typeof rows)[0], number>;
}

export function registerStart(program: Command, config: () => Config): void {
  program
    .command('start')
    .description('the main job: demo data if the database is empty, ingest, pipeline; prints where the results are')
    .option('--json', 'print a summary as JSON')
    .action(async (flags: { json?: boolean }) => {
      const json = flags.json === true;
      const cfg = config();
      const summary = await withDatabase(cfg, async (handle) => {
        let ingested: FileResult[] = [];
        let demoDir: string | null = null;
        if ((await tableCounts(handle)).batches === 0) {
          demoDir = join(cfg.home, 'demo');
          if (!json) say(`The database is empty: generating demo data (${DEMO.users} users, ${DEMO.days} days, scenario ${DEMO.scenario}) in ${demoDir}`);
          const generated = await runGenerate(cfg, { out: demoDir, ...DEMO, locale: 'mixed', personas: 5, start: '2026-09-01', usageFormat: 'jsonl', json });
          ingested = await ingestWithProgress(handle, cfg, [generated.files.users, generated.files.surveys, generated.files.usage], { json });
          if (!json) for (const r of ingested) say(describeResult(r));
        }
        return { database: handle.location, demo_dir: demoDir, ingested, counts: await tableCounts(handle) };
      });
      if (json) {
        printJson(summary);
        return;
      }
      const c = summary.counts;
      say();
      say(`Database: ${summary.database}`);
      say(`  ${c.users} users, ${c.responses} survey responses, ${c.events} usage events from ${c.batches} files; ${c.rejected} rejected rows kept with their reasons`);
      say('Next: `needloop ingest FILE...` to load your own exports (see README.md for the formats).');
      if (summary.ingested.some((r) => r.status === 'failed')) process.exitCode = 1;
    });
}
