import { kmeans, type KMeansResult } from './kmeans.js';
import type { Matrix } from './matrix.js';
import { personaName, uniqueNames, type Distinction } from './persona-name.js';
import { meanSilhouette, pickIndices, sampleDistances } from './silhouette.js';
import { standardize, standardizeWith } from './standardize.js';

export interface SegmentOptions {
  /** A number of segments, or 'auto' to choose by mean silhouette. */
  k: number | 'auto';
  seed?: number | string;
  /** Candidates for k = 'auto' (inclusive). */
  kMin?: number;
  kMax?: number;
  /** Points on which silhouettes are computed. */
  sampleSize?: number;
  restarts?: number;
  /**
   * Standardise with these means and standard deviations instead of the rows' own: the
   * rows are a sample of a population whose figures these are (segment-users activity).
   */
  scaling?: { means: number[]; stds: number[] };
}

export interface SegmentDescription extends Distinction {
  /** Segment mean and overall mean, in the feature's own unit. */
  value: number;
  overall: number;
}

export interface Segment {
  id: number;
  name: string;
  size: number;
  /** Mean of each feature in the segment, in the feature's own unit. */
  centroid: Record<string, number>;
  /** The features that set the segment apart most, strongest first. */
  distinctive: SegmentDescription[];
}

export interface Segmentation {
  k: number;
  silhouette: number | null;
  /** Mean silhouette of every k tried (one entry when k was given). */
  tried: { k: number; silhouette: number | null }[];
  segments: Segment[];
  /** Segment id of each input row. */
  assignments: Int32Array;
  /** The standardisation applied: each feature's mean and standard deviation. */
  scaling: { means: number[]; stds: number[] };
  /** Each segment's centre in standardised units (k × features, row-major, in segment id order). */
  centers: Float64Array;
}

export const DEFAULT_SAMPLE_SIZE = 2000;
/** With k = 'auto', candidates are fitted on at most this many users, then the chosen k on all. */
export const AUTO_FIT_ROWS = 20_000;
const DISTINCTIVE = 4;

/** A seeded sample of rows (all of them when there are no more than `size`). */
function sampleRows(m: Matrix, size: number, seed: number | string): Matrix {
  if (m.rows <= size) return m;
  const picked = pickIndices(m.rows, size, seed);
  const data = new Float64Array(size * m.columns);
  picked.forEach((row, i) => data.set(m.data.subarray(row * m.columns, (row + 1) * m.columns), i * m.columns));
  return { rows: size, columns: m.columns, data };
}

/**
 * Segments rows (users) of numeric features: standardise, k-means++ with seeded restarts,
 * k by silhouette when 'auto', then describe each segment. Segment ids are ordered by
 * size, largest first. Missing values (NaN) count as the feature's mean.
 */
export function segmentUsers(features: readonly string[], raw: Matrix, options: SegmentOptions): Segmentation | { error: string } {
  if (raw.rows < 3) return { error: `too few users to segment (${raw.rows}; at least 3)` };
  if (raw.columns !== features.length) return { error: `${features.length} feature names for ${raw.columns} columns` };
  const seed = options.seed ?? 0;
  const { matrix, means, stds } = options.scaling === undefined ? standardize(raw) : standardizeWith(raw, options.scaling.means, options.scaling.stds);
  const fit = (m: Matrix, k: number) => kmeans(m, { k, seed, restarts: options.restarts });

  let chosen: KMeansResult;
  const tried: Segmentation['tried'] = [];
  if (options.k === 'auto') {
    const kMax = Math.min(options.kMax ?? 10, raw.rows - 1);
    const candidates = sampleRows(matrix, AUTO_FIT_ROWS, seed);
    const sample = sampleDistances(candidates, options.sampleSize ?? DEFAULT_SAMPLE_SIZE, seed);
    let best: { k: number; result: KMeansResult; silhouette: number } | null = null;
    for (let k = options.kMin ?? 2; k <= kMax; k++) {
      const result = fit(candidates, k);
      const silhouette = meanSilhouette(sample, result.assignments, k);
      tried.push({ k, silhouette });
      if (silhouette !== null && (best === null || silhouette > best.silhouette)) best = { k, result, silhouette };
    }
    if (best === null) return { error: 'no k gave two or more non-empty segments' };
    chosen = candidates === matrix ? best.result : fit(matrix, best.k);
  } else {
    if (!Number.isInteger(options.k) || options.k < 1) return { error: `k must be a whole number of at least 1 (got ${options.k})` };
    chosen = fit(matrix, options.k);
    const sample = sampleDistances(matrix, options.sampleSize ?? DEFAULT_SAMPLE_SIZE, seed);
    tried.push({ k: chosen.k, silhouette: meanSilhouette(sample, chosen.assignments, chosen.k) });
  }

  // Each cluster's size and mean of each feature in its own unit (missing values left out).
  const k = chosen.k;
  const d = raw.columns;
  const sizes = new Array<number>(k).fill(0);
  const sums = Array.from({ length: k }, () => new Float64Array(d));
  const counts = Array.from({ length: k }, () => new Int32Array(d));
  for (let i = 0; i < raw.rows; i++) {
    const j = chosen.assignments[i];
    sizes[j]++;
    for (let c = 0; c < d; c++) {
      const v = raw.data[i * d + c];
      if (!Number.isNaN(v)) {
        sums[j][c] += v;
        counts[j][c]++;
      }
    }
  }
  const described = describeSegments(features, sizes, sums.map((row, j) => Array.from(row, (sum, c) => (counts[j][c] === 0 ? NaN : sum / counts[j][c]))), { means, stds });
  const assignments = Int32Array.from(chosen.assignments, (a) => described.ids[a]);
  const centers = new Float64Array(k * d);
  described.ids.forEach((id, j) => centers.set(chosen.centroids.subarray(j * d, (j + 1) * d), id * d));
  const segments = described.segments;
  const silhouette = tried.find((t) => t.k === k)?.silhouette ?? null;
  return { k, silhouette, tried, segments, assignments, scaling: { means, stds }, centers };
}

/**
 * Segments from clusters' sizes and their members' mean of each feature (NaN where none
 * had a value: the overall mean stands in), ordered by size — largest first, so that ids
 * read the same way run after run — named, and described by their most distinctive
 * features. `ids[j]` is cluster j's segment id.
 */
export function describeSegments(features: readonly string[], sizes: readonly number[], clusterMeans: readonly (readonly number[])[], scaling: { means: number[]; stds: number[] }): { segments: Segment[]; ids: number[] } {
  const { means, stds } = scaling;
  const order = sizes.map((size, j) => ({ size, j })).sort((x, y) => y.size - x.size || x.j - y.j);
  const ids = new Array<number>(sizes.length);
  order.forEach(({ j }, id) => (ids[j] = id));
  const segments = order.map(({ j, size }, id): Segment => {
    const centroid: Record<string, number> = {};
    const distinctive: SegmentDescription[] = [];
    features.forEach((feature, c) => {
      const value = Number.isNaN(clusterMeans[j][c]) ? means[c] : clusterMeans[j][c];
      centroid[feature] = value;
      if (stds[c] > 0) distinctive.push({ feature, z: (value - means[c]) / stds[c], value, overall: means[c] });
    });
    distinctive.sort((a, b) => Math.abs(b.z) - Math.abs(a.z));
    return { id, name: personaName(distinctive), size, centroid, distinctive: distinctive.slice(0, DISTINCTIVE) };
  });
  uniqueNames(segments.map((s) => s.name)).forEach((name, i) => (segments[i].name = name));
  return { segments, ids };
}
