/**
 * The model registry's commands: train, evaluate, models, promote, rollback, predict.
 */
import type { Command } from 'commander';
import { describe } from './index.js';
import type { Kysely } from 'kysely';
import type { Config } from '../../config.js';
import { findModelVersion, findProductionModel, listModelVersions, promoteModel, rollbackModel } from '../../db/queries/model-versions.js';
import type { Database, ModelVersion } from '../../db/schema.js';
import { audit, type DecisionProof } from '../../db/queries/pipeline-runs.js';
import { cliDecider, type TokenFlags } from '../credential.js';
import { selectBackend, type SelectedBackend } from '../../models/backend.js';
import { evaluateCandidate, type CandidateEvaluation } from '../../models/evaluate-candidate.js';
import { gateFor, type ModelEvaluation } from '../../models/gate.js';
import { ModelStore } from '../../models/model-store.js';
import { predictIntents } from '../../models/predict.js';
import { predictFile, PredictFileError } from '../../models/predict-file.js';
import { trainCandidate } from '../../models/train-candidate.js';
import { FINE_TUNE, FIRST_MODEL } from '../../models/fit.js';
import { GoldenFileError, readGoldenFile, type GoldenRow } from '../../models/golden-file.js';
import { loadCatalogue, OUT_OF_SCOPE } from '../../db/need-catalogue.js';
import { printJson, say, UserError } from '../output.js';
import { progressFor } from '../progress.js';
import { windowFlags } from './window-flags.js';
import { withDatabase } from './with-database.js';
import { refreshReport, reportLine } from './refresh-report.js';

/** A registry row as the CLI and the JSON output show it. */
export function describeVersion(v: ModelVersion) {
  return {
    id: v.id, status: v.status, parent: v.parent_id, created_at: v.created_at, metrics: v.metrics,
    labels: v.labels, data_from: v.data_from, data_to: v.data_to, holdout_from: v.holdout_from, holdout_to: v.holdout_to,
    backend: v.backend, device: v.device, artifact_sha256: v.artifact_sha256, hyperparameters: v.hyperparameters,
    training: v.training, status_reason: v.status_reason, approved_by: v.approved_by, approved_at: v.approved_at,
  };
}

async function backendFor(config: Config, json: boolean): Promise<SelectedBackend> {
  const backend = await selectBackend(config.tfjsBackend);
  if (!json) process.stderr.write(`tfjs backend: ${backend.backend} (${backend.device})\n`);
  return backend;
}

const num = (x: unknown, digits = 3) => (typeof x === 'number' ? x.toFixed(digits) : '–');

function printEvaluation(e: CandidateEvaluation): void {
  const row = (name: string, m: ModelEvaluation | null) =>
    m === null ? '' : `  ${name.padEnd(22)} ${num(m.holdout.accuracy).padStart(8)} ${num(m.holdout.macro_f1).padStart(8)} ${num(m.golden.accuracy).padStart(8)} ${num(m.holdout.ece).padStart(6)} ${num(m.latency.p95_ms, 2).padStart(8)}`;
  const sampled = e.holdout.examples < e.holdout.of ? ` (a sample stratified by need, of ${e.holdout.of})` : '';
  say(`Holdout ${e.holdout.from.toISOString().slice(0, 10)} – ${e.holdout.to.toISOString().slice(0, 10)}: ${e.holdout.examples} labelled requests${sampled}; golden set: ${e.golden_examples}`);
  say(`  ${''.padEnd(22)} ${'accuracy'.padStart(8)} ${'macro-F1'.padStart(8)} ${'golden'.padStart(8)} ${'ECE'.padStart(6)} ${'p95 ms'.padStart(8)}`);
  say(row(`candidate ${e.candidate_id}`, e.candidate));
  if (e.production !== null) say(row(`production ${e.production_id}`, e.production));
  const interval = (name: string, m: ModelEvaluation | null) => (m?.holdout.accuracy_interval == null ? '' : `${name}'s holdout accuracy ${num(m.holdout.accuracy)}, 95 % interval ${num(m.holdout.accuracy_interval.low)}–${num(m.holdout.accuracy_interval.high)}`);
  say(`  ${[interval('candidate', e.candidate), interval('production', e.production)].filter((x) => x !== '').join('; ')}`);
  say(`Gate: ${e.blessed ? 'blessed' : 'refused'}`);
  for (const r of e.reasons) say(`  ${r}`);
  say(e.blessed ? `Model ${e.candidate_id} awaits approval: needloop promote ${e.candidate_id} --token-file FILE` : `Model ${e.candidate_id} is rejected.`);
}

