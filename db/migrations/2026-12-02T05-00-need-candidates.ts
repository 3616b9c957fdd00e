// Needs nobody has named yet (issue 16): candidate needs found each night by clustering
// the requests no known need answers well, their sightings night by night, and what a
// product manager adopted — needs added to the catalogue and the requests labelled with
// them. Frozen in time.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('need_candidates')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('centroid', sql`real[]`, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status in ('open','dismissed','adopted')`))
    .addColumn('adopted_as', 'text')
    .addColumn('first_seen', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('need_candidate_sightings')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('candidate_id', 'bigint', (c) => c.notNull().references('need_candidates.id').onDelete('cascade'))
    .addColumn('pipeline_run_id', 'bigint')
    .addColumn('window_from', 'timestamptz', (c) => c.notNull())
    .addColumn('window_to', 'timestamptz', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('users', 'integer', (c) => c.notNull())
    .addColumn('previous_size', 'integer', (c) => c.notNull())
    .addColumn('growth', 'double precision')
    .addColumn('growth_p', 'double precision')
    .addColumn('cohesion', 'double precision', (c) => c.notNull())
    .addColumn('opportunity', 'double precision', (c) => c.notNull())
    .addColumn('detail', 'jsonb', (c) => c.notNull())
    .addColumn('event_ids', sql`text[]`, (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('need_candidate_sightings_candidate').on('need_candidate_sightings').columns(['candidate_id', 'id']).execute();
  await db.schema
    .createTable('adopted_needs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('label_en', 'text', (c) => c.notNull())
    .addColumn('label_zh', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull().check(sql`category in ('functional','emotional','sustainability','price')`))
    .addColumn('candidate_id', 'bigint', (c) => c.references('need_candidates.id'))
    .addColumn('adopted_by', 'text')
    .addColumn('adopted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('adopted_examples')
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('intent', 'text', (c) => c.notNull())
    .addColumn('candidate_id', 'bigint', (c) => c.references('need_candidates.id'))
    .addColumn('adopted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['adopted_examples', 'adopted_needs', 'need_candidate_sightings', 'need_candidates']) await db.schema.dropTable(table).ifExists().execute();
}
