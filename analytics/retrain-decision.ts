/**
 * Whether users have moved on far enough to fine-tune the production model, and why:
 * a drop in performance, significant drift in predictions or request texts, or a need
 * the model does not know growing among corrected requests.
 */
import { classificationMetrics, estimateAccuracy, type ClassificationMetrics, type ConfidenceBin, type PairCount } from './classification-metrics.js';
import type { ColumnDrift } from './column-drift.js';
import type { TextDrift } from './text-drift.js';

export interface EmergingNeed {
  /** The intent users corrected to, unknown to the model. */
  need: string;
  current: number;
  reference: number;
  examples: string[];
}

export interface PerformanceDrift {
  reference: ClassificationMetrics;
  current: ClassificationMetrics;
  /** current − reference, on labelled feedback; null without enough labels on either side. */
  accuracy_change: number | null;
  macro_f1_change: number | null;
  /** Accuracy estimated from calibrated confidence alone (CBPE), labels or not. */
  estimated_reference_accuracy: number | null;
  estimated_current_accuracy: number | null;
}

export interface RetrainThresholds {
  /** Retrain when accuracy (or, without labels, estimated accuracy) drops this much. */
  performanceDrop: number;
  /** Retrain when request texts drift at least this much (Jensen–Shannon, base 2). */
  textJs: number;
  /** Labelled predictions needed on each side before their accuracy is trusted. */
  minLabels: number;
  /** Corrections to one unknown intent that make it an emerging need. */
  minEmerging: number;
}

export const DEFAULT_RETRAIN_THRESHOLDS: RetrainThresholds = { performanceDrop: 0.03, textJs: 0.1, minLabels: 50, minEmerging: 20 };

export interface RetrainReason {
  kind: 'performance' | 'prediction_drift' | 'text_drift' | 'emerging_need';
  message: string;
}

export interface RetrainDecision {
  retrain: boolean;
  reasons: RetrainReason[];
}

/**
 * Corrected intents that the model never predicted in the reference window (so it does
 * not know them), that users corrected to at least `minEmerging` times now, and whose
 * share of all events grew (`rows`: events in each window, as windows differ in length).
 */
export function emergingNeeds(
  corrections: readonly { intent: string; reference: number; current: number }[],
  knownIntents: ReadonlySet<string>,
  rows: { reference: number; current: number },
  minEmerging = DEFAULT_RETRAIN_THRESHOLDS.minEmerging,
): Omit<EmergingNeed, 'examples'>[] {
  const share = (n: number, total: number) => (total === 0 ? 0 : n / total);
  return corrections
    .filter((c) => !knownIntents.has(c.intent) && c.current >= minEmerging && share(c.current, rows.current) > share(c.reference, rows.reference))
    .sort((a, b) => b.current - a.current)
    .map((c) => ({ need: c.intent, current: c.current, reference: c.reference }));
}

export function retrainDecision(
  input: { performance: PerformanceDrift | null; predictionColumns: readonly ColumnDrift[]; text: TextDrift | null; emerging: readonly EmergingNeed[] },
  thresholds: RetrainThresholds = DEFAULT_RETRAIN_THRESHOLDS,
): RetrainDecision {
  const reasons: RetrainReason[] = [];
  const p = input.performance;
  if (p !== null) {
    const labelled = p.reference.n >= thresholds.minLabels && p.current.n >= thresholds.minLabels;
    if (labelled && p.accuracy_change !== null && -p.accuracy_change >= thresholds.performanceDrop) {
      reasons.push({ kind: 'performance', message: `accuracy on labelled feedback fell from ${p.reference.accuracy!.toFixed(3)} to ${p.current.accuracy!.toFixed(3)} (drop ${(-p.accuracy_change).toFixed(3)} ≥ ${thresholds.performanceDrop})` });
    } else if (!labelled && p.estimated_reference_accuracy !== null && p.estimated_current_accuracy !== null && p.estimated_reference_accuracy - p.estimated_current_accuracy >= thresholds.performanceDrop) {
      reasons.push({ kind: 'performance', message: `estimated accuracy (from confidence; too few labels) fell from ${p.estimated_reference_accuracy.toFixed(3)} to ${p.estimated_current_accuracy.toFixed(3)}` });
    }
  }
  for (const c of input.predictionColumns) {
    if (c.drifted) reasons.push({ kind: 'prediction_drift', message: `${c.column} drifted: ${c.reason}` });
  }
  if (input.text !== null && input.text.js >= thresholds.textJs) {
    const terms = input.text.new_terms.slice(0, 5).map((t) => t.term);
    reasons.push({
      kind: 'text_drift',
      message: `request texts drifted: Jensen–Shannon ${input.text.js.toFixed(3)} ≥ ${thresholds.textJs}, ${(100 * input.text.unseen_share).toFixed(1)}% of current words unseen before${terms.length > 0 ? ` (new: ${terms.join(', ')})` : ''}`,
    });
  }
  for (const e of input.emerging) {
    reasons.push({ kind: 'emerging_need', message: `emerging need "${e.need}": ${e.current} requests corrected to it now (${e.reference} before), an intent the model does not know${e.examples.length > 0 ? `; e.g. "${e.examples[0]}"` : ''}` });
  }
  return { retrain: reasons.length > 0, reasons };
}

/** Performance in both windows from labelled pairs and confidence bins. */
export function performanceDrift(
  reference: { pairs: readonly PairCount[]; bins: readonly ConfidenceBin[] },
  current: { pairs: readonly PairCount[]; bins: readonly ConfidenceBin[] },
): PerformanceDrift {
  const r = classificationMetrics(reference.pairs);
  const c = classificationMetrics(current.pairs);
  return {
    reference: r,
    current: c,
    accuracy_change: r.accuracy === null || c.accuracy === null ? null : c.accuracy - r.accuracy,
    macro_f1_change: r.macro_f1 === null || c.macro_f1 === null ? null : c.macro_f1 - r.macro_f1,
    estimated_reference_accuracy: estimateAccuracy(reference.bins, reference.bins),
    estimated_current_accuracy: estimateAccuracy(reference.bins, current.bins),
  };
}
