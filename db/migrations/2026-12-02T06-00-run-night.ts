// The night a Temporal run is for (issue 17): one run per night, whatever its workflow id
// (a Schedule's ids carry a timestamp). Blank for local runs and runs from before. Frozen in time.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('pipeline_runs').addColumn('night', 'date').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('pipeline_runs').dropColumn('night').execute();
}
