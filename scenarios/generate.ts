/**
 * The scenario generator: users, surveys and usage logs of an AI product whose users
 * belong to latent personas, with one change from a stated day (or none), and the ground
 * truth that lets tests check whether the analysis finds it. The logs are served by a
 * simulated legacy model (`needloop simulate` serves the same world with needloop's own).
 * Deterministic for a seed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NeedCatalogue } from '../db/need-catalogue.js';
import { csvField, FileWriter } from './file-writer.js';
import { PERSONAS } from './personas.js';
import {
  DAY_MS, EMERGING_NEED, FADING_NEED, GENERATED_MODEL_VERSION, ScenarioWorld, UNNAMED_NEED, SCENARIOS, SEGMENT_SHIFT_SATISFACTION, type DayRequest, type Locale, type Reaction, type ScenarioName,
} from './world.js';

export { EMERGING_NEED, FADING_NEED, GENERATED_MODEL_VERSION, SCENARIOS, type Locale, type ScenarioName };

export interface GenerateOptions {
  outDir: string;
  catalogue: NeedCatalogue;
  users?: number;
  days?: number;
  seed?: number | string;
  scenario?: ScenarioName;
  locale?: Locale;
  /** Number of latent personas, 4 to 6. */
  personas?: number;
  /** Aim for about this many usage events in total (scales activity). */
  events?: number;
  /** First day, ISO date. */
  start?: string;
  /** Day index (0-based) from which the scenario's change applies. */
  changeDay?: number;
  usageFormat?: 'jsonl' | 'csv';
  onProgress?: (progress: { day: number; days: number; events: number }) => void;
}

export interface GroundTruth {
  scenario: ScenarioName;
  seed: number | string;
  start_date: string;
  end_date: string;
  change_date: string | null;
  new_need: string | null;
  changed_columns: string[];
  /** Columns that move only as a side effect; every column in neither list is unchanged. */
  affected_columns: string[];
  changed_needs: string[];
  personas: string[];
  users: { user_id: string; persona: string }[];
}

export interface GenerateResult {
  files: { users: string; surveys: string; usage: string; truth: string };
  counts: { users: number; surveys: number; events: number };
  truth: GroundTruth;
}

export class GenerateError extends Error {
  override name = 'GenerateError';
}

/** Columns each scenario changes directly: drift detection must find them. */
const CHANGED_COLUMNS: Record<ScenarioName, string[]> = {
  stable: [],
  'emerging-need': [
    'request_text', 'request_length', 'confidence', 'feature', 'rating', 'feedback', 'corrected_intent',
    `imp_${EMERGING_NEED}`, `sat_${EMERGING_NEED}`, `kano_f_${EMERGING_NEED}`, `kano_d_${EMERGING_NEED}`,
  ],
  'vocabulary-shift': ['request_text', 'request_length', 'confidence', 'outcome', 'rating', 'feedback', 'corrected_intent'],
  'segment-shift': ['feature', 'request_text', 'predicted_intent', 'latency_ms', 'nps', 'csat', ...Object.keys(SEGMENT_SHIFT_SATISFACTION).map((n) => `sat_${n}`)],
  'fading-need': ['predicted_intent', 'feature', 'request_text'],
  'unnamed-need': ['request_text', 'request_length', 'confidence'],
};

/**
 * Columns that move only as a side effect of the change (more wrong predictions mean more
 * failures; a new persona mix brings its own feedback habits); small enough that drift
 * detection may or may not flag them. Every other column is unchanged.
 */
