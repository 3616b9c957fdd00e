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

/**
 * Plain ASCII with no point, colon, comma, semicolon or underscore inside a word ("3.5",
 * "e.g", "a:b", "1,000", "a_b"): there, Unicode's word boundaries (UAX #29, what
 * Intl.Segmenter follows) are the runs of letters and digits, an apostrophe joining two
 * letters or two digits ("can't", rules WB6–7 and WB11–12) — found four times faster by a
 * regular expression. tests/models/model.test.ts checks both paths agree.
 */
const PLAIN_ASCII = /^[\x20-\x7e\t\n\r]*$/;
const JOINED = /[a-z0-9][.:,;][a-z0-9]|_/i;
const ASCII_WORD = /[a-z0-9]+/g;
const isDigit = (c: string) => c >= '0' && c <= '9';

function asciiWords(lower: string): string[] {
  const out: string[] = [];
  let end = -1;
  for (const m of lower.matchAll(ASCII_WORD)) {
    const start = m.index;
    if (out.length > 0 && start === end + 1 && lower[end] === "'" && isDigit(lower[end - 1]) === isDigit(lower[start])) out[out.length - 1] += `'${m[0]}`;
    else out.push(m[0]);
    end = start + m[0].length;
  }
  return out;
}

export function tokenWords(text: string): string[] {
  if (PLAIN_ASCII.test(text) && !JOINED.test(text)) return asciiWords(text.toLowerCase());
  return segmentedWords(text);
}

/** Words as Intl.Segmenter splits them (the reference; tokenWords' slow path). */
export function segmentedWords(text: string): string[] {
  const out: string[] = [];
  for (const part of segmenters[HAN.test(text) ? 'zh' : 'en'].segment(text.toLowerCase())) {
    if (part.isWordLike && LETTER_OR_DIGIT.test(part.segment)) out.push(part.segment);
  }
  return out;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv1a(text: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** The id a token hashes to (1 … vocabularySize − 1). */
export function bucketOf(token: string, vocabularySize: number): number {
  return 1 + (fnv1a(token) % (vocabularySize - 1));
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
  const size = settings.vocabularySize;
  const ids = words.map((w) => bucketOf(w, size));
  if (settings.bigrams) for (let i = 1; i < words.length; i++) ids.push(bucketOf(`${words[i - 1]} ${words[i]}`, size));
  if (settings.subwords !== undefined) {
    for (const w of words) {
      if (ids.length >= settings.maxTokens) break;
      subwordIds(w, settings.subwords.min, settings.subwords.max, size, ids);
    }
  }
  if (ids.length > settings.maxTokens) ids.length = settings.maxTokens;
  return ids;
}

/**
 * The ids of `subwordsOf(word, min, max)`, in the same order, hashed as each n-gram is
 * extended one character at a time instead of building every n-gram's string: tokenizing
 * is most of what prediction costs. tests/models/model.test.ts checks the ids against
 * hashing `subwordsOf`'s strings.
 */
function subwordIds(word: string, min: number, max: number, vocabularySize: number, out: number[]): void {
  if (HAN.test(word)) {
    const chars = [...word];
    if (chars.length > 1) for (const c of chars) out.push(bucketOf(`<${c}>`, vocabularySize));
    return;
  }
  const buckets = vocabularySize - 1;
  const chars = [...`<${word}>`];
  const length = chars.length;
  // byN[n - min][i]: the hash of the n characters from i.
  const byN: number[][] = [];
  for (let n = min; n <= max; n++) byN.push([]);
  for (let i = 0; i < length; i++) {
    let h = FNV_OFFSET;
    for (let n = 1; n <= max && i + n <= length; n++) {
      const c = chars[i + n - 1];
      for (let k = 0; k < c.length; k++) {
        h ^= c.charCodeAt(k);
        h = Math.imul(h, FNV_PRIME);
      }
      if (n >= min && n !== length) byN[n - min].push(1 + ((h >>> 0) % buckets));
    }
  }
  for (const row of byN) for (const id of row) out.push(id);
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
