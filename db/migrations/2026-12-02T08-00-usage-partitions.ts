// Usage events partitioned by month of `ts` (issue 18): a night's queries read only the
// partitions of their windows, and an old month can be detached (and archived or dropped)
// without touching the rest. Frozen in time.
//
// - Rows of a month without a partition land in usage_events_default;
//   needloop_usage_split_default() moves them into partitions of their own, and
//   needloop_usage_partition(t) creates the partition of t's month ahead of a load (ingest
//   calls both). needloop's database role owns nothing and may not run DDL, so both are
//   SECURITY DEFINER functions of the migrations' owner, with a fixed search path and
//   names built from dates only.
// - A partitioned table's unique keys must hold its partition key: the primary key is
//   (event_id, ts). A repeated event (same id, same time) is still a duplicate; the same id
//   at two different times is two events.
// - A new partition takes the parent's grants, so that needloop's role can ANALYZE it.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table usage_events rename to usage_events_flat`.execute(db);
  await sql`alter index usage_events_ts rename to usage_events_flat_ts`.execute(db);
  await sql`alter table usage_events_flat rename constraint usage_events_pkey to usage_events_flat_pkey`.execute(db);
  await sql`create table usage_events (like usage_events_flat including defaults including constraints) partition by range (ts)`.execute(db);
  await sql`alter table usage_events add constraint usage_events_pkey primary key (event_id, ts)`.execute(db);
  // Events arrive roughly in time order: BRIN per partition, almost free to bulk loads.
  await sql`create index usage_events_ts on usage_events using brin (ts)`.execute(db);
  await sql`create table usage_events_default partition of usage_events default`.execute(db);

  await sql`
    create function needloop_usage_partition_name(month timestamptz) returns text
    language sql stable set search_path = pg_catalog as $$
      select 'usage_events_' || to_char(date_trunc('month', month, 'UTC') at time zone 'UTC', 'YYYY_MM')
    $$`.execute(db);

  // A name for a new partition of MONTH: the month's own, or — when a detached (archived)
  // partition still holds it — the month's with a number.
  await sql`
    create function needloop_usage_free_name(month timestamptz) returns text
    language plpgsql stable set search_path = pg_catalog as $$
    declare
      base text := public.needloop_usage_partition_name(month);
      name text := base;
      k integer := 1;
    begin
      while to_regclass('public.' || name) is not null loop
        k := k + 1;
        name := base || '_' || k;
      end loop;
      return name;
    end $$`.execute(db);

  await sql`
    create function needloop_usage_grant_like_parent(name text) returns void
    language plpgsql security definer set search_path = pg_catalog as $$
    declare
      g record;
    begin
      if not exists (select 1 from pg_inherits where inhrelid = to_regclass('public.' || quote_ident(name)) and inhparent = 'public.usage_events'::regclass) then
        raise exception '% is not a partition of usage_events', name;
      end if;
      for g in
        select pg_get_userbyid(a.grantee) as grantee, a.privilege_type
          from pg_class c, aclexplode(c.relacl) a
         where c.oid = 'public.usage_events'::regclass and a.grantee <> 0 and a.grantee <> c.relowner
      loop
        execute format('grant %s on public.%I to %I', g.privilege_type, name, g.grantee);
      end loop;
    end $$`.execute(db);
  // Only the two functions below (running as the owner) grant: not needloop's role.
  await sql`revoke execute on function needloop_usage_grant_like_parent(text) from public`.execute(db);

  // The partition of MONTH's month, created when missing; false when its rows already sit
  // in the default partition (needloop_usage_split_default moves them).
  await sql`
    create function needloop_usage_partition(month timestamptz) returns boolean
    language plpgsql security definer set search_path = pg_catalog as $$
    declare
      start timestamptz := date_trunc('month', month, 'UTC');
      name text;
    begin
      -- One partition change at a time (held to the end of the caller's transaction).
      perform pg_advisory_xact_lock(hashtextextended('needloop-usage-partitions', 0));
      -- A partition of this month's range attached already (whatever its name).
      if exists (select 1 from pg_inherits i join pg_class c on c.oid = i.inhrelid
                  where i.inhparent = 'public.usage_events'::regclass and c.relname <> 'usage_events_default'
                    and pg_get_expr(c.relpartbound, c.oid) = format('FOR VALUES FROM (%L) TO (%L)', start, start + interval '1 month')) then
        return true;
      end if;
      if exists (select 1 from public.usage_events_default where ts >= start and ts < start + interval '1 month') then return false; end if;
      name := public.needloop_usage_free_name(start);
      execute format('create table public.%I partition of public.usage_events for values from (%L) to (%L)', name, start, start + interval '1 month');
      perform public.needloop_usage_grant_like_parent(name);
      return true;
    end $$`.execute(db);

  // Moves the default partition's rows into monthly partitions; returns how many moved.
  await sql`
    create function needloop_usage_split_default() returns bigint
    language plpgsql security definer set search_path = pg_catalog as $$
    declare
      start timestamptz;
      name text;
      moved bigint := 0;
      n bigint;
    begin
      perform pg_advisory_xact_lock(hashtextextended('needloop-usage-partitions', 0));
      for start in select distinct date_trunc('month', ts, 'UTC') from public.usage_events_default order by 1 loop
        name := public.needloop_usage_free_name(start);
        execute format('create table public.%I (like public.usage_events including defaults including constraints)', name);
        execute format('with rows as (delete from public.usage_events_default where ts >= %L and ts < %L returning *) insert into public.%I select * from rows',
                       start, start + interval '1 month', name);
        get diagnostics n = row_count;
        moved := moved + n;
        -- The range as a constraint first: attaching then skips scanning the new partition.
        execute format('alter table public.%I add constraint %I check (ts >= %L and ts < %L)', name, name || '_range', start, start + interval '1 month');
        execute format('alter table public.usage_events attach partition public.%I for values from (%L) to (%L)', name, start, start + interval '1 month');
        execute format('alter table public.%I drop constraint %I', name, name || '_range');
        perform public.needloop_usage_grant_like_parent(name);
      end loop;
      return moved;
    end $$`.execute(db);

  // Stored events move once, straight into their months' partitions.
  await sql`select needloop_usage_partition(m) from (select distinct date_trunc('month', ts, 'UTC') as m from usage_events_flat) months`.execute(db);
  await sql`insert into usage_events select * from usage_events_flat`.execute(db);
  await sql`drop table usage_events_flat`.execute(db);
  // A new table has no statistics until autovacuum comes by (never, for the partitioned parent).
  await sql`analyze usage_events`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`create table usage_events_flat (like usage_events including defaults including constraints)`.execute(db);
  await sql`insert into usage_events_flat select * from usage_events`.execute(db);
  await sql`drop table usage_events`.execute(db);
  for (const fn of ['needloop_usage_split_default()', 'needloop_usage_partition(timestamptz)', 'needloop_usage_grant_like_parent(text)', 'needloop_usage_free_name(timestamptz)', 'needloop_usage_partition_name(timestamptz)']) {
    await sql.raw(`drop function if exists ${fn}`).execute(db);
  }
  await sql`alter table usage_events_flat rename to usage_events`.execute(db);
  await sql`alter table usage_events add primary key (event_id)`.execute(db);
  await sql`create index usage_events_ts on usage_events using brin (ts)`.execute(db);
}
