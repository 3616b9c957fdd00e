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

export function words(text: string): string[] {
  const out: string[] = [];
  for (const part of segmenter(HAN.test(text) ? 'zh' : 'en').segment(text.toLowerCase())) {
    if (part.isWordLike && LETTER.test(part.segment)) out.push(part.segment);
  }
  return out;
}
