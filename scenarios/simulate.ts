/**
 * `needloop simulate`: the loop, night after night, with needloop's own production model
 * answering the scenario's users. Four weeks of history served by a legacy model train
 * the first model (night 0, approved by the simulated engineer); then each simulated day
 * the users send requests, the production model answers them through the same predictor
 * as /api/predict, the users react and give noisy feedback, and each night the pipeline
 * runs through the local runner. With `approve: 'auto'` a simulated engineer approves
 * every blessed candidate. With `adopt: 'auto'` a simulated product manager reads each
 * night's candidate needs (needs nobody has named yet) and adopts one whose requests are
 * mostly of a need the catalogue lacks — as a PM reading its examples would. What the users
 * experienced (accuracy on the scenario's truth) and what the loop decided is stored per
 * night for the timeline and the report.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createActivities, type PipelineActivities } from '../activities/pipeline-activities.js';
import type { Config } from '../config.js';
import type { DatabaseHandle } from '../db/connection.js';
import type { NeedCatalogue } from '../db/need-catalogue.js';
import { findProductionModel, modelTag } from '../db/queries/model-versions.js';
import { adoptCandidate } from '../db/queries/need-candidates.js';
import { addApprover } from '../db/queries/pipeline-runs.js';
import { ModelStore } from '../models/model-store.js';
import { Predictor } from '../web/predictor.js';
import { decideLocally, runLocally, type LocalRunOutcome } from '../workflows/local-runner.js';
import { FileWriter } from './file-writer.js';
import { legacyEvents, usageEvent } from './generate.js';
import { DAY_MS, EMERGING_NEED, FADING_NEED, ScenarioWorld, UNNAMED_NEED, type ChangeKind, type DayRequest, type ScenarioName } from './world.js';

/** Days of legacy-served history before the first simulated night. */
export const HISTORY_DAYS = 28;
export const SIMULATED_ENGINEER = 'simulated-engineer';
export const SIMULATED_PM = 'simulated-product-manager';

export interface SimulateOptions {
  scenario: ScenarioName;
  nights: number;
  users: number;
  seed: number | string;
  /** The first night whose day has the scenario's change (1-based); default: a third in. */
  changeNight?: number;
  /** A second change (the demo's): from this night on, this kind applies too. */
  secondChange?: { kind: ChangeKind; night: number };
  approve: 'auto' | 'never';
  /** A simulated product manager adopts a discovered need the catalogue lacks (default never). */
  adopt?: 'auto' | 'never';
  /** Stop approving after this night: later candidates await a person (the demo). */
  approveUntilNight?: number;
  /** First day of the history, ISO date. */
  start?: string;
  /** Where each night's files are written. */
  workDir: string;
  onNight?: (night: SimulatedNight) => void;
  /** Each day's answers as production served them, with whether each was right (the day's truth; for benches that judge label-free estimates). */
  onServed?: (night: number, served: ServedAnswer[]) => void;
}

/** One request of a simulated day as production answered it. */
export interface ServedAnswer {
  model: string;
  confidence: number;
  out_of_scope: boolean;
  /** The answer was the user's true need. */
  correct: boolean;
}

export interface SimulatedNight {
  night: number;
  date: string;
  run_id: string;
  status: LocalRunOutcome['status'];
  /** The production model that served this day's requests (registry id). */
  production_model: string | null;
  requests: number;
  /** Production's accuracy that day on the users' true needs. */
  accuracy: number | null;
  /** Production's recall that day on the need the scenario changes; null before it exists. */
  changed_need_recall: number | null;
  retrain: boolean;
  reasons: string[];
  /** What the night's drift check looked at and did not call for retraining. */
  notes: string[];
  candidate: string | null;
  promoted: string | null;
  gate: string[];
  /** Tonight's candidate needs nobody has named (their labels). */
  discovered: string[];
  /** The need the simulated product manager adopted tonight, if any. */
  adopted: string | null;
}

export interface SimulationResult {
  scenario: ScenarioName;
  seed: number | string;
  users: number;
  change_night: number | null;
  changed_need: string | null;
  bootstrap: { run_id: string; production_model: string | null };
  nights: SimulatedNight[];
  /** The run whose candidate awaits approval at the end, if any. */
  pending: { run_id: string; candidate_id: string } | null;
}

export class SimulationError extends Error {
  override name = 'SimulationError';
}

/** What `changed_need_recall` measures for each change. */
function changedNeed(kind: ChangeKind | null): { name: string | null; matches: (r: DayRequest) => boolean } {
  switch (kind) {
    case 'emerging-need':
      return { name: EMERGING_NEED, matches: (r) => r.intent === EMERGING_NEED };
    case 'fading-need':
      return { name: FADING_NEED, matches: (r) => r.intent === FADING_NEED };
    case 'vocabulary-shift':
      return { name: 'new phrasings', matches: (r) => r.shifted };
    case 'unnamed-need':
      return { name: UNNAMED_NEED, matches: (r) => r.intent === UNNAMED_NEED };
    default:
      return { name: null, matches: () => false };
  }
}

