// Drift checks: one row per check (windows, decision, the whole result for the report)
// and one per column and segment, which the persistence rule reads back. Frozen in time.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('drift_runs')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('pipeline_run_id', 'bigint', (c) => c.references('pipeline_runs.id').onDelete('cascade'))
    .addColumn('segment_run_id', 'bigint', (c) => c.references('segment_runs.id').onDelete('set null'))
    .addColumn('reference_from', 'timestamptz', (c) => c.notNull())
    .addColumn('reference_to', 'timestamptz', (c) => c.notNull())
    .addColumn('current_from', 'timestamptz', (c) => c.notNull())
    .addColumn('current_to', 'timestamptz', (c) => c.notNull())
    .addColumn('dataset_drift', 'boolean', (c) => c.notNull())
    .addColumn('drift_share', 'double precision', (c) => c.notNull())
    .addColumn('retrain', 'boolean', (c) => c.notNull())
    .addColumn('result', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('drift_results')
    .addColumn('drift_run_id', 'bigint', (c) => c.notNull().references('drift_runs.id').onDelete('cascade'))
    // -1 for all users; otherwise the segment of the run's segmentation.
    .addColumn('segment_id', 'integer', (c) => c.notNull())
    .addColumn('column_name', 'text', (c) => c.notNull())
    .addColumn('drifted', 'boolean')
    .addColumn('method', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('statistics', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('drift_results_pk', ['drift_run_id', 'segment_id', 'column_name'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('drift_results').ifExists().execute();
  await db.schema.dropTable('drift_runs').ifExists().execute();
}
