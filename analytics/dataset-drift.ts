import { benjaminiHochberg } from './benjamini-hochberg.js';
import type { ColumnDrift } from './column-drift.js';

export const DEFAULT_DRIFT_SHARE = 0.5;

export interface DatasetDrift {
  dataset_drift: boolean;
  /** Share of the judged columns that drifted. */
  drift_share: number;
  columns: ColumnDrift[];
}

/**
 * Fills each column's Benjamini–Hochberg adjusted p-value (of its KS or chi-square test)
 * and decides dataset drift: at least `share` of the judged columns drifted.
 */
export function datasetDrift(columns: ColumnDrift[], share = DEFAULT_DRIFT_SHARE): DatasetDrift {
  const adjusted = benjaminiHochberg(columns.map((c) => (c.type === 'numeric' ? c.ks_p : c.chi2_p)));
  columns.forEach((c, i) => (c.p_adjusted = adjusted[i]));
  const judged = columns.filter((c) => c.drifted !== null);
  const drifted = judged.filter((c) => c.drifted).length;
  const driftShare = judged.length === 0 ? 0 : drifted / judged.length;
  return { dataset_drift: judged.length > 0 && driftShare >= share, drift_share: driftShare, columns };
}

/**
 * Alert fatigue: a column counts as drifted only when it also drifted in the previous
 * `windows − 1` checks (`history`: oldest first, one boolean per earlier check).
 */
export function applyPersistence(column: ColumnDrift, history: readonly (boolean | null)[], windows: number): ColumnDrift {
  if (windows <= 1 || column.drifted !== true) return column;
  const needed = windows - 1;
  const recent = history.slice(-needed);
  if (recent.length === needed && recent.every((d) => d === true)) {
    return { ...column, reason: `${column.reason}; drifted in ${windows} consecutive windows` };
  }
  const streak = [...recent].reverse().findIndex((d) => d !== true);
  const run = (streak === -1 ? recent.length : streak) + 1;
  return { ...column, drifted: false, reason: `${column.reason}, but only ${run} of the ${windows} consecutive windows the persistence rule needs` };
}
