/**
 * The scenario generator: users, surveys and usage logs of an AI product whose users
 * belong to latent personas, with one change from a stated day (or none), and the ground
 * truth that lets tests check whether the analysis finds it. Deterministic for a seed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Faker, en } from '@faker-js/faker';
import type { NeedCatalogue } from '../db/need-catalogue.js';
import { csvField, FileWriter } from './file-writer.js';
import { KANO_OF, PERSONAS, type KanoCategory, type Persona } from './personas.js';
import { Random } from '../analytics/seeded-random.js';
import { COMMENTS, FEATURE_OF, PHRASINGS, SLOTS } from './request-templates.js';

export const SCENARIOS = ['stable', 'emerging-need', 'vocabulary-shift', 'segment-shift'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
export type Locale = 'en' | 'zh' | 'mixed';

/** The need that emerges in the emerging-need scenario (absent from every earlier event). */
export const EMERGING_NEED = 'automate_workflows';
/** The production model version the generated events were served by. */
export const GENERATED_MODEL_VERSION = 'legacy-2026.1';

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

const DAY_MS = 86_400_000;
const SHIFTED_SHARE = 0.7;
/** Segment shift: how much more (or less) often each persona is active after the change. */
const SEGMENT_SHIFT_ACTIVITY: Record<string, number> = { writers: 2.5, students: 2.5, builders: 0.35, analysts: 0.5 };
const SEGMENT_SHIFT_SATISFACTION: Record<string, number> = { translate_text: -1.8, summarize_documents: -1.6 };
const EMERGING_WEIGHT: Record<string, number> = { builders: 0.35, analysts: 0.25, managers: 0.3 };

/** Columns each scenario changes directly: drift detection must find them. */
const CHANGED_COLUMNS: Record<ScenarioName, string[]> = {
  stable: [],
  'emerging-need': [
    'request_text', 'request_length', 'confidence', 'feature', 'rating', 'feedback', 'corrected_intent',
    `imp_${EMERGING_NEED}`, `sat_${EMERGING_NEED}`, `kano_f_${EMERGING_NEED}`, `kano_d_${EMERGING_NEED}`,
  ],
  'vocabulary-shift': ['request_text', 'request_length', 'confidence', 'outcome', 'rating', 'feedback', 'corrected_intent'],
  'segment-shift': ['feature', 'request_text', 'predicted_intent', 'latency_ms', 'nps', 'csat', ...Object.keys(SEGMENT_SHIFT_SATISFACTION).map((n) => `sat_${n}`)],
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
};

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function fill(rng: Random, template: string): string {
  return template.replace(/\{(\w+)\}/g, (_, slot: string) => rng.pick(SLOTS[slot]));
}

/** A (functional, dysfunctional) answer pair typical of a Kano category, with some noise. */
function kanoPair(rng: Random, category: KanoCategory): [number, number] {
  if (rng.chance(0.12)) return [1 + rng.int(5), 1 + rng.int(5)];
  switch (category) {
    case 'A':
      return [1, 2 + rng.int(3)];
    case 'O':
      return [1, 5];
    case 'M':
      return [2 + rng.int(3), 5];
    case 'I':
      return [2 + rng.int(3), 2 + rng.int(3)];
    case 'R':
      return [5, 1 + rng.int(4)];
  }
}

interface SimUser {
  id: string;
  persona: Persona;
  intents: string[];
  weights: number[];
  intentsAfter: string[];
  weightsAfter: number[];
}

