/** A dense row-major matrix of numbers: `data[row * columns + column]`. */
export interface Matrix {
  rows: number;
  columns: number;
  data: Float64Array;
}

/** @example matrixFrom([[1, 2], [3, 4]]) // { rows: 2, columns: 2, data: [1, 2, 3, 4] } */
export function matrixFrom(rows: readonly (readonly number[])[]): Matrix {
  const columns = rows[0]?.length ?? 0;
  const data = new Float64Array(rows.length * columns);
  rows.forEach((row, i) => data.set(row, i * columns));
  return { rows: rows.length, columns, data };
}
