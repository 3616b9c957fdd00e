/**
 * Candidate needs (issue 16): the requests discovery looks at, the candidates with their
 * sightings night by night, and what a product manager adopted or dismissed.
 */
import { sql, type Kysely } from 'kysely';
import type { Selectable } from 'kysely';
import type { Database, NeedCandidateSightingsTable } from '../schema.js';
import { OUT_OF_SCOPE } from '../need-catalogue.js';
import { eachCursorBatch } from './cursor.js';
import type { TimeWindow } from './time-window.js';

export interface WindowRequest {
  event_id: string;
  user_id: string;
  text: string;
  predicted_intent: string | null;
  confidence: number | null;
  out_of_scope: boolean | null;
  model_version: string | null;
  outcome: string;
  rating: number | null;
  feedback: string | null;
  corrected_intent: string | null;
  plan: string | null;
  segment: string | null;
}

/**
 * Which requests may be ones no known need explains, told by what is logged: the rest are
 * left in Postgres. Feedback that names a need explains a request; a correction to
 * `outOfScope`, a logged out-of-scope prediction, a logged confidence below
 * `lowConfidence` or an abandoned request may leave it unexplained. Requests served by
 * another version than `judgedBy`, or without a prediction, are all kept for the caller to
 * judge afresh (with `judgedBy` null, every logged prediction is trusted).
 */
export interface UnexplainedFilter {
  outOfScope: string;
  lowConfidence: number;
  judgedBy: string | null;
}

export interface WindowRequestsQuery {
  window: TimeWindow;
  segmentRunId: string | null;
  /** At most this many requests: a deterministic sample, by a hash of their id. */
  limit: number;
  /** Hand over only the sample's requests this filter keeps. */
  unexplained?: UnexplainedFilter;
  batch?: number;
}

/**
 * The window's requests with text (at most `limit`, a deterministic sample, in its order),
 * with who asked, handed over BATCH at a time through a cursor, so that a caller keeping
 * only some of them never holds the whole window (a week of 2M-event traffic is 230,000
 * requests). Returns how many requests the sample held, filtered out or not.
 */
export async function eachWindowRequestBatch(db: Kysely<Database>, q: WindowRequestsQuery, onBatch: (rows: WindowRequest[]) => void): Promise<{ sampled: number }> {
  const batch = q.batch ?? 10_000;
  return db.transaction().execute(async (trx) => {
    const handed = await eachCursorBatch(trx, 'needloop_window_requests', windowRequestsQuery(q), batch, onBatch);
    if (q.unexplained === undefined) return { sampled: handed };
    const { rows } = await sql<{ n: string }>`select count(*) as n from (select 1 ${windowRequests(q.window)} limit ${q.limit}) sample`.execute(trx);
    return { sampled: Number(rows[0].n) };
  });
}

function windowRequests(window: TimeWindow) {
  return sql`from usage_events e
     where e.ts >= ${window.from} and e.ts < ${window.to} and e.request_text is not null
       and not exists (select 1 from adopted_examples a where a.event_id = e.event_id)`;
}

function mayBeUnexplained(f: UnexplainedFilter) {
  const stale = f.judgedBy === null ? sql`false` : sql`(e.model_version is distinct from ${f.judgedBy} or e.predicted_intent is null)`;
  return sql`not coalesce(e.feedback = 'confirmed' or (e.feedback = 'corrected' and e.corrected_intent <> ${f.outOfScope}), false)
       and (${stale} or coalesce(e.corrected_intent = ${f.outOfScope}, false) or coalesce(e.out_of_scope, false)
            or coalesce(e.predicted_intent = ${f.outOfScope}, false) or coalesce(e.confidence < ${f.lowConfidence}, false) or e.outcome = 'abandoned')`;
}

function windowRequestsQuery(q: WindowRequestsQuery) {
  // The sample is drawn from the window's own rows; the filter and the users' plans and segments apply to it.
  return sql<WindowRequest>`
    select e.event_id, e.user_id, e.request_text as text, e.predicted_intent, e.confidence, e.out_of_scope, e.model_version,
           e.outcome, e.rating, e.feedback, e.corrected_intent, u.plan, s.name as segment
      from (select e.event_id, e.user_id, e.request_text, e.predicted_intent, e.confidence, e.out_of_scope, e.model_version,
                   e.outcome, e.rating, e.feedback, e.corrected_intent
              ${windowRequests(q.window)}
             order by md5(e.event_id) limit ${q.limit}) e
      left join users u on u.user_id = e.user_id
      left join user_segments us on us.user_id = e.user_id and us.segment_run_id = ${q.segmentRunId}
      left join segments s on s.segment_run_id = us.segment_run_id and s.segment_id = us.segment_id
     ${q.unexplained === undefined ? sql`` : sql`where ${mayBeUnexplained(q.unexplained)}`}
     order by md5(e.event_id)`;
}

/** Labelled requests of known needs (confirmed, or corrected to a need), up to `perNeed` each. */
export async function knownNeedRequests(db: Kysely<Database>, window: TimeWindow, perNeed: number): Promise<{ intent: string; text: string }[]> {
  const { rows } = await sql<{ intent: string; text: string }>`
    select intent, text from (
      select coalesce(a.intent, case e.feedback when 'confirmed' then e.predicted_intent else e.corrected_intent end) as intent, e.request_text as text,
             row_number() over (partition by coalesce(a.intent, case e.feedback when 'confirmed' then e.predicted_intent else e.corrected_intent end) order by md5(e.event_id)) as rank
        from usage_events e
        left join adopted_examples a on a.event_id = e.event_id
       where e.ts >= ${window.from} and e.ts < ${window.to} and e.request_text is not null
         and (a.intent is not null or e.feedback is not null)) labelled
     where intent is not null and intent <> ${OUT_OF_SCOPE} and rank <= ${perNeed}`.execute(db);
  return rows;
}

