/**
 * The production model as /api/predict serves it. Before each request it checks which
 * version is in production; after a promotion (or rollback) it loads the new version and
 * swaps it in whole. A request keeps the version it started with, so every answer comes
 * from one complete model; the replaced one is freed once no request uses it.
 */
import type { Kysely } from 'kysely';
import { findModelVersion, findProductionModel } from '../db/queries/model-versions.js';
import type { Database } from '../db/schema.js';
import type { ModelStore } from '../models/model-store.js';
import { predictIntents, type LoadedModel, type Prediction } from '../models/predict.js';

interface Serving {
  id: string;
  loaded: LoadedModel;
  users: number;
  retired: boolean;
}

export class Predictor {
  private serving: Serving | null = null;
  private loading: Promise<Serving | null> | null = null;

  constructor(private readonly deps: { db: Kysely<Database>; store: ModelStore }) {}

  private async current(): Promise<Serving | null> {
    const production = await findProductionModel(this.deps.db);
    if (production === null) return null;
    if (this.serving?.id === production.id) return this.serving;
    this.loading ??= (async () => {
      const loaded = await this.deps.store.load(production.artifact_sha256);
      const next: Serving = { id: production.id, loaded, users: 0, retired: false };
      const previous = this.serving;
      this.serving = next;
      if (previous !== null) {
        previous.retired = true;
        if (previous.users === 0) previous.loaded.model.dispose();
      }
      return next;
    })().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  /** Predictions with the id of the model that made them; null without a production model. */
  async predict(texts: readonly string[]): Promise<{ model: string; predictions: Prediction[] } | null> {
    const serving = await this.current();
    if (serving === null) return null;
    serving.users++;
    try {
      return { model: serving.id, predictions: predictIntents(serving.loaded, texts) };
    } finally {
      serving.users--;
      if (serving.retired && serving.users === 0) serving.loaded.model.dispose();
    }
  }

  /**
   * Predictions of another version (a candidate awaiting approval, an archived one), for
   * approvers measuring it before they decide; loaded for the request, then freed. Null
   * when there is no such version.
   */
  async predictWith(id: string, texts: readonly string[]): Promise<{ model: string; status: string; predictions: Prediction[] } | null> {
    const version = await findModelVersion(this.deps.db, id);
    if (version === null) return null;
    if (version.status === 'production') {
      const r = await this.predict(texts);
      if (r !== null && r.model === id) return { ...r, status: 'production' };
    }
    const loaded = await this.deps.store.load(version.artifact_sha256);
    try {
      return { model: version.id, status: version.status, predictions: predictIntents(loaded, texts) };
    } finally {
      loaded.model.dispose();
    }
  }

  dispose(): void {
    this.serving?.loaded.model.dispose();
    this.serving = null;
  }
}
