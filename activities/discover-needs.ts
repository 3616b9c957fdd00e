/**
 * Each night, the needs nobody has named yet (issue 16). The window's requests that no
 * known need answers well — the production model finds them none of its needs, or is
 * unsure (confidence below LOW_CONFIDENCE), users corrected them to "none of these", or
 * abandoned them — are clustered (analytics/discover-needs.ts) after setting aside those
 * that look like requests of a known need (labelled requests of each need, as a few
 * prototypes). Requests served by another model, or by none, are scored by production
 * first, in batches. Each cluster with enough users becomes a candidate need: a label (the
 * phrase its requests share, else its shortest central request, else its distinctive
 * words), its size and growth against the week before (with a binomial test), its share
 * per plan and segment, what its users experience, and representative requests. A
 * cluster close to a candidate of an earlier night is that candidate again.
 * With a sentence encoder configured (NEEDLOOP_ENCODER) requests are clustered in its space,
 * with thresholds read off the known needs there (analytics/discover-needs.ts).
 */
import { binomialGreaterP, cosine, discoverCandidates, type VectorSpace } from '../analytics/index.js';
import type { DatabaseHandle } from '../db/connection.js';
import { OUT_OF_SCOPE, type NeedCatalogue } from '../db/need-catalogue.js';
import { findProductionModel, modelTag } from '../db/queries/model-versions.js';
import { adoptedNeeds, allCandidates, knownNeedRequests, eachWindowRequestBatch, recordSighting, type WindowRequest } from '../db/queries/need-candidates.js';
import { latestSegmentRun } from '../db/queries/segment-runs.js';
import { latestTime, type TimeWindow } from '../db/queries/time-window.js';
import type { ModelStore } from '../models/model-store.js';
import type { SentenceEncoder } from '../models/sentence-encoder.js';
import { predictIntents } from '../models/predict.js';

const DAY_MS = 86_400_000;
/** The night's window, and the one before it for growth. */
export const DISCOVERY_WINDOW_DAYS = 7;
/** Below this calibrated confidence the production model is unsure. */
export const LOW_CONFIDENCE = 0.5;
/** A night's cluster this close to an earlier candidate is that candidate. */
export const SAME_CANDIDATE_SIMILARITY = 0.7;
const KNOWN_PER_NEED = 200;
const MAX_REQUESTS = 200_000;
const EXAMPLES = 5;
/** The representation's name when no encoder is configured. */
export const HASHED_SPACE = 'hashed TF-IDF';
/** Longest request that labels a candidate as it is. */
const LABEL_CHARS = 60;

export interface DiscoveredCandidate {
  id: string;
  label: string;
  size: number;
  users: number;
  previous_size: number;
  /** Relative growth against the window before; null when it was not there then. */
  growth: number | null;
  growth_p: number | null;
  new: boolean;
  opportunity: number;
  examples: string[];
}

export interface DiscoveryResult {
  window: { from: string; to: string };
  /** The space requests were clustered in: HASHED_SPACE, or the configured encoder's name. */
  representation: string;
  /** Requests no known need answered well, and how many of them looked like a known need. */
  looked_at: number;
  like_known: number;
  candidates: DiscoveredCandidate[];
}

/** The catalogue with the needs adopted from discovery (`needloop needs adopt`). */
export async function catalogueWithAdopted(handle: DatabaseHandle, base: NeedCatalogue): Promise<NeedCatalogue> {
  const adopted = await adoptedNeeds(handle.db);
  const known = new Set(base.map((n) => n.id));
  return [...base, ...adopted.filter((a) => !known.has(a.id)).map((a) => ({ id: a.id, label: a.label, category: a.category as NeedCatalogue[number]['category'] }))];
}

