// usage_events' primary key leads with the time: (ts, event_id) instead of (event_id, ts)
// (issue 18). The same two columns, so the same rows are duplicates. Events arrive in
// roughly time order, so a load now appends to the right edge of each month's B-tree
// instead of writing to random pages all over an index keyed by random UUIDs: a plain
// COPY of 2,000,000 events took 15.7–16.0 s with the old key, 9.7–10.7 s with this one
// (bench/RESULTS.md), and the gap widens as the index outgrows memory. A lookup by
// event_id alone no longer uses the key: the queries that have one know its window too.
// Frozen in time.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table usage_events drop constraint usage_events_pkey`.execute(db);
  await sql`alter table usage_events add constraint usage_events_pkey primary key (ts, event_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table usage_events drop constraint usage_events_pkey`.execute(db);
  await sql`alter table usage_events add constraint usage_events_pkey primary key (event_id, ts)`.execute(db);
}
