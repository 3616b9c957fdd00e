/**
 * `needloop needs discover|candidates|adopt|dismiss`: the needs nobody has named yet
 * (issue 16). Discovery runs each night in the pipeline; `discover` runs it now.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { discoverNeeds, HASHED_SPACE, type DiscoveryResult } from '../../activities/discover-needs.js';
import type { Config } from '../../config.js';
import { loadCatalogue, NEED_CATEGORIES, OUT_OF_SCOPE } from '../../db/need-catalogue.js';
import { adoptCandidate, adoptedNeeds, candidatesWithLatest, setCandidateStatus } from '../../db/queries/need-candidates.js';
import { audit } from '../../db/queries/pipeline-runs.js';
import { selectBackend } from '../../models/backend.js';
import { ModelStore } from '../../models/model-store.js';
import { encoderFor } from '../../models/sentence-encoder.js';
import { CONTROL_CHARACTERS, printable, printJson, say, UserError } from '../output.js';
import { cliDecider, type TokenFlags } from '../credential.js';
import { withDatabase } from './with-database.js';

/** The most characters a need's label may have: it is shown on every page and report. */
const MAX_LABEL_CHARS = 200;
import { refreshReport, reportLine } from './refresh-report.js';

const pct = (x: number | null) => (x === null ? 'new' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(0)} %`);

function candidateJson(c: Awaited<ReturnType<typeof candidatesWithLatest>>[number]) {
  const detail = c.latest.detail as { examples: string[]; by_plan: Record<string, number>; by_segment: Record<string, number>; experience: Record<string, number | null> };
  return {
    id: c.id, label: c.label, status: c.status, adopted_as: c.adopted_as, size: c.latest.size, users: c.latest.users, previous_size: c.latest.previous_size,
    growth: c.latest.growth, growth_p: c.latest.growth_p, opportunity: c.latest.opportunity, first_seen: c.first_seen, last_seen: c.last_seen, nights: c.nights,
    window: { from: c.latest.window_from, to: c.latest.window_to }, examples: detail.examples, by_plan: detail.by_plan, by_segment: detail.by_segment,
    experience: detail.experience, event_ids: c.latest.event_ids,
  };
}

export function registerNeedCandidates(needs: Command, config: () => Config): void {
  needs
    .command('discover')
    .description('cluster now the requests no known need answers well into candidate needs (the pipeline does it each night)')
    .option('--json', 'print {window, representation, looked_at, like_known, candidates: [...]} as JSON')
    .action(async (flags: { json?: boolean }) => {
      const cfg = config();
      await selectBackend(cfg.tfjsBackend);
      const encoder = await encoderFor(cfg.encoder);
      const result: DiscoveryResult | null = await withDatabase(cfg, (handle) => discoverNeeds({ handle, store: new ModelStore(cfg.modelsDir), minGroup: cfg.minGroup, encoder }));
      if (flags.json) return printJson(result ?? { window: null, representation: encoder?.id ?? HASHED_SPACE, looked_at: 0, like_known: 0, candidates: [] });
      if (result === null) return say('No usage events yet: nothing to discover.');
      say(`Requests no known need answered well, ${result.window.from.slice(0, 10)} to ${result.window.to.slice(0, 10)}: ${result.looked_at} (${result.like_known} of them like a known need; clustered in the ${result.representation === HASHED_SPACE ? 'built-in hashed TF-IDF space' : `space of the encoder ${printable(result.representation)}`}).`);
      if (result.candidates.length === 0) say('No candidate need: nothing unnamed stands out.');
      for (const c of result.candidates) say(`  #${c.id} ${printable(c.label)}: ${c.size} requests from ${c.users} users, ${pct(c.growth)}${c.new ? ' (new tonight)' : ''}; e.g. "${printable(c.examples[0] ?? '')}"`);
    });

  needs
    .command('candidates')
    .description('the candidate needs discovery found, most promising first (open ones; --all for dismissed and adopted too)')
    .option('--all', 'include dismissed and adopted candidates')
    .option('--json', 'print {candidates: [{id, label, size, growth, first_seen, examples, event_ids, …}]} as JSON')
    .action(async (flags: { all?: boolean; json?: boolean }) => {
      const list = await withDatabase(config(), (handle) => candidatesWithLatest(handle.db, flags.all ? ['open', 'dismissed', 'adopted'] : ['open']));
      if (flags.json) return printJson({ candidates: list.map(candidateJson) });
      if (list.length === 0) return say('No candidate needs (discovery runs each night; needloop needs discover runs it now).');
      for (const c of list) {
        const j = candidateJson(c);
        say(`#${j.id} ${printable(j.label)}${j.status === 'open' ? '' : ` [${j.status}${j.adopted_as ? ` as ${j.adopted_as}` : ''}]`}: ${j.size} requests from ${j.users} users, ${pct(j.growth)} against the week before; first seen ${j.first_seen.toISOString().slice(0, 10)}, ${j.nights} night(s)`);
        for (const e of j.examples.slice(0, 3)) say(`    "${printable(e)}"`);
      }
    });

  needs
    .command('dismiss')
    .description('hide a candidate need: it stays known, so it does not come back as new')
    .argument('<id>', 'the candidate\'s id (needloop needs candidates)')
    .option('--token-file <file>', 'a file whose first line is your approver token (default: NEEDLOOP_TOKEN)')
    .option('--by <name>', 'your name, checked against the token')
    .action(async (id: string, flags: TokenFlags) => {
      if (!/^\d{1,18}$/.test(id)) throw new UserError(`candidate id must be a number from needloop needs candidates (got ${JSON.stringify(id)})`);
      const cfg = config();
      const { ok, report } = await withDatabase(cfg, async (handle) => {
        // Dismissing shapes what discovery shows as new: an approver's call, audited under their name.
        const decider = await cliDecider(handle.db, flags, { action: 'candidate need dismissed', target: `candidate ${id}`, what: 'Dismissing a candidate need' });
        const dismissed = await setCandidateStatus(handle.db, id, 'dismissed');
        await audit(handle.db, { actor: decider.by, action: 'candidate need dismissed', target: `candidate ${id}`, outcome: dismissed ? 'accepted' : 'refused', detail: dismissed ? null : 'no open or dismissed candidate of that id', source: decider.source });
        return { ok: dismissed, report: dismissed ? await refreshReport(handle, cfg) : null };
      });
      if (!ok) throw new UserError(`there is no candidate need ${id} to dismiss (npx needloop needs candidates --all)`, 1);
      say(`Candidate need ${id} dismissed.`);
      if (report !== null) say(reportLine(report)!);
    });

  needs
    .command('adopt')
    .description('add a candidate to the catalogue as a need, and label its requests with it so that the next fine-tune learns it')
    .argument('<id>', 'the candidate\'s id (needloop needs candidates)')
    .requiredOption('--as <need>', 'the new need\'s id: lower-case letters, digits and _')
    .option('--label <text>', 'its English label (default: the candidate\'s label)')
    .option('--label-zh <text>', 'its Chinese label (default: the English one)')
    .option('--category <c>', `one of ${NEED_CATEGORIES.join(', ')}`, 'functional')
    .option('--accept-all', 'label every member request with the need, unreviewed')
    .option('--review <file>', 'label the requests listed in this file (JSON Lines of {"event_id", "text"}; written by adopt without --accept-all; delete the lines that are not this need)')
    .option('--token-file <file>', 'a file whose first line is your approver token (default: NEEDLOOP_TOKEN); adopting needs it')
    .option('--by <name>', 'your name, checked against the token')
    .option('--json', 'print {need, labelled, review_file} as JSON')
    .action(async (id: string, flags: TokenFlags & { as: string; label?: string; labelZh?: string; category: string; acceptAll?: boolean; review?: string; json?: boolean }) => {
      const cfg = config();
      if (!/^\d{1,18}$/.test(id)) throw new UserError(`candidate id must be a number from needloop needs candidates (got ${JSON.stringify(id)})`);
      if (!/^[a-z][a-z0-9_]{0,62}$/.test(flags.as) || flags.as === OUT_OF_SCOPE) throw new UserError(`--as ${JSON.stringify(flags.as)} must be lower-case letters, digits and _ (starting with a letter), and not ${OUT_OF_SCOPE}`);
      if (!NEED_CATEGORIES.includes(flags.category as never)) throw new UserError(`--category must be one of ${NEED_CATEGORIES.join(', ')} (got ${flags.category})`);
      if (flags.acceptAll && flags.review !== undefined) throw new UserError('--accept-all and --review are alternatives: give one');
      for (const [option, value] of [['--label', flags.label], ['--label-zh', flags.labelZh]] as const) {
        if (value === undefined) continue;
        if (value.trim() === '' || [...value].length > MAX_LABEL_CHARS) throw new UserError(`${option} must be 1 to ${MAX_LABEL_CHARS} characters (got ${[...value].length})`);
        if (value.search(CONTROL_CHARACTERS) >= 0) throw new UserError(`${option} holds a control character: a label is one line of plain text`);
      }
      const result = await withDatabase(cfg, async (handle) => {
        const candidate = (await candidatesWithLatest(handle.db, ['open', 'dismissed', 'adopted'])).find((c) => c.id === id);
        if (candidate === undefined) throw new UserError(`there is no candidate need ${id} (needloop needs candidates --all)`, 1);
        if (candidate.status === 'adopted') throw new UserError(`candidate need ${id} was adopted already, as ${candidate.adopted_as}`, 1);
        const taken = [...loadCatalogue(cfg.catalogueFile).map((n) => n.id), ...(await adoptedNeeds(handle.db)).map((n) => n.id)];
        if (taken.includes(flags.as)) throw new UserError(`the catalogue has a need ${flags.as} already: choose another id`, 1);
        if (!flags.acceptAll && flags.review === undefined) {
          // Its requests lie in the window it was seen in: the bounds let Postgres read only
          // those months (usage_events' key leads with the time).
          const { rows } = await handle.pool.query<{ event_id: string; text: string }>(
            'select event_id, request_text as text from usage_events where event_id = any($1) and ts >= $2 and ts < $3',
            [candidate.latest.event_ids, candidate.latest.window_from, candidate.latest.window_to],
          );
          const texts = new Map(rows.map((r) => [r.event_id, r.text]));
          const file = `needloop-candidate-${id}.jsonl`;
          // Created new, readable by its owner only (it quotes what users typed), never through a
          // link and never over a file: 'wx' fails on anything already at that name.
          await writeFile(file, candidate.latest.event_ids.map((e) => JSON.stringify({ event_id: e, text: texts.get(e) ?? null })).join('\n') + '\n', { flag: 'wx', mode: 0o600 }).catch((error: NodeJS.ErrnoException) => {
            if (error.code === 'EEXIST') throw new UserError(`${file} exists already: review it and adopt with --review ${file}, or delete it to have it written again`, 1);
            throw new UserError(`cannot write ${file}: ${error.message}`, 1);
          });
          return { need: null, labelled: 0, review_file: file, report: null };
        }
        let eventIds = candidate.latest.event_ids;
        if (flags.review !== undefined) {
          const lines = (await readFile(flags.review, 'utf8').catch((e: Error) => { throw new UserError(`cannot read ${flags.review}: ${e.message}`); })).split('\n');
          const members = new Set(candidate.latest.event_ids);
          eventIds = [];
          lines.forEach((line, i) => {
            if (line.trim() === '') return;
            let value: { event_id?: unknown };
            try {
              value = JSON.parse(line) as { event_id?: unknown };
            } catch {
              throw new UserError(`${flags.review}:${i + 1}: not JSON: each line is {"event_id": "…", "text": "…"}`, 1);
            }
            if (typeof value.event_id !== 'string' || !members.has(value.event_id)) throw new UserError(`${flags.review}:${i + 1}: event_id ${JSON.stringify(value.event_id)} is not one of candidate ${id}'s requests`, 1);
            eventIds.push(value.event_id);
          });
        }
        const label = flags.label ?? candidate.label;
        const need = { id: flags.as, label: { en: label, zh: flags.labelZh ?? label }, category: flags.category };
        // Adopting changes the catalogue and the training labels: an approver's call, audited under their name.
        const decider = await cliDecider(handle.db, flags, { action: 'candidate need adopted', target: `candidate ${id} as ${flags.as}`, what: 'Adopting a candidate need' });
        const labelled = await adoptCandidate(handle.db, { candidateId: id, need, by: decider.by, eventIds });
        await audit(handle.db, { actor: decider.by, action: 'candidate need adopted', target: `candidate ${id} as ${flags.as}`, outcome: 'accepted', detail: `${labelled} requests labelled`, source: decider.source });
        return { need, labelled, review_file: null, report: await refreshReport(handle, cfg) };
      });
      if (flags.json) return printJson(result);
      if (result.need === null) return say(`Review ${result.review_file}: delete the lines that are not this need, then: needloop needs adopt ${id} --as ${flags.as} --review ${result.review_file}`);
      say(`Need ${result.need.id} ("${result.need.label.en}") added; ${result.labelled} requests labelled with it: the next fine-tune learns it.`);
      if (result.report !== null) say(reportLine(result.report)!);
    });
}
