/**
 * One window of a table summarised for drift in three scans, for all users and for each
 * segment of a segment run at once: each row's segment comes from joining the run's
 * assignments, and every figure is kept per segment (and for all rows).
 *
 * 1. `windowCounts`: rows per combination of segment, serving version and categorical
 *    values, with each numeric column's count and sum — category counts, rows, the
 *    versions that served, corrections and logged accuracy all follow from it.
 * 2. `eachWindowSample`: the rows each population's hash sample holds (the same rule as
 *    drift-windows' numericSamples, so the same rows), with their numeric values and text.
 * 3. `windowBins`: counts per decile bin of every numeric column, bins over each
 *    population's own reference deciles, counted in one grouping-sets aggregate.
 *
 * Querying each statistic of each population on its own (drift-windows) read a 2M-event
 * night's windows about 15 times, then copied them into a temporary table for the
 * segments' own 6 × 2 × 8 queries: most of the drift step.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../schema.js';
import { eachCursorBatch } from './cursor.js';
import {
  binOf,
  categoricalColumns,
  floatValue,
  negate,
  numericColumns,
  sampleHash,
  scan,
  versionColumn,
  withWorkMem,
  type DriftColumn,
  type DriftTable,
} from './drift-windows.js';
import type { TimeWindow } from './time-window.js';

/** The segment a row's user belongs to in the run; null without a run or for a user it did not place. */
export type SegmentId = number | null;
/** All rows, or one segment's. */
export type PopulationKey = 'all' | number;

export interface SummaryOptions {
  /** Split rows by the segments of this segment run. */
  segmentRunId?: string | null;
}

/** Rows with one combination of segment, serving version and categorical values (null stays null). */
export interface CountGroup {
  segment: SegmentId;
  version: string | null;
  /** Per categorical column of the table, in its order. */
  values: (string | null)[];
  rows: number;
  /** Per numeric column of the table, in its order: values present, and their sum. */
  numeric: { count: number; sum: number }[];
}

/** A row in some population's hash sample. */
export interface SampledRow {
  segment: SegmentId;
  /** The row's hash, in [0, HASH_RANGE): it is in a sample of threshold t when below t. */
  hash: number;
  version: string | null;
  /** Per numeric column of the table, in its order. */
  values: (number | null)[];
  text: string | null;
}

/** Which rows a population's sample holds: those whose hash is below `threshold` (and, for served columns, `servedThreshold`). */
export interface SampleThresholds {
  threshold: number;
  servedThreshold: number;
}

export interface BinCounts {
  n: Map<string, number>;
  bins: Map<string, number[]>;
}


/** The window's rows (`tables … where`) with their segment (`s.segment_id`; null when not split). */
function rowsOf(spec: DriftTable, window: TimeWindow, options: SummaryOptions): { split: boolean; segment: RawBuilder<unknown>; tables: RawBuilder<unknown>; where: RawBuilder<unknown> } {
  const time = sql`t.${sql.ref(spec.time)}`;
  const where = sql`where ${time} >= ${window.from} and ${time} < ${window.to}`;
  if (options.segmentRunId === undefined || options.segmentRunId === null) {
    return { split: false, segment: sql`null::integer`, tables: sql`from ${sql.table(spec.table)} t`, where };
  }
  return {
    split: true,
    segment: sql`s.segment_id`,
    tables: sql`from ${sql.table(spec.table)} t left join user_segments s on s.user_id = t.${sql.ref(spec.user)} and s.segment_run_id = ${options.segmentRunId}`,
    where,
  };
}

