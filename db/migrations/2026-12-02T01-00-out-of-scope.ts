// Whether the serving model found a request to be none of its needs (issue 14): logged
// with each prediction, blank in logs written before models could say so. Frozen in time.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('usage_events').addColumn('out_of_scope', 'boolean').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('usage_events').dropColumn('out_of_scope').execute();
}
