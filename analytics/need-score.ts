import { kanoSummary, type KanoSummary } from './kano.js';
import { opportunity } from './opportunity.js';
import { tallyTotal, type Tally } from './tally.js';
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
  kano: KanoSummary;
}

export interface NeedAnswers {
  importance: Tally;
  satisfaction: Tally;
  /** 5 × 5 counts of (functional, dysfunctional) Kano answers. */
  kano: readonly (readonly number[])[];
  /** Responses with an importance or a satisfaction answer. */
  respondents: number;
}

export function needScore(answers: NeedAnswers): NeedScore {
  const importance = topTwoBox(answers.importance);
  const satisfaction = topTwoBox(answers.satisfaction);
  return {
    n: answers.respondents,
    n_importance: tallyTotal(answers.importance),
    n_satisfaction: tallyTotal(answers.satisfaction),
    importance,
    satisfaction,
    opportunity: opportunity(importance, satisfaction),
    kano: kanoSummary(answers.kano),
  };
}
