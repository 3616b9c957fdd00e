// The nights of `needloop simulate`: what the simulated users experienced each day and
// what the loop decided, for the timeline and the report. Frozen in time.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('simulation_nights')
    .addColumn('night', 'integer', (c) => c.primaryKey())
    .addColumn('date', 'text', (c) => c.notNull())
    .addColumn('scenario', 'text', (c) => c.notNull())
    .addColumn('pipeline_run_id', 'bigint', (c) => c.references('pipeline_runs.id').onDelete('set null'))
    .addColumn('production_model', 'text')
    .addColumn('requests', 'integer', (c) => c.notNull())
    .addColumn('accuracy', 'double precision')
    .addColumn('changed_need', 'text')
    .addColumn('changed_need_recall', 'double precision')
    .addColumn('retrain', 'boolean', (c) => c.notNull())
    .addColumn('reasons', 'jsonb', (c) => c.notNull())
    .addColumn('candidate', 'text')
    .addColumn('promoted', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}
