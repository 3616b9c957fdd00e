// Pipeline runs as both runners record them: the step, the candidate awaiting approval
// with its deadline and decision, the results; the local runner's journal of finished
// steps (what lets `needloop approve` resume a run); reports; approvers. Frozen in time.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('pipeline_runs')
    .addColumn('runner', 'text', (c) => c.notNull().defaultTo('local').check(sql`runner in ('local','temporal')`))
    .addColumn('run_key', 'text', (c) => c.unique())
    .addColumn('step', 'text')
    .addColumn('candidate_id', 'bigint', (c) => c.references('model_versions.id'))
    .addColumn('approval_deadline', 'timestamptz')
    .addColumn('decision', 'jsonb')
    .addColumn('results', 'jsonb')
    .addColumn('error', 'text')
    .execute();
  await sql`alter table pipeline_runs add constraint pipeline_runs_status check (status in ('running','awaiting_approval','completed','failed'))`.execute(db);

  await db.schema
    .createTable('pipeline_steps')
    .addColumn('pipeline_run_id', 'bigint', (c) => c.notNull().references('pipeline_runs.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('output', 'jsonb', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('pipeline_steps_pk', ['pipeline_run_id', 'seq'])
    .execute();

  await db.schema
    .createTable('reports')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('pipeline_run_id', 'bigint', (c) => c.references('pipeline_runs.id').onDelete('set null'))
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('bytes', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('approvers')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('token_sha256', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['approvers', 'reports', 'pipeline_steps']) await db.schema.dropTable(table).ifExists().execute();
  await sql`alter table pipeline_runs drop constraint if exists pipeline_runs_status`.execute(db);
  for (const column of ['runner', 'run_key', 'step', 'candidate_id', 'approval_deadline', 'decision', 'results', 'error']) {
    await db.schema.alterTable('pipeline_runs').dropColumn(column).execute();
  }
}
