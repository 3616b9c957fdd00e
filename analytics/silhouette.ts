import type { Matrix } from './matrix.js';
import { Random } from './seeded-random.js';

/**
 * Pairwise Euclidean distances among a sample of rows, computed once and reused for
 * every k tried. `indices` are the sampled rows.
 */
export interface SampleDistances {
  indices: Int32Array;
  distances: Float32Array;
}

/** `size` distinct row indices out of `n`, seeded, in ascending order. */
export function pickIndices(n: number, size: number, seed: number | string): Int32Array {
  const s = Math.min(size, n);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const rng = new Random(seed);
  for (let i = 0; i < s; i++) {
    const j = i + rng.int(n - i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.slice(0, s).sort();
}

export function sampleDistances(m: Matrix, sampleSize: number, seed: number | string = 0): SampleDistances {
  const indices = pickIndices(m.rows, sampleSize, seed);
  const s = indices.length;
  const d = m.columns;
  const distances = new Float32Array(s * s);
  for (let a = 0; a < s; a++) {
    const ra = indices[a] * d;
    for (let b = a + 1; b < s; b++) {
      const rb = indices[b] * d;
      let sum = 0;
      for (let c = 0; c < d; c++) {
        const diff = m.data[ra + c] - m.data[rb + c];
        sum += diff * diff;
      }
      const dist = Math.sqrt(sum);
      distances[a * s + b] = dist;
      distances[b * s + a] = dist;
    }
  }
  return { indices, distances };
}

/**
 * Mean silhouette of the sampled points under `assignments` (of all rows): for each
 * point, (b − a) / max(a, b) with a its mean distance to its own cluster and b to the
 * nearest other cluster; 0 for a point alone in its cluster. Null with fewer than 2
 * clusters in the sample.
 */
export function meanSilhouette(sample: SampleDistances, assignments: Int32Array, k: number): number | null {
  const s = sample.indices.length;
  const labels = Int32Array.from(sample.indices, (i) => assignments[i]);
  const sizes = new Int32Array(k);
  for (const l of labels) sizes[l]++;
  if (sizes.filter((n) => n > 0).length < 2) return null;
  const sums = new Float64Array(k);
  let total = 0;
  for (let a = 0; a < s; a++) {
    sums.fill(0);
    const row = a * s;
    for (let b = 0; b < s; b++) sums[labels[b]] += sample.distances[row + b];
    const own = labels[a];
    if (sizes[own] <= 1) continue;
    const inside = sums[own] / (sizes[own] - 1);
    let nearest = Infinity;
    for (let j = 0; j < k; j++) if (j !== own && sizes[j] > 0) nearest = Math.min(nearest, sums[j] / sizes[j]);
    const denominator = Math.max(inside, nearest);
    total += denominator === 0 ? 0 : (nearest - inside) / denominator;
  }
  return total / s;
}
