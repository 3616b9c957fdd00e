/**
 * Column drift of a table between two windows for all rows and for every segment of a
 * segment run together, from three scans of each window (db/queries/drift-summaries):
 * counts, then each population's hash samples, then bin counts over each population's
 * reference deciles. The same figures as querying each population's statistics one by
 * one (tableColumnDrift), read from the table 3 times a window instead of some 15 times
 * plus a copy per segment run.
 */
import {
  categoricalColumnDrift,
  decileEdges,
  NONE,
  numericColumnDrift,
  populationStd,
  textDrift,
  type ColumnDrift,
  type DriftRule,
  type TextDrift,
} from '../analytics/index.js';
import type { DatabaseHandle } from '../db/connection.js';
import {
  windowBins,
  windowCounts,
  eachWindowSample,
  type BinCounts,
  type CountGroup,
  type PopulationKey,
  type SampledRow,
  type SampleThresholds,
} from '../db/queries/drift-summaries.js';
import {
  binCountsOf,
  categoricalColumns,
  categoryCountsOf,
  DEFAULT_SAMPLE_ROWS,
  numericColumns,
  numericSamples,
  sampleThreshold,
  windowRows,
  type DriftTable,
  type Population,
} from '../db/queries/drift-windows.js';
import type { TimeWindow } from '../db/queries/time-window.js';

/** One population in one window. */
export interface WindowFigures {
  rows: number;
  /** Its sample of texts (up to DEFAULT_SAMPLE_ROWS rows' worth), when the table has text. */
  texts: string[];
}

export interface PopulationDrift {
  columns: ColumnDrift[];
  /** Drift of the sampled texts; null when the table has none or they were not asked for. */
  text: TextDrift | null;
  reference: WindowFigures;
  current: WindowFigures;
}

export interface ServedVersion {
  version: string;
  reference: number;
  current: number;
  /** The smaller of the two: requests it served in both windows. */
  both: number;
}

export interface TableDrift {
  /** Requests each model version served in both windows, most served in both first. */
  versions: ServedVersion[];
  /** The version whose rows the served columns compare; null leaves them out. */
  version: string | null;
  populations: Map<PopulationKey, PopulationDrift>;
  /** Scan 1's rows per combination, for figures beyond drift (corrections, logged accuracy). */
  counts: { reference: CountGroup[]; current: CountGroup[] };
}

export interface TableDriftOptions {
  /** Split by this segment run's segments (the rows of users it did not place count for all only). */
  segments?: { runId: string; ids: readonly number[] };
  /** Chooses the version of the served columns from the versions that served. */
  chooseVersion: (versions: readonly ServedVersion[]) => string | null;
  rules?: Readonly<Record<string, DriftRule>>;
  /** Rows a population's sample holds at most (default DEFAULT_SAMPLE_ROWS). */
  sampleRows?: number;
  /** Judge the sampled texts' drift (default true, for a table with text). */
  text?: boolean;
}

const inPopulation = (key: PopulationKey, segment: number | null) => key === 'all' || segment === key;

function servedVersions(reference: readonly CountGroup[], current: readonly CountGroup[]): ServedVersion[] {
  const served = new Map<string, { reference: number; current: number }>();
  for (const [groups, side] of [[reference, 'reference'], [current, 'current']] as const) {
    for (const g of groups) {
      if (g.version === null) continue;
      const v = served.get(g.version) ?? { reference: 0, current: 0 };
      v[side] += g.rows;
      served.set(g.version, v);
    }
  }
  return [...served]
    .map(([version, v]) => ({ version, ...v, both: Math.min(v.reference, v.current) }))
    .sort((a, b) => b.both - a.both || (a.version < b.version ? -1 : 1));
}

/** A population's rows, rows served by `version`, and counts per category (served columns among served rows). */
function countsOf(spec: DriftTable, groups: readonly CountGroup[], key: PopulationKey, version: string | null) {
  const cats = categoricalColumns(spec);
  const categories = new Map(cats.map((c) => [c.name, new Map<string, number>()]));
  let rows = 0;
  let served = 0;
  for (const g of groups) {
    if (!inPopulation(key, g.segment)) continue;
    rows += g.rows;
    const isServed = version !== null && g.version === version;
    if (isServed) served += g.rows;
    cats.forEach((c, i) => {
      if (c.served && !isServed) return;
      const counts = categories.get(c.name)!;
      const value = g.values[i] ?? NONE;
      counts.set(value, (counts.get(value) ?? 0) + g.rows);
    });
  }
  return { rows, served, categories };
}

/**
 * Each population's sample of one window, gathered from scan 2's batches: a row joins all
 * rows' sample and its segment's when its hash is below their thresholds (served columns:
 * below the served threshold, among rows `version` served).
 */