const AFFECTED_COLUMNS: Record<ScenarioName, string[]> = {
  stable: [],
  'emerging-need': ['predicted_intent', 'outcome'],
  'vocabulary-shift': ['predicted_intent'],
  'segment-shift': ['request_length', 'outcome', 'rating', 'feedback', 'corrected_intent'],
  'fading-need': ['latency_ms', 'rating', 'request_length', 'confidence', 'outcome', 'feedback', 'corrected_intent'],
  'unnamed-need': ['predicted_intent', 'outcome', 'rating', 'feedback', 'corrected_intent', 'feature'],
};

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function generateScenario(options: GenerateOptions): Promise<GenerateResult> {
  const users = options.users ?? 1000;
  const days = options.days ?? 60;
  const seed = options.seed ?? 1;
  const scenario = options.scenario ?? 'stable';
  const locale = options.locale ?? 'mixed';
  const personaCount = options.personas ?? 5;
  const usageFormat = options.usageFormat ?? 'jsonl';
  if (!SCENARIOS.includes(scenario)) throw new GenerateError(`unknown scenario ${JSON.stringify(scenario)}: use one of ${SCENARIOS.join(', ')}`);
  if (!Number.isInteger(users) || users < 1) throw new GenerateError(`--users must be a positive whole number (got ${users})`);
  if (!Number.isInteger(days) || days < 2) throw new GenerateError(`--days must be a whole number of at least 2 (got ${days})`);
  if (!Number.isInteger(personaCount) || personaCount < 4 || personaCount > PERSONAS.length) {
    throw new GenerateError(`--personas must be from 4 to ${PERSONAS.length} (got ${personaCount})`);
  }
  const startMs = Date.parse(`${options.start ?? '2026-09-01'}T00:00:00Z`);
  if (Number.isNaN(startMs)) throw new GenerateError(`--start must be an ISO date such as 2026-09-01 (got ${options.start})`);
  const changeDay = options.changeDay ?? Math.floor((days * 2) / 3);
  if (scenario !== 'stable' && (changeDay < 1 || changeDay >= days)) throw new GenerateError(`--change-day must be from 1 to ${days - 1} (got ${changeDay})`);
  if (!options.catalogue.some((n) => n.id === EMERGING_NEED)) throw new GenerateError(`the need catalogue must contain "${EMERGING_NEED}", the need that emerges`);

  const world = new ScenarioWorld({
    catalogue: options.catalogue, users, seed, locale, personas: personaCount, startMs,
    changes: scenario === 'stable' ? [] : [{ kind: scenario, day: changeDay }],
  });
  if (options.events !== undefined) world.scale = options.events / world.expectedEvents(days);

  await mkdir(options.outDir, { recursive: true });
  const files = {
    users: join(options.outDir, 'users.csv'),
    surveys: join(options.outDir, 'surveys.csv'),
    usage: join(options.outDir, `usage.${usageFormat}`),
    truth: join(options.outDir, 'truth.json'),
  };
  const userOut = new FileWriter(files.users);
  await userOut.line(world.usersHeader());
  for (const line of world.userLines()) await userOut.line(line);
  await userOut.close();

  // Usage events, one day at a time, in time order, served by the legacy model.
  const usageOut = new FileWriter(files.usage);
  if (usageFormat === 'csv') await usageOut.line(USAGE_COLUMNS.join(','));
  let events = 0;
  for (let day = 0; day < days; day++) {
    for (const event of legacyEvents(world, day)) {
      await usageOut.line(usageFormat === 'csv' ? usageCsvLine(event) : JSON.stringify(event));
      events++;
    }
    options.onProgress?.({ day: day + 1, days, events });
  }
  await usageOut.close();

  const surveyOut = new FileWriter(files.surveys);
  await surveyOut.line(world.surveyHeader());
  let surveys = 0;
  for (let day = 0; day < days; day++) {
    for (const r of world.surveysOfDay(day, days)) {
      await surveyOut.line(r.line);
      surveys++;
    }
  }
  await surveyOut.close();

  const truth: GroundTruth = {
    scenario,
    seed,
    start_date: isoDate(startMs),
    end_date: isoDate(startMs + (days - 1) * DAY_MS),
    change_date: scenario === 'stable' ? null : isoDate(startMs + changeDay * DAY_MS),
    new_need: scenario === 'emerging-need' ? EMERGING_NEED : null,
    changed_columns: CHANGED_COLUMNS[scenario],
    affected_columns: AFFECTED_COLUMNS[scenario],
    changed_needs: scenario === 'emerging-need' ? [EMERGING_NEED] : scenario === 'segment-shift' ? Object.keys(SEGMENT_SHIFT_SATISFACTION) : scenario === 'fading-need' ? [FADING_NEED] : scenario === 'unnamed-need' ? [UNNAMED_NEED] : [],
    personas: world.personas.map((p) => p.id),
    users: world.population.map((u) => ({ user_id: u.id, persona: u.persona.id })),
  };
  await writeFile(files.truth, `${JSON.stringify(truth)}\n`);
  return { files, counts: { users, surveys, events }, truth };
}

export const USAGE_COLUMNS = ['event_id', 'user_id', 'ts', 'session_id', 'feature', 'request_text', 'predicted_intent', 'confidence', 'model_version', 'out_of_scope', 'outcome', 'latency_ms', 'rating', 'feedback', 'corrected_intent'] as const;
export type UsageEventRecord = Record<(typeof USAGE_COLUMNS)[number], string | number | boolean | null>;

/** A usage event of the contract, from a request, the answer it got and the user's reaction. */
export function usageEvent(
  world: ScenarioWorld,
  request: DayRequest,
  answer: { model: string | null; predicted: string | null; confidence: number | null; outOfScope: boolean | null },
  reaction: Reaction,
): UsageEventRecord {
  return {
    event_id: world.rng.uuid(),
    user_id: request.user.id,
    ts: new Date(request.t).toISOString(),
    session_id: request.session,
    feature: world.featureOf(request.intent),
    request_text: request.text,
    predicted_intent: answer.predicted,
    confidence: answer.confidence,
    model_version: answer.model,
    out_of_scope: answer.outOfScope,
    outcome: reaction.outcome,
    latency_ms: reaction.latency_ms,
    rating: reaction.rating,
    feedback: reaction.feedback,
    corrected_intent: reaction.corrected_intent,
  };
}

/** One day's usage events as the legacy model served them and the users reacted. */
export function legacyEvents(world: ScenarioWorld, day: number): UsageEventRecord[] {
  return world.requestsOfDay(day).map((request) => {
    const served = world.serveLegacy(request, world.intentMix(request.user.persona, day)[0]);
    const reaction = world.react(request, served);
    return usageEvent(world, request, { model: GENERATED_MODEL_VERSION, predicted: served.predicted, confidence: served.confidence, outOfScope: null }, reaction);
  });
}

export function usageCsvLine(event: UsageEventRecord): string {
  return USAGE_COLUMNS.map((c) => {
    const value = event[c];
    return csvField(typeof value === 'boolean' ? String(value) : value);
  }).join(',');
}
