/**
 * Window summaries for drift, computed in Postgres: counts per category (and so the rows)
 * and per decile bin over all rows, and sorted samples for the tests that need values
 * (KS, Wasserstein), for the reference's spread (which scales the Wasserstein distance of
 * those same samples) and for its deciles (numpy's linear interpolation, as
 * percentile_cont). A sample is chosen by a hash of the row's key, so
 * the same window always gives the same sample; windows small enough are read whole, and
 * their deciles are exact. Deciles of a larger window come from its sample of 20,000
 * rows: sorting a 2M-event reference window per column for percentile_cont was the
 * largest part of the drift step, and a decile of 20,000 values is within a fraction of a
 * percentile of the window's — the bins are then counted over every row of both windows.
 * These queries summarise one population at a time (tableColumnDrift); the usage events'
 * drift reads all users and every segment at once (drift-summaries).
 */
import { sql, type Kysely, type QueryResult, type RawBuilder } from 'kysely';
import type { Database } from '../schema.js';
import type { TimeWindow } from './time-window.js';

export interface DriftColumn {
  name: string;
  type: 'numeric' | 'categorical';
  /** A trusted SQL expression over the table aliased `t` (from code, never from input). */
  expression: string;
  /** Compared only among rows served by one model version (the model's own outputs). */
  served?: boolean;
}

export interface DriftTable {
  table: string;
  time: string;
  key: string;
  user: string;
  /** The column naming the model version that served a row, when the table has one. */
  version?: string;
  /** A trusted SQL expression of the row's text, sampled for text drift. */
  text?: string;
  columns: readonly DriftColumn[];
}

export interface Population {
  window: TimeWindow;
  /** Only the users of one segment of a segment run. */
  segment?: { runId: string; segmentId: number };
  /** Only rows served by this model version (the table's `version` column). */
  modelVersion?: string;
}

export const DEFAULT_SAMPLE_ROWS = 20_000;

/**
 * Memory for a scan's hash tables (a segment run's users, the groups): with Postgres's
 * default of 4 MB they spill to disk, or the planner sorts instead (grouping sets: once per
 * set), and a 2M-event night's three scans of the reference window (drift-summaries) took
 * 8 s instead of 5.4 s. A limit, not an allocation: at 2M events the largest table holds
 * about 20 MB.
 */
const WORK_MEM = '64MB';

/** Runs WORK in a transaction of its own, with WORK_MEM. */
export async function withWorkMem<T>(db: Kysely<Database>, work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`set local work_mem = ${sql.lit(WORK_MEM)}`.execute(trx);
    return work(trx);
  });
}

/** Runs one scan in a transaction of its own, with WORK_MEM. */
export async function scan<T>(db: Kysely<Database>, query: RawBuilder<T>): Promise<QueryResult<T>> {
  return withWorkMem(db, (trx) => query.execute(trx));
}

export const HASH_RANGE = 1 << 20;

/** The hash threshold that keeps about `size` of `rows` rows (all of them up to `size`). */
export function sampleThreshold(rows: number, size = DEFAULT_SAMPLE_ROWS): number {
  return rows <= size ? HASH_RANGE : Math.ceil((size / rows) * HASH_RANGE);
}

/** A row's place in [0, HASH_RANGE), from its key: it is in a sample of threshold t when below t. */
export function sampleHash(spec: DriftTable): RawBuilder<number> {
  return sql<number>`(hashtextextended(t.${sql.ref(spec.key)}::text, 0) & ${HASH_RANGE - 1})`;
}

/** The column naming the version that served a row. */
export function versionColumn(spec: DriftTable): RawBuilder<unknown> {
  if (spec.version === undefined) throw new Error(`drift table ${spec.table} names no column of the serving version`);
  return sql`t.${sql.ref(spec.version)}`;
}

function from(spec: DriftTable, p: Population): RawBuilder<unknown> {
  const version = p.modelVersion === undefined ? sql`` : sql`and ${versionColumn(spec)} = ${p.modelVersion}`;
  const segment = p.segment === undefined
    ? sql``
    : sql`join user_segments s on s.user_id = t.${sql.ref(spec.user)} and s.segment_run_id = ${p.segment.runId} and s.segment_id = ${p.segment.segmentId}`;
  return sql`from ${sql.table(spec.table)} t ${segment} where t.${sql.ref(spec.time)} >= ${p.window.from} and t.${sql.ref(spec.time)} < ${p.window.to} ${version}`;
}

export const numericColumns = (spec: DriftTable) => spec.columns.filter((c) => c.type === 'numeric');
export const categoricalColumns = (spec: DriftTable) => spec.columns.filter((c) => c.type === 'categorical');
/** A column's value as float8. */
export const floatValue = (c: DriftColumn) => sql.raw(`(${c.expression})::float8`);

/**
 * The bin of a value among right-closed bins (−∞, e1], (e1, e2], …, (ek, ∞): the number of
 * edges below it, k − #{edges ≥ v}, through width_bucket on the negated value and the
 * negated edges (`negate`); null for null.
 */
export function binOf(v: RawBuilder<unknown>, edges: RawBuilder<unknown>, negated: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`case when ${v} is null then null when cardinality(${edges}) = 0 then 0 else cardinality(${edges}) - width_bucket(-${v}, ${negated}) end`;
}