/** Whether a request is one no known need answers well. */
export function unexplained(r: WindowRequest & { p_intent: string | null; p_confidence: number | null; p_oos: boolean | null }): boolean {
  if (r.feedback === 'confirmed' || (r.feedback === 'corrected' && r.corrected_intent !== OUT_OF_SCOPE)) return false;
  if (r.corrected_intent === OUT_OF_SCOPE) return true;
  if (r.p_oos === true || r.p_intent === OUT_OF_SCOPE) return true;
  if (r.p_confidence !== null && r.p_confidence < LOW_CONFIDENCE) return true;
  return r.outcome === 'abandoned';
}

function shares(values: readonly (string | null)[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v ?? 'unknown', (counts.get(v ?? 'unknown') ?? 0) + 1);
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, n / values.length]));
}

export async function discoverNeeds(
  deps: { handle: DatabaseHandle; store: ModelStore | null; minGroup: number; encoder?: SentenceEncoder | null },
  input: { pipelineRunId?: string | null; to?: Date } = {},
): Promise<DiscoveryResult | null> {
  const db = deps.handle.db;
  const to = input.to ?? (await latestTime(db, 'usage_events'));
  if (to === null) return null;
  const end = new Date(to.getTime() + 1); // the newest request is in the window
  const current = { from: new Date(end.getTime() - DISCOVERY_WINDOW_DAYS * DAY_MS), to: end };
  const previous = { from: new Date(current.from.getTime() - DISCOVERY_WINDOW_DAYS * DAY_MS), to: current.from };
  const segmentRunId = (await latestSegmentRun(db))?.run.id ?? null;
  // The production model's view of every request: its own logged prediction, or a fresh one.
  const production = await findProductionModel(db);
  const loaded = production !== null && deps.store !== null ? await deps.store.load(production.artifact_sha256) : null;
  const judge = (rows: WindowRequest[]) => {
    const out = rows.map((r) => ({ ...r, p_intent: r.predicted_intent, p_confidence: r.confidence, p_oos: r.out_of_scope }));
    if (loaded === null) return out;
    const tag = modelTag(production!.id);
    const stale = out.filter((r) => r.model_version !== tag || r.predicted_intent === null);
    for (let i = 0; i < stale.length; i += 2000) {
      const batch = stale.slice(i, i + 2000);
      predictIntents(loaded, batch.map((r) => r.text)).forEach((p, j) => Object.assign(batch[j], { p_intent: p.intent, p_confidence: p.confidence, p_oos: p.out_of_scope }));
    }
    return out;
  };
  // Each window read a batch at a time: only the requests no known need explains are kept.
  // Postgres leaves out those the logs already explain; node judges the rest.
  const filter = { outOfScope: OUT_OF_SCOPE, lowConfidence: LOW_CONFIDENCE, judgedBy: loaded === null ? null : modelTag(production!.id) };
  const unexplainedOf = async (window: TimeWindow) => {
    const kept: ReturnType<typeof judge> = [];
    const { sampled } = await eachWindowRequestBatch(db, { window, segmentRunId, limit: MAX_REQUESTS, unexplained: filter }, (rows) => {
      for (const r of judge(rows)) if (unexplained(r)) kept.push(r);
    });
    return { seen: sampled, kept };
  };
  const [{ seen: nowSeen, kept: poolNow }, { seen: beforeSeen, kept: poolBefore }] = [await unexplainedOf(current), await unexplainedOf(previous)];

  const known = await knownNeedRequests(db, { from: previous.from, to: current.to }, KNOWN_PER_NEED);
  const [poolTexts, beforeTexts] = [poolNow.map((r) => r.text), poolBefore.map((r) => r.text)];
  // With a configured encoder the requests are clustered in its space, else in the hashed one.
  const encoder = deps.encoder ?? null;
  let space: VectorSpace | undefined;
  if (encoder !== null) {
    // One call, so a text in both windows (or among the known requests) is embedded once.
    const x = await encoder.embed([...poolTexts, ...known.map((k) => k.text), ...beforeTexts]);
    const part = (from: number, n: number) => x.subarray(from * encoder.dim, (from + n) * encoder.dim);
    space = { dim: encoder.dim, pool: part(0, poolTexts.length), known: part(poolTexts.length, known.length), previous: part(poolTexts.length + known.length, beforeTexts.length) };
  }
  const found0 = discoverCandidates(poolTexts, known, beforeTexts, undefined, space);
  const clusters = found0.clusters;
  // An earlier candidate is the same need when its centroid is as close as the night's own
  // clusters would have to be to merge (in a learnt space, where distinct needs sit closer).
  const sameSimilarity = Math.max(SAME_CANDIDATE_SIMILARITY, found0.thresholds.mergeSimilarity);

  const earlier = await allCandidates(db);
  const found: DiscoveredCandidate[] = [];
  for (const cluster of clusters) {
    const members = cluster.members.map((m) => poolNow[m]);
    const users = new Set(members.map((m) => m.user_id)).size;
    if (users < deps.minGroup) continue; // too few people to report on, or to quote
    const previousSize = cluster.previous;
    const expected = nowSeen / Math.max(nowSeen + beforeSeen, 1);
    const growthP = binomialGreaterP(members.length, members.length + previousSize, expected);
    const growth = previousSize === 0 ? null : members.length / previousSize - 1;
    const failed = members.filter((m) => m.outcome !== 'success').length / members.length;
    const rated = members.filter((m) => m.rating !== null);
    const meanRating = rated.length === 0 ? null : rated.reduce((a, m) => a + m.rating!, 0) / rated.length;
    // Served badly: failed or abandoned, or rated low (a 1 counts fully, a 5 not at all).
    const badly = Math.max(failed, meanRating === null ? 0 : (5 - meanRating) / 4);
    const opportunity = members.length * (1 + Math.min(Math.max(growth ?? 1, 0), 5)) * (0.5 + badly);
    const order = cluster.members.map((m, k) => [k, cluster.similarity[k]] as const).sort((a, b) => b[1] - a[1]);
    const examples: string[] = [];
    for (const [k] of order) {
      const t = members[k].text;
      if (!examples.includes(t)) examples.push(t);
      if (examples.length === EXAMPLES) break;
    }
    // A label that reads as a need: the phrase most of its requests share, else the shortest
    // of its most central requests, else its distinctive words.
    const central = [...examples].sort((a, b) => a.length - b.length)[0];
    const label = cluster.phrase ?? (central !== undefined && central.length <= LABEL_CHARS ? central : cluster.label.length === 0 ? examples[0].slice(0, LABEL_CHARS) : cluster.label.join(' · '));
    const match = earlier.map((c) => [c, cosine(Float32Array.from(c.centroid), cluster.centroid)] as const).filter(([, s]) => s >= sameSimilarity).sort((a, b) => b[1] - a[1])[0];
    const detail = {
      examples, by_plan: shares(members.map((m) => m.plan)), by_segment: shares(members.map((m) => m.segment)),
      experience: { failure_rate: members.filter((m) => m.outcome === 'failure').length / members.length, abandon_rate: members.filter((m) => m.outcome === 'abandoned').length / members.length, mean_rating: meanRating },
    };
    const id = await recordSighting(db, match?.[0].id ?? null, [...cluster.centroid], {
      pipeline_run_id: input.pipelineRunId ?? null, window_from: current.from, window_to: current.to, label, size: members.length, users, previous_size: previousSize,
      growth, growth_p: growthP, cohesion: cluster.cohesion, opportunity, detail, event_ids: members.map((m) => m.event_id),
    });
    found.push({ id, label, size: members.length, users, previous_size: previousSize, growth, growth_p: growthP, new: match === undefined, opportunity, examples });
  }
  return { window: { from: current.from.toISOString(), to: current.to.toISOString() }, representation: encoder === null ? HASHED_SPACE : encoder.id, looked_at: poolNow.length, like_known: found0.likeKnown, candidates: found.sort((a, b) => b.opportunity - a.opportunity) };
}