/** Scan 1: rows per combination of segment, version and categorical values; numeric counts and sums. */
export async function windowCounts(db: Kysely<Database>, spec: DriftTable, window: TimeWindow, options: SummaryOptions = {}): Promise<CountGroup[]> {
  const { segment, tables, where } = rowsOf(spec, window, options);
  const cats = categoricalColumns(spec);
  const nums = numericColumns(spec);
  const keys = [sql`${segment} as segment`, sql`${versionColumn(spec)} as version`, ...cats.map((c, i) => sql`(${sql.raw(c.expression)})::text as ${sql.ref(`c${i}`)}`)];
  const sums = nums.flatMap((c, i) => [sql`count(${floatValue(c)}) as ${sql.ref(`k${i}`)}`, sql`sum(${floatValue(c)}) as ${sql.ref(`s${i}`)}`]);
  const { rows } = await scan(db, sql<Record<string, unknown>>`
    select ${sql.join(keys)}, count(*) as n ${sums.length ? sql`, ${sql.join(sums)}` : sql``}
    ${tables} ${where} group by ${sql.join(keys.map((_, i) => sql.lit(i + 1)))}`);
  return rows.map((r) => ({
    segment: r.segment === null ? null : Number(r.segment),
    version: r.version as string | null,
    values: cats.map((_, i) => r[`c${i}`] as string | null),
    rows: Number(r.n),
    numeric: nums.map((_, i) => ({ count: Number(r[`k${i}`]), sum: Number(r[`s${i}`] ?? 0) })),
  }));
}

/**
 * Scan 2: the rows of every population's sample — all rows (`all`) and each segment's
 * (`segments`) — with their hash, version, numeric values and text, handed over a batch
 * at a time (the samples of all populations of a 2M-event window are some 150,000 rows
 * with their texts). A caller keeps a row for a population when its hash is below that
 * population's threshold.
 */
export async function eachWindowSample(
  db: Kysely<Database>,
  spec: DriftTable,
  window: TimeWindow,
  thresholds: { all: SampleThresholds; segments: ReadonlyMap<number, SampleThresholds> },
  options: SummaryOptions,
  onBatch: (rows: SampledRow[]) => void,
): Promise<void> {
  const { split, segment, tables, where } = rowsOf(spec, window, options);
  const nums = numericColumns(spec);
  const hash = sampleHash(spec);
  const most = (t: SampleThresholds) => Math.max(t.threshold, t.servedThreshold);
  const ids = [...thresholds.segments.keys()];
  // Each segment's largest threshold, looked up by the row's segment (none without a split).
  const bySegment = !split || ids.length === 0
    ? sql`0`
    : sql`coalesce((${ids.map((id) => most(thresholds.segments.get(id)!))}::integer[])[array_position(${ids}::integer[], ${segment})], 0)`;
  const text = spec.text === undefined ? sql`null::text` : sql.raw(spec.text);
  const query = sql<Record<string, unknown>>`
    select ${segment} as segment, ${hash} as hash, ${versionColumn(spec)} as version, ${text} as text
           ${nums.length ? sql`, ${sql.join(nums.map((c, i) => sql`${floatValue(c)} as ${sql.ref(`v${i}`)}`))}` : sql``}
    ${tables} ${where} and ${hash} < greatest(${most(thresholds.all)}::integer, ${bySegment})`;
  const sampled = (rows: Record<string, unknown>[]) => onBatch(rows.map((r) => ({
    segment: r.segment === null ? null : Number(r.segment),
    hash: Number(r.hash),
    version: r.version as string | null,
    values: nums.map((_, i) => (r[`v${i}`] === null ? null : Number(r[`v${i}`]))),
    text: r.text as string | null,
  })));
  await withWorkMem(db, (trx) => eachCursorBatch(trx, 'needloop_drift_samples', query, 10_000, sampled));
}

/**
 * Scan 3: counts per bin of every numeric column, over `all`'s edges for all rows and
 * over each segment's own edges for its rows. A served column counts only rows served by
 * `version` (none when null). Rows are grouped per combination of bins (at most 11 a
 * column), one grouping set for all rows and one per segment and combination.
 */