/** Whether the database holds no loaded file and no model version: a simulation's, or the demo's, to fill. */
export async function storesNothing(db: DatabaseHandle['db']): Promise<boolean> {
  const { rows } = await sql<{ n: string }>`select (select count(*) from ingest_batches) + (select count(*) from model_versions) as n`.execute(db);
  return Number(rows[0].n) === 0;
}

export async function simulate(deps: { handle: DatabaseHandle; config: Config; catalogue: NeedCatalogue }, options: SimulateOptions): Promise<SimulationResult> {
  const { handle, config, catalogue } = deps;
  const { db } = handle;
  const { nights, users } = options;
  if (!Number.isInteger(nights) || nights < 1) throw new SimulationError(`--nights must be a positive whole number (got ${nights})`);
  if (!Number.isInteger(users) || users < 50) throw new SimulationError(`--users must be a whole number of at least 50 (got ${users})`);
  const kind: ChangeKind | null = options.scenario === 'stable' ? null : options.scenario;
  const changeNight = kind === null ? null : (options.changeNight ?? Math.max(1, Math.ceil(nights / 3)));
  if (changeNight !== null && (!Number.isInteger(changeNight) || changeNight < 1 || changeNight > nights)) {
    throw new SimulationError(`--change-night must be from 1 to ${nights} (got ${changeNight})`);
  }
  if (!(await storesNothing(db))) {
    throw new SimulationError('simulate needs an empty database: its users and nights would mix with the data already stored. Point NEEDLOOP_HOME (and NEEDLOOP_PG_PORT) or DATABASE_URL at a new one');
  }
  const startMs = Date.parse(`${options.start ?? '2026-09-01'}T00:00:00Z`);
  const dayOf = (night: number) => HISTORY_DAYS + night - 1;
  const changes = [
    ...(kind === null ? [] : [{ kind, day: dayOf(changeNight!) }]),
    ...(options.secondChange === undefined ? [] : [{ kind: options.secondChange.kind, day: dayOf(options.secondChange.night) }]),
  ];
  const world = new ScenarioWorld({ catalogue, users, seed: options.seed, changes, locale: 'mixed', personas: 5, startMs });
  const totalDays = HISTORY_DAYS + nights;
  const store = new ModelStore(config.modelsDir);
  const acts: PipelineActivities = createActivities({ handle, config, store, catalogue });
  const predictor = new Predictor({ db, store });
  // The simulated engineer is an approver like any other: registered by the operator's role, deciding with its token.
  const engineerToken = randomBytes(24).toString('base64url');
  await handle.asOwner((owner) => addApprover(owner, SIMULATED_ENGINEER, engineerToken));
  const engineerProof = { token: engineerToken, source: 'simulate (needloop start or needloop simulate: the simulated engineer)' };
  await rm(options.workDir, { recursive: true, force: true });

  const run = async (dir: string, night: number, onBegin?: (runId: string) => Promise<void>): Promise<{ outcome: LocalRunOutcome; promoted: string | null }> => {
    let outcome = await runLocally(acts, { inbox: dir, approvalTimeoutMs: config.approvalTimeoutMs, seed: 1 }, { onBegin });
    let promoted: string | null = null;
    const approving = options.approve === 'auto' && (options.approveUntilNight === undefined || night <= options.approveUntilNight);
    if (outcome.pending !== null && approving) {
      outcome = await decideLocally(acts, outcome.run_id, { kind: 'approve', by: SIMULATED_ENGINEER, comment: `simulated night ${night}`, proof: engineerProof });
      promoted = outcome.results.promotion?.production_id ?? null;
    }
    return { outcome, promoted };
  };

  try {
    // Night 0: the legacy model's four weeks, and the first model trained on them.
    const historyDir = join(options.workDir, 'night-00');
    await mkdir(historyDir, { recursive: true });
    const usersOut = new FileWriter(join(historyDir, 'users.csv'));
    await usersOut.line(world.usersHeader());
    for (const line of world.userLines()) await usersOut.line(line);
    await usersOut.close();
    const surveys = new FileWriter(join(historyDir, 'surveys.csv'));
    const usage = new FileWriter(join(historyDir, 'usage.jsonl'));
    await surveys.line(world.surveyHeader());
    for (let day = 0; day < HISTORY_DAYS; day++) {
      for (const r of world.surveysOfDay(day, totalDays)) await surveys.line(r.line);
      for (const event of legacyEvents(world, day)) await usage.line(JSON.stringify(event));
    }
    await surveys.close();
    await usage.close();
    const boot = await run(historyDir, 0);
    const bootstrap = { run_id: boot.outcome.run_id, production_model: (await findProductionModel(db))?.id ?? null };

    const out: SimulatedNight[] = [];
    let pending: SimulationResult['pending'] = boot.outcome.pending === null ? null : { run_id: boot.outcome.run_id, candidate_id: boot.outcome.pending.candidate_id };
    const measured = changedNeed(kind);
    /** The true need of every simulated request, for the simulated product manager. */
    const truth = new Map<string, string>();
    for (let night = 1; night <= nights; night++) {
      const day = dayOf(night);
      const dir = join(options.workDir, `night-${String(night).padStart(2, '0')}`);
      await mkdir(dir, { recursive: true });
      const requests = world.requestsOfDay(day);
      const answered = await predictor.predict(requests.map((r) => r.text));
      const nightUsage = new FileWriter(join(dir, 'usage.jsonl'));
      let right = 0;
      let changedRight = 0;
      let changedN = 0;
      const servedAnswers: ServedAnswer[] = [];
      for (const [i, request] of requests.entries()) {
        const p = answered?.predictions[i] ?? null;
        const correct = p !== null && p.intent === request.intent;
        if (correct) right++;
        if (p !== null && options.onServed !== undefined) servedAnswers.push({ model: answered!.model, confidence: p.confidence, out_of_scope: p.out_of_scope ?? false, correct });
        if (measured.matches(request)) {
          changedN++;
          if (correct) changedRight++;
        }
        const answer = { model: answered === null ? null : modelTag(answered.model), predicted: p?.intent ?? null, confidence: p === null ? null : Math.round(p.confidence * 10000) / 10000, outOfScope: p?.out_of_scope ?? null };
        const event = usageEvent(world, request, answer, world.react(request, { predicted: answer.predicted, correct }));
        truth.set(String(event.event_id), request.intent);
        await nightUsage.line(JSON.stringify(event));
      }
      await nightUsage.close();
      if (answered !== null) options.onServed?.(night, servedAnswers);
      const nightSurveys = new FileWriter(join(dir, 'surveys.csv'));
      await nightSurveys.line(world.surveyHeader());
      for (const r of world.surveysOfDay(day, totalDays)) await nightSurveys.line(r.line);
      await nightSurveys.close();

      // What users got today is known before the night's run: it is recorded under the run
      // as it begins, so the run's own report has its night on the timeline.
      const served = { production_model: answered?.model ?? null, accuracy: answered === null || requests.length === 0 ? null : right / requests.length, changed_need_recall: answered === null || changedN === 0 ? null : changedRight / changedN };
      const date = new Date(startMs + day * DAY_MS).toISOString().slice(0, 10);
      const { outcome, promoted } = await run(dir, night, async (runId) => {
        await db.insertInto('simulation_nights').values({
          night, date, scenario: options.scenario, pipeline_run_id: runId, production_model: served.production_model, requests: requests.length,
          accuracy: served.accuracy, changed_need: measured.name, changed_need_recall: served.changed_need_recall, retrain: false, reasons: '[]', candidate: null, promoted: null,
        }).execute();
      });
      const r = outcome.results;
      // The simulated product manager reads tonight's candidates: one whose requests are
      // mostly of a need the catalogue lacks is adopted, all its requests accepted.
      let adopted: string | null = null;
      if (options.adopt === 'auto') {
        for (const c of r.discovery?.candidates ?? []) {
          const sighting = await db.selectFrom('need_candidate_sightings').select('event_ids').where('candidate_id', '=', c.id).orderBy('id', 'desc').limit(1).executeTakeFirst();
          const members = sighting?.event_ids ?? [];
          const counts = new Map<string, number>();
          for (const e of members) counts.set(truth.get(e) ?? '?', (counts.get(truth.get(e) ?? '?') ?? 0) + 1);
          const [need, n] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? ['?', 0];
          const status = (await db.selectFrom('need_candidates').select('status').where('id', '=', c.id).executeTakeFirst())?.status;
          if (status !== 'open' || n < members.length / 2 || catalogue.some((x) => x.id === need) || world.adopted.has(need) || need === '?') continue;
          await adoptCandidate(db, { candidateId: c.id, need: { id: need, label: { en: c.label, zh: c.label }, category: 'functional' }, by: SIMULATED_PM, eventIds: members });
          world.adopted.add(need);
          adopted = need;
          break;
        }
      }
      const record: SimulatedNight = {
        night,
        date,
        run_id: outcome.run_id,
        status: outcome.status,
        ...served,
        requests: requests.length,
        retrain: r.decision?.retrain ?? false,
        reasons: r.decision?.reasons ?? [],
        notes: r.drift?.notes ?? [],
        candidate: r.training?.candidate_id ?? null,
        promoted,
        gate: r.evaluation?.reasons ?? [],
        discovered: (r.discovery?.candidates ?? []).map((c) => c.label),
        adopted,
      };
      if (outcome.pending !== null) pending = { run_id: outcome.run_id, candidate_id: outcome.pending.candidate_id };
      else if (promoted !== null) pending = null;
      await db.updateTable('simulation_nights').set({ retrain: record.retrain, reasons: JSON.stringify(record.reasons), candidate: record.candidate, promoted: record.promoted }).where('night', '=', night).execute();
      out.push(record);
      options.onNight?.(record);
    }
    return { scenario: options.scenario, seed: options.seed, users, change_night: changeNight, changed_need: measured.name, bootstrap, nights: out, pending };
  } finally {
    predictor.dispose();
  }
}
