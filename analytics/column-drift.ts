/**
 * Drift of one column between a reference and a current window: every statistic that
 * applies, and a decision that says which test it used and why.
 */
import { chiSquare2xC } from './chi-square.js';
import { jensenShannon, psi } from './distribution-distances.js';
import { ksTwoSample } from './kolmogorov-smirnov.js';
import { binCounts, decileEdges } from './quantiles.js';
import { wasserstein } from './wasserstein.js';

export type DriftMethod = 'ks' | 'chi2' | 'wasserstein' | 'js' | 'psi';

/** How a column is judged; unset fields take the defaults below. */
export interface DriftRule {
  method?: DriftMethod;
  threshold?: number;
}

/** Up to this many reference rows, drift is a significance test; above it, a distance. */
export const SMALL_REFERENCE_ROWS = 1000;
export const DEFAULT_THRESHOLDS: Record<DriftMethod, number> = { ks: 0.05, chi2: 0.05, wasserstein: 0.1, js: 0.1, psi: 0.2 };

export interface ColumnDrift {
  column: string;
  type: 'numeric' | 'categorical';
  method: DriftMethod | null;
  threshold: number | null;
  /** true / false, or null when there is too little data to judge. */
  drifted: boolean | null;
  /** The decision in words: statistic, threshold, method. */
  reason: string;
  ks_d: number | null;
  ks_p: number | null;
  wasserstein_norm: number | null;
  psi: number | null;
  js: number | null;
  chi2: number | null;
  chi2_p: number | null;
  /** The test's p-value adjusted (Benjamini–Hochberg) across the columns tested. */
  p_adjusted: number | null;
  n_reference: number;
  n_current: number;
  /** Counts per bin (numeric: the reference deciles) or per category (the 30 most common), for charts. */
  histogram: { bins: string[]; reference: number[]; current: number[] } | null;
}

/** A numeric window as drift needs it. `sample` is sorted; it is all values when small. */
export interface NumericWindow {
  n: number;
  sample: Float64Array;
  /** Counts in the reference decile bins, over all values (not only the sample). */
  bins: number[];
}

export interface NumericReference extends NumericWindow {
  std: number;
  /** Reference deciles q1..q9, duplicates merged. */
  edges: number[];
}

const HISTOGRAM_CATEGORIES = 30;
const fmt = (v: number) => (Math.abs(v) >= 0.001 || v === 0 ? v.toFixed(3) : v.toExponential(2));

function empty(column: string, type: ColumnDrift['type'], nr: number, nc: number): ColumnDrift {
  return { column, type, method: null, threshold: null, drifted: null, reason: '', ks_d: null, ks_p: null, wasserstein_norm: null, psi: null, js: null, chi2: null, chi2_p: null, p_adjusted: null, n_reference: nr, n_current: nc, histogram: null };
}

/** Applies the rule, or the default for the reference size and column type. */
function decide(out: ColumnDrift, rule: DriftRule): ColumnDrift {
  const small = out.n_reference <= SMALL_REFERENCE_ROWS;
  const method = rule.method ?? (out.type === 'numeric' ? (small ? 'ks' : 'wasserstein') : small ? 'chi2' : 'js');
  const threshold = rule.threshold ?? DEFAULT_THRESHOLDS[method];
  const value = { ks: out.ks_p, chi2: out.chi2_p, wasserstein: out.wasserstein_norm, js: out.js, psi: out.psi }[method];
  out.method = method;
  out.threshold = threshold;
  const why = rule.method === undefined ? ` (default for ${small ? '≤' : '>'} ${SMALL_REFERENCE_ROWS} reference rows)` : ' (configured)';
  if (value === null) {
    out.drifted = null;
    out.reason = `${method} cannot be computed for this column`;
  } else if (method === 'ks' || method === 'chi2') {
    out.drifted = value < threshold;
    out.reason = `${method === 'ks' ? 'KS' : 'chi-square'} p = ${fmt(value)} ${out.drifted ? '<' : '≥'} ${threshold}${why}`;
  } else {
    out.drifted = value >= threshold;
    const name = { wasserstein: 'Wasserstein / reference sd', js: 'Jensen–Shannon distance', psi: 'PSI' }[method];
    out.reason = `${name} = ${fmt(value)} ${out.drifted ? '≥' : '<'} ${threshold}${why}`;
  }
  return out;
}