function idArgument(value: string, what: string): string {
  if (!/^\d{1,18}$/.test(value)) throw new UserError(`${what} must be a model id from \`needloop models\` (got ${JSON.stringify(value)})`);
  return value;
}

/**
 * A promotion or a rollback, decided by the approver whose token is given (NEEDLOOP_TOKEN
 * or --token-file): the database checks the token and writes the accepted audit row in the
 * decision's own transaction; a refusal is audited with its reason, and the CLI's
 * operating-system user as the source.
 */
async function decided<T>(db: Kysely<Database>, flags: TokenFlags, d: { action: 'promote' | 'rollback'; target: string }, act: (by: string, proof: DecisionProof) => Promise<T>): Promise<T & { by: string }> {
  const decider = await cliDecider(db, flags, { action: d.action, target: d.target, what: d.action === 'promote' ? 'A promotion' : 'A rollback' });
  try {
    return { ...(await act(decider.by, { token: decider.token, source: decider.source })), by: decider.by };
  } catch (error) {
    await audit(db, { actor: decider.by, action: d.action, target: d.target, outcome: 'refused', detail: (error as Error).message, source: decider.source });
    throw error;
  }
}

/**
 * The registry, newest first. Each model's figures come from its own evaluation, on the
 * holdout of that night (a window of its own): figures of two models on different
 * holdouts are not comparable, so each line also gives, on the same holdout, the model it
 * was measured against — and the listing says when the windows differ.
 */
export function modelLines(versions: readonly ModelVersion[]): string[] {
  const window = (v: ModelVersion) => `${v.holdout_from.toISOString().slice(0, 10)}–${v.holdout_to.toISOString().slice(0, 10)}`;
  const out = versions.map((v) => {
    const m = (v.metrics ?? {}) as Record<string, unknown> & { examples?: number; production?: { id: string; holdout_macro_f1?: number | null } | null };
    const against = m.production == null ? '' : `; model ${m.production.id} on the same holdout: ${num(m.production.holdout_macro_f1)}`;
    const n = typeof m.examples === 'number' ? `, n ${m.examples}` : '';
    return `  ${v.id.padStart(4)}  ${v.status.padEnd(17)} parent ${String(v.parent_id ?? '–').padEnd(4)} ${v.created_at.toISOString().slice(0, 16)}  macro-F1 ${num(m.holdout_macro_f1)} (holdout ${window(v)}${n}${against})  golden ${num(m.golden_accuracy)}  ${v.status_reason ?? ''}`.trimEnd();
  });
  if (new Set(versions.filter((v) => v.metrics !== null).map(window)).size > 1) {
    out.push('  Each model is scored on the holdout of its own evaluation: compare two models only on the same holdout (the figure after "on the same holdout").');
  }
  return out;
}