/** Edges as binOf wants them negated: reversed, so that they ascend. */
export const negate = (edges: readonly number[]) => [...edges].reverse().map((e) => -e);

/** Rows of a population (for a table without categorical columns, whose counts give it otherwise). */
export async function windowRows(db: Kysely<Database>, spec: DriftTable, p: Population): Promise<number> {
  const { rows } = await sql<{ rows: string }>`select count(*) as rows ${from(spec, p)}`.execute(db);
  return Number(rows[0].rows);
}

/**
 * Rows, and counts per bin (−∞, e1], (e1, e2], …, (ek, ∞) of each numeric column: each
 * row's bins are computed once and counted per column in one scan, a grouping set per
 * column hashed side by side (with WORK_MEM). A filtered count per bin and column
 * evaluated every filter on every row (36 such queries were a third of a 2M-event night's
 * drift step); counting per combination of bins is one hash table, but as large as the
 * rows once a table has many independent columns.
 */
export async function binCountsOf(db: Kysely<Database>, spec: DriftTable, p: Population, edges: ReadonlyMap<string, readonly number[]>): Promise<{ rows: number; n: Map<string, number>; bins: Map<string, number[]> }> {
  const cols = numericColumns(spec);
  const inner = cols.map((c, i) => {
    const e = edges.get(c.name) ?? [];
    return sql`${binOf(floatValue(c), sql`${e}::float8[]`, sql`${negate(e)}::float8[]`)} as ${sql.ref(`b${i}`)}`;
  });
  const n = new Map<string, number>(cols.map((c) => [c.name, 0]));
  const bins = new Map<string, number[]>(cols.map((c) => [c.name, new Array<number>((edges.get(c.name)?.length ?? 0) + 1).fill(0)]));
  if (cols.length === 0) return { rows: await windowRows(db, spec, p), n, bins };
  const keys = cols.map((_, i) => sql.ref(`b${i}`));
  // The set a row of the result counts for: the column whose grouping() is 0.
  const { rows } = await scan(db, sql<Record<string, unknown>>`select ${sql.join(keys)}, ${sql.join(keys.map((k, i) => sql`grouping(${k}) as ${sql.ref(`g${i}`)}`))}, count(*) as n
    from (select ${sql.join(inner)} ${from(spec, p)}) binned
    group by grouping sets (${sql.join(keys.map((k) => sql`(${k})`))})`);
  let total = 0;
  for (const row of rows) {
    const i = cols.findIndex((_, j) => Number(row[`g${j}`]) === 0);
    const [c, count, b] = [cols[i], Number(row.n), row[`b${i}`]];
    if (i === 0) total += count;
    if (b === null) continue;
    n.set(c.name, n.get(c.name)! + count);
    bins.get(c.name)![Number(b)] += count;
  }
  return { rows: total, n, bins };
}

/**
 * Counts per category (null as "(none)") of every categorical column, in one scan: a
 * grouping set per column, hashed side by side (with WORK_MEM; with Postgres's default
 * 4 MB the planner sorted the window once per column).
 */
export async function categoryCountsOf(db: Kysely<Database>, spec: DriftTable, p: Population, none: string): Promise<Map<string, Map<string, number>>> {
  const cols = categoricalColumns(spec);
  const out = new Map<string, Map<string, number>>(cols.map((c) => [c.name, new Map()]));
  if (cols.length === 0) return out;
  const values = cols.map((c, i) => sql`coalesce((${sql.raw(c.expression)})::text, ${none}) as ${sql.ref(`c${i}`)}`);
  const keys = cols.map((_, i) => sql.ref(`c${i}`));
  const { rows } = await scan(db, sql<Record<string, unknown>>`
    select ${sql.join(keys)}, ${sql.join(keys.map((k, i) => sql`grouping(${k}) as ${sql.ref(`g${i}`)}`))}, count(*) as n
      from (select ${sql.join(values)} ${from(spec, p)}) v group by grouping sets (${sql.join(keys.map((k) => sql`(${k})`))})`);
  for (const row of rows) {
    cols.forEach((c, i) => {
      if (Number(row[`g${i}`]) !== 0) return;
      const counts = out.get(c.name)!;
      const value = String(row[`c${i}`]);
      counts.set(value, (counts.get(value) ?? 0) + Number(row.n));
    });
  }
  return out;
}

/** Sorted values of each numeric column: all of them up to `size` rows, else a hash sample. */
export async function numericSamples(db: Kysely<Database>, spec: DriftTable, p: Population, rows: number, size = DEFAULT_SAMPLE_ROWS): Promise<Map<string, Float64Array>> {
  const cols = numericColumns(spec);
  const out = new Map<string, Float64Array>();
  if (cols.length === 0) return out;
  const threshold = sampleThreshold(rows, size);
  const sampled = rows <= size ? sql`` : sql`and ${sampleHash(spec)} < ${threshold}`;
  const result = await sql<Record<string, number | null>>`select ${sql.join(cols.map((c, i) => sql`${floatValue(c)} as ${sql.ref(`v${i}`)}`))} ${from(spec, p)} ${sampled}`.execute(db);
  cols.forEach((c, i) => {
    const values: number[] = [];
    for (const r of result.rows) if (r[`v${i}`] !== null) values.push(Number(r[`v${i}`]));
    out.set(c.name, Float64Array.from(values).sort());
  });
  return out;
}
