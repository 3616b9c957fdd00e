// A run whose inbox files failed to load ends `completed_with_errors`, not `completed`.
// A rejected record keeps at most the first RAW_KEPT_BYTES of its raw text (issue 15: a
// 10 MB record was stored whole), with its full size and the sha256 of its original bytes
// to find it in the file. Blank for rows rejected before. Frozen in time.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('rejected_rows').addColumn('raw_bytes', 'integer').addColumn('raw_sha256', 'text').execute();
  await sql`alter table pipeline_runs drop constraint pipeline_runs_status`.execute(db);
  await sql`alter table pipeline_runs add constraint pipeline_runs_status check (status in ('running','awaiting_approval','completed','completed_with_errors','failed'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`update pipeline_runs set status = 'completed' where status = 'completed_with_errors'`.execute(db);
  await sql`alter table pipeline_runs drop constraint pipeline_runs_status`.execute(db);
  await sql`alter table pipeline_runs add constraint pipeline_runs_status check (status in ('running','awaiting_approval','completed','failed'))`.execute(db);
  await db.schema.alterTable('rejected_rows').dropColumn('raw_sha256').dropColumn('raw_bytes').execute();
}
