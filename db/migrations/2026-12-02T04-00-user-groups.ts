// Optional attributes of users for fairness across groups (issue 15): an age band and a
// gender, as the users file gives them (plan and country were there already). Frozen in time.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('age_band', 'text').addColumn('gender', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('gender').dropColumn('age_band').execute();
}
