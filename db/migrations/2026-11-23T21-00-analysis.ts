// Analysis results: pipeline runs, segmentations (with each user's segment) and need
// scores, stored per run for the report and for drift per segment. Frozen in time.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pipeline_runs')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('window_from', 'timestamptz')
    .addColumn('window_to', 'timestamptz')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('segment_runs')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('pipeline_run_id', 'bigint', (c) => c.references('pipeline_runs.id').onDelete('cascade'))
    .addColumn('window_from', 'timestamptz', (c) => c.notNull())
    .addColumn('window_to', 'timestamptz', (c) => c.notNull())
    .addColumn('k', 'integer', (c) => c.notNull())
    .addColumn('k_requested', 'text', (c) => c.notNull())
    .addColumn('seed', 'text', (c) => c.notNull())
    .addColumn('silhouette', 'double precision')
    .addColumn('features', 'jsonb', (c) => c.notNull())
    .addColumn('tried', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('segments')
    .addColumn('segment_run_id', 'bigint', (c) => c.notNull().references('segment_runs.id').onDelete('cascade'))
    .addColumn('segment_id', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('centroid', 'jsonb', (c) => c.notNull())
    .addColumn('distinctive', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('segments_pk', ['segment_run_id', 'segment_id'])
    .execute();

  await db.schema
    .createTable('user_segments')
    .addColumn('segment_run_id', 'bigint', (c) => c.notNull().references('segment_runs.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('segment_id', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_segments_pk', ['segment_run_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('need_analyses')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('pipeline_run_id', 'bigint', (c) => c.references('pipeline_runs.id').onDelete('cascade'))
    .addColumn('segment_run_id', 'bigint', (c) => c.references('segment_runs.id').onDelete('set null'))
    .addColumn('window_from', 'timestamptz', (c) => c.notNull())
    .addColumn('window_to', 'timestamptz', (c) => c.notNull())
    // The whole result as the CLI prints it (needs, nps, csat, trends, comments), for the report.
    .addColumn('result', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('need_scores')
    .addColumn('need_analysis_id', 'bigint', (c) => c.notNull().references('need_analyses.id').onDelete('cascade'))
    .addColumn('need_id', 'text', (c) => c.notNull())
    // -1 for all respondents; otherwise the segment of the analysis's segment run.
    .addColumn('segment_id', 'integer', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('importance', 'double precision')
    .addColumn('satisfaction', 'double precision')
    .addColumn('opportunity', 'double precision')
    .addColumn('kano_category', 'text')
    .addColumn('kano', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('need_scores_pk', ['need_analysis_id', 'need_id', 'segment_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['need_scores', 'need_analyses', 'user_segments', 'segments', 'segment_runs', 'pipeline_runs']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
