// Ingest tables: users, surveys, usage events, and the batches and rejected rows that
// account for every line of every file. Frozen in time: never import application code.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('needs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('label_en', 'text', (c) => c.notNull())
    .addColumn('label_zh', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull().check(sql`category in ('functional','emotional','sustainability','price')`))
    .execute();

  await db.schema
    .createTable('ingest_batches')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('checksum', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('users','surveys','usage')`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('complete','empty')`))
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('rows_total', 'integer', (c) => c.notNull())
    .addColumn('accepted', 'integer', (c) => c.notNull())
    .addColumn('rejected', 'integer', (c) => c.notNull())
    .addColumn('duplicates', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('rejected_rows')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('batch_id', 'bigint', (c) => c.notNull().references('ingest_batches.id').onDelete('cascade'))
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    // The exact bytes of the record: it may be invalid UTF-8, which a text column refuses.
    .addColumn('raw', 'bytea', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rejected_rows_batch_line').on('rejected_rows').columns(['batch_id', 'line']).execute();

  await db.schema
    .createTable('users')
    .addColumn('user_id', 'text', (c) => c.primaryKey())
    .addColumn('signup_at', 'timestamptz', (c) => c.notNull())
    .addColumn('plan', 'text', (c) => c.notNull().check(sql`plan in ('free','pro','enterprise')`))
    .addColumn('country', 'text')
    .addColumn('industry', 'text')
    .addColumn('batch_id', 'bigint', (c) => c.notNull().references('ingest_batches.id'))
    .execute();

  await db.schema
    .createTable('survey_responses')
    .addColumn('response_id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('submitted_at', 'timestamptz', (c) => c.notNull())
    .addColumn('nps', 'smallint', (c) => c.check(sql`nps between 0 and 10`))
    .addColumn('csat', 'smallint', (c) => c.check(sql`csat between 1 and 5`))
    .addColumn('comment', 'text')
    .addColumn('batch_id', 'bigint', (c) => c.notNull().references('ingest_batches.id'))
    .execute();
  await db.schema.createIndex('survey_responses_submitted_at').on('survey_responses').column('submitted_at').execute();

  await db.schema
    .createTable('survey_answers')
    .addColumn('response_id', 'text', (c) => c.notNull().references('survey_responses.response_id').onDelete('cascade'))
    .addColumn('need_id', 'text', (c) => c.notNull())
    .addColumn('importance', 'smallint', (c) => c.check(sql`importance between 1 and 5`))
    .addColumn('satisfaction', 'smallint', (c) => c.check(sql`satisfaction between 1 and 5`))
    .addColumn('kano_functional', 'smallint', (c) => c.check(sql`kano_functional between 1 and 5`))
    .addColumn('kano_dysfunctional', 'smallint', (c) => c.check(sql`kano_dysfunctional between 1 and 5`))
    .addPrimaryKeyConstraint('survey_answers_pk', ['response_id', 'need_id'])
    .execute();

  await db.schema
    .createTable('usage_events')
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('ts', 'timestamptz', (c) => c.notNull())
    .addColumn('session_id', 'text')
    .addColumn('feature', 'text', (c) => c.notNull())
    .addColumn('request_text', 'text')
    .addColumn('predicted_intent', 'text')
    .addColumn('confidence', 'real', (c) => c.check(sql`confidence between 0 and 1`))
    .addColumn('model_version', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('success','failure','abandoned')`))
    .addColumn('latency_ms', 'real', (c) => c.check(sql`latency_ms >= 0`))
    .addColumn('rating', 'smallint', (c) => c.check(sql`rating between 1 and 5`))
    .addColumn('feedback', 'text', (c) => c.check(sql`feedback in ('confirmed','corrected')`))
    .addColumn('corrected_intent', 'text')
    .addColumn('batch_id', 'bigint', (c) => c.notNull())
    .addCheckConstraint('usage_events_corrected_has_intent', sql`feedback is distinct from 'corrected' or corrected_intent is not null`)
    .execute();
  // Events arrive roughly in time order: a BRIN index serves time windows at almost no
  // cost to bulk loads, where a B-tree would slow every COPY.
  await sql`create index usage_events_ts on usage_events using brin (ts)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['usage_events', 'survey_answers', 'survey_responses', 'users', 'rejected_rows', 'ingest_batches', 'needs']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
