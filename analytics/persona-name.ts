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

const ADJECTIVES_ZH: Record<string, string> = {
  Heavy: '重度', Light: '轻度', Daily: '每日', Occasional: '偶尔使用的', Lapsing: '渐少使用的', Recent: '近期活跃的', Successful: '顺利的',
  Struggling: '受挫的', 'Drop-off-prone': '易放弃的', Persistent: '坚持的', 'Long-task': '长任务', 'Quick-task': '快任务', Delighted: '满意的',
  Unhappy: '不满的', Vocal: '爱反馈的', Quiet: '少反馈的', Enterprise: '企业版', 'Self-serve': '自助', Pro: '专业版', 'Non-pro': '非专业版',
  'Free-plan': '免费版', Paying: '付费', Promoter: '推荐型', Detractor: '批评型', Satisfied: '满意的', Dissatisfied: '不满意的',
};

/** Product areas of the usage logs with a usual Chinese name; others keep theirs. */
const AREAS_ZH: Record<string, string> = {
  email: '邮件', code: '代码', sheets: '表格', translate: '翻译', meetings: '会议', chat: '聊天', docs: '文档', documents: '文档',
  search: '搜索', automations: '自动化', automation: '自动化', summarize: '摘要', images: '图像', voice: '语音', calendar: '日历', notes: '笔记',
};

/**
 * The Chinese of a persona name made by personaName (and uniqueNames): "Quick-task email
 * users" → "快任务邮件用户", "Heavy code users 2" → "重度代码用户 2". Read from the name itself,
 * so the two languages always name the same persona.
 */
export function personaNameZh(name: string): string {
  const m = /^(.*?)\s*\b[Uu]sers(?: (\d+))?$/.exec(name);
  if (m === null) return name;
  const words = m[1].split(' ').filter((w) => w !== '');
  const parts = words.map((w, i) => (i === 0 && ADJECTIVES_ZH[w] !== undefined ? ADJECTIVES_ZH[w] : AREAS_ZH[w.toLowerCase()] ?? w));
  parts.push('用户');
  // Chinese runs on without spaces; a word kept in its own language stands apart.
  const han = (text: string) => /\p{Script=Han}/u.test(text);
  const joined = parts.reduce((a, p) => (a === '' ? p : han(a.at(-1)!) && han(p[0]) ? a + p : `${a} ${p}`), '');
  return m[2] === undefined ? joined : `${joined} ${m[2]}`;
}

