// Where each table read from a user's own database got to (ingest --from-postgres): moved
// in the same transaction as the rows it covers. Frozen in time.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table source_watermarks (
    source text primary key,
    since_column text not null,
    since_value text not null,
    batch_id bigint,
    updated_at timestamptz not null default now()
  )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists source_watermarks`.execute(db);
}
