/**
 * `needloop start` — the main job on one machine: demo data when the database is empty,
 * ingest, and the pipeline as far as it exists, then where to find the results.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { sql } from 'kysely';
import { analyzeNeeds } from '../../activities/analyze-needs.js';
import { detectDrift } from '../../activities/detect-drift.js';
import { segmentUsersInWindow } from '../../activities/segment-users.js';
import type { Config } from '../../config.js';
import { loadCatalogue } from '../../db/need-catalogue.js';
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
        const counts = await tableCounts(handle);
        // The pipeline as far as it exists: segment the users of the last 28 days, then
        // score their needs overall and per segment.
        const segments = counts.events === 0 ? null : await segmentUsersInWindow({ handle }, { k: 'auto', seed: '1' });
        const needs = counts.responses === 0 ? null : await analyzeNeeds({ handle, catalogue: loadCatalogue(cfg.catalogueFile) }, { bySegment: segments !== null });
        // Drift of the last week against the four before it, per segment too.
        const drift = counts.events === 0 ? null : await detectDrift({ handle }, {});
        return { database: handle.location, demo_dir: demoDir, ingested, counts, segments, needs, drift };
      });
      if (json) {
        printJson({
          ...summary,
          segments: summary.segments && { segment_run_id: summary.segments.segment_run_id, k: summary.segments.k, silhouette: summary.segments.silhouette, segments: summary.segments.segments },
          needs: summary.needs && { analysis_id: summary.needs.analysis_id, window: summary.needs.window, needs: summary.needs.needs.filter((n) => n.segment === null), nps: summary.needs.nps, csat: summary.needs.csat },
          drift: summary.drift && { drift_run_id: summary.drift.drift_run_id, dataset_drift: summary.drift.dataset_drift, drift_share: summary.drift.drift_share, emerging_needs: summary.drift.emerging_needs, retrain: summary.drift.retrain },
        });
        return;
      }
      const c = summary.counts;
      say();
      say(`Database: ${summary.database}`);
      say(`  ${c.users} users, ${c.responses} survey responses, ${c.events} usage events from ${c.batches} files; ${c.rejected} rejected rows kept with their reasons`);
      if (summary.segments !== null) {
        const s = summary.segments;
        say(`Segments (users active ${s.window!.from.slice(0, 10)} to ${s.window!.to.slice(0, 10)}): ${s.segments.map((g) => `${g.name} (${g.size})`).join(', ')} — segment run ${s.segment_run_id}`);
      }
      if (summary.needs !== null) {
        const n = summary.needs;
        const top = n.needs.filter((r) => r.segment === null && r.opportunity !== null).sort((a, b) => b.opportunity! - a.opportunity!).slice(0, 3);
        say(`Most unmet needs (opportunity 0–20): ${top.map((r) => `${r.need} ${r.opportunity!.toFixed(1)}`).join(', ')}`);
        say(`NPS ${n.nps.value?.toFixed(1) ?? '–'} (n=${n.nps.n}), CSAT ${n.csat.value?.toFixed(1) ?? '–'}% (n=${n.csat.n}) — need analysis ${n.analysis_id}`);
      }
      if (summary.drift !== null) {
        const d = summary.drift;
        const drifted = d.columns.filter((c) => c.drifted).map((c) => c.column);
        say(`Drift, last 7 days against the 28 before: ${drifted.length === 0 ? 'none' : drifted.slice(0, 6).join(', ')}${drifted.length > 6 ? ', …' : ''} — drift run ${d.drift_run_id}`);
        say(d.retrain.retrain ? `Retraining is due: ${d.retrain.reasons.map((r) => r.kind.replace('_', ' ')).join(', ')} (the model and its training arrive with the next issue)` : 'No retraining needed.');
      }
      say('Next: `needloop needs --by-segment`, `needloop segment` and `needloop drift` for the details; `needloop ingest FILE...` to load your own exports (formats in README.md).');
      if (summary.ingested.some((r) => r.status === 'failed')) process.exitCode = 1;
    });
}
