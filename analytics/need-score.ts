import { kanoSummary, type KanoSummary } from './kano.js';
import { opportunity, opportunityInterval } from './opportunity.js';
import { tallyBetween, tallyTotal, type Tally } from './tally.js';
import { topTwoBox } from './top-two-box.js';

/** What a need's answers add up to, for one group of respondents. */
export interface NeedScore {
  /** Responses that rated the need's importance or satisfaction. */
  n: number;
  n_importance: number;
  n_satisfaction: number;
  importance: number | null;
  satisfaction: number | null;
  opportunity: number | null;
  /** Its 95 % interval (delta method, analytics/opportunity.ts); null with the score. */
  opportunity_low: number | null;
  opportunity_high: number | null;
  kano: KanoSummary;
}

export interface NeedAnswers {
  importance: Tally;
  satisfaction: Tally;
  /** 5 × 5 counts of (functional, dysfunctional) Kano answers. */
  kano: readonly (readonly number[])[];
  /** Responses with an importance or a satisfaction answer. */
  respondents: number;
  /** Responses with both answers: how many, and how many were top-two on importance, on satisfaction, on both. */
  both: { n: number; importance: number; satisfaction: number; top: number };
}

export function needScore(answers: NeedAnswers): NeedScore {
  const importance = topTwoBox(answers.importance);
  const satisfaction = topTwoBox(answers.satisfaction);
  const interval = opportunityInterval({
    importance: { n: tallyTotal(answers.importance), top: tallyBetween(answers.importance, 4, 5) },
    satisfaction: { n: tallyTotal(answers.satisfaction), top: tallyBetween(answers.satisfaction, 4, 5) },
    both: answers.both,
  });
  return {
    n: answers.respondents,
    n_importance: tallyTotal(answers.importance),
    n_satisfaction: tallyTotal(answers.satisfaction),
    importance,
    satisfaction,
    opportunity: opportunity(importance, satisfaction),
    opportunity_low: interval?.low ?? null,
    opportunity_high: interval?.high ?? null,
    kano: kanoSummary(answers.kano),
  };
}
