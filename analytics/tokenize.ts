/**
 * Words of a text in any language, through Intl.Segmenter (so Chinese splits into words
 * too), lower-cased, without punctuation or numbers.
 */
const segmenters = new Map<string, Intl.Segmenter>();

function segmenter(locale: string): Intl.Segmenter {
  let s = segmenters.get(locale);
  if (s === undefined) segmenters.set(locale, (s = new Intl.Segmenter(locale, { granularity: 'word' })));
  return s;
}

const HAN = /\p{Script=Han}/u;
const LETTER = /\p{L}/u;

/**
 * Lower-case ASCII letters, spaces, line breaks and punctuation that never joins letters
 * into one word (UAX #29 joins letters across . ' : and the like, and runs of digits):
 * in such a text each run of letters is a word, exactly as the segmenter splits it, found
 * at a fraction of its cost — most requests are such texts, and the drift step splits
 * some 300,000 of them a night.
 */
const PLAIN = /^[a-z \t\n\r?!,;()"-]*$/;
const NOT_LETTERS = /[^a-z]+/;

export function words(text: string): string[] {
  const lower = text.toLowerCase();
  if (PLAIN.test(lower)) return lower.split(NOT_LETTERS).filter((w) => w !== '');
  const out: string[] = [];
  for (const part of segmenter(HAN.test(text) ? 'zh' : 'en').segment(lower)) {
    if (part.isWordLike && LETTER.test(part.segment)) out.push(part.segment);
  }
  return out;
}
