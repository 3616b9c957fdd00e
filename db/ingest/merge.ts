/**
 * The staged path: every record of a file sits in a temporary table (valid rows typed,
 * rejected ones with their reason), and SQL moves them into place. Used for users and
 * surveys, and for usage files whose event ids clash with stored ones or with each other.
 */
import pg from 'pg';
import type { Contract } from './contracts.js';

export const STAGE = 'needloop_stage';

export function createStageSql(contract: Contract): string {
  const columns = contract.outputColumns.map((c) => `${pg.escapeIdentifier(c.name)} ${c.sqlType}`).join(', ');
  return `create temp table ${STAGE} (line integer not null, reason text, raw bytea not null, raw_bytes integer not null, raw_sha256 text, raw_scrubbed boolean not null, ${columns}) on commit drop`;
}

export function stageColumns(contract: Contract): string {
  return `${STAGE} (line, reason, raw, raw_bytes, raw_sha256, raw_scrubbed, ${contract.outputColumns.map((c) => pg.escapeIdentifier(c.name)).join(', ')})`;
}

export interface MergeCounts {
  accepted: number;
  rejected: number;
  duplicates: number;
}

/** Within one file a key counts once: later lines with the same key are rejected. */
async function rejectRepeatedKeys(client: pg.PoolClient, contract: Contract): Promise<void> {
  const key = pg.escapeIdentifier(contract.key);
  await client.query(
    `with firsts as (
       select line, ${key} as key, min(line) over (partition by ${key}) as first_line
       from ${STAGE} where reason is null)
     update ${STAGE} s
        set reason = format('duplicate %s %s (first seen on line %s)', $1::text, to_json(f.key)::text, f.first_line)
       from firsts f
      where s.line = f.line and f.line <> f.first_line`,
    [contract.key],
  );
}

async function storeRejections(client: pg.PoolClient, batchId: string, fileName: string): Promise<number> {
  const { rowCount } = await client.query(
    `insert into rejected_rows (batch_id, file_name, line, reason, raw, raw_bytes, raw_sha256)
     select $1, $2, line, reason, raw, raw_bytes, raw_sha256 from ${STAGE} where reason is not null order by line`,
    [batchId, fileName],
  );
  return rowCount ?? 0;
}

async function validCount(client: pg.PoolClient): Promise<number> {
  const { rows } = await client.query<{ n: string }>(`select count(*) as n from ${STAGE} where reason is null`);
  return Number(rows[0].n);
}

/** Moves the staged valid rows into their table; returns how many were new. */
async function insertStaged(client: pg.PoolClient, contract: Contract, batchId: string): Promise<number> {
  const cols = contract.columns.map((c) => pg.escapeIdentifier(c.name)).join(', ');
  switch (contract.kind) {
    case 'usage': {
      const { rowCount } = await client.query(
        `insert into usage_events (${cols}, batch_id)
         select ${cols}, $1 from ${STAGE} where reason is null order by line
         on conflict (ts, event_id) do nothing`,
        [batchId],
      );
      return rowCount ?? 0;
    }
    case 'users': {
      // A users file is a snapshot: a known user takes the new values; an unchanged row
      // counts as a duplicate.
      const { rowCount } = await client.query(
        `insert into users (${cols}, batch_id)
         select ${cols}, $1 from ${STAGE} where reason is null order by line
         on conflict (user_id) do update
            set signup_at = excluded.signup_at, plan = excluded.plan, country = excluded.country,
                industry = excluded.industry, age_band = excluded.age_band, gender = excluded.gender, batch_id = excluded.batch_id
          where (users.signup_at, users.plan, users.country, users.industry, users.age_band, users.gender)
                is distinct from (excluded.signup_at, excluded.plan, excluded.country, excluded.industry, excluded.age_band, excluded.gender)`,
        [batchId],
      );
      return rowCount ?? 0;
    }
    case 'surveys': {
      const base = contract.outputColumns.filter((c) => c.name !== 'answers').map((c) => pg.escapeIdentifier(c.name)).join(', ');
      const { rows } = await client.query<{ n: string }>(
        `with inserted as (
           insert into survey_responses (${base}, batch_id)
           select ${base}, $1 from ${STAGE} where reason is null order by line
           on conflict (response_id) do nothing
           returning response_id),
         answers as (
           insert into survey_answers (response_id, need_id, importance, satisfaction, kano_functional, kano_dysfunctional)
           select s.response_id, a.key, (a.value->>0)::smallint, (a.value->>1)::smallint, (a.value->>2)::smallint, (a.value->>3)::smallint
             from ${STAGE} s join inserted i using (response_id), jsonb_each(s.answers) a
            where s.reason is null)
         select count(*) as n from inserted`,
        [batchId],
      );
      return Number(rows[0].n);
    }
  }
}

/** Records rejected in SQL kept their raw bytes unscrubbed while staged: scrubbed here, before they are stored. */
async function scrubLateRejections(client: pg.PoolClient, keep: (head: Buffer) => { kept: Buffer; redacted: boolean }): Promise<void> {
  const { rows } = await client.query<{ line: number; raw: Buffer }>(`select line, raw from ${STAGE} where reason is not null and not raw_scrubbed`);
  for (const r of rows) {
    const { kept, redacted } = keep(r.raw);
    // Personal data replaced: no unkeyed hash of the original is kept beside it (it would confirm a guessed value).
    await client.query(`update ${STAGE} set raw = $1, raw_scrubbed = true${redacted ? ', raw_sha256 = null' : ''} where line = $2`, [kept, r.line]);
  }
}

export async function mergeStaged(client: pg.PoolClient, contract: Contract, batchId: string, fileName: string, keep: (head: Buffer) => { kept: Buffer; redacted: boolean }): Promise<MergeCounts> {
  // Autovacuum never analyses a temporary table: without statistics the planner takes the
  // stage for a few rows and joins it to itself by nested loops, quadratic in the file
  // (a 50,000-line surveys file took 131 s; analysed, seconds). Only the columns the
  // merge filters and joins on: the raw bytes and answers would double the time.
  await client.query(`analyze ${STAGE} (line, reason, ${pg.escapeIdentifier(contract.key)})`);
  await rejectRepeatedKeys(client, contract);
  await scrubLateRejections(client, keep);
  const rejected = await storeRejections(client, batchId, fileName);
  const valid = await validCount(client);
  const accepted = await insertStaged(client, contract, batchId);
  return { accepted, rejected, duplicates: valid - accepted };
}
