/**
 * The need catalogue: the needs surveys ask about and the intents the production model
 * predicts (intents are need ids). A default ships with needloop; a JSON file can
 * replace it (NEEDLOOP_CATALOGUE).
 */
import { readFileSync } from 'node:fs';
import defaultCatalogue from './need-catalogue.default.json' with { type: 'json' };

export const NEED_CATEGORIES = ['functional', 'emotional', 'sustainability', 'price'] as const;
export type NeedCategory = (typeof NEED_CATEGORIES)[number];

export interface Need {
  id: string;
  label: { en: string; zh: string };
  category: NeedCategory;
}

export type NeedCatalogue = readonly Need[];

/**
 * Reserved: feedback marks a request that is none of the catalogue's needs with
 * `corrected_intent` = `out_of_scope`; the model learns it as a class of its own. No need
 * may have this id.
 */
export const OUT_OF_SCOPE = 'out_of_scope';

/** A need id must be usable inside survey column names such as `imp_<id>`. */
const NEED_ID = /^[a-z][a-z0-9_]{0,62}$/;

export class CatalogueError extends Error {
  override name = 'CatalogueError';
}

/** Validates a parsed catalogue; `source` names the file in error messages. */
export function parseCatalogue(value: unknown, source: string): NeedCatalogue {
  if (!Array.isArray(value) || value.length === 0) {
    throw new CatalogueError(`${source}: expected a non-empty JSON array of needs`);
  }
  const seen = new Set<string>();
  return value.map((entry: unknown, index): Need => {
    const where = `${source}: need #${index + 1}`;
    if (typeof entry !== 'object' || entry === null) throw new CatalogueError(`${where}: expected an object`);
    const { id, label, category } = entry as Record<string, unknown>;
    if (typeof id !== 'string' || !NEED_ID.test(id)) {
      throw new CatalogueError(`${where}: id ${JSON.stringify(id)} must be lower-case letters, digits and _ (starting with a letter, at most 63 characters)`);
    }
    if (id === OUT_OF_SCOPE) throw new CatalogueError(`${where}: id "${OUT_OF_SCOPE}" is reserved for feedback on requests of no known need`);
    if (seen.has(id)) throw new CatalogueError(`${where}: id "${id}" appears twice`);
    seen.add(id);
    const labels = label as Record<string, unknown> | null;
    if (typeof labels !== 'object' || labels === null || typeof labels.en !== 'string' || typeof labels.zh !== 'string') {
      throw new CatalogueError(`${where} ("${id}"): label must be {"en": "…", "zh": "…"}`);
    }
    if (!NEED_CATEGORIES.includes(category as NeedCategory)) {
      throw new CatalogueError(`${where} ("${id}"): category ${JSON.stringify(category)} must be one of ${NEED_CATEGORIES.join(', ')}`);
    }
    return { id, label: { en: labels.en, zh: labels.zh }, category: category as NeedCategory };
  });
}

/** The catalogue from `file`, or the shipped default when `file` is null. */
export function loadCatalogue(file: string | null): NeedCatalogue {
  if (file === null) return parseCatalogue(defaultCatalogue, 'default need catalogue');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CatalogueError(`${file}: cannot read the need catalogue (${(error as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CatalogueError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  return parseCatalogue(parsed, file);
}
