// Decisions proven in the database (issue 33, findings 7–9). A role that does not own
// needloop's tables — the embedded default's needloop_app, or whatever role an operator
// gives the serve and worker processes — can no longer:
// - record a decision on a run, promote, roll back, or write who approved a model, unless
//   an approver's token was checked in the same transaction (needloop_authorize), or, for
//   the step that acts on a decision, that decision is on record (needloop_authorize_decided);
// - add, change or remove approvers and viewers, or read their token hashes;
// - write an accepted decision into the audit log by hand, choose an audit row's time, or
//   move the audit log's sequence (grants in db/connection.ts).
// The audit log's time and database user are set by the database. The owner (the
// migrations' role) is not restricted: on a single-role DATABASE_URL these guarantees need
// a second role (README, "Security"). Frozen in time.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_log add column db_user text`.execute(db);
  await sql`create table decision_grants (txid xid8 not null, actor text not null, action text not null, at timestamptz not null default clock_timestamp())`.execute(db);
  await sql`create index decision_grants_txid on decision_grants (txid)`.execute(db);

  // Whether the role running the statement owns needloop's tables (a SECURITY DEFINER
  // function runs as its owner, and so passes).
  await sql`create function needloop_privileged() returns boolean language sql stable set search_path = public, pg_temp as $$
    select pg_has_role(current_user, (select relowner from pg_class where oid = 'public.model_versions'::regclass), 'MEMBER') $$`.execute(db);

  await sql`create function needloop_token_holder(token text) returns table(name text, role text, token_issued_at timestamptz)
    language sql stable security definer set search_path = public, pg_temp as $$
    select a.name, a.role, a.token_issued_at from approvers a where a.token_sha256 = encode(sha256(convert_to(token, 'UTF8')), 'hex') $$`.execute(db);

  await sql`create function needloop_authorize(token text, action text) returns text
    language plpgsql volatile security definer set search_path = public, pg_temp as $$
    declare who text;
    begin
      select a.name into who from approvers a where a.token_sha256 = encode(sha256(convert_to(coalesce(token, ''), 'UTF8')), 'hex') and a.role = 'approver';
      if who is null then
        raise exception 'this token belongs to no approver (needloop approver add NAME issues one; a viewer''s token cannot decide)' using errcode = 'invalid_authorization_specification';
      end if;
      insert into decision_grants (txid, actor, action) values (pg_current_xact_id(), who, action);
      return who;
    end $$`.execute(db);

  // The approver whose decision on MODEL's run is on record (approve for a promotion,
  // reject for a rejection), granted for this transaction; null when none is.
  await sql`create function needloop_authorize_decided(model bigint, action text) returns text
    language plpgsql volatile security definer set search_path = public, pg_temp as $$
    declare who text;
    begin
      select r.decision->>'by' into who from pipeline_runs r
        where r.candidate_id = model and r.decision is not null and r.decision->>'kind' = case action when 'promote' then 'approve' else 'reject' end
        order by r.id desc limit 1;
      if who is not null then
        insert into decision_grants (txid, actor, action) values (pg_current_xact_id(), who, action);
      end if;
      return who;
    end $$`.execute(db);

  await sql`create function needloop_has_grant(want_action text, want_actor text) returns boolean
    language sql volatile security definer set search_path = public, pg_temp as $$
    select exists (select 1 from decision_grants g where g.txid = pg_current_xact_id() and g.action = want_action and (want_actor is null or g.actor = want_actor)) $$`.execute(db);

  const refuse = (what: string) => `raise exception '${what}' using errcode = 'insufficient_privilege'`;

  await sql.raw(`create function needloop_guard_model_versions() returns trigger language plpgsql set search_path = public, pg_temp as $$
    begin
      if needloop_privileged() then return new; end if;
      if tg_op = 'INSERT' then
        if new.status = 'production' or new.approved_by is not null then
          ${refuse("a new model version cannot serve, or be approved, without an approver''s decision")};
        end if;
        return new;
      end if;
      if (new.status is distinct from old.status and 'production' in (new.status, old.status))
        or new.approved_by is distinct from old.approved_by or new.approved_at is distinct from old.approved_at then
        if not (needloop_has_grant('promote', null) or needloop_has_grant('rollback', null))
          or (new.approved_by is distinct from old.approved_by and not needloop_has_grant('promote', new.approved_by)) then
          ${refuse("which model serves, and who approved it, change only by an approver''s decision (needloop approve, promote or rollback, with that approver''s token)")};
        end if;
      end if;
      return new;
    end $$`).execute(db);
  await sql`create trigger model_versions_guard before insert or update on model_versions for each row execute function needloop_guard_model_versions()`.execute(db);

  await sql.raw(`create function needloop_guard_promotions() returns trigger language plpgsql set search_path = public, pg_temp as $$
    begin
      if needloop_privileged() then return coalesce(new, old); end if;
      if tg_op <> 'INSERT' then ${refuse("promotions is a record of decisions: its rows cannot be changed or removed")}; end if;
      if new.action = 'reject' and new.decided_by = 'needloop' then return new; end if;
      if not needloop_has_grant(new.action, new.decided_by) then
        ${refuse("a promotion, rejection or rollback is recorded only with the decision of the approver it names")};
      end if;
      return new;
    end $$`).execute(db);
  await sql`create trigger promotions_guard before insert or update or delete on promotions for each row execute function needloop_guard_promotions()`.execute(db);

  await sql.raw(`create function needloop_guard_run_decision() returns trigger language plpgsql set search_path = public, pg_temp as $$
    begin
      if needloop_privileged() then return new; end if;
      if tg_op = 'INSERT' then
        if new.decision is not null then ${refuse("a pipeline run starts undecided")}; end if;
        return new;
      end if;
      if new.decision is distinct from old.decision then
        if old.decision is not null or not needloop_has_grant(new.decision->>'kind', new.decision->>'by') then
          ${refuse("a decision on a pipeline run is recorded once, with the token of the approver it names")};
        end if;
      end if;
      return new;
    end $$`).execute(db);
  await sql`create trigger pipeline_runs_decision_guard before insert or update on pipeline_runs for each row execute function needloop_guard_run_decision()`.execute(db);

  await sql.raw(`create function needloop_guard_approvers() returns trigger language plpgsql set search_path = public, pg_temp as $$
    begin
      if needloop_privileged() then return coalesce(new, old); end if;
      ${refuse("approvers and viewers are added and removed by the operator (needloop approver add / remove), not by the application''s role")};
    end $$`).execute(db);
  await sql`create trigger approvers_guard before insert or update or delete on approvers for each row execute function needloop_guard_approvers()`.execute(db);

  await sql.raw(`create function needloop_stamp_audit() returns trigger language plpgsql set search_path = public, pg_temp as $$
    begin
      new.at := clock_timestamp();
      new.db_user := session_user;
      if not needloop_privileged() and new.outcome = 'accepted' and new.action in ('approve', 'reject', 'promote', 'rollback')
        and not needloop_has_grant(new.action, new.actor) then
        ${refuse("an accepted decision enters the audit log with the decision itself, under the approver who made it")};
      end if;
      return new;
    end $$`).execute(db);
  await sql`create trigger audit_log_stamp before insert on audit_log for each row execute function needloop_stamp_audit()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists audit_log_stamp on audit_log`.execute(db);
  await sql`drop trigger if exists approvers_guard on approvers`.execute(db);
  await sql`drop trigger if exists pipeline_runs_decision_guard on pipeline_runs`.execute(db);
  await sql`drop trigger if exists promotions_guard on promotions`.execute(db);
  await sql`drop trigger if exists model_versions_guard on model_versions`.execute(db);
  for (const f of ['needloop_stamp_audit()', 'needloop_guard_approvers()', 'needloop_guard_run_decision()', 'needloop_guard_promotions()', 'needloop_guard_model_versions()', 'needloop_has_grant(text, text)', 'needloop_authorize_decided(bigint, text)', 'needloop_authorize(text, text)', 'needloop_token_holder(text)', 'needloop_privileged()']) {
    await sql.raw(`drop function if exists ${f}`).execute(db);
  }
  await sql`drop table if exists decision_grants`.execute(db);
  await sql`alter table audit_log drop column if exists db_user`.execute(db);
}