export interface CandidateRow {
  id: string;
  label: string;
  centroid: number[];
  status: 'open' | 'dismissed' | 'adopted';
  adopted_as: string | null;
  first_seen: Date;
  last_seen: Date;
}

export async function allCandidates(db: Kysely<Database>): Promise<CandidateRow[]> {
  return db.selectFrom('need_candidates').selectAll().orderBy('id').execute() as Promise<CandidateRow[]>;
}

/** A night's sighting of a candidate, as stored. */
export type Sighting = Omit<Selectable<NeedCandidateSightingsTable>, 'id' | 'created_at'>;

/** Records a night's cluster: a new candidate, or a sighting of `matched`. Returns the candidate id. */
export async function recordSighting(db: Kysely<Database>, matched: string | null, centroid: readonly number[], sighting: Omit<Sighting, 'candidate_id'>): Promise<string> {
  return db.transaction().execute(async (trx) => {
    let id = matched;
    if (id === null) {
      id = (await trx.insertInto('need_candidates').values({ label: sighting.label, centroid: [...centroid], first_seen: sighting.window_to, last_seen: sighting.window_to }).returning('id').executeTakeFirstOrThrow()).id;
    } else {
      await trx.updateTable('need_candidates').set({ label: sighting.label, centroid: [...centroid], last_seen: sighting.window_to }).where('id', '=', id).execute();
    }
    await trx.insertInto('need_candidate_sightings').values({ ...sighting, candidate_id: id, detail: JSON.stringify(sighting.detail) }).execute();
    return id;
  });
}

/** Each candidate with its newest sighting and the number of nights it was seen. */
export async function candidatesWithLatest(db: Kysely<Database>, statuses: readonly CandidateRow['status'][]): Promise<(CandidateRow & { latest: Sighting; nights: number })[]> {
  if (statuses.length === 0) return [];
  const rows = await db.selectFrom('need_candidates as c')
    .innerJoinLateral(
      (eb) => eb.selectFrom('need_candidate_sightings as s').selectAll('s').whereRef('s.candidate_id', '=', 'c.id').orderBy('s.id', 'desc').limit(1).as('l'),
      (join) => join.onTrue(),
    )
    .select((eb) => [
      'c.id', 'c.label', 'c.centroid', 'c.status', 'c.adopted_as', 'c.first_seen', 'c.last_seen',
      'l.pipeline_run_id', 'l.window_from', 'l.window_to', 'l.label as latest_label', 'l.size', 'l.users', 'l.previous_size', 'l.growth', 'l.growth_p', 'l.cohesion', 'l.opportunity', 'l.detail', 'l.event_ids',
      eb.selectFrom('need_candidate_sightings as n').select((e) => e.fn.countAll<string>().as('n')).whereRef('n.candidate_id', '=', 'c.id').as('nights'),
    ])
    .where('c.status', 'in', [...statuses]).orderBy('l.opportunity', 'desc').execute();
  return rows.map((r) => ({
    id: r.id, label: r.label, centroid: r.centroid, status: r.status, adopted_as: r.adopted_as, first_seen: r.first_seen, last_seen: r.last_seen, nights: Number(r.nights),
    latest: {
      candidate_id: r.id, pipeline_run_id: r.pipeline_run_id, window_from: r.window_from, window_to: r.window_to, label: r.latest_label, size: r.size, users: r.users, previous_size: r.previous_size,
      growth: r.growth, growth_p: r.growth_p, cohesion: r.cohesion, opportunity: r.opportunity, detail: r.detail, event_ids: r.event_ids,
    },
  }));
}

export async function setCandidateStatus(db: Kysely<Database>, id: string, status: 'dismissed' | 'open'): Promise<boolean> {
  return Number((await db.updateTable('need_candidates').set({ status }).where('id', '=', id).where('status', '<>', 'adopted').executeTakeFirst()).numUpdatedRows) > 0;
}

export interface AdoptedNeed {
  id: string;
  label: { en: string; zh: string };
  category: string;
}

export async function adoptedNeeds(db: Kysely<Database>): Promise<AdoptedNeed[]> {
  const rows = await db.selectFrom('adopted_needs').selectAll().orderBy('adopted_at').execute();
  return rows.map((r) => ({ id: r.id, label: { en: r.label_en, zh: r.label_zh }, category: r.category }));
}

/** Adopts candidate ID as need NEED: adds it, labels the given requests with it, marks the candidate adopted. */
export async function adoptCandidate(db: Kysely<Database>, a: { candidateId: string; need: AdoptedNeed; by: string | null; eventIds: readonly string[] }): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await trx.insertInto('adopted_needs').values({ id: a.need.id, label_en: a.need.label.en, label_zh: a.need.label.zh, category: a.need.category, candidate_id: a.candidateId, adopted_by: a.by }).execute();
    let labelled = 0;
    for (let i = 0; i < a.eventIds.length; i += 1000) {
      const chunk = a.eventIds.slice(i, i + 1000);
      const r = await trx.insertInto('adopted_examples').values(chunk.map((event_id) => ({ event_id, intent: a.need.id, candidate_id: a.candidateId })))
        .onConflict((oc) => oc.column('event_id').doNothing()).executeTakeFirst();
      labelled += Number(r.numInsertedOrUpdatedRows ?? 0);
    }
    await trx.updateTable('need_candidates').set({ status: 'adopted', adopted_as: a.need.id }).where('id', '=', a.candidateId).execute();
    return labelled;
  });
}
