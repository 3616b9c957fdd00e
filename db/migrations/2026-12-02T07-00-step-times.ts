// How long each step of a pipeline run took (issue 18), written by both runners through
// the recordRun activity at each step's start: a step ends when the next one starts or the
// run finishes. (pipeline_steps is the local runner's journal of activity results.) Frozen in time.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pipeline_step_times')
    .addColumn('pipeline_run_id', 'bigint', (c) => c.notNull().references('pipeline_runs.id').onDelete('cascade'))
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .addColumn('finished_at', 'timestamptz')
    .addPrimaryKeyConstraint('pipeline_step_times_pk', ['pipeline_run_id', 'started_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('pipeline_step_times').ifExists().execute();
}
