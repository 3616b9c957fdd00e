/**
 * The simulated world behind every scenario: users who belong to latent personas, what
 * they ask for each day (with weekly seasonality and the scenario's changes), how they
 * react to an answer (outcome, rating, noisy feedback) and what they answer in surveys.
 * The file generator serves its requests with a simulated legacy model; `needloop
 * simulate` serves them with needloop's own production model. Deterministic for a seed.
 */
import { Faker, en } from '@faker-js/faker';
import { Random } from '../analytics/seeded-random.js';
import type { NeedCatalogue } from '../db/need-catalogue.js';
import { csvField } from './file-writer.js';
import { KANO_OF, PERSONAS, type KanoCategory, type Persona } from './personas.js';
import { COMMENTS, FEATURE_OF, PHRASINGS } from './request-templates.js';
import { writeRequest, writeUnnamedRequest } from './user-language.js';
import { OUT_OF_SCOPE } from '../db/need-catalogue.js';

export const SCENARIOS = ['stable', 'emerging-need', 'vocabulary-shift', 'segment-shift', 'fading-need', 'unnamed-need'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
export type Locale = 'en' | 'zh' | 'mixed';
export type ChangeKind = Exclude<ScenarioName, 'stable'>;

/** The need that emerges in the emerging-need scenario (absent from every earlier event). */
export const EMERGING_NEED = 'automate_workflows';
/** The need users lose interest in, in the fading-need scenario. */
export const FADING_NEED = 'energy_efficiency';
/**
 * The need of the unnamed-need scenario: in no catalogue, so no model knows it and no user
 * can correct a request to it ("none of these" at most) — until a product manager adopts it.
 */
export const UNNAMED_NEED = 'cancel_subscription';
/** The production model version the generated events were served by. */
export const GENERATED_MODEL_VERSION = 'legacy-2026.1';

export const DAY_MS = 86_400_000;
/** Vocabulary shift: the share of requests written in the new words after the change. */
export const SHIFTED_SHARE = 0.7;
const SEGMENT_SHIFT_ACTIVITY: Record<string, number> = { writers: 2.5, students: 2.5, builders: 0.35, analysts: 0.5 };
export const SEGMENT_SHIFT_SATISFACTION: Record<string, number> = { translate_text: -1.8, summarize_documents: -1.6 };
const EMERGING_WEIGHT: Record<string, number> = { builders: 0.35, analysts: 0.25, managers: 0.3 };
/** Activity by weekday (Sunday first): quieter weekends, a busy Monday. */
const WEEKDAY_ACTIVITY = [0.55, 1.15, 1.05, 1, 1, 0.95, 0.55];
/** Fading need: its weight falls to this share of what it was, over two weeks. */
const FADED_TO = 0.1;
const FADE_DAYS = 14;
/** Responses per user over the whole period, on average (0.6 none, 0.3 one, 0.1 two before). */
const SURVEY_RESPONSES_PER_USER = 0.5;

export interface WorldOptions {
  catalogue: NeedCatalogue;
  users: number;
  seed: number | string;
  /** The scenario's changes, each from a day index (0-based) on. */
  changes: readonly { kind: ChangeKind; day: number }[];
  locale: Locale;
  personas: number;
  startMs: number;
}

export interface SimUser {
  id: string;
  persona: Persona;
  plan: 'free' | 'pro' | 'enterprise';
  signup: string;
  country: string;
  industry: string;
}

const AGE_BANDS = ['18-24', '25-34', '35-44', '45-54', '55+'] as const;
const AGE_WEIGHTS = [0.14, 0.34, 0.27, 0.16, 0.09];
const GENDERS = ['female', 'male', 'non-binary', ''] as const;
const GENDER_WEIGHTS = [0.46, 0.47, 0.02, 0.05]; // '' : not given

/**
 * A user's age band and gender, for fairness across groups: drawn from a hash of the id,
 * so that they take nothing from the world's random stream (every other figure of a seed
 * stays as it was).
 */
function demographics(id: string): [string, string] {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  const draw = (weights: readonly number[], u: number) => {
    let acc = 0;
    for (let i = 0; i < weights.length; i++) if (u < (acc += weights[i])) return i;
    return weights.length - 1;
  };
  const u1 = (h >>> 0) / 2 ** 32;
  const u2 = (Math.imul(h, 2654435761) >>> 0) / 2 ** 32;
  return [AGE_BANDS[draw(AGE_WEIGHTS, u1)], GENDERS[draw(GENDER_WEIGHTS, u2)]];
}

export interface DayRequest {
  user: SimUser;
  t: number;
  session: string;
  /** What the user wants: the truth no model sees. */
  intent: string;
  text: string;
  zh: boolean;
  shifted: boolean;
  ambiguous: boolean;
}

/** What a user does with an answer, given whether it was right. */
export interface Reaction {
  outcome: 'success' | 'failure' | 'abandoned';
  latency_ms: number;
  rating: number | null;
  feedback: 'confirmed' | 'corrected' | null;
  corrected_intent: string | null;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

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

export class ScenarioWorld {
  readonly rng: Random;
  readonly population: SimUser[] = [];
  /** Needs the world's users ask for (the catalogue's with phrasings), the emerging one aside. */
  readonly known: string[];
  readonly personas: readonly Persona[];
  private readonly faker: Faker;
  private readonly labels: Map<string, { en: string; zh: string }>;
  /** Multiplies every user's activity so that the total comes near a requested count. */
  scale = 1;
  /** Needs a product manager has adopted into the catalogue: users' feedback can name them now. */
  readonly adopted = new Set<string>();

  constructor(private readonly options: WorldOptions) {
    const { catalogue, seed } = options;
    const known = new Set(catalogue.map((n) => n.id).filter((id) => PHRASINGS[id] !== undefined));
    known.delete(EMERGING_NEED); // it appears only in the emerging-need scenario, after the change
    this.known = [...known];
    this.labels = new Map(catalogue.map((n) => [n.id, n.label as { en: string; zh: string }]));
    this.rng = new Random(seed);
    this.faker = new Faker({ locale: [en] });
    this.faker.seed(typeof seed === 'number' ? seed : [...String(seed)].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7));
    this.personas = PERSONAS.slice(0, options.personas);
    const rng = this.rng;
    for (let i = 0; i < options.users; i++) {
      const persona = this.personas[rng.weighted(this.personas.map((p) => p.share))];
      const plan = (['free', 'pro', 'enterprise'] as const)[rng.weighted([persona.plans.free, persona.plans.pro, persona.plans.enterprise])];
      const id = this.faker.string.uuid();
      const signup = new Date(options.startMs - (1 + rng.int(540)) * DAY_MS - rng.int(DAY_MS)).toISOString();
      this.population.push({ id, persona, plan, signup, country: rng.pick(persona.countries), industry: rng.pick(persona.industries) });
    }
  }

  /** Whether a change of this kind applies on a day. */
  changed(kind: ChangeKind, day: number): boolean {
    return this.options.changes.some((c) => c.kind === kind && day >= c.day);
  }

  private changeDay(kind: ChangeKind): number | null {
    return this.options.changes.find((c) => c.kind === kind)?.day ?? null;
  }

  /** How active a persona is on a day, relative to its usual (weekday and segment shift). */
  activity(persona: Persona, day: number): number {
    const weekday = new Date(this.options.startMs + day * DAY_MS).getUTCDay();
    const shift = this.changed('segment-shift', day) ? (SEGMENT_SHIFT_ACTIVITY[persona.id] ?? 1) : 1;
    return WEEKDAY_ACTIVITY[weekday] * shift;
  }

  /** Expected events over `days` days from day 0, at scale 1. */
  expectedEvents(days: number): number {
    let expected = 0;
    for (const u of this.population) for (let d = 0; d < days; d++) expected += u.persona.activeDayRate * this.activity(u.persona, d) * u.persona.eventsPerActiveDay;
    return expected;
  }

  /** The persona's needs and their weights on a day. */
  intentMix(persona: Persona, day: number): [string[], number[]] {
    const known = new Set(this.known);
    const entries = Object.entries(persona.intents).filter(([id]) => known.has(id));
    if (this.changed('emerging-need', day) && EMERGING_WEIGHT[persona.id] !== undefined) entries.push([EMERGING_NEED, EMERGING_WEIGHT[persona.id]]);
    if (this.changed('unnamed-need', day) && EMERGING_WEIGHT[persona.id] !== undefined) entries.push([UNNAMED_NEED, EMERGING_WEIGHT[persona.id]]);
    const fadeFrom = this.changeDay('fading-need');
    if (fadeFrom !== null && day >= fadeFrom) {
      const f = 1 - (1 - FADED_TO) * Math.min(1, (day - fadeFrom + 1) / FADE_DAYS);
      for (const e of entries) if (e[0] === FADING_NEED) e[1] *= f;
    }
    return [entries.map(([id]) => id), entries.map(([, w]) => w)];
  }

  /** Every request of one day, in time order. */
  requestsOfDay(day: number): DayRequest[] {
    const { rng } = this;
    const out: DayRequest[] = [];
    const locale = this.options.locale;
    for (const user of this.population) {
      const p = user.persona;
      const rate = p.activeDayRate * this.activity(p, day) * this.scale;
      const activeRate = Math.min(0.95, rate);
      if (!rng.chance(activeRate)) continue;
      const n = 1 + rng.poisson(Math.max(0, (p.eventsPerActiveDay * rate) / activeRate - 1));
      const session = `s-${rng.uuid().slice(0, 13)}`;
      const [intents, weights] = this.intentMix(p, day);
      for (let k = 0; k < n; k++) {
        const intent = intents[rng.weighted(weights)];
        const zh = locale === 'zh' || (locale === 'mixed' && rng.chance(p.zhShare));
        const shifted = this.changed('vocabulary-shift', day) && rng.chance(SHIFTED_SHARE);
        const written = intent === UNNAMED_NEED ? writeUnnamedRequest(rng, zh) : writeRequest(rng, intent, { zh, shifted });
        out.push({ user, t: this.options.startMs + day * DAY_MS + rng.int(DAY_MS), session, intent, text: written.text, zh, shifted, ambiguous: written.ambiguous });
      }
    }
    return out.sort((a, b) => a.t - b.t);
  }

  /**
   * The legacy model that served the generated logs: calibrated on phrasings it was
   * trained on, unsure of new words, always wrong on a need it never saw.
   */
  serveLegacy(request: DayRequest, intentsOfUser: readonly string[]): { predicted: string; confidence: number; correct: boolean } {
    const { rng } = this;
    let confidence: number;
    let correct: boolean;
    if (request.intent === EMERGING_NEED || request.intent === UNNAMED_NEED) {
      confidence = rng.beta(2, 5);
      correct = false;
    } else {
      confidence = request.shifted ? rng.beta(2.5, 2) : request.ambiguous ? rng.beta(3, 3) : rng.beta(14, 1.5);
      correct = rng.chance(confidence);
    }
    const others = intentsOfUser.filter((i) => i !== request.intent && i !== EMERGING_NEED && i !== UNNAMED_NEED);
    const predicted = correct ? request.intent : others.length > 0 ? rng.pick(others) : rng.pick(this.known.filter((i) => i !== request.intent));
    return { predicted, confidence: Math.round(confidence * 10000) / 10000, correct };
  }

  /**
   * A user's reaction to an answer. Feedback is noisy and selective, as it is in real
   * products: most users say nothing, a wrong answer is corrected far more often than a
   * right one is confirmed, a few corrections name the wrong need, and a few wrong
   * answers are confirmed by mistake.
   */
  react(request: DayRequest, answer: { predicted: string | null; correct: boolean }): Reaction {
    const { rng } = this;
    const p = request.user.persona;
    const { correct } = answer;
    const failure = p.failureRate + (correct ? 0 : 0.35);
    const abandon = p.abandonRate + (correct ? 0 : 0.15);
    const roll = rng.next();
    const outcome = roll < failure ? 'failure' : roll < failure + abandon ? 'abandoned' : 'success';
    const gaveFeedback = answer.predicted !== null && rng.chance(Math.min(0.95, (correct ? 0.12 : 0.55) * p.feedbackRate));
    const rating = rng.chance(0.15) ? clamp(Math.round(rng.normal(p.rating - (correct ? 0 : 1.5), 0.7)), 1, 5) : null;
    let feedback: Reaction['feedback'] = null;
    let corrected: string | null = null;
    if (gaveFeedback && correct) feedback = 'confirmed';
    else if (gaveFeedback && rng.chance(0.03)) feedback = 'confirmed'; // a wrong answer waved through
    else if (gaveFeedback) {
      feedback = 'corrected';
      corrected = rng.chance(0.04) ? rng.pick(this.known.filter((i) => i !== answer.predicted)) : request.intent;
      // A need in no catalogue cannot be named in feedback: "none of these", until it is adopted.
      if (corrected === UNNAMED_NEED && !this.adopted.has(UNNAMED_NEED)) corrected = OUT_OF_SCOPE;
      if (corrected === answer.predicted) feedback = 'confirmed';
      if (feedback === 'confirmed') corrected = null;
    }
    return { outcome, latency_ms: Math.round(p.latencyMs * Math.exp(rng.normal(0, 0.35))), rating, feedback, corrected_intent: corrected };
  }

  /** The product feature a request is made in. */
  featureOf(intent: string): string {
    return this.rng.chance(0.85) ? (FEATURE_OF[intent] ?? 'billing') : 'chat';
  }

  usersHeader(): string {
    return 'user_id,signup_at,plan,country,industry,age_band,gender';
  }

  userLines(): string[] {
    return this.population.map((u) => [u.id, u.signup, u.plan, u.country, u.industry, ...demographics(u.id)].map(csvField).join(','));
  }

  surveyHeader(): string {
    const answerColumns = this.options.catalogue.map((n) => n.id).flatMap((n) => [`imp_${n}`, `sat_${n}`, `kano_f_${n}`, `kano_d_${n}`]);
    return ['response_id', 'user_id', 'submitted_at', 'nps', 'csat', 'comment', ...answerColumns].join(',');
  }

  /** Survey responses submitted on one day, as CSV lines with their times; `days`: the period's length. */
  surveysOfDay(day: number, days: number): { t: number; line: string }[] {
    const { rng } = this;
    const locale = this.options.locale;
    const needs = this.options.catalogue.map((n) => n.id);
    const out: { t: number; line: string }[] = [];
    for (const user of this.population) {
      if (!rng.chance(SURVEY_RESPONSES_PER_USER / days)) continue;
      const p = user.persona;
      const t = this.options.startMs + day * DAY_MS + rng.int(DAY_MS);
      const shift = this.changed('segment-shift', day);
      const emerging = this.changed('emerging-need', day);
      const nps = rng.chance(0.05) ? null : clamp(Math.round(rng.normal(p.nps - (shift ? 2 : 0), 1.6)), 0, 10);
      const csat = rng.chance(0.08) ? null : clamp(Math.round(rng.normal(p.csat - (shift ? 0.8 : 0), 0.7)), 1, 5);
      const answers: (number | null)[] = [];
      const cared: { need: string; sat: number }[] = [];
      for (const need of needs) {
        const emergingNow = need === EMERGING_NEED && emerging;
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
        const label = this.labels.get(need)?.[lang] ?? need;
        comment = rng.pick(COMMENTS[lang][mood]).replace('{need}', lang === 'en' ? label.toLowerCase() : label);
      }
      out.push({ t, line: [this.faker.string.uuid(), user.id, new Date(t).toISOString(), nps, csat, comment, ...answers].map(csvField).join(',') });
    }
    return out.sort((a, b) => a.t - b.t);
  }
}
