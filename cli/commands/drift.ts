import type { Command } from 'commander';
import { describe } from './index.js';
import { AnalysisError } from '../../activities/analyze-needs.js';
import { detectDrift, type DriftResult } from '../../activities/detect-drift.js';
import { driftBetweenFiles } from '../../activities/drift-from-files.js';
import { scrubberFactory } from '../../analytics/pii.js';
import { identifierKey } from '../../db/ingest/pseudonym-key.js';
import { DEFAULT_THRESHOLDS, type DriftMethod, type DriftRule } from '../../analytics/index.js';
import type { Config } from '../../config.js';
import { printJson, say, UserError } from '../output.js';
import { windowFlags } from './window-flags.js';
import { withDatabase } from './with-database.js';
import { selectBackend } from '../../models/backend.js';
import { ModelStore } from '../../models/model-store.js';

interface DriftFlags {
  referenceFrom?: string;
  referenceTo?: string;
  currentFrom?: string;
  currentTo?: string;
  reference?: string;
  current?: string;
  columns?: string;
  rule: string[];
  driftShare?: string;
  persistence?: string;
  performanceDrop?: string;
  bySegment: boolean;
  json?: boolean;
}

const METHODS = Object.keys(DEFAULT_THRESHOLDS) as DriftMethod[];

/** `--rule column=method[:threshold]`, e.g. `latency_ms=psi:0.25`. */
function parseRules(rules: readonly string[]): Record<string, DriftRule> {
  const out: Record<string, DriftRule> = {};
  for (const r of rules) {
    const m = /^([^=]+)=([a-z0-9]+)(?::([0-9.]+))?$/.exec(r);
    if (m === null || !METHODS.includes(m[2] as DriftMethod) || (m[3] !== undefined && !Number.isFinite(Number(m[3])))) {
      throw new UserError(`--rule ${JSON.stringify(r)} must be COLUMN=METHOD[:THRESHOLD] with METHOD one of ${METHODS.join(', ')}`);
    }
    out[m[1]] = { method: m[2] as DriftMethod, ...(m[3] === undefined ? {} : { threshold: Number(m[3]) }) };
  }
  return out;
}

function number(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new UserError(`${flag} must be a number from ${min} to ${max} (got ${value})`);
  return n;
}

const where = (s: DriftResult['reference']) => ('file' in s ? s.file : `${s.from.slice(0, 10)} – ${s.to.slice(0, 10)}`);

function printDrift(r: DriftResult): void {
  say(`Drift of ${where(r.current)} against ${where(r.reference)}: ${r.dataset_drift ? 'DATASET DRIFT' : 'no dataset drift'} (${(100 * r.drift_share).toFixed(0)}% of columns drifted)`);
  for (const c of r.columns) say(`  ${c.drifted === null ? '?' : c.drifted ? '✗' : '✓'} ${c.column.padEnd(30)} ${c.reason}`);
  if (r.text !== null) say(`Request texts: Jensen–Shannon ${r.text.js.toFixed(3)}, ${(100 * r.text.unseen_share).toFixed(1)}% unseen words; new: ${r.text.new_terms.slice(0, 6).map((t) => t.term).join(', ') || '–'}`);
  const p = r.performance;
  if (p !== null) {
    const a = p.accuracy;
    say(`${p.model === '' ? 'The serving model' : `Production model ${p.model}`} on labelled requests it never trained on${p.judged_on === null ? '' : ` (served by ${p.judged_on})`}: accuracy ${a.reference?.toFixed(3) ?? '–'} (${a.n_reference}) → ${a.current?.toFixed(3) ?? '–'} (${a.n_current}); mean confidence ${p.confidence.reference?.toFixed(3) ?? '–'} → ${p.confidence.current?.toFixed(3) ?? '–'}`);
  }
  for (const s of r.segments) if (s.dataset_drift || s.columns.some((c) => c.drifted)) say(`Segment ${s.segment} (${s.name}): ${s.columns.filter((c) => c.drifted).map((c) => c.column).join(', ')}`);
  say(r.retrain.retrain ? 'Retrain: yes' : 'Retrain: no');
  for (const reason of r.retrain.reasons) say(`  - ${reason.message}`);
  for (const note of r.retrain.notes) say(`  · ${note}`);
}

export function registerDrift(program: Command, config: () => Config): void {
  program
    .command('drift')
    .description(describe('drift'))
    .option('--reference-from <date>', 'reference window start (default: 28 days before it ends)')
    .option('--reference-to <date>', 'reference window end (default: the current window start)')
    .option('--current-from <date>', 'current window start (default: 7 days before it ends)')
    .option('--current-to <date>', 'current window end (default: the latest event)')
    .option('--reference <file>', 'file mode: the reference file (CSV or JSONL)')
    .option('--current <file>', 'file mode: the current file, with the same columns')
    .option('--columns <a,b>', 'only these columns (request_text: text drift)')
    .option('--rule <column=method[:threshold]>', `judge a column by ks, chi2 (p below), wasserstein, js, psi (at least); repeatable`, (v: string, all: string[]) => [...all, v], [])
    .option('--drift-share <x>', 'dataset drift when at least this share of columns drifted', '0.5')
    .option('--persistence <n>', 'a column counts as drifted only after n consecutive drifted windows', '1')
    .option('--performance-drop <x>', 'retrain when accuracy drops this much', '0.03')
    .option('--no-by-segment', 'skip drift per segment')
    .option('--json', 'print the full result as JSON')
    .action(async (flags: DriftFlags) => {
      const fileMode = flags.reference !== undefined || flags.current !== undefined;
      if (fileMode && (flags.reference === undefined || flags.current === undefined)) throw new UserError('file mode needs both --reference FILE and --current FILE');
      const common = {
        columns: flags.columns?.split(',').map((c) => c.trim()).filter((c) => c !== ''),
        rules: parseRules(flags.rule),
        driftShare: number(flags.driftShare, '--drift-share', 0, 1),
        thresholds: { performanceDrop: number(flags.performanceDrop, '--performance-drop', 0, 1) ?? 0.03 },
      };
      const persistence = number(flags.persistence, '--persistence', 1, 100);
      if (persistence !== undefined && !Number.isInteger(persistence)) throw new UserError('--persistence must be a whole number');
      try {
        let result: DriftResult;
        if (fileMode) {
          result = await driftBetweenFiles({ reference: flags.reference!, current: flags.current!, ...common, scrub: scrubberFactory(config().pii, identifierKey(config()))?.() ?? null });
        } else {
          const r = windowFlags({ from: flags.referenceFrom, to: flags.referenceTo }, { from: '--reference-from', to: '--reference-to' });
          const c = windowFlags({ from: flags.currentFrom, to: flags.currentTo }, { from: '--current-from', to: '--current-to' });
          const cfg = config();
          await selectBackend(cfg.tfjsBackend);
          result = await withDatabase(cfg, (handle) =>
            detectDrift({ handle, store: new ModelStore(cfg.modelsDir) }, { referenceFrom: r.from, referenceTo: r.to, currentFrom: c.from, currentTo: c.to, persistence, bySegment: flags.bySegment, ...common }),
          );
        }
        if (flags.json) printJson(result);
        else printDrift(result);
      } catch (error) {
        if (error instanceof AnalysisError) throw new UserError(error.message, 1);
        throw error;
      }
    });
}
