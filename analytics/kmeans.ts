import type { Matrix } from './matrix.js';
import { Random } from './seeded-random.js';

export interface KMeansOptions {
  k: number;
  /** Same seed, same data → same result. */
  seed?: number | string;
  /** Independent k-means++ starts; the one with the lowest inertia wins. */
  restarts?: number;
  maxIterations?: number;
  /** Stop early once no point changes cluster. Off to run exactly maxIterations. */
  stopWhenStable?: boolean;
}

export interface KMeansResult {
  k: number;
  /** k × columns, row-major. */
  centroids: Float64Array;
  assignments: Int32Array;
  /** Sum of squared distances of points to their centroid. */
  inertia: number;
  iterations: number;
}

export const DEFAULT_RESTARTS = 4;
export const DEFAULT_MAX_ITERATIONS = 100;

function squaredDistance(a: Float64Array, i: number, b: Float64Array, j: number, d: number): number {
  let s = 0;
  for (let c = 0; c < d; c++) {
    const diff = a[i + c] - b[j + c];
    s += diff * diff;
  }
  return s;
}

/** k-means++ seeding: each next centre drawn with probability ∝ squared distance. */
function seedCentroids(m: Matrix, k: number, rng: Random): Float64Array {
  const { rows: n, columns: d, data } = m;
  const centroids = new Float64Array(k * d);
  const first = rng.int(n);
  centroids.set(data.subarray(first * d, first * d + d), 0);
  const nearest = new Float64Array(n).fill(Infinity);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const dist = squaredDistance(data, i * d, centroids, (c - 1) * d, d);
      if (dist < nearest[i]) nearest[i] = dist;
      total += nearest[i];
    }
    let pick = n - 1;
    if (total > 0) {
      let r = rng.next() * total;
      for (let i = 0; i < n; i++) {
        r -= nearest[i];
        if (r < 0) {
          pick = i;
          break;
        }
      }
    } else pick = rng.int(n);
    centroids.set(data.subarray(pick * d, pick * d + d), c * d);
  }
  return centroids;
}

/**
 * Lloyd's algorithm with Hamerly's bounds: each point keeps an upper bound on the
 * distance to its centre and a lower bound on the distance to any other; when the upper
 * bound is below both the lower bound and half the gap to the nearest other centre, the
 * point cannot change cluster and its distances are not computed. Same result as plain
 * Lloyd, far fewer distance computations once clusters settle.
 */
function hamerly(m: Matrix, centroids: Float64Array, k: number, maxIterations: number, stopWhenStable: boolean): KMeansResult {
  const { rows: n, columns: d, data } = m;
  const assignments = new Int32Array(n);
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  const sums = new Float64Array(k * d);
  const sizes = new Int32Array(k);
  const halfGap = new Float64Array(k);
  const moved = new Float64Array(k);
  const previous = new Float64Array(k * d);

  // Full assignment: nearest and second-nearest centre of every point.
  const assignFully = (i: number): void => {
    const row = i * d;
    let best = 0;
    let d1 = Infinity;
    let d2 = Infinity;
    for (let j = 0; j < k; j++) {
      const cj = j * d;
      let s = 0;
      for (let c = 0; c < d; c++) {
        const diff = data[row + c] - centroids[cj + c];
        s += diff * diff;
      }
      if (s < d1) {
        d2 = d1;
        d1 = s;
        best = j;
      } else if (s < d2) d2 = s;
    }
    assignments[i] = best;
    upper[i] = Math.sqrt(d1);
    lower[i] = Math.sqrt(d2);
  };
  for (let i = 0; i < n; i++) assignFully(i);

  const updateCentroids = (): void => {
    sums.fill(0);
    sizes.fill(0);
    for (let i = 0; i < n; i++) {
      const j = assignments[i];
      sizes[j]++;
      const row = i * d;
      const cj = j * d;
      for (let c = 0; c < d; c++) sums[cj + c] += data[row + c];
    }
    for (let j = 0; j < k; j++) {
      if (sizes[j] === 0) {
        // An empty cluster takes the point farthest from its centre.
        let far = 0;
        let farDist = -Infinity;
        for (let i = 0; i < n; i++) {
          if (upper[i] > farDist) {
            farDist = upper[i];
            far = i;
          }
        }
        centroids.set(data.subarray(far * d, far * d + d), j * d);
        upper[far] = 0;
        continue;
      }
      for (let c = 0; c < d; c++) centroids[j * d + c] = sums[j * d + c] / sizes[j];
    }
  };

  let iterations = 0;
  let changed = 0;
  for (; iterations < maxIterations; iterations++) {
    previous.set(centroids);
    updateCentroids();
    let maxMove = 0;
    let maxMoved = 0;
    let secondMove = 0;
    for (let j = 0; j < k; j++) {
      moved[j] = Math.sqrt(squaredDistance(centroids, j * d, previous, j * d, d));
      if (moved[j] > maxMove) {
        secondMove = maxMove;
        maxMove = moved[j];
        maxMoved = j;
      } else if (moved[j] > secondMove) secondMove = moved[j];
    }
    for (let i = 0; i < n; i++) {
      upper[i] += moved[assignments[i]];
      lower[i] -= assignments[i] === maxMoved ? secondMove : maxMove;
    }
    for (let j = 0; j < k; j++) {
      let nearest = Infinity;
      for (let o = 0; o < k; o++) if (o !== j) nearest = Math.min(nearest, squaredDistance(centroids, j * d, centroids, o * d, d));
      halfGap[j] = Math.sqrt(nearest) / 2;
    }
    // Reassign the points whose bounds no longer prove their cluster.
    changed = 0;
    for (let i = 0; i < n; i++) {
      const a = assignments[i];
      const bound = Math.max(halfGap[a], lower[i]);
      if (upper[i] <= bound) continue;
      upper[i] = Math.sqrt(squaredDistance(data, i * d, centroids, a * d, d));
      if (upper[i] <= bound) continue;
      assignFully(i);
      if (assignments[i] !== a) changed++;
    }
    if (changed === 0 && stopWhenStable) {
      iterations++;
      break;
    }
  }
  // The centres returned are the means of the assignment returned.
  if (changed > 0) updateCentroids();
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += squaredDistance(data, i * d, centroids, assignments[i] * d, d);
  return { k, centroids, assignments, inertia, iterations };
}

/**
 * k-means++ with seeded restarts, on rows of a matrix.
 *
 * @example kmeans(matrixFrom([[0], [0.1], [5], [5.1]]), { k: 2, seed: 1 }).assignments // [0, 0, 1, 1] or [1, 1, 0, 0]
 */
export function kmeans(m: Matrix, options: KMeansOptions): KMeansResult {
  const k = Math.min(options.k, m.rows);
  if (k < 1) throw new RangeError(`k must be at least 1 and the data must have rows (k = ${options.k}, rows = ${m.rows})`);
  const rng = new Random(options.seed ?? 0);
  let best: KMeansResult | null = null;
  for (let r = 0; r < (options.restarts ?? DEFAULT_RESTARTS); r++) {
    const result = hamerly(m, seedCentroids(m, k, rng), k, options.maxIterations ?? DEFAULT_MAX_ITERATIONS, options.stopWhenStable ?? true);
    if (best === null || result.inertia < best.inertia) best = result;
  }
  return best!;
}