function appearedOrMissing(out: ColumnDrift): ColumnDrift | null {
  if (out.n_current === 0) {
    out.reason = 'no current values';
    return out;
  }
  if (out.n_reference === 0) {
    out.drifted = true;
    out.reason = `no reference values, ${out.n_current} current ones: the column appeared`;
    return out;
  }
  return null;
}

export function numericColumnDrift(column: string, reference: NumericReference, current: NumericWindow, rule: DriftRule = {}): ColumnDrift {
  const out = empty(column, 'numeric', reference.n, current.n);
  const e = reference.edges.map((x) => Number(x.toPrecision(4)));
  const labels = e.length === 0 ? ['all'] : [`≤ ${e[0]}`, ...e.slice(1).map((x, i) => `${e[i]}–${x}`), `> ${e[e.length - 1]}`];
  if (reference.bins.length === labels.length && current.bins.length === labels.length) out.histogram = { bins: labels, reference: [...reference.bins], current: [...current.bins] };
  const early = appearedOrMissing(out);
  if (early !== null) return early;
  const ks = ksTwoSample(reference.sample, current.sample);
  out.ks_d = ks?.d ?? null;
  out.ks_p = ks?.p ?? null;
  const w = wasserstein(reference.sample, current.sample);
  // A constant reference has no spread to scale by: any movement is drift.
  out.wasserstein_norm = w === null ? null : reference.std > 0 ? w / reference.std : w === 0 ? 0 : null;
  out.psi = psi(reference.bins, current.bins);
  out.js = jensenShannon(reference.bins, current.bins);
  if (out.wasserstein_norm === null && w !== null && w > 0 && (rule.method ?? 'wasserstein') === 'wasserstein' && reference.n > SMALL_REFERENCE_ROWS) {
    out.method = 'wasserstein';
    out.drifted = true;
    out.reason = `the reference is constant and the current values differ (Wasserstein = ${fmt(w)})`;
    return out;
  }
  return decide(out, rule);
}

export function categoricalColumnDrift(column: string, reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>, rule: DriftRule = {}): ColumnDrift {
  const sum = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const out = empty(column, 'categorical', sum(reference), sum(current));
  const shown = [...new Set([...reference.keys(), ...current.keys()])]
    .sort((a, b) => (reference.get(b) ?? 0) + (current.get(b) ?? 0) - (reference.get(a) ?? 0) - (current.get(a) ?? 0) || (a < b ? -1 : 1))
    .slice(0, HISTOGRAM_CATEGORIES);
  out.histogram = { bins: shown, reference: shown.map((k) => reference.get(k) ?? 0), current: shown.map((k) => current.get(k) ?? 0) };
  const early = appearedOrMissing(out);
  if (early !== null) return early;
  const categories = [...new Set([...reference.keys(), ...current.keys()])].sort();
  const r = categories.map((c) => reference.get(c) ?? 0);
  const c = categories.map((k) => current.get(k) ?? 0);
  const chi = chiSquare2xC(r, c);
  out.chi2 = chi?.statistic ?? null;
  out.chi2_p = chi?.p ?? null;
  out.psi = psi(r, c);
  out.js = jensenShannon(r, c);
  return decide(out, rule);
}

/** The population standard deviation of values (0 for none): the scale of a Wasserstein distance between samples. */
export function populationStd(values: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i];
  mean /= values.length || 1;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i] - mean) ** 2;
  return Math.sqrt(squares / (values.length || 1));
}

/** Summaries of two in-memory numeric columns (file mode, small survey windows). */
export function numericWindows(reference: ArrayLike<number>, current: ArrayLike<number>): { reference: NumericReference; current: NumericWindow } {
  const ref = Float64Array.from(reference).sort();
  const cur = Float64Array.from(current).sort();
  const std = populationStd(ref);
  const edges = ref.length === 0 ? [] : decileEdges(ref);
  return { reference: { n: ref.length, sample: ref, bins: binCounts(ref, edges), std, edges }, current: { n: cur.length, sample: cur, bins: binCounts(cur, edges) } };
}

/** Category counts of an in-memory column; null and blank count as "(none)". */
export function categoryCounts(values: readonly (string | null | undefined)[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) {
    const key = v === null || v === undefined || v === '' ? NONE : v;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export const NONE = '(none)';
