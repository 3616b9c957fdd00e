/**
 * The production model judged on what it serves: it re-scores the labelled requests of
 * the current window and of the weeks before (those it never trained on, served by one
 * and the same model version), and reads its own confidence on the window's texts and
 * on the texts of the newest week of its training data. Node receives samples, not the
 * whole table.
 */
import { proportionDrop, textDrift, type NeedRecall, type ServingPerformance, type TextDrift } from '../analytics/index.js';
import type { DatabaseHandle } from '../db/connection.js';
import { modelTag } from '../db/queries/model-versions.js';
import { unseenRequests, type UnseenRequest } from '../db/queries/serving.js';
import type { TimeWindow } from '../db/queries/time-window.js';
import type { ModelVersion } from '../db/schema.js';
import type { ModelStore } from '../models/model-store.js';
import { predictIntents } from '../models/predict.js';

/** The most requests read per window and purpose. */
export const SERVING_SAMPLE = 20_000;
/**
 * The texts the window is compared with: the newest week the model was trained on (its
 * holdout share, which it never saw). A model trained last night is compared with what
 * users say now; one trained weeks ago, with what they said then.
 */
const TRAINING_PERIOD_DAYS = 7;
const DAY_MS = 86_400_000;

/**
 * The version whose served requests both windows have most of (the larger of the two
 * smaller counts): windows served by one version carry the same feedback bias.
 */
function commonVersion(reference: readonly UnseenRequest[], current: readonly UnseenRequest[]): string | null {
  const count = (rows: readonly UnseenRequest[]) => {
    const m = new Map<string | null, number>();
    for (const r of rows) m.set(r.model_version, (m.get(r.model_version) ?? 0) + 1);
    return m;
  };
  const [a, b] = [count(reference), count(current)];
  let best: string | null = null;
  let bestN = -1;
  for (const [version, n] of a) {
    const both = Math.min(n, b.get(version) ?? 0);
    if (both > bestN) [best, bestN] = [version, both];
  }
  return best;
}

/** The share of texts flagged out of scope on each side, and whether it rose (one-sided two-proportion z-test). */
function outOfScopeRise(reference: readonly { out_of_scope: boolean }[], current: readonly { out_of_scope: boolean }[]): NonNullable<ServingPerformance['out_of_scope']> {
  const inScope = (pred: readonly { out_of_scope: boolean }[]) => ({ hits: pred.filter((x) => !x.out_of_scope).length, n: pred.length });
  // A rise of the out-of-scope share is a drop of the in-scope one.
  const d = proportionDrop(inScope(reference), inScope(current));
  const share = (x: number | null) => (x === null ? null : 1 - x);
  return { reference: share(d.reference), current: share(d.current), n_reference: reference.length, n_current: current.length, rise: d.drop, p: d.p };
}

export async function judgeServingModel(
  deps: { handle: DatabaseHandle; store: ModelStore },
  production: ModelVersion,
  windows: { reference: TimeWindow; current: TimeWindow },
): Promise<{ performance: ServingPerformance; text: TextDrift }> {
  const { db } = deps.handle;
  const trainedUntil = production.data_to;
  const trainingPeriod = { from: new Date(Math.max(production.data_from.getTime(), trainedUntil.getTime() - TRAINING_PERIOD_DAYS * DAY_MS)), to: trainedUntil };
  const [refLabelled, curLabelled, refTexts, curTexts] = await Promise.all([
    unseenRequests(db, { window: windows.reference, trainedUntil, labelled: true, limit: SERVING_SAMPLE }),
    unseenRequests(db, { window: windows.current, trainedUntil, labelled: true, limit: SERVING_SAMPLE }),
    unseenRequests(db, { window: trainingPeriod, trainedUntil, labelled: false, limit: SERVING_SAMPLE }),
    unseenRequests(db, { window: windows.current, trainedUntil, labelled: false, limit: SERVING_SAMPLE }),
  ]);
  const version = commonVersion(refLabelled, curLabelled);
  const [ref, cur] = [refLabelled, curLabelled].map((rows) => rows.filter((r) => r.model_version === version));
  const loaded = await deps.store.load(production.artifact_sha256);
  try {
    const rescore = (rows: readonly UnseenRequest[]) => predictIntents(loaded, rows.map((r) => r.text));
    const [refPred, curPred, refConf, curConf] = [rescore(ref), rescore(cur), rescore(refTexts), rescore(curTexts)];
    const hits = (rows: readonly UnseenRequest[], pred: readonly { intent: string }[]) => rows.filter((r, i) => pred[i].intent === r.label).length;
    const needs: NeedRecall[] = production.labels.map((need) => {
      const side = (rows: readonly UnseenRequest[], pred: readonly { intent: string }[]) => {
        const idx = rows.map((r, i) => (r.label === need ? i : -1)).filter((i) => i >= 0);
        return { hits: idx.filter((i) => pred[i].intent === need).length, n: idx.length };
      };
      const [a, b] = [side(ref, refPred), side(cur, curPred)];
      return { need, n_reference: a.n, n_current: b.n, ...proportionDrop(a, b) };
    });
    const mean = (pred: readonly { confidence: number }[]) => (pred.length === 0 ? null : pred.reduce((s, p) => s + p.confidence, 0) / pred.length);
    // Less sure within the needs it predicts, weighted by the window's mix: a need that grows
    // and that the model is less sure of lowers the plain mean without any need getting harder.
    const byNeed = (pred: readonly { intent: string; confidence: number }[]) => {
      const m = new Map<string, { n: number; sum: number }>();
      for (const p of pred) {
        const e = m.get(p.intent) ?? { n: 0, sum: 0 };
        e.n++;
        e.sum += p.confidence;
        m.set(p.intent, e);
      }
      return m;
    };
    const [refNeeds, curNeeds] = [byNeed(refConf), byNeed(curConf)];
    let weight = 0;
    let drop = 0;
    for (const [need, c] of curNeeds) {
      const r = refNeeds.get(need);
      if (r === undefined) continue;
      weight += c.n;
      drop += c.n * (r.sum / r.n - c.sum / c.n);
    }
    return {
      performance: {
        model: production.id,
        judged_on: version,
        judged_on_production: version === modelTag(production.id),
        accuracy: { n_reference: ref.length, n_current: cur.length, ...proportionDrop({ hits: hits(ref, refPred), n: ref.length }, { hits: hits(cur, curPred), n: cur.length }) },
        needs,
        confidence: { reference: mean(refConf), current: mean(curConf), n_reference: refConf.length, n_current: curConf.length, within_needs_drop: weight === 0 ? null : drop / weight },
        out_of_scope: outOfScopeRise(refConf, curConf),
      },
      text: textDrift(refTexts.map((r) => r.text), curTexts.map((r) => r.text)),
    };
  } finally {
    loaded.model.dispose();
  }
}