function gatherSamples(spec: DriftTable, thresholds: ReadonlyMap<PopulationKey, SampleThresholds>, version: string | null) {
  const nums = numericColumns(spec);
  const gathered = new Map([...thresholds.keys()].map((k) => [k, { values: nums.map(() => [] as number[]), texts: [] as string[] }]));
  const add = (key: PopulationKey, r: SampledRow) => {
    const [t, into] = [thresholds.get(key), gathered.get(key)];
    if (t === undefined || into === undefined) return;
    const inSample = r.hash < t.threshold;
    const inServed = version !== null && r.version === version && r.hash < t.servedThreshold;
    nums.forEach((c, i) => {
      if ((c.served ? inServed : inSample) && r.values[i] !== null) into.values[i].push(r.values[i]!);
    });
    if (inSample && r.text !== null) into.texts.push(r.text);
  };
  return {
    add(rows: readonly SampledRow[]) {
      for (const r of rows) {
        add('all', r);
        if (r.segment !== null) add(r.segment, r);
      }
    },
    /** A population's sorted sample of each numeric column, and its texts. */
    of(key: PopulationKey) {
      const { values, texts } = gathered.get(key)!;
      return { samples: new Map(nums.map((c, i) => [c.name, Float64Array.from(values[i]).sort()])), texts };
    },
  };
}

/** Column drift of `spec`'s table between two windows, for all rows and each segment. */
export async function tableDrift(handle: DatabaseHandle, spec: DriftTable, windows: { reference: TimeWindow; current: TimeWindow }, options: TableDriftOptions): Promise<TableDrift> {
  const { db } = handle;
  const split = { segmentRunId: options.segments?.runId ?? null };
  const keys: PopulationKey[] = ['all', ...(options.segments?.ids ?? [])];
  const [refGroups, curGroups] = await Promise.all([windowCounts(db, spec, windows.reference, split), windowCounts(db, spec, windows.current, split)]);
  const versions = servedVersions(refGroups, curGroups);
  const version = options.chooseVersion(versions);
  const columns = spec.columns.filter((c) => !c.served || version !== null);

  const counted = new Map(keys.map((k) => [k, { reference: countsOf(spec, refGroups, k, version), current: countsOf(spec, curGroups, k, version) }]));
  const size = options.sampleRows ?? DEFAULT_SAMPLE_ROWS;
  const sampleOf = async (side: 'reference' | 'current') => {
    const thresholds = new Map(keys.map((k): [PopulationKey, SampleThresholds] => {
      const c = counted.get(k)![side];
      return [k, { threshold: sampleThreshold(c.rows, size), servedThreshold: version === null ? 0 : sampleThreshold(c.served, size) }];
    }));
    const gathered = gatherSamples(spec, thresholds, version);
    const bySegment = new Map([...thresholds].filter(([k]) => k !== 'all') as [number, SampleThresholds][]);
    await eachWindowSample(db, spec, windows[side], { all: thresholds.get('all')!, segments: bySegment }, split, (rows) => gathered.add(rows));
    return gathered;
  };
  const [refSamples, curSamples] = await Promise.all([sampleOf('reference'), sampleOf('current')]);
  const sampled = new Map(keys.map((k) => [k, { reference: refSamples.of(k), current: curSamples.of(k) }]));

  // Each population's bins are its own reference deciles.
  const edgesOf = (k: PopulationKey) => new Map([...sampled.get(k)!.reference.samples].map(([name, v]) => [name, v.length === 0 ? [] : decileEdges(v)]));
  const edges = new Map(keys.map((k) => [k, edgesOf(k)]));
  const binEdges = { all: edges.get('all')!, segments: new Map(keys.filter((k) => k !== 'all').map((k) => [k as number, edges.get(k)!])) };
  const bins = [windowBins(db, spec, windows.reference, binEdges, version, split), windowBins(db, spec, windows.current, binEdges, version, split)] as const;
  // Texts are judged in node while Postgres counts the bins: once one window's scan is
  // back (or has failed: Promise.all below reports it), the other is surely under way
  // (each starts with a round trip or two).
  await Promise.race(bins.map((b) => b.then(() => undefined, () => undefined)));
  const wantText = options.text !== false && spec.text !== undefined;
  const texts = new Map(keys.map((k) => [k, wantText ? textDrift(sampled.get(k)!.reference.texts, sampled.get(k)!.current.texts) : null]));
  const [refBins, curBins] = await Promise.all(bins);
  const binsOf = (b: { all: BinCounts; segments: Map<number, BinCounts> }, k: PopulationKey) => (k === 'all' ? b.all : b.segments.get(k)!);

  const rules = options.rules ?? {};
  const populations = new Map<PopulationKey, PopulationDrift>();
  for (const k of keys) {
    const c = counted.get(k)!;
    const s = sampled.get(k)!;
    const [rb, cb] = [binsOf(refBins, k), binsOf(curBins, k)];
    const drift = columns.map((col) => {
      const rule = rules[col.name] ?? {};
      if (col.type === 'categorical') return categoricalColumnDrift(col.name, c.reference.categories.get(col.name)!, c.current.categories.get(col.name)!, rule);
      const ref = s.reference.samples.get(col.name)!;
      return numericColumnDrift(
        col.name,
        { n: rb.n.get(col.name)!, std: populationStd(ref), edges: edges.get(k)!.get(col.name)!, sample: ref, bins: rb.bins.get(col.name)! },
        { n: cb.n.get(col.name)!, sample: s.current.samples.get(col.name)!, bins: cb.bins.get(col.name)! },
        rule,
      );
    });
    populations.set(k, {
      columns: drift,
      text: texts.get(k)!,
      reference: { rows: c.reference.rows, texts: s.reference.texts },
      current: { rows: c.current.rows, texts: s.current.texts },
    });
  }
  return { versions, version, populations, counts: { reference: refGroups, current: curGroups } };
}

