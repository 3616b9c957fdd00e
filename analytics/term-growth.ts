import { words } from './tokenize.js';

/** Words that carry no topic, left out of term statistics. */
const STOPWORDS = new Set(
  ('a an the and or but of to in on for with at by from is are was were be been it its this that these those i me my we our you your ' +
    'he she they them their not no so too very can could would should will just than then there here what which who how when where ' +
    'do does did have has had am as if about after before into more most much many some any all also only own same such again ' +
    '的 了 是 我 你 他 她 它 们 在 和 就 都 也 很 有 不 吗 呢 吧 啊 这 那 个 一 上 下 对 与 及 等 把 被 让 给 为')
    .split(' '),
);

export interface TermGrowth {
  term: string;
  /** Occurrences in the current window. */
  count: number;
  /** Share of all (non-stopword) terms in each window. */
  current_share: number;
  previous_share: number;
  growth: number;
}

function shares(tokenized: Iterable<readonly string[]>): { counts: Map<string, number>; total: number } {
  const counts = new Map<string, number>();
  let total = 0;
  for (const tokens of tokenized) {
    for (const w of tokens) {
      if (STOPWORDS.has(w)) continue;
      counts.set(w, (counts.get(w) ?? 0) + 1);
      total++;
    }
  }
  return { counts, total };
}

/**
 * The terms whose share of all terms grew most from the previous window to the current
 * one (a term new in the current window grows by its whole share). Terms seen fewer than
 * `minCount` times now are ignored as noise.
 */
export function termGrowth(current: Iterable<string>, previous: Iterable<string>, options: { top?: number; minCount?: number; phrases?: boolean } = {}): TermGrowth[] {
  if (options.phrases !== true) return termGrowthOfTokens([...current].map(words), [...previous].map(words), options);
  const grown = termGrowthOfTokens([...current].map(phrasesOf), [...previous].map(phrasesOf), { ...options, top: 4 * (options.top ?? 10) });
  // A word that (nearly) always comes in a phrase that grew is that phrase: "pay less", not "pay" and "less".
  const kept = grown.filter((t) => t.term.includes(PHRASE_MARK) || !grown.some((p) => p.term.includes(PHRASE_MARK) && p.term.split(PHRASE_MARK).includes(t.term) && p.count >= 0.8 * t.count));
  return kept.slice(0, options.top ?? 10).map((t) => ({ ...t, term: t.term.split(PHRASE_MARK).reduce((a, w) => (a === '' ? w : HAN_END.test(a) && HAN_START.test(w) ? a + w : `${a} ${w}`), '') }));
}

const PHRASE_MARK = '\u0000';
const HAN_END = /\p{Script=Han}$/u;
const HAN_START = /^\p{Script=Han}/u;
const SINGLE_HAN = /^\p{Script=Han}$/u;
/** Chinese suffixes ICU's word breaker leaves on their own: 自动|化 → 自动化, 工作|流 → 工作流. */
const HAN_SUFFIXES = new Set('化流性率器式型量度费单表者员品法'.split(''));

function joinSuffixes(ws: string[]): string[] {
  const out: string[] = [];
  for (const w of ws) {
    const prev = out[out.length - 1];
    if (prev !== undefined && HAN_SUFFIXES.has(w) && prev.length >= 2 && HAN_END.test(prev)) out[out.length - 1] = prev + w;
    else out.push(w);
  }
  return out;
}

/**
 * A comment's terms at phrase level: its words but single Chinese characters ("又", "多"),
 * and every two neighbouring words that are not stopwords ("pay less", "自动化 工作流").
 */
function phrasesOf(text: string): string[] {
  const ws = joinSuffixes(words(text));
  const out = ws.filter((w) => !SINGLE_HAN.test(w));
  for (let i = 0; i + 1 < ws.length; i++) {
    if (!STOPWORDS.has(ws[i]) && !STOPWORDS.has(ws[i + 1]) && !SINGLE_HAN.test(ws[i]) && !SINGLE_HAN.test(ws[i + 1])) out.push(`${ws[i]}${PHRASE_MARK}${ws[i + 1]}`);
  }
  return out;
}

/** termGrowth over texts already split into words. */
export function termGrowthOfTokens(current: Iterable<readonly string[]>, previous: Iterable<readonly string[]>, options: { top?: number; minCount?: number } = {}): TermGrowth[] {
  const now = shares(current);
  const before = shares(previous);
  const out: TermGrowth[] = [];
  for (const [term, count] of now.counts) {
    if (count < (options.minCount ?? 3)) continue;
    const currentShare = count / now.total;
    const previousShare = before.total === 0 ? 0 : (before.counts.get(term) ?? 0) / before.total;
    if (currentShare > previousShare) out.push({ term, count, current_share: currentShare, previous_share: previousShare, growth: currentShare - previousShare });
  }
  return out.sort((a, b) => b.growth - a.growth || a.term.localeCompare(b.term)).slice(0, options.top ?? 10);
}
