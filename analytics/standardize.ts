import type { Matrix } from './matrix.js';

export interface Standardized {
  matrix: Matrix;
  means: number[];
  /** Population standard deviations; a constant column has 0 and standardises to 0. */
  stds: number[];
}

/**
 * Z-scores each column: (x − mean) / std. Missing values (NaN) count as the column's mean,
 * so they standardise to 0 and pull no one anywhere.
 */
export function standardize(input: Matrix): Standardized {
  const { rows, columns, data } = input;
  const means = new Array<number>(columns).fill(0);
  const stds = new Array<number>(columns).fill(0);
  for (let c = 0; c < columns; c++) {
    let sum = 0;
    let n = 0;
    for (let r = 0; r < rows; r++) {
      const v = data[r * columns + c];
      if (!Number.isNaN(v)) {
        sum += v;
        n++;
      }
    }
    const mean = n === 0 ? 0 : sum / n;
    let ss = 0;
    for (let r = 0; r < rows; r++) {
      const v = data[r * columns + c];
      if (!Number.isNaN(v)) ss += (v - mean) ** 2;
    }
    means[c] = mean;
    stds[c] = n === 0 ? 0 : Math.sqrt(ss / n);
  }
  return standardizeWith(input, means, stds);
}

/** Z-scores with given means and standard deviations (a population's, applied to its sample). */
export function standardizeWith(input: Matrix, means: number[], stds: number[]): Standardized {
  const { rows, columns, data } = input;
  const out = new Float64Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const v = data[r * columns + c];
      out[r * columns + c] = Number.isNaN(v) || stds[c] === 0 ? 0 : (v - means[c]) / stds[c];
    }
  }
  return { matrix: { rows, columns, data: out }, means, stds };
}
