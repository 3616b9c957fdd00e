/**
 * A readable persona name from a segment's most distinctive features, e.g. "Heavy
 * code users" or "Enterprise sheets users": an adjective from behaviour or plan, a noun
 * from the product area the segment uses most.
 */
export interface Distinction {
  feature: string;
  /** Segment mean against all users, in standard deviations. */
  z: number;
}

const ADJECTIVES: Record<string, [string, string]> = {
  // feature: [when higher than usual, when lower]
  events_per_day: ['Heavy', 'Light'],
  active_days: ['Daily', 'Occasional'],
  recency_days: ['Lapsing', 'Recent'],
  success_rate: ['Successful', 'Struggling'],
  failure_rate: ['Struggling', 'Successful'],
  abandon_rate: ['Drop-off-prone', 'Persistent'],
  mean_latency_ms: ['Long-task', 'Quick-task'],
  mean_rating: ['Delighted', 'Unhappy'],
  feedback_rate: ['Vocal', 'Quiet'],
  plan_enterprise: ['Enterprise', 'Self-serve'],
  plan_pro: ['Pro', 'Non-pro'],
  plan_free: ['Free-plan', 'Paying'],
  nps: ['Promoter', 'Detractor'],
  csat: ['Satisfied', 'Dissatisfied'],
};

const SHARE_PREFIX = 'share_';

export function personaName(distinctive: readonly Distinction[]): string {
  const noun = distinctive.find((d) => d.feature.startsWith(SHARE_PREFIX) && d.z > 0);
  const adjective = distinctive.find((d) => ADJECTIVES[d.feature] !== undefined && Math.abs(d.z) >= 0.5);
  const word = adjective === undefined ? null : ADJECTIVES[adjective.feature][adjective.z > 0 ? 0 : 1];
  const area = noun === undefined ? 'users' : `${noun.feature.slice(SHARE_PREFIX.length).replace(/_/g, ' ')} users`;
  return word === null ? `${area[0].toUpperCase()}${area.slice(1)}` : `${word} ${area}`;
}

/** Makes names unique by numbering repeats: "Light chat users", "Light chat users 2". */
export function uniqueNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name} ${count}`;
  });
}
