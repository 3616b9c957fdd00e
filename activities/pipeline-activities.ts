/**
 * The pipeline's activities, built by a factory from their dependencies: the Temporal
 * worker and the local runner both call `createActivities({ handle, config, store,
 * catalogue })`. Each returns a small JSON summary (ids and decisions): the full results
 * are in Postgres, where the report reads them.
 */
import { lstat, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { scrubberFactory } from '../analytics/pii.js';
import { identifierKey } from '../db/ingest/pseudonym-key.js';
import type { Config } from '../config.js';
import type { DatabaseHandle } from '../db/connection.js';
import { ingestFile as ingestOneFile, ingestOrder, type FileResult } from '../db/ingest/ingest-file.js';
import { FileError } from '../db/ingest/layout.js';
import { ingestFromPostgres, sourceName } from '../db/ingest/postgres-source.js';
import { loadSources } from '../db/ingest/source-config.js';
import { sourceLabel } from '../workflows/types.js';
import type { NeedCatalogue } from '../db/need-catalogue.js';
import { findProductionModel, promoteModel, rejectModel, RegistryError } from '../db/queries/model-versions.js';
import {
  approverNames, beginNightRun, closeEndedTemporalRuns, closeInterruptedRuns, createPipelineRun, findPipelineRun, journal, journalStep, recordDecision, runTrainingElsewhere, startStepTime, updatePipelineRun, type Decision, type DecisionProof,
} from '../db/queries/pipeline-runs.js';
import type { PipelineRunStatus } from '../db/schema.js';
import { selectBackend, type SelectedBackend } from '../models/backend.js';
import { evaluateCandidate as evaluateModel } from '../models/evaluate-candidate.js';
import { gateFor } from '../models/gate.js';
import { adoptedNeeds } from '../db/queries/need-candidates.js';
import { catalogueWithAdopted, discoverNeeds as discoverNeedsInDb } from './discover-needs.js';
import type { ModelStore } from '../models/model-store.js';
import { TrainingCancelled } from '../models/train.js';
import { trainCandidate, TrainingDataError } from '../models/train-candidate.js';
import { encoderFor } from '../models/sentence-encoder.js';
import { AnalysisError, analyzeNeeds as analyzeNeedsInDb } from './analyze-needs.js';
import { productionCommentClassifier } from './comment-classifier.js';
import { detectDrift as detectDriftInDb } from './detect-drift.js';
import { publishRunReport } from './publish-report.js';
import { segmentUsersInWindow } from './segment-users.js';

export interface ActivityDeps {
  handle: DatabaseHandle;
  config: Config;
  store: ModelStore;
  catalogue: NeedCatalogue;
}

export interface IngestSummary {
  file: string;
  kind: string | null;
  status: string;
  accepted: number;
  rejected: number;
  duplicates: number;
  error: string | null;
  /** Personal data replaced in the file's free text, per kind; null when kept (NEEDLOOP_PII=keep). */
  redacted: Record<string, number> | null;
}

/** The activity's Temporal context, or null when the local runner calls it in-process. */
function temporalContext(): Context | null {
  try {
    return Context.current();
  } catch {
    return null;
  }
}

/** Bad data or a refused state change: retrying cannot help. */
function nonRetryable(error: unknown): never {
  if (error instanceof TrainingDataError || error instanceof AnalysisError || error instanceof RegistryError) {
    throw ApplicationFailure.create({ message: error.message, type: error.name, nonRetryable: true });
  }
  throw error;
}

const DATA_FILE = /\.(csv|jsonl|ndjson)$/i;

export function createActivities(deps: ActivityDeps) {
  const { handle, config, store, catalogue } = deps;
  const db = handle.db;
  let backend: Promise<SelectedBackend> | null = null;

  return {
    /**
     * Opens the run. A Temporal run names its night: one run per night, whatever its
     * workflow id (a Schedule's carry a timestamp), so that two runs of one night cannot
     * train two candidates.
     */
    async beginRun(input: { runner: 'local' | 'temporal'; run_key: string | null; night?: string }): Promise<{ run_id: string }> {
      if (input.runner === 'temporal' && input.night !== undefined && input.run_key !== null) {
        const r = await beginNightRun(db, { runKey: input.run_key, night: input.night });
        if ('taken_by' in r) {
          throw ApplicationFailure.create({ message: `pipeline run ${r.taken_by.id} (${r.taken_by.run_key}) already covers the night of ${input.night}: one run per night`, type: 'NightTaken', nonRetryable: true });
        }
        return r;
      }
      return { run_id: await createPipelineRun(db, { runner: input.runner, runKey: input.run_key }) };
    },

    async recordRun(input: { run_id: string; step?: string; status?: PipelineRunStatus; candidate_id?: string | null; approval_deadline?: string | null; results?: unknown }): Promise<void> {
      if (input.step !== undefined) await startStepTime(db, input.run_id, input.step);
      await updatePipelineRun(db, input.run_id, {
        step: input.step, status: input.status, candidateId: input.candidate_id, results: input.results,
        approvalDeadline: input.approval_deadline === undefined ? undefined : input.approval_deadline === null ? null : new Date(input.approval_deadline),
      });
    },

    async finishRun(input: { run_id: string; status: 'completed' | 'completed_with_errors' | 'failed'; results: unknown; error: string | null }): Promise<void> {
      await startStepTime(db, input.run_id, 'done');
      await updatePipelineRun(db, input.run_id, { status: input.status, step: 'done', results: input.results, error: input.error, finished: true });
    },

    /** What the local runner needs to resume a run: its status, candidate, decision and deadline. */
    async runState(input: { run_id: string }) {
      const run = await findPipelineRun(db, input.run_id);
      if (run === null) throw ApplicationFailure.create({ message: `pipeline run ${input.run_id} does not exist`, type: 'RunNotFound', nonRetryable: true });
      return {
        runner: run.runner, status: run.status, candidate_id: run.candidate_id, decision: (run.decision ?? null) as Decision | null,
        approval_deadline: run.approval_deadline?.toISOString() ?? null,
      };
    },

    /** Stores an engineer's decision once; false when the run no longer awaits one. */
    async recordDecision(input: { run_id: string; decision: Decision; proof?: DecisionProof }): Promise<boolean> {
      return recordDecision(db, input.run_id, input.decision, input.proof);
    },

    /** Local runs a stopped process left `running`: marked failed (the caller holds the pipeline lock). */
    /**
     * Under Temporal, at a run's start: closes the runs whose workflow was terminated (or
     * is otherwise gone) while the database shows them open, rejecting their candidates —
     * a terminated workflow cannot clean up after itself (db/queries/pipeline-runs.ts).
     */
    async sweepEndedRuns(input: { run_key: string }) {
      const { connectClient } = await import('../cli/temporal.js');
      const client = await connectClient(config);
      try {
        return await closeEndedTemporalRuns(db, async (runKey) => {
          try {
            return (await client.workflow.getHandle(runKey).describe()).status.name;
          } catch (error) {
            if ((error as Error).name === 'WorkflowNotFoundError') return 'NOT_FOUND';
            throw error;
          }
        }, input.run_key);
      } finally {
        await client.connection.close();
      }
    },

    async closeInterruptedRuns(): Promise<string[]> {
      return closeInterruptedRuns(db);
    },

    /** Local runs awaiting approval that can go on: decided (but not finished), or past their deadline. */
    async overdueRuns(): Promise<string[]> {
      const rows = await db.selectFrom('pipeline_runs').select('id').where('runner', '=', 'local').where('status', '=', 'awaiting_approval')
        .where((eb) => eb.or([eb('approval_deadline', '<=', new Date()), eb('decision', 'is not', null)])).orderBy('id').execute();
      return rows.map((r) => r.id);
    },

    async clock(): Promise<number> {
      return Date.now();
    },

    async readJournal(input: { run_id: string }) {
      return journal(db, input.run_id);
    },

    async writeJournal(input: { run_id: string; seq: number; name: string; output: unknown }): Promise<void> {
      await journalStep(db, input.run_id, input);
    },

    /** Data files waiting in the inbox, in the order they load best (users, surveys, usage). */
    async listInbox(input: { inbox: string | null }): Promise<string[]> {
      if (input.inbox === null) return [];
      const dir = resolve(input.inbox);
      const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return [];
        throw error;
      });
      const files: string[] = [];
      for (const name of names.sort()) {
        const path = join(dir, name);
        // Links are listed (ingest refuses those that lead out of the inbox, by name); folders and FIFOs are not.
        const info = DATA_FILE.test(name) ? await lstat(path).catch(() => null) : null;
        if (info !== null && (info.isFile() || info.isSymbolicLink())) files.push(path);
      }
      return (await ingestOrder(files, {})).map((f) => f.file);
    },

    /** The sources NEEDLOOP_SOURCES names (their names), checked whole: a wrong entry fails the run, naming the file and the field. */
    async listSources(_input: Record<string, never>): Promise<string[]> {
      if (config.sourcesFile === null) return [];
      const sources = await loadSources(config.sourcesFile, process.env, await catalogueWithAdopted(handle, catalogue)).catch((error: unknown) => {
        if (error instanceof FileError) throw ApplicationFailure.create({ message: error.message, type: 'SourceConfigError', nonRetryable: true });
        throw error;
      });
      return sources.map((s) => s.name);
    },

    /**
     * Loads what is new in one configured source (`ingest --from-postgres`, incrementally by
     * its since column). A source that cannot be read fails alone, as a file does: the
     * run completes with errors, the watermark stays, and the next run reads from there.
     */
    async ingestSource(input: { name: string }): Promise<IngestSummary> {
      const cat = await catalogueWithAdopted(handle, catalogue);
      const found = config.sourcesFile === null ? undefined : (await loadSources(config.sourcesFile, process.env, cat).catch(() => [])).find((s) => s.name === input.name);
      if (found === undefined) return { file: sourceLabel(input.name), kind: null, status: 'failed', accepted: 0, rejected: 0, duplicates: 0, error: `${sourceLabel(input.name)}: no longer in NEEDLOOP_SOURCES (or the file cannot be read)`, redacted: null };
      const label = sourceLabel(found.name, sourceName(found.source));
      const r: Partial<FileResult> & Pick<FileResult, 'status' | 'accepted' | 'rejected' | 'duplicates'> = await ingestFromPostgres(handle, found.source, { catalogue: cat, maxFieldBytes: config.maxFieldBytes, scrubber: scrubberFactory(config.pii, identifierKey(config)) }).catch((error: unknown) => {
        if (error instanceof FileError) return { status: 'failed' as const, accepted: 0, rejected: 0, duplicates: 0, error: error.message };
        throw error;
      });
      if (r.transient === true && temporalContext() !== null) throw new Error(r.error);
      return { file: label, kind: r.kind ?? null, status: r.status, accepted: r.accepted, rejected: r.rejected, duplicates: r.duplicates, error: r.error ?? null, redacted: r.redacted ?? null };
    },

    /** Loads one file; a file already loaded (same checksum) is a no-op. */
    async ingestFile(input: { file: string }): Promise<IngestSummary> {
      const ctx = temporalContext();
      const r = await ingestOneFile(handle, input.file, {
        catalogue: await catalogueWithAdopted(handle, catalogue), maxFieldBytes: config.maxFieldBytes, scrubber: scrubberFactory(config.pii, identifierKey(config)), confineTo: dirname(input.file),
        onProgress: (p) => ctx?.heartbeat({ file: p.file, phase: p.phase, bytes: p.bytesRead, of: p.bytesTotal }),
      });
      // Under Temporal a lost database connection is thrown, so that the activity's retries
      // apply; the local runner reports it as the file's failure, and the next run loads it.
      if (r.transient === true && ctx !== null) throw new Error(r.error);
      return { file: r.file, kind: r.kind, status: r.status, accepted: r.accepted, rejected: r.rejected, duplicates: r.duplicates, error: r.error ?? null, redacted: r.redacted ?? null };
    },

    async segmentUsers(input: { run_id: string }) {
      const r = await segmentUsersInWindow({ handle }, { k: 'auto', seed: '1', pipelineRunId: input.run_id, withAssignments: false }).catch((e: unknown) => (e instanceof AnalysisError ? null : nonRetryable(e)));
      if (r === null) return null;
      return { segment_run_id: r.segment_run_id, k: r.k, silhouette: r.silhouette, users: r.users, segments: r.segments.map((s) => ({ id: s.id, name: s.name, size: s.size })) };
    },

    async analyzeNeeds(input: { run_id: string; by_segment: boolean }) {
      backend ??= selectBackend(config.tfjsBackend);
      const classifier = await productionCommentClassifier({ db, store, backend });
      const r = await analyzeNeedsInDb({ handle, catalogue, classifier }, { bySegment: input.by_segment, pipelineRunId: input.run_id }).catch((e: unknown) => (e instanceof AnalysisError ? null : nonRetryable(e)));
      if (r === null) return null;
      const top = r.needs.filter((n) => n.segment === null && n.opportunity !== null).sort((a, b) => b.opportunity! - a.opportunity!).slice(0, 3);
      return { analysis_id: r.analysis_id, top_needs: top.map((n) => ({ need: n.need, opportunity: n.opportunity })), nps: r.nps.value, csat: r.csat.value, comments_classified_by: r.comments.classified_by };
    },

    async detectDrift(input: { run_id: string }) {
      backend ??= selectBackend(config.tfjsBackend);
      await backend;
      const r = await detectDriftInDb({ handle, store }, { pipelineRunId: input.run_id }).catch((e: unknown) => (e instanceof AnalysisError ? null : nonRetryable(e)));
      if (r === null) return null;
      return {
        drift_run_id: r.drift_run_id, dataset_drift: r.dataset_drift, drift_share: r.drift_share,
        drifted_columns: r.columns.filter((c) => c.drifted === true).map((c) => c.column),
        emerging_needs: r.emerging_needs.map((e) => e.need), retrain: r.retrain.retrain, model: r.retrain.model,
        reasons: r.retrain.reasons.map((x) => x.message), notes: r.retrain.notes,
        accuracy: r.performance === null ? null : { model: r.performance.model, judged_on: r.performance.judged_on, reference: r.performance.accuracy.reference, current: r.performance.accuracy.current, n_current: r.performance.accuracy.n_current },
      };
    },

    /** Retrain when drift says so, or when there is no production model yet. */
    async decideRetraining(input: { drift_retrain: boolean; drift_reasons: string[]; run_id?: string }): Promise<{ retrain: boolean; first_model: boolean; reasons: string[] }> {
      const waiting = await db.selectFrom('model_versions').select('id').where('status', '=', 'awaiting_approval').orderBy('id').executeTakeFirst();
      if (waiting !== undefined) return { retrain: false, first_model: false, reasons: [`model ${waiting.id} already awaits approval: no new candidate until it is decided`] };
      const training = await runTrainingElsewhere(db, input.run_id);
      if (training !== null) return { retrain: false, first_model: false, reasons: [`pipeline run ${training} is training a candidate: no second one until it is decided`] };
      const production = await findProductionModel(db);
      if (production === null) return { retrain: true, first_model: true, reasons: ['there is no production model yet: training the first one'] };
      // A need adopted from discovery that production does not know: its labelled requests wait to be learnt.
      const unknown = (await adoptedNeeds(db)).filter((n) => !production.labels.includes(n.id)).map((n) => n.id);
      if (unknown.length > 0) return { retrain: true, first_model: false, reasons: [...input.drift_reasons, `adopted need${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not known to production model ${production.id} yet`] };
      return { retrain: input.drift_retrain, first_model: false, reasons: input.drift_reasons };
    },

    /**
     * Trains the candidate (the first model or a fine-tune of production). Under Temporal
     * it heartbeats its progress and stops when the activity is cancelled.
     */
    async fineTune(input: { run_id: string; seed: number }) {
      const ctx = temporalContext();
      // Heartbeats from the start, and every 30 s whatever the phase: loading the data or
      // the backend can take longer than the heartbeat timeout, a batch far less.
      let details: Record<string, unknown> = { phase: 'loading' };
      ctx?.heartbeat(details);
      // A beat well inside the heartbeat timeout the workflow set (2 minutes unless configured).
      const every = Math.min(30_000, Math.max(1000, (ctx?.info.heartbeatTimeoutMs ?? 120_000) / 4));
      const beat = ctx === null ? null : setInterval(() => ctx.heartbeat(details), every);
      let last = 0;
      try {
        backend ??= selectBackend(config.tfjsBackend);
        const selected = await backend;
        const r = await trainCandidate({ db, store, backend: selected }, {
          seed: input.seed,
          signal: ctx?.cancellationSignal,
          onProgress: (p) => {
            details = { phase: 'training', epoch: p.epoch + 1, epochs: p.epochs, batch: p.batch, batches: p.batches, loss: p.loss };
            // A heartbeat per second at most: enough for the heartbeat timeout, cheap on the wire.
            if (ctx !== null && Date.now() - last > 1000) {
              last = Date.now();
              ctx.heartbeat(details);
            }
          },
        });
        return {
          candidate_id: r.version.id, fine_tuned: r.fine_tuned, parent_id: r.version.parent_id, examples: r.examples,
          new_intents: r.new_intents, best_epoch: r.best_epoch, backend: selected.backend, device: selected.device, seconds: r.seconds, out_of_scope: r.out_of_scope,
        };
      } catch (error) {
        // Temporal reports a cancelled activity by its CancelledFailure.
        if (error instanceof TrainingCancelled) throw ctx === null ? error : new CancelledFailure(error.message);
        return nonRetryable(error);
      } finally {
        if (beat !== null) clearInterval(beat);
      }
    },

    /** The needs nobody has named yet: tonight's candidates (activities/discover-needs.ts). */
    async discoverNeeds(input: { run_id: string }) {
      const r = await encoderFor(config.encoder).then((encoder) => discoverNeedsInDb({ handle, store, minGroup: config.minGroup, encoder }, { pipelineRunId: input.run_id })).catch(nonRetryable);
      if (r === null) return null;
      return { window: r.window, looked_at: r.looked_at, like_known: r.like_known, candidates: r.candidates.map((c) => ({ id: c.id, label: c.label, size: c.size, users: c.users, growth: c.growth, new: c.new, opportunity: c.opportunity })) };
    },

    async evaluateCandidate(input: { candidate_id: string }) {
      const r = await evaluateModel({ db, store }, { candidateId: input.candidate_id, gate: gateFor(config) }).catch(nonRetryable);
      const headline = (e: typeof r.candidate | null) => (e === null ? null : { holdout_accuracy: e.holdout.accuracy, holdout_macro_f1: e.holdout.macro_f1, golden_accuracy: e.golden.accuracy, p95_latency_ms: e.latency.p95_ms });
      return { evaluation_id: r.evaluation_id, candidate_id: r.candidate_id, production_id: r.production_id, blessed: r.blessed, nothing_to_gain: r.nothing_to_gain, new_needs: r.new_needs, status: r.status, reasons: r.reasons, candidate: headline(r.candidate), production: headline(r.production) };
    },

    async listApprovers(): Promise<string[]> {
      return approverNames(db);
    },

    async promoteCandidate(input: { candidate_id: string; by: string; comment: string | null }) {
      const r = await promoteModel(db, input.candidate_id, { by: input.by, comment: input.comment }).catch(nonRetryable);
      return { production_id: r.promoted.id, previous_production_id: r.previous };
    },

    async rejectCandidate(input: { candidate_id: string; by: string; reason: string }) {
      const r = await rejectModel(db, input.candidate_id, { by: input.by, reason: input.reason }).catch(nonRetryable);
      return { candidate_id: r.id, status: r.status };
    },

    async publishReport(input: { run_id: string; results: unknown }) {
      return publishRunReport({ db, reportsDir: config.reportsDir, catalogue: await catalogueWithAdopted(handle, catalogue), minGroup: config.minGroup }, input);
    },
  };
}

export type PipelineActivities = ReturnType<typeof createActivities>;
