/**
 * Fairness across groups of users: accuracy and recall per group of each attribute the
 * users file carries (plan, country, age band, gender), with 95 % Wilson intervals, the
 * worst-served group and the largest gap between groups. A group of fewer than
 * `minUsers` distinct users is withheld — its figures are not reported, so that a small
 * group cannot be singled out, and it takes no part in the worst group or the gap.
 */
import { groupBy, wilsonInterval } from '../analytics/index.js';

export const FAIRNESS_ATTRIBUTES = ['plan', 'country', 'age_band', 'gender'] as const;
export type FairnessAttribute = (typeof FAIRNESS_ATTRIBUTES)[number];

/** An example as fairness sees it: who asked, their groups, the right need and the answer. */
export interface FairnessExample {
  user_id?: string | null;
  plan?: string | null;
  country?: string | null;
  age_band?: string | null;
  gender?: string | null;
  intent: string;
}

export interface GroupScore {
  value: string;
  /** Distinct users; null when withheld (fewer than the minimum). */
  users: number | null;
  requests: number | null;
  accuracy: number | null;
  low: number | null;
  high: number | null;
  /** Macro-averaged recall over the needs the group asked for. */
  recall: number | null;
  withheld: boolean;
}

export interface AttributeFairness {
  attribute: FairnessAttribute;
  groups: GroupScore[];
  /** The reported group with the lowest accuracy; null with fewer than two reported groups. */
  worst: string | null;
  /** Highest minus lowest accuracy among reported groups; null with fewer than two. */
  gap: number | null;
}

export function groupOf(e: FairnessExample, attribute: FairnessAttribute): string | null {
  const v = e[attribute];
  return v === undefined || v === null || v === '' ? null : v;
}

/**
 * Per attribute, the groups' scores, given which examples the model answered right. An
 * attribute no example carries, or with one group only, is left out.
 */
export function fairnessReport(examples: readonly FairnessExample[], correct: readonly boolean[], minUsers: number): AttributeFairness[] {
  const out: AttributeFairness[] = [];
  for (const attribute of FAIRNESS_ATTRIBUTES) {
    const groups = groupBy(examples.map((_, i) => i), (i) => groupOf(examples[i], attribute));
    if (groups.size < 2) continue;
    const scores: GroupScore[] = [...groups].sort(([a], [b]) => (a < b ? -1 : 1)).map(([value, rows]) => {
      const users = new Set(rows.map((i) => examples[i].user_id ?? `request ${i}`)).size;
      if (users < minUsers) return { value, users: null, requests: null, accuracy: null, low: null, high: null, recall: null, withheld: true };
      const right = rows.filter((i) => correct[i]).length;
      const interval = wilsonInterval(right, rows.length);
      const byNeed = new Map<string, { n: number; right: number }>();
      for (const i of rows) {
        const r = byNeed.get(examples[i].intent) ?? { n: 0, right: 0 };
        r.n++;
        if (correct[i]) r.right++;
        byNeed.set(examples[i].intent, r);
      }
      const recall = [...byNeed.values()].reduce((a, r) => a + r.right / r.n, 0) / byNeed.size;
      return { value, users, requests: rows.length, accuracy: right / rows.length, low: interval?.low ?? null, high: interval?.high ?? null, recall, withheld: false };
    });
    const shown = scores.filter((s) => !s.withheld);
    const ordered = [...shown].sort((a, b) => a.accuracy! - b.accuracy!);
    out.push({
      attribute, groups: scores,
      worst: ordered.length >= 2 ? ordered[0].value : null,
      gap: ordered.length >= 2 ? ordered.at(-1)!.accuracy! - ordered[0].accuracy! : null,
    });
  }
  return out;
}