export async function windowBins(
  db: Kysely<Database>,
  spec: DriftTable,
  window: TimeWindow,
  edges: { all: ReadonlyMap<string, readonly number[]>; segments: ReadonlyMap<number, ReadonlyMap<string, readonly number[]>> },
  version: string | null,
  options: SummaryOptions = {},
): Promise<{ all: BinCounts; segments: Map<number, BinCounts> }> {
  const { split: byRun, segment, tables, where } = rowsOf(spec, window, options);
  const nums = numericColumns(spec).filter((c) => !c.served || version !== null);
  const served = (c: DriftColumn, b: RawBuilder<unknown>) => (c.served ? sql`case when ${versionColumn(spec)} = ${version} then ${b} end` : b);
  const overall = nums.map((c, i) => {
    const e = edges.all.get(c.name) ?? [];
    return sql`${served(c, binOf(floatValue(c), sql`${e}::float8[]`, sql`${negate(e)}::float8[]`))} as ${sql.ref(`o${i}`)}`;
  });
  const ids = [...edges.segments.keys()];
  const split = byRun && ids.length > 0;
  // Each segment's edges (and negated edges) per column, joined by the row's segment.
  const edgeRow = (id: number) => {
    const arrays = nums.flatMap((c) => {
      const e = edges.segments.get(id)!.get(c.name) ?? [];
      return [sql`${e}::float8[]`, sql`${negate(e)}::float8[]`];
    });
    return sql`(${id}::integer, ${sql.join(arrays)})`;
  };
  const edgeColumns = nums.flatMap((_, i) => [sql.ref(`e${i}`), sql.ref(`n${i}`)]);
  const table = split ? sql`left join (values ${sql.join(ids.map(edgeRow))}) g(segment_id, ${sql.join(edgeColumns)}) on g.segment_id = ${segment}` : sql``;
  const own = split ? nums.map((c, i) => sql`${served(c, binOf(floatValue(c), sql.ref(`g.e${i}`), sql.ref(`g.n${i}`)))} as ${sql.ref(`b${i}`)}`) : [];
  const [oKeys, bKeys] = [nums.map((_, i) => sql.ref(`o${i}`)), nums.map((_, i) => sql.ref(`b${i}`))];
  const groups = split ? sql`grouping sets ((${sql.join(oKeys)}), (segment, ${sql.join(bKeys)}))` : sql`${sql.join(oKeys)}`;
  const selected = [sql`${segment} as segment`, ...overall, ...own];
  const { rows } = nums.length === 0
    ? { rows: [] as Record<string, unknown>[] }
    : await scan(db, sql<Record<string, unknown>>`
      select ${split ? sql`grouping(segment) as for_all, segment,` : sql`0 as for_all,`} ${sql.join(oKeys)} ${split ? sql`, ${sql.join(bKeys)}` : sql``}, count(*) as n
        from (select ${sql.join(selected)} ${tables} ${table} ${where}) binned
       group by ${groups}`);
  const empty = (of: ReadonlyMap<string, readonly number[]> | undefined): BinCounts => ({
    n: new Map(nums.map((c) => [c.name, 0])),
    bins: new Map(nums.map((c) => [c.name, new Array<number>((of?.get(c.name)?.length ?? 0) + 1).fill(0)])),
  });
  const all = empty(edges.all);
  const segments = new Map(ids.map((id) => [id, empty(edges.segments.get(id))]));
  for (const row of rows) {
    const forAll = split ? Number(row.for_all) === 1 : true;
    const target = forAll ? all : row.segment === null ? undefined : segments.get(Number(row.segment));
    if (target === undefined) continue;
    const count = Number(row.n);
    nums.forEach((c, i) => {
      const b = row[forAll ? `o${i}` : `b${i}`];
      if (b === null) return;
      target.n.set(c.name, target.n.get(c.name)! + count);
      target.bins.get(c.name)![Number(b)] += count;
    });
  }
  return { all, segments };
}
