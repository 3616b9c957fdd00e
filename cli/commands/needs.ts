import type { Command } from 'commander';
import { describe } from './index.js';
import { analyzeNeeds, AnalysisError, type NeedsResult } from '../../activities/analyze-needs.js';
import { productionCommentClassifier } from '../../activities/comment-classifier.js';
import { analyzeNeedsFile } from '../../activities/needs-from-file.js';
import { scrubberFactory } from '../../analytics/pii.js';
import { identifierKey } from '../../db/ingest/pseudonym-key.js';
import { selectBackend } from '../../models/backend.js';
import { ModelStore } from '../../models/model-store.js';
import type { Config } from '../../config.js';
import { loadCatalogue } from '../../db/need-catalogue.js';
import { printJson, say, UserError } from '../output.js';
import { registerNeedCandidates } from './need-candidates.js';
import { windowFlags } from './window-flags.js';
import { withDatabase } from './with-database.js';

interface NeedsFlags {
  from?: string;
  to?: string;
  bySegment?: boolean;
  input?: string;
  segments?: string;
  json?: boolean;
}

const fmt = (v: number | null, digits = 1) => (v === null ? '–' : v.toFixed(digits));

function printNeeds(result: NeedsResult & { rejected?: { line: number; reason: string }[] }, labels: Map<string, string>): void {
  say(`Needs from ${result.window.from.slice(0, 10)} to ${result.window.to.slice(0, 10)} (opportunity = importance + unmet part, 0–20)`);
  const groups = [null, ...new Set(result.needs.filter((r) => r.segment !== null).map((r) => r.segment))];
  for (const segment of groups) {
    say();
    say(segment === null ? 'All respondents' : `Segment ${segment}${result.segment_names[segment] ? ` — ${result.segment_names[segment]}` : ''}`);
    say(`  ${'need'.padEnd(34)} ${'n'.padStart(5)} ${'import.'.padStart(7)} ${'satisf.'.padStart(7)} ${'opport.'.padStart(7)}  kano`);
    const rows = result.needs.filter((r) => r.segment === segment).sort((a, b) => (b.opportunity ?? -1) - (a.opportunity ?? -1));
    for (const r of rows) {
      say(`  ${(labels.get(r.need) ?? r.need).slice(0, 34).padEnd(34)} ${String(r.n).padStart(5)} ${fmt(r.importance).padStart(7)} ${fmt(r.satisfaction).padStart(7)} ${fmt(r.opportunity).padStart(7)}  ${r.kano.category ?? '–'}`);
    }
  }
  say();
  say(`NPS ${fmt(result.nps.value)} (95% ${fmt(result.nps.low)} to ${fmt(result.nps.high)}, n=${result.nps.n}); CSAT ${fmt(result.csat.value)}% (95% ${fmt(result.csat.low)}–${fmt(result.csat.high)}%, n=${result.csat.n})`);
  const terms = result.comments.growing_terms.slice(0, 5).map((t) => t.term);
  if (terms.length > 0) say(`Comment terms growing against the previous ${Math.round((Date.parse(result.window.to) - Date.parse(result.window.from)) / 86_400_000)} days: ${terms.join(', ')}`);
  if (result.rejected && result.rejected.length > 0) say(`${result.rejected.length} rows rejected; first: line ${result.rejected[0].line}: ${result.rejected[0].reason}`);
}

export function registerNeeds(program: Command, config: () => Config): void {
  // `needs [options]` scores needs (the default subcommand, `needs score`), so that each
  // subcommand's options — `needs candidates --json` — are its own.
  const needs = program.command('needs').description(describe('needs'));
  registerNeedCandidates(needs, config);
  needs
    .command('score', { isDefault: true })
    .description('score needs (importance, satisfaction, opportunity, Kano), NPS and CSAT for a window')
    .option('--from <date>', 'window start (default: 28 days before --to)')
    .option('--to <date>', 'window end, inclusive for a date (default: the latest response)')
    .option('--by-segment', 'also score each segment of the latest segmentation (file mode: of --segments)')
    .option('--input <file>', 'analyse a surveys file instead of the database')
    .option('--segments <file>', 'file mode: CSV of user_id,segment for --by-segment')
    .option('--json', 'print the full result as JSON')
    .action(async (flags: NeedsFlags) => {
      const cfg = config();
      const catalogue = loadCatalogue(cfg.catalogueFile);
      const window = windowFlags(flags);
      if (flags.bySegment && flags.input !== undefined && flags.segments === undefined) throw new UserError('--by-segment with --input needs --segments FILE (user_id,segment)');
      try {
        const result =
          flags.input === undefined
            ? await withDatabase(cfg, async (handle) => {
              const classifier = await productionCommentClassifier({ db: handle.db, store: new ModelStore(cfg.modelsDir), backend: selectBackend(cfg.tfjsBackend) });
              return analyzeNeeds({ handle, catalogue, classifier }, { ...window, bySegment: flags.bySegment });
            })
            : await analyzeNeedsFile({ file: flags.input, segmentsFile: flags.bySegment ? flags.segments : undefined, ...window, catalogue, maxFieldBytes: cfg.maxFieldBytes, scrub: scrubberFactory(cfg.pii, identifierKey(cfg))?.() ?? null });
        if (flags.json) printJson(result);
        else printNeeds(result, new Map(catalogue.map((n) => [n.id, n.label.en])));
      } catch (error) {
        if (error instanceof AnalysisError) throw new UserError(error.message, 1);
        throw error;
      }
    });
}
