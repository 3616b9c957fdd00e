import { jensenShannon } from './distribution-distances.js';
import { termGrowthOfTokens, type TermGrowth } from './term-growth.js';
import { words } from './tokenize.js';

export const TEXT_HASH_BUCKETS = 4096;

export interface TextDrift {
  /** Jensen–Shannon distance (base 2) of the hashed-token distributions. */
  js: number;
  /** Share of current token occurrences whose token never occurs in the reference. */
  unseen_share: number;
  n_reference: number;
  n_current: number;
  /** Terms absent from the reference, most frequent first. */
  new_terms: TermGrowth[];
  /** Terms whose share grew most. */
  grown_terms: TermGrowth[];
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Drift of free text (request texts, comments) between two windows' texts. */
export function textDrift(reference: readonly string[], current: readonly string[], buckets = TEXT_HASH_BUCKETS): TextDrift {
  const refCounts = new Array<number>(buckets).fill(0);
  const curCounts = new Array<number>(buckets).fill(0);
  const seen = new Set<string>();
  const refTokens = reference.map(words);
  const curTokens = current.map(words);
  for (const text of refTokens) {
    for (const w of text) {
      refCounts[fnv1a(w) % buckets]++;
      seen.add(w);
    }
  }
  let occurrences = 0;
  let unseen = 0;
  for (const text of curTokens) {
    for (const w of text) {
      curCounts[fnv1a(w) % buckets]++;
      occurrences++;
      if (!seen.has(w)) unseen++;
    }
  }
  const grown = termGrowthOfTokens(curTokens, refTokens, { top: 50, minCount: 3 });
  return {
    js: jensenShannon(refCounts, curCounts),
    unseen_share: occurrences === 0 ? 0 : unseen / occurrences,
    n_reference: reference.length,
    n_current: current.length,
    new_terms: grown.filter((t) => t.previous_share === 0).sort((a, b) => b.count - a.count).slice(0, 10),
    grown_terms: grown.slice(0, 10),
  };
}
