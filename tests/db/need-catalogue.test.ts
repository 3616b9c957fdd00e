import { describe, expect, it } from 'vitest';
import { CatalogueError, loadCatalogue, parseCatalogue } from '../../db/need-catalogue.js';
import { useTempFiles } from '../helpers/fixtures.js';

const files = useTempFiles();

describe('need catalogue', () => {
  it('loadCatalogue(null) is the shipped default of 12 needs in all four categories', () => {
    const catalogue = loadCatalogue(null);
    expect(catalogue).toHaveLength(12);
    expect(new Set(catalogue.map((n) => n.category))).toEqual(new Set(['functional', 'emotional', 'sustainability', 'price']));
    expect(catalogue.find((n) => n.id === 'translate_text')?.label).toEqual({ en: 'Translate text', zh: '翻译文本' });
  });

  it('loadCatalogue(file) replaces the default', async () => {
    const file = await files.file('needs.json', JSON.stringify([{ id: 'fast_answers', label: { en: 'Fast answers', zh: '快速回答' }, category: 'functional' }]));
    expect(loadCatalogue(file).map((n) => n.id)).toEqual(['fast_answers']);
  });

  it('names the file, the need and the rule it breaks', async () => {
    expect(() => parseCatalogue([{ id: 'Bad Id', label: { en: 'x', zh: 'x' }, category: 'functional' }], 'needs.json')).toThrow(
      new CatalogueError('needs.json: need #1: id "Bad Id" must be lower-case letters, digits and _ (starting with a letter, at most 63 characters)'),
    );
    expect(() => parseCatalogue([{ id: 'a', label: { en: 'x', zh: 'x' }, category: 'luxury' }], 'needs.json')).toThrow(/category "luxury" must be one of functional, emotional, sustainability, price/);
    expect(() => parseCatalogue([{ id: 'out_of_scope', label: { en: 'x', zh: 'x' }, category: 'functional' }], 'needs.json')).toThrow(
      new CatalogueError('needs.json: need #1: id "out_of_scope" is reserved for feedback on requests of no known need'),
    );
    const broken = await files.file('broken.json', '[{');
    expect(() => loadCatalogue(broken)).toThrow(new RegExp(`^${broken}: not valid JSON`));
  });
});
