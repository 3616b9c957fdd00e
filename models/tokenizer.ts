/**
 * Turns a request into hashed token ids: words through Intl.Segmenter (Chinese splits into
 * words too), lower-cased, plus word bigrams, plus subwords — the character n-grams of each
 * word with `<` and `>` marking its ends, as fastText's, so that a misspelt or unseen word
 * still shares most of its pieces with known ones (for Chinese, each character) — each
 * hashed into a fixed vocabulary: new words need no vocabulary rebuild. Id 0 is padding.
 *
 * Deliberately not shared with analytics/tokenize.ts: a trained model's weights depend on
 * exactly this splitting and hashing, so it is frozen with the model format
 * ('needloop-intent-1') and must not change when the analytics helpers do.
 */
export interface TokenizerSettings {
  /** Hash buckets, padding included. */
  vocabularySize: number;
  /** Tokens kept per text (unigrams first, then bigrams). */
  maxTokens: number;
  bigrams: boolean;
  /** Character n-grams of each word, from `min` to `max` characters; absent in models made before subwords. */
  subwords?: { min: number; max: number };
}

export const DEFAULT_TOKENIZER: TokenizerSettings = { vocabularySize: 1 << 16, maxTokens: 128, bigrams: true, subwords: { min: 3, max: 5 } };
/** Words and bigrams only: the models needloop made before subwords (and a benchmark's baseline). */
export const WORD_TOKENIZER: TokenizerSettings = { vocabularySize: 1 << 14, maxTokens: 32, bigrams: true };

const HAN = /\p{Script=Han}/u;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const segmenters = { en: new Intl.Segmenter('en', { granularity: 'word' }), zh: new Intl.Segmenter('zh', { granularity: 'word' }) };

export function tokenWords(text: string): string[] {
  const out: string[] = [];
  for (const part of segmenters[HAN.test(text) ? 'zh' : 'en'].segment(text.toLowerCase())) {
    if (part.isWordLike && LETTER_OR_DIGIT.test(part.segment)) out.push(part.segment);
  }
  return out;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The character n-grams of a word (its Han characters, for Chinese), whole word excluded. */
export function subwordsOf(word: string, min: number, max: number): string[] {
  if (HAN.test(word)) return word.length > 1 ? [...word].map((c) => `<${c}>`) : [];
  const marked = `<${word}>`;
  const chars = [...marked];
  const out: string[] = [];
  for (let n = min; n <= max; n++) {
    for (let i = 0; i + n <= chars.length; i++) {
      if (n === chars.length) continue;
      out.push(chars.slice(i, i + n).join(''));
    }
  }
  return out;
}

/** Token ids of a text (1 … vocabularySize − 1), at most maxTokens of them: words, bigrams, then subwords. */
export function tokenIds(text: string, settings: TokenizerSettings = DEFAULT_TOKENIZER): number[] {
  const words = tokenWords(text);
  const tokens = settings.bigrams ? [...words, ...words.slice(1).map((w, i) => `${words[i]} ${w}`)] : [...words];
  if (settings.subwords !== undefined) {
    for (const w of words) {
      if (tokens.length >= settings.maxTokens) break;
      tokens.push(...subwordsOf(w, settings.subwords.min, settings.subwords.max));
    }
  }
  return tokens.slice(0, settings.maxTokens).map((t) => 1 + (fnv1a(t) % (settings.vocabularySize - 1)));
}

/**
 * A batch as the model takes it: ids [n, maxTokens] (0 = padding) and weights that make
 * the embedding bag a mean (1 / tokens for each real token, 0 for padding).
 */
export function encodeTexts(texts: readonly string[], settings: TokenizerSettings = DEFAULT_TOKENIZER): { ids: Int32Array; weights: Float32Array } {
  const L = settings.maxTokens;
  const ids = new Int32Array(texts.length * L);
  const weights = new Float32Array(texts.length * L);
  texts.forEach((text, i) => {
    const t = tokenIds(text, settings);
    for (let j = 0; j < t.length; j++) {
      ids[i * L + j] = t[j];
      weights[i * L + j] = 1 / t.length;
    }
  });
  return { ids, weights };
}