function intentMix(persona: Persona, known: Set<string>, emerging: boolean): [string[], number[]] {
  const entries = Object.entries(persona.intents).filter(([id]) => known.has(id));
  if (emerging && EMERGING_WEIGHT[persona.id] !== undefined) entries.push([EMERGING_NEED, EMERGING_WEIGHT[persona.id]]);
  return [entries.map(([id]) => id), entries.map(([, w]) => w)];
}

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

  const known = new Set(options.catalogue.map((n) => n.id).filter((id) => PHRASINGS[id] !== undefined));
  if (!known.has(EMERGING_NEED)) throw new GenerateError(`the need catalogue must contain "${EMERGING_NEED}", the need that emerges`);
  known.delete(EMERGING_NEED); // it appears only in the emerging-need scenario, after the change
  const labels = new Map(options.catalogue.map((n) => [n.id, n.label]));

  const rng = new Random(seed);
  const faker = new Faker({ locale: [en] });
  faker.seed(typeof seed === 'number' ? seed : [...String(seed)].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7));
  const personas = PERSONAS.slice(0, personaCount);

  await mkdir(options.outDir, { recursive: true });
  const files = {
    users: join(options.outDir, 'users.csv'),
    surveys: join(options.outDir, 'surveys.csv'),
    usage: join(options.outDir, `usage.${usageFormat}`),
    truth: join(options.outDir, 'truth.json'),
  };

  // Users.
  const population: SimUser[] = [];
  const userOut = new FileWriter(files.users);
  await userOut.line('user_id,signup_at,plan,country,industry');
  for (let i = 0; i < users; i++) {
    const persona = personas[rng.weighted(personas.map((p) => p.share))];
    const plan = (['free', 'pro', 'enterprise'] as const)[rng.weighted([persona.plans.free, persona.plans.pro, persona.plans.enterprise])];
    const id = faker.string.uuid();
    const signup = new Date(startMs - (1 + rng.int(540)) * DAY_MS - rng.int(DAY_MS)).toISOString();
    await userOut.line([id, signup, plan, rng.pick(persona.countries), rng.pick(persona.industries)].map(csvField).join(','));
    const [intents, weights] = intentMix(persona, known, false);
    const [intentsAfter, weightsAfter] = intentMix(persona, known, scenario === 'emerging-need');
    population.push({ id, persona, intents, weights, intentsAfter, weightsAfter });
  }
  await userOut.close();

  // How active each persona is, scaled so the total comes near the requested event count.
  const activity = (p: Persona, day: number) => (scenario === 'segment-shift' && day >= changeDay ? (SEGMENT_SHIFT_ACTIVITY[p.id] ?? 1) : 1);
  let scale = 1;
  if (options.events !== undefined) {
    let expected = 0;
    for (const u of population) for (let d = 0; d < days; d++) expected += u.persona.activeDayRate * activity(u.persona, d) * u.persona.eventsPerActiveDay;
    scale = options.events / expected;
  }

  // Usage events, one day at a time, in time order.
  const usageOut = new FileWriter(files.usage);
  const csvColumns = ['event_id', 'user_id', 'ts', 'session_id', 'feature', 'request_text', 'predicted_intent', 'confidence', 'model_version', 'outcome', 'latency_ms', 'rating', 'feedback', 'corrected_intent'];
  if (usageFormat === 'csv') await usageOut.line(csvColumns.join(','));
  let events = 0;
  for (let day = 0; day < days; day++) {
    const after = scenario !== 'stable' && day >= changeDay;
    const dayEvents: { t: number; line: string }[] = [];
    for (const user of population) {
      const p = user.persona;
      const rate = p.activeDayRate * activity(p, day) * scale;
      const activeRate = Math.min(0.95, rate);
      if (!rng.chance(activeRate)) continue;
      const n = 1 + rng.poisson(Math.max(0, (p.eventsPerActiveDay * rate) / activeRate - 1));
      const session = `s-${rng.uuid().slice(0, 13)}`;
      const [intents, weights] = after ? [user.intentsAfter, user.weightsAfter] : [user.intents, user.weights];
      for (let k = 0; k < n; k++) {
        const intent = intents[rng.weighted(weights)];
        const zh = locale === 'zh' || (locale === 'mixed' && rng.chance(p.zhShare));
        const phrasings = PHRASINGS[intent];
        const shifted = after && scenario === 'vocabulary-shift' && rng.chance(SHIFTED_SHARE);
        const template = rng.pick(shifted ? (zh ? phrasings.shiftedZh : phrasings.shiftedEn) : zh ? phrasings.zh : phrasings.en);
        const text = fill(rng, template);
        // The production model: confidence is calibrated for phrasings it was trained on;
        // it has never seen the emerging need, so it is always wrong there.
        let confidence: number;
        let correct: boolean;
        if (intent === EMERGING_NEED) {
          confidence = rng.beta(2, 5);
          correct = false;
        } else {
          confidence = shifted ? rng.beta(2.5, 2) : rng.beta(14, 1.5);
          correct = rng.chance(confidence);
        }
        const others = intents.filter((i) => i !== intent && i !== EMERGING_NEED);
        const predicted = correct ? intent : others.length > 0 ? rng.pick(others) : rng.pick([...known].filter((i) => i !== intent));
        const feature = rng.chance(0.85) ? FEATURE_OF[intent] : 'chat';
        const failure = p.failureRate + (correct ? 0 : 0.35);
        const abandon = p.abandonRate + (correct ? 0 : 0.15);
        const roll = rng.next();
        const outcome = roll < failure ? 'failure' : roll < failure + abandon ? 'abandoned' : 'success';
        const gaveFeedback = rng.chance(Math.min(0.95, (correct ? 0.12 : 0.55) * p.feedbackRate));
        const rating = rng.chance(0.15) ? clamp(Math.round(rng.normal(p.rating - (correct ? 0 : 1.5), 0.7)), 1, 5) : null;
        const t = startMs + day * DAY_MS + rng.int(DAY_MS);
        const event = {
          event_id: rng.uuid(),
          user_id: user.id,
          ts: new Date(t).toISOString(),
          session_id: session,
          feature,
          request_text: text,
          predicted_intent: predicted,
          confidence: Math.round(confidence * 10000) / 10000,
          model_version: GENERATED_MODEL_VERSION,
          outcome,
          latency_ms: Math.round(p.latencyMs * Math.exp(rng.normal(0, 0.35))),
          rating,
          feedback: gaveFeedback ? (correct ? 'confirmed' : 'corrected') : null,
          corrected_intent: gaveFeedback && !correct ? intent : null,
        };
        const line = usageFormat === 'csv' ? csvColumns.map((c) => csvField(event[c as keyof typeof event])).join(',') : JSON.stringify(event);
        dayEvents.push({ t, line });
      }
    }
    dayEvents.sort((a, b) => a.t - b.t);
    for (const e of dayEvents) await usageOut.line(e.line);
    events += dayEvents.length;
    options.onProgress?.({ day: day + 1, days, events });
  }
  await usageOut.close();

  // Surveys: about half the users answer once or twice.
  const needs = options.catalogue.map((n) => n.id);
  const surveyOut = new FileWriter(files.surveys);
  const answerColumns = needs.flatMap((n) => [`imp_${n}`, `sat_${n}`, `kano_f_${n}`, `kano_d_${n}`]);
  await surveyOut.line(['response_id', 'user_id', 'submitted_at', 'nps', 'csat', 'comment', ...answerColumns].join(','));
  const responses: { t: number; line: string }[] = [];
  for (const user of population) {
    const p = user.persona;
    const count = rng.weighted([0.6, 0.3, 0.1]);
    for (let r = 0; r < count; r++) {
      const day = rng.int(days);
      const t = startMs + day * DAY_MS + rng.int(DAY_MS);
      const after = scenario !== 'stable' && day >= changeDay;
      const shift = scenario === 'segment-shift' && after;
      const nps = rng.chance(0.05) ? null : clamp(Math.round(rng.normal(p.nps - (shift ? 2 : 0), 1.6)), 0, 10);
      const csat = rng.chance(0.08) ? null : clamp(Math.round(rng.normal(p.csat - (shift ? 0.8 : 0), 0.7)), 1, 5);
      const answers: (number | null)[] = [];
      const cared: { need: string; sat: number }[] = [];
      for (const need of needs) {
        const emergingNow = need === EMERGING_NEED && scenario === 'emerging-need' && after;
        let importance = p.importance[need];
        let satisfaction = p.satisfaction[need];
        if (emergingNow && EMERGING_WEIGHT[p.id] !== undefined) [importance, satisfaction] = [4.7, 1.8];
        const available = need !== EMERGING_NEED || emergingNow;
        const answered = available && rng.chance(importance !== undefined ? 0.9 : 0.25);
        if (!answered) {
          answers.push(null, null, null, null);
          continue;
        }
        const sat = (satisfaction ?? 3.4) + (shift ? (SEGMENT_SHIFT_SATISFACTION[need] ?? 0) : 0);
        if (importance !== undefined) cared.push({ need, sat });
        const [f, d] = kanoPair(rng, KANO_OF[need] ?? 'I');
        const answer = (mean: number) => (rng.chance(0.05) ? null : clamp(Math.round(rng.normal(mean, 0.8)), 1, 5));
        answers.push(answer(importance ?? 2.6), answer(sat), rng.chance(0.05) ? null : f, rng.chance(0.05) ? null : d);
      }
      let comment: string | null = null;
      if (cared.length > 0 && rng.chance(0.45)) {
        const { need, sat } = rng.pick(cared);
        const lang = locale === 'zh' || (locale === 'mixed' && rng.chance(p.zhShare)) ? 'zh' : 'en';
        const mood = sat >= 3.5 ? 'good' : rng.chance(0.5) ? 'bad' : 'wish';
        const label = labels.get(need)?.[lang] ?? need;
        comment = rng.pick(COMMENTS[lang][mood]).replace('{need}', lang === 'en' ? label.toLowerCase() : label);
      }
      const line = [faker.string.uuid(), user.id, new Date(t).toISOString(), nps, csat, comment, ...answers].map(csvField).join(',');
      responses.push({ t, line });
    }
  }
  responses.sort((a, b) => a.t - b.t);
  for (const r of responses) await surveyOut.line(r.line);
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
    changed_needs: scenario === 'emerging-need' ? [EMERGING_NEED] : scenario === 'segment-shift' ? Object.keys(SEGMENT_SHIFT_SATISFACTION) : [],
    personas: personas.map((p) => p.id),
    users: population.map((u) => ({ user_id: u.id, persona: u.persona.id })),
  };
  await writeFile(files.truth, `${JSON.stringify(truth)}\n`);
  return { files, counts: { users, surveys: responses.length, events }, truth };
}
