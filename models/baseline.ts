/**
 * The baseline a first model must at least match, fitted in the same run on the same
 * examples: multinomial Naive Bayes over words and word bigrams (add-one smoothing) — the
 * classic text classifier, fitted in one pass in milliseconds. A first model is refused when
 * it is significantly worse than this on the holdout or the golden set, whatever the task's
 * number of needs or difficulty: the floor scales with the task.
 */
import { tokenWords } from './tokenizer.js';

export interface Baseline {
  name: string;
  predict(texts: readonly string[]): string[];
}

function features(text: string): string[] {
  const words = tokenWords(text);
  return [...words, ...words.slice(1).map((w, i) => `${words[i]} ${w}`)];
}

export function fitNaiveBayes(examples: readonly { text: string; intent: string }[]): Baseline {
  const classes = [...new Set(examples.map((e) => e.intent))].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  const docs = new Array<number>(classes.length).fill(0);
  const totals = new Array<number>(classes.length).fill(0);
  const counts = new Map<string, number[]>();
  for (const e of examples) {
    const c = index.get(e.intent)!;
    docs[c]++;
    for (const f of features(e.text)) {
      let row = counts.get(f);
      if (row === undefined) counts.set(f, (row = new Array<number>(classes.length).fill(0)));
      row[c]++;
      totals[c]++;
    }
  }
  const vocabulary = counts.size;
  const prior = docs.map((d) => Math.log(d / examples.length));
  const unseen = totals.map((t) => Math.log(1 / (t + vocabulary)));
  return {
    name: 'Naive Bayes on words and bigrams',
    predict(texts) {
      return texts.map((text) => {
        const score = [...prior];
        for (const f of features(text)) {
          const row = counts.get(f);
          if (row === undefined) continue; // a feature no class has seen shifts every class alike
          for (let c = 0; c < classes.length; c++) score[c] += row[c] === 0 ? unseen[c] : Math.log((row[c] + 1) / (totals[c] + vocabulary));
        }
        let best = 0;
        for (let c = 1; c < classes.length; c++) if (score[c] > score[best]) best = c;
        return classes[best];
      });
    },
  };
}
