/**
 * Requests of a window that the production model never trained on — the holdout
 * partition, and everything newer than its training data — read for it to re-score:
 * monitoring judges the model that serves on what it did not learn from.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { inHoldout } from './labelled-examples.js';
import type { TimeWindow } from './time-window.js';

export interface UnseenRequest {
  text: string;
  /** The right need from feedback (confirmed or corrected); null without feedback. */
  label: string | null;
  /** The model version that served it, as logged. */
  model_version: string | null;
}

/**
 * Up to `limit` requests of the window with a text, chosen by a hash of their id (the
 * same window gives the same sample), that a model trained on data before `trainedUntil`
 * never saw; only labelled ones with `labelled`.
 */
export async function unseenRequests(db: Kysely<Database>, q: { window: TimeWindow; trainedUntil: Date; labelled: boolean; limit: number }): Promise<UnseenRequest[]> {
  const label = sql`case e.feedback when 'confirmed' then e.predicted_intent when 'corrected' then e.corrected_intent end`;
  const { rows } = await sql<UnseenRequest>`
    select e.request_text as text, ${label} as label, e.model_version
      from usage_events e
     where e.ts >= ${q.window.from} and e.ts < ${q.window.to} and e.request_text is not null
       and (${inHoldout()} or e.ts >= ${q.trainedUntil})
       ${q.labelled ? sql`and ${label} is not null` : sql``}
     order by md5(e.event_id) limit ${q.limit}`.execute(db);
  return rows;
}
