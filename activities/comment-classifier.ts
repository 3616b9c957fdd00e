/**
 * Survey comments classified by the production model: a comment counts towards the need
 * the model names when it is at least 50 % sure. Null when there is no production model
 * yet (the need analysis then matches the needs' label words).
 */
import type { Kysely } from 'kysely';
import { findProductionModel } from '../db/queries/model-versions.js';
import type { Database } from '../db/schema.js';
import type { SelectedBackend } from '../models/backend.js';
import type { ModelStore } from '../models/model-store.js';
import { predictIntents } from '../models/predict.js';
import type { CommentClassifier } from './analyze-needs.js';

export const COMMENT_CONFIDENCE = 0.5;

export async function productionCommentClassifier(deps: { db: Kysely<Database>; store: ModelStore; backend: Promise<SelectedBackend> }): Promise<CommentClassifier | null> {
  const production = await findProductionModel(deps.db);
  if (production === null) return null;
  await deps.backend;
  return {
    name: `model ${production.id}`,
    async classify(texts) {
      const loaded = await deps.store.load(production.artifact_sha256);
      try {
        return predictIntents(loaded, texts).map((p) => (p.confidence >= COMMENT_CONFIDENCE ? p.intent : null));
      } finally {
        loaded.model.dispose();
      }
    },
  };
}
