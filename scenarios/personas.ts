/**
 * The latent personas of generated data: each behaves, pays and needs differently, so
 * that segmentation has something real to find. The first ones are the most distinct.
 */
export type KanoCategory = 'A' | 'O' | 'M' | 'I' | 'R';

export interface Persona {
  id: string;
  /** Share of the user population. */
  share: number;
  plans: { free: number; pro: number; enterprise: number };
  industries: readonly string[];
  countries: readonly string[];
  /** Share of requests written in Chinese when the locale is mixed. */
  zhShare: number;
  /** Probability that a user is active on a given day, and mean events on such a day. */
  activeDayRate: number;
  eventsPerActiveDay: number;
  /** Relative weight of each need as an intent (the emerging need is added by its scenario). */
  intents: Record<string, number>;
  failureRate: number;
  abandonRate: number;
  latencyMs: number;
  rating: number;
  /** Multiplier on how often users leave feedback. */
  feedbackRate: number;
  nps: number;
  csat: number;
  /** Mean importance and satisfaction (1–5) of the needs this persona cares about. */
  importance: Record<string, number>;
  satisfaction: Record<string, number>;
}

export const PERSONAS: readonly Persona[] = [
  {
    id: 'builders',
    share: 0.2,
    plans: { free: 0.15, pro: 0.7, enterprise: 0.15 },
    industries: ['software', 'fintech', 'gaming'],
    countries: ['US', 'DE', 'IN', 'GB'],
    zhShare: 0.1,
    activeDayRate: 0.7,
    eventsPerActiveDay: 5,
    intents: { code_help: 0.55, analyze_data: 0.12, search_knowledge: 0.12, trust_answers: 0.11, summarize_documents: 0.1 },
    failureRate: 0.06,
    abandonRate: 0.03,
    latencyMs: 2600,
    rating: 4.3,
    feedbackRate: 1.6,
    nps: 8.8,
    csat: 4.4,
    importance: { code_help: 4.9, trust_answers: 4.5, analyze_data: 3.8, search_knowledge: 3.6, energy_efficiency: 2.0 },
    satisfaction: { code_help: 4.2, trust_answers: 2.6, analyze_data: 3.5, search_knowledge: 3.0, energy_efficiency: 3.0 },
  },
  {
    id: 'analysts',
    share: 0.18,
    plans: { free: 0.02, pro: 0.18, enterprise: 0.8 },
    industries: ['finance', 'consulting', 'insurance'],
    countries: ['US', 'GB', 'SG', 'CN'],
    zhShare: 0.25,
    activeDayRate: 0.5,
    eventsPerActiveDay: 3,
    intents: { analyze_data: 0.5, search_knowledge: 0.2, summarize_documents: 0.12, privacy_control: 0.1, trust_answers: 0.08 },
    failureRate: 0.09,
    abandonRate: 0.04,
    latencyMs: 1800,
    rating: 3.7,
    feedbackRate: 1.0,
    nps: 6.6,
    csat: 3.6,
    importance: { analyze_data: 4.8, privacy_control: 4.9, search_knowledge: 4.2, trust_answers: 4.6, summarize_documents: 3.5 },
    satisfaction: { analyze_data: 2.4, privacy_control: 3.2, search_knowledge: 2.8, trust_answers: 2.9, summarize_documents: 3.9 },
  },
  {
    id: 'writers',
    share: 0.24,
    plans: { free: 0.4, pro: 0.55, enterprise: 0.05 },
    industries: ['marketing', 'media', 'retail', 'hospitality'],
    countries: ['US', 'FR', 'BR', 'CN', 'ES'],
    zhShare: 0.3,
    activeDayRate: 0.35,
    eventsPerActiveDay: 2.5,
    intents: { draft_email: 0.65, summarize_documents: 0.15, lower_cost: 0.1, translate_text: 0.1 },
    failureRate: 0.04,
    abandonRate: 0.03,
    latencyMs: 600,
    rating: 4.1,
    feedbackRate: 0.6,
    nps: 8.0,
    csat: 4.2,
    importance: { draft_email: 4.7, translate_text: 3.2, summarize_documents: 3.9, lower_cost: 4.6 },
    satisfaction: { draft_email: 4.4, translate_text: 4.1, summarize_documents: 4.0, lower_cost: 2.2 },
  },
  {
    id: 'managers',
    share: 0.18,
    plans: { free: 0.1, pro: 0.5, enterprise: 0.4 },
    industries: ['healthcare', 'manufacturing', 'logistics', 'public sector'],
    countries: ['US', 'DE', 'JP', 'CN', 'NL'],
    zhShare: 0.2,
    activeDayRate: 0.45,
    eventsPerActiveDay: 2.5,
    intents: { meeting_notes: 0.45, summarize_documents: 0.28, draft_email: 0.17, privacy_control: 0.1 },
    failureRate: 0.07,
    abandonRate: 0.05,
    latencyMs: 1300,
    rating: 3.9,
    feedbackRate: 0.8,
    nps: 7.2,
    csat: 3.9,
    importance: { meeting_notes: 4.8, summarize_documents: 4.6, privacy_control: 4.3, draft_email: 3.6 },
    satisfaction: { meeting_notes: 2.7, summarize_documents: 3.8, privacy_control: 3.9, draft_email: 4.0 },
  },
  {
    id: 'students',
    share: 0.2,
    plans: { free: 0.97, pro: 0.03, enterprise: 0 },
    industries: ['education'],
    countries: ['CN', 'IN', 'US', 'KR', 'TW'],
    zhShare: 0.65,
    activeDayRate: 0.3,
    eventsPerActiveDay: 1.5,
    intents: { translate_text: 0.55, summarize_documents: 0.15, code_help: 0.1, lower_cost: 0.1, energy_efficiency: 0.1 },
    failureRate: 0.05,
    abandonRate: 0.16,
    latencyMs: 1500,
    rating: 4.0,
    feedbackRate: 0.4,
    nps: 7.6,
    csat: 4.0,
    importance: { translate_text: 4.6, summarize_documents: 4.4, lower_cost: 4.9, energy_efficiency: 3.6, code_help: 3.5 },
    satisfaction: { translate_text: 3.9, summarize_documents: 3.7, lower_cost: 1.9, energy_efficiency: 2.5, code_help: 3.8 },
  },
  {
    id: 'sustainability-buyers',
    share: 0.1,
    plans: { free: 0.2, pro: 0.6, enterprise: 0.2 },
    industries: ['energy', 'utilities', 'agriculture'],
    countries: ['SE', 'DK', 'DE', 'NO'],
    zhShare: 0.05,
    activeDayRate: 0.2,
    eventsPerActiveDay: 1.2,
    intents: { energy_efficiency: 0.4, lower_cost: 0.3, search_knowledge: 0.3 },
    failureRate: 0.08,
    abandonRate: 0.06,
    latencyMs: 1100,
    rating: 3.4,
    feedbackRate: 0.9,
    nps: 5.4,
    csat: 3.3,
    importance: { energy_efficiency: 4.9, lower_cost: 4.4, search_knowledge: 3.5, trust_answers: 4.0 },
    satisfaction: { energy_efficiency: 1.9, lower_cost: 2.8, search_knowledge: 3.2, trust_answers: 3.0 },
  },
];

/** The Kano category each need tends to have; personas share it. */
export const KANO_OF: Record<string, KanoCategory> = {
  summarize_documents: 'O',
  draft_email: 'O',
  translate_text: 'O',
  code_help: 'O',
  analyze_data: 'A',
  meeting_notes: 'A',
  search_knowledge: 'O',
  privacy_control: 'M',
  trust_answers: 'M',
  lower_cost: 'O',
  energy_efficiency: 'A',
  automate_workflows: 'A',
};
