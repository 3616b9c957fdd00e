import type { Command } from 'commander';
import { describe } from './index.js';
import { AnalysisError } from '../../activities/analyze-needs.js';
import { segmentUsersInWindow, type SegmentResult } from '../../activities/segment-users.js';
import { segmentFile } from '../../activities/segments-from-file.js';
import type { Config } from '../../config.js';
import { printJson, say, UserError } from '../output.js';
import { windowFlags } from './window-flags.js';
import { withDatabase } from './with-database.js';

interface SegmentFlags {
  from?: string;
  to?: string;
  k: string;
  seed: string;
  input?: string;
  json?: boolean;
}

function parseK(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  const k = Number(value);
  if (!Number.isInteger(k) || k < 2 || k > 50) throw new UserError(`--k must be auto or a whole number from 2 to 50 (got ${value})`);
  return k;
}

function printSegments(result: SegmentResult): void {
  const where = result.window === null ? '' : ` active from ${result.window.from.slice(0, 10)} to ${result.window.to.slice(0, 10)}`;
  const fitted = result.fitted_on < result.users ? `; fitted on a sample of ${result.fitted_on}, every user assigned to the nearest centre` : '';
  say(`${result.users} users${where} in ${result.k} segments (mean silhouette ${result.silhouette?.toFixed(3) ?? '–'}${fitted})`);
  for (const s of result.segments) {
    const why = s.distinctive.slice(0, 3).map((d) => `${d.feature} ${d.z > 0 ? '+' : ''}${d.z.toFixed(1)}σ`).join(', ');
    say(`  ${String(s.id).padStart(2)}  ${s.name.padEnd(34)} ${String(s.size).padStart(7)} users   ${why}`);
  }
  if (result.segment_run_id !== null) say(`Stored as segment run ${result.segment_run_id}; \`needloop needs --by-segment\` scores needs per segment.`);
}

export function registerSegment(program: Command, config: () => Config): void {
  program
    .command('segment')
    .description(describe('segment'))
    .option('--from <date>', 'window start (default: 28 days before --to)')
    .option('--to <date>', 'window end, inclusive for a date (default: the latest event)')
    .option('--k <k>', 'number of segments, or auto (2–10 by mean silhouette)', 'auto')
    .option('--seed <s>', 'random seed: the same seed and data give the same segments', '1')
    .option('--input <file>', 'segment a CSV of user_id and numeric features instead of the database')
    .option('--json', 'print {k, silhouette, segments, users, fitted_on, assignments} as JSON')
    .action(async (flags: SegmentFlags) => {
      const k = parseK(flags.k);
      const window = windowFlags(flags);
      try {
        const result =
          flags.input === undefined
            ? await withDatabase(config(), (handle) => segmentUsersInWindow({ handle }, { ...window, k, seed: flags.seed }))
            : await segmentFile({ file: flags.input, k, seed: flags.seed });
        if (flags.json) printJson(result);
        else printSegments(result);
      } catch (error) {
        if (error instanceof AnalysisError) throw new UserError(error.message, 1);
        throw error;
      }
    });
}
