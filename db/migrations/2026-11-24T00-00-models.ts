// The model registry: versions with their lineage, data window, artifact and status;
// evaluations with the gate's verdict; every promotion decision; the frozen golden set.
// Frozen in time.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('model_versions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('parent_id', 'bigint', (c) => c.references('model_versions.id'))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('candidate','awaiting_approval','production','rejected','archived')`))
    .addColumn('data_from', 'timestamptz', (c) => c.notNull())
    .addColumn('data_to', 'timestamptz', (c) => c.notNull())
    .addColumn('holdout_from', 'timestamptz', (c) => c.notNull())
    .addColumn('holdout_to', 'timestamptz', (c) => c.notNull())
    .addColumn('labels', 'jsonb', (c) => c.notNull())
    .addColumn('hyperparameters', 'jsonb', (c) => c.notNull())
    .addColumn('backend', 'text', (c) => c.notNull())
    .addColumn('device', 'text', (c) => c.notNull())
    .addColumn('artifact_sha256', 'text', (c) => c.notNull())
    .addColumn('artifact_path', 'text', (c) => c.notNull())
    .addColumn('training', 'jsonb', (c) => c.notNull())
    .addColumn('metrics', 'jsonb')
    .addColumn('status_reason', 'text')
    .addColumn('approved_by', 'text')
    .addColumn('approved_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // At most one production version, enforced by Postgres rather than by care.
  await sql`create unique index model_versions_one_production on model_versions ((true)) where status = 'production'`.execute(db);

  await db.schema
    .createTable('evaluations')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('candidate_id', 'bigint', (c) => c.notNull().references('model_versions.id'))
    .addColumn('production_id', 'bigint', (c) => c.references('model_versions.id'))
    .addColumn('blessed', 'boolean', (c) => c.notNull())
    .addColumn('reasons', 'jsonb', (c) => c.notNull())
    .addColumn('gate', 'jsonb', (c) => c.notNull())
    .addColumn('report', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('promotions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('model_id', 'bigint', (c) => c.notNull().references('model_versions.id'))
    .addColumn('action', 'text', (c) => c.notNull().check(sql`action in ('promote','reject','rollback')`))
    .addColumn('previous_production_id', 'bigint', (c) => c.references('model_versions.id'))
    .addColumn('decided_by', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('decided_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('golden_examples')
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('intent', 'text', (c) => c.notNull())
    .addColumn('frozen_by_model_id', 'bigint', (c) => c.notNull().references('model_versions.id'))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['golden_examples', 'promotions', 'evaluations', 'model_versions']) await db.schema.dropTable(table).ifExists().execute();
}