/** Index of a categorical column among the spec's categorical columns (as CountGroup.values holds them). */
export function categoryIndex(spec: DriftTable, name: string): number {
  const i = categoricalColumns(spec).findIndex((c) => c.name === name);
  if (i < 0) throw new Error(`drift table ${spec.table} has no categorical column ${name}`);
  return i;
}

/** Rows per value of `column` among all rows whose `where` column equals `is`. */
export function countWhere(spec: DriftTable, groups: readonly CountGroup[], column: string, where: { column: string; is: string }): Map<string, number> {
  const [at, cond] = [categoryIndex(spec, column), categoryIndex(spec, where.column)];
  const out = new Map<string, number>();
  for (const g of groups) {
    const v = g.values[at];
    if (g.values[cond] !== where.is || v === null) continue;
    out.set(v, (out.get(v) ?? 0) + g.rows);
  }
  return out;
}

/** The distinct non-null values of a categorical column. */
export function valuesOf(spec: DriftTable, groups: readonly CountGroup[], column: string): string[] {
  const at = categoryIndex(spec, column);
  return [...new Set(groups.map((g) => g.values[at]).filter((v): v is string => v !== null))];
}

/** Index of a numeric column among the spec's numeric columns (as CountGroup.numeric holds them). */
export function numericIndex(spec: DriftTable, name: string): number {
  const i = numericColumns(spec).findIndex((c) => c.name === name);
  if (i < 0) throw new Error(`drift table ${spec.table} has no numeric column ${name}`);
  return i;
}

/**
 * Column drift of one table between two populations, every statistic of the one
 * population queried on its own (for any table, and the check on tableDrift): category
 * counts (and so the rows), then sorted samples (the reference's deciles and spread among
 * them), then bin counts over those deciles — each step for both windows at once.
 */
export async function tableColumnDrift(
  handle: DatabaseHandle,
  spec: DriftTable,
  ref: Population,
  cur: Population,
  rules: Readonly<Record<string, DriftRule>> = {},
  sampleRows = DEFAULT_SAMPLE_ROWS,
): Promise<ColumnDrift[]> {
  const { db } = handle;
  const [refCats, curCats] = await Promise.all([categoryCountsOf(db, spec, ref, NONE), categoryCountsOf(db, spec, cur, NONE)]);
  // Every row has a category in each categorical column ("(none)" for null): the first one's counts sum to the rows.
  const first = spec.columns.find((c) => c.type === 'categorical');
  const rowsOf = async (counts: Map<string, Map<string, number>>, p: Population) =>
    first === undefined ? windowRows(db, spec, p) : [...counts.get(first.name)!.values()].reduce((a, b) => a + b, 0);
  const [refRows, curRows] = await Promise.all([rowsOf(refCats, ref), rowsOf(curCats, cur)]);
  const [refSample, curSample] = await Promise.all([numericSamples(db, spec, ref, refRows, sampleRows), numericSamples(db, spec, cur, curRows, sampleRows)]);
  const edges = new Map([...refSample].map(([name, values]) => [name, values.length === 0 ? [] : decileEdges(values)]));
  const [refBins, curBins] = await Promise.all([binCountsOf(db, spec, ref, edges), binCountsOf(db, spec, cur, edges)]);
  return spec.columns.map((c) => {
    const rule = rules[c.name] ?? {};
    if (c.type === 'categorical') return categoricalColumnDrift(c.name, refCats.get(c.name)!, curCats.get(c.name)!, rule);
    return numericColumnDrift(
      c.name,
      { n: refBins.n.get(c.name)!, std: populationStd(refSample.get(c.name)!), edges: edges.get(c.name)!, sample: refSample.get(c.name)!, bins: refBins.bins.get(c.name)! },
      { n: curBins.n.get(c.name)!, sample: curSample.get(c.name)!, bins: curBins.bins.get(c.name)! },
      rule,
    );
  });
}
