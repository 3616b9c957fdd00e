/**
 * A query's rows BATCH at a time through a cursor, for a reader that keeps only some of
 * them or folds them as they come: node never holds the whole result.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../schema.js';

/**
 * Runs QUERY through a cursor named NAME on TRX, which must be a transaction (a cursor
 * lives as long as its transaction), handing its rows over BATCH at a time. Returns how
 * many rows it handed over.
 */
export async function eachCursorBatch<T>(trx: Kysely<Database>, name: string, query: RawBuilder<T>, batch: number, onBatch: (rows: T[]) => void): Promise<number> {
  let handed = 0;
  await sql`declare ${sql.id(name)} no scroll cursor for ${query}`.execute(trx);
  for (;;) {
    const { rows } = await sql<T>`fetch forward ${sql.lit(batch)} from ${sql.id(name)}`.execute(trx);
    handed += rows.length;
    if (rows.length > 0) onBatch(rows);
    if (rows.length < batch) break;
  }
  await sql`close ${sql.id(name)}`.execute(trx);
  return handed;
}
