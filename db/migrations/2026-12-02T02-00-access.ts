// Access and its record (issue 15): an audit row says where a decision came from (the
// CLI's user, a web address and session); approvers may be viewers, who can sign in to
// read reports and call /api/predict but not decide; tokens are dated; and the audit log
// is append-only — no role, the application's included, may change or remove its rows.
// Frozen in time.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('audit_log').addColumn('source', 'text').execute();
  await db.schema.alterTable('approvers')
    .addColumn('role', 'text', (c) => c.notNull().defaultTo('approver').check(sql`role in ('approver','viewer')`))
    .addColumn('token_issued_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create function needloop_audit_log_is_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_log is append-only: its rows cannot be changed or removed' using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`create trigger audit_log_append_only before update or delete on audit_log for each row execute function needloop_audit_log_is_append_only()`.execute(db);
  await sql`create trigger audit_log_no_truncate before truncate on audit_log for each statement execute function needloop_audit_log_is_append_only()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists audit_log_no_truncate on audit_log`.execute(db);
  await sql`drop trigger if exists audit_log_append_only on audit_log`.execute(db);
  await sql`drop function if exists needloop_audit_log_is_append_only()`.execute(db);
  await db.schema.alterTable('approvers').dropColumn('token_issued_at').dropColumn('role').execute();
  await db.schema.alterTable('audit_log').dropColumn('source').execute();
}