export function registerModels(program: Command, config: () => Config): void {
  program
    .command('train')
    .description(describe('train'))
    .option('--from <date>', 'start of the training window (default: all data for a first model, 28 days before the holdout for a fine-tune)')
    .option('--to <date>', 'end of the data, inclusive for a date; the 7 days before it are the holdout (default: the latest event)')
    .option('--seed <n>', 'random seed: the same seed and data give identical weights', '1')
    .option('--epochs <n>', `most epochs (default ${FIRST_MODEL.epochs} for a first model, the best on validation kept; ${FINE_TUNE.epochs} for a fine-tune, stopped early on the validation loss)`)
    .option('--golden <file>', 'the golden set as a file (.jsonl or .csv: text, intent, optional id) instead of a share of the first model\'s data; only before the first model')
    .option('--json', 'print the registered candidate as JSON')
    .action(async (flags: { from?: string; to?: string; seed: string; epochs?: string; golden?: string; json?: boolean }) => {
      const json = flags.json === true;
      const seed = Number(flags.seed);
      const epochs = flags.epochs === undefined ? undefined : Number(flags.epochs);
      if (!Number.isInteger(seed) || seed < 0) throw new UserError(`--seed must be a whole number (got ${flags.seed})`);
      if (epochs !== undefined && (!Number.isInteger(epochs) || epochs < 1 || epochs > 200)) throw new UserError(`--epochs must be a whole number from 1 to 200 (got ${flags.epochs})`);
      const window = windowFlags(flags);
      const cfg = config();
      let golden: GoldenRow[] | undefined;
      if (flags.golden !== undefined) {
        try {
          golden = await readGoldenFile(flags.golden, [...loadCatalogue(cfg.catalogueFile).map((n) => n.id), OUT_OF_SCOPE]);
        } catch (error) {
          if (error instanceof GoldenFileError) throw new UserError(error.message, 1);
          throw error;
        }
      }
      const backend = await backendFor(cfg, json);
      const progress = progressFor(json);
      const result = await withDatabase(cfg, async (handle) => {
        let epochShown = -1;
        return trainCandidate({ db: handle.db, store: new ModelStore(cfg.modelsDir), backend }, {
          ...window,
          seed, epochs, golden,
          onProgress: (p) => {
            const key = p.phase === 'refit' ? 1000 + p.epoch : p.epoch;
            if (key !== epochShown) progress.start(p.batches, `${p.phase === 'refit' ? 'refit on training + validation' : 'training'}, epoch ${p.epoch + 1}/${p.epochs}`, ' batches');
            epochShown = key;
            progress.update(p.batch, `loss ${p.loss.toFixed(4)}`);
          },
        });
      }).finally(() => progress.stop());
      if (json) {
        printJson({ model: describeVersion(result.version), fine_tuned: result.fine_tuned, examples: result.examples, new_intents: result.new_intents, best_epoch: result.best_epoch, stopped_early: result.stopped_early, curve: result.curve, out_of_scope: result.out_of_scope, seconds: result.seconds });
        return;
      }
      const v = result.version;
      say(`Trained model ${v.id} (${result.fine_tuned ? `fine-tuned from model ${v.parent_id}` : 'the first model'}) on ${backend.device} in ${result.seconds.toFixed(1)} s`);
      say(`  examples: ${result.examples.train} training, ${result.examples.validation} validation${result.fine_tuned ? ` (${result.examples.replay} replayed from before the window)` : ''}${result.examples.golden_frozen > 0 ? `; golden set frozen: ${result.examples.golden_frozen}` : ''}`);
      if (result.new_intents.length > 0) say(`  new intents: ${result.new_intents.join(', ')}`);
      const best = result.curve[result.best_epoch];
      say(`  best epoch ${result.best_epoch + 1} of ${result.curve.length}${result.stopped_early ? ' (stopped early)' : ''}: validation accuracy ${num(best?.validation_accuracy)}`);
      const o = result.out_of_scope;
      say(`  out of scope below calibrated ${o.score} ${o.below.toFixed(2)}: it would flag ${(100 * o.in_scope_flagged).toFixed(1)} % of in-scope validation requests${o.answered_accuracy === null ? '' : ` (accuracy on the rest ${num(o.answered_accuracy)})`}`);
      say(`Next: needloop evaluate --candidate ${v.id}`);
    });

  program
    .command('evaluate')
    .description(describe('evaluate'))
    .requiredOption('--candidate <id>', 'the candidate model id')
    .option('--json', 'print the evaluation as JSON')
    .action(async (flags: { candidate: string; json?: boolean }) => {
      const json = flags.json === true;
      const cfg = config();
      const candidateId = idArgument(flags.candidate, '--candidate');
      await backendFor(cfg, json);
      const result = await withDatabase(cfg, (handle) => evaluateCandidate({ db: handle.db, store: new ModelStore(cfg.modelsDir) }, { candidateId, gate: gateFor(cfg) }));
      if (json) printJson(result);
      else printEvaluation(result);
    });

  program
    .command('models')
    .description(describe('models'))
    .option('--json', 'print {models: [...]} as JSON')
    .action(async (flags: { json?: boolean }) => {
      const versions = await withDatabase(config(), (handle) => listModelVersions(handle.db));
      if (flags.json) {
        printJson({ models: versions.map(describeVersion) });
        return;
      }
      if (versions.length === 0) say('No models yet: npx needloop train');
      for (const line of modelLines(versions)) say(line);
    });

  program
    .command('promote')
    .description(describe('promote'))
    .argument('<id>', 'the candidate model id')
    .option('--token-file <file>', 'a file whose first line is your approver token (default: NEEDLOOP_TOKEN)')
    .option('--by <name>', 'your name, checked against the token (the token says who approves)')
    .option('--comment <text>', 'why')
    .option('--json', 'print the promoted model as JSON')
    .action(async (id: string, flags: { by?: string; tokenFile?: string; comment?: string; json?: boolean }) => {
      const modelId = idArgument(id, 'the model');
      const cfg = config();
      const { promoted, previous, report, by } = await withDatabase(cfg, async (handle) => {
        const done = await decided(handle.db, flags, { action: 'promote', target: `model ${modelId}` }, (who, proof) => promoteModel(handle.db, modelId, { by: who, comment: flags.comment ?? null, outsideRun: true, proof }));
        return { ...done, report: await refreshReport(handle, cfg) };
      });
      if (flags.json) printJson({ model: describeVersion(promoted), previous_production: previous, report });
      else {
        say(`Model ${promoted.id} is in production, approved by ${by}${previous === null ? '' : `; model ${previous} is archived`}.`);
        if (report !== null) say(reportLine(report)!);
      }
    });

  program
    .command('rollback')
    .description(describe('rollback'))
    .option('--token-file <file>', 'a file whose first line is your approver token (default: NEEDLOOP_TOKEN)')
    .option('--by <name>', 'your name, checked against the token (the token says who decides)')
    .option('--comment <text>', 'why')
    .option('--json', 'print the restored model as JSON')
    .action(async (flags: { by?: string; tokenFile?: string; comment?: string; json?: boolean }) => {
      const cfg = config();
      const { restored, retired, report } = await withDatabase(cfg, async (handle) => {
        const done = await decided(handle.db, flags, { action: 'rollback', target: 'production' }, (who, proof) => rollbackModel(handle.db, { by: who, comment: flags.comment ?? null, proof }));
        return { ...done, report: await refreshReport(handle, cfg) };
      });
      if (flags.json) printJson({ model: describeVersion(restored), retired, report });
      else {
        say(`Model ${restored.id} is in production again; model ${retired} is archived.`);
        if (report !== null) say(reportLine(report)!);
      }
    });

  program
    .command('predict')
    .description(describe('predict'))
    .argument('[text...]', 'one or more requests')
    .option('--input <file>', 'a .jsonl/.ndjson ({"text", "id"?} per line) or .csv (text and id columns) file of requests')
    .option('--model <id>', 'a model version other than production, e.g. the candidate awaiting approval (needloop models lists them)')
    .option('--json', 'print {model, status, predictions: [{text, intent, confidence, out_of_scope, top}]} as JSON')
    .action(async (texts: string[], flags: { input?: string; model?: string; json?: boolean }) => {
      if (flags.input !== undefined && texts.length > 0) throw new UserError('give requests as arguments or --input FILE, not both');
      if (flags.input === undefined && texts.length === 0) throw new UserError('give one or more requests, or --input FILE');
      const cfg = config();
      await backendFor(cfg, true);
      const result = await withDatabase(cfg, async (handle) => {
        const version = flags.model === undefined ? await findProductionModel(handle.db) : await findModelVersion(handle.db, flags.model);
        if (version === null && flags.model !== undefined) throw new UserError(`there is no model ${flags.model}: npx needloop models lists them`, 1);
        if (version === null) throw new UserError('there is no production model yet: needloop train, evaluate, then promote one', 1);
        const loaded = await new ModelStore(cfg.modelsDir).load(version.artifact_sha256);
        try {
          if (flags.input !== undefined) {
            return { id: version.id, status: version.status, file: await predictFile(loaded, flags.input, process.stdout).catch((error: unknown) => {
              throw error instanceof PredictFileError ? new UserError(error.message, 1) : error;
            }) };
          }
          return { id: version.id, status: version.status, predictions: predictIntents(loaded, texts).map((p, i) => ({ text: texts[i], ...p })) };
        } finally {
          loaded.model.dispose();
        }
      });
      if (result.file !== undefined) {
        const f = result.file;
        process.stderr.write(`needloop: model ${result.id} predicted ${f.predicted} of ${f.lines} requests in ${f.seconds.toFixed(2)} s (${Math.round(f.predicted / Math.max(f.seconds, 1e-9))}/s)${f.errors > 0 ? `; ${f.errors} lines could not be read (their error lines say why)` : ''}\n`);
        if (f.errors > 0) process.exitCode = 1;
      } else if (flags.json) printJson({ model: result.id, status: result.status, predictions: result.predictions });
      // Out of scope is an answer of its own: "none of the known needs", the closest one only as a hint.
      else {
        if (result.status !== 'production') say(`Model ${result.id} (${result.status.replaceAll('_', ' ')}, not production):`);
        for (const p of result.predictions!) say(p.out_of_scope ? `${'none of the known needs'.padEnd(24)} (closest: ${p.intent}, ${p.confidence.toFixed(3)})  ${p.text}` : `${p.intent.padEnd(24)} ${p.confidence.toFixed(3)}  ${p.text}`);
      }
    });
}
