import { words } from './tokenize.js';

/**
 * Which need a short text (a survey comment) is about, by the words it shares with each
 * need's labels — the fallback until a production model exists to classify it.
 */
export function labelMatcher(needs: readonly { id: string; label: { en: string; zh: string } }[]): (text: string) => string | null {
  const GENERIC = new Set(['and', 'my', 'with', 'in', 'for', 'i', 'of', 'the', 'what', 'use']);
  const vocab = needs.map((n) => ({ id: n.id, terms: new Set([...words(n.label.en), ...words(n.label.zh)].filter((w) => !GENERIC.has(w))) }));
  return (text) => {
    const seen = new Set(words(text));
    let best: string | null = null;
    let bestScore = 0;
    for (const { id, terms } of vocab) {
      let score = 0;
      for (const t of terms) if (seen.has(t)) score++;
      if (score > bestScore) {
        best = id;
        bestScore = score;
      }
    }
    return best;
  };
}
