/**
 * Whether users have moved on far enough to fine-tune the production model, and why.
 * Every signal is about the model that serves, re-scoring requests it never trained on:
 *
 * - performance: its accuracy on the window's labelled requests against the weeks
 *   before, both re-scored by it and both among requests served by the same model
 *   version (feedback is given far more often on wrong answers, so a labelled set is
 *   richer in the serving model's mistakes: only windows served alike compare fairly);
 *   a drop must be large and significant, so a small sample cannot trigger;
 * - a need it does not know that users correct requests to, or a need whose recall
 *   fell significantly;
 * - request texts that moved away from what it was trained on *and* that it is less
 *   sure of: a shift it has already learnt is not news.
 * Drift in its predictions is reported as a note, never a reason: users asking for
 * other things in other proportions (a fading need, a quiet weekend) is no fault of the
 * model's.
 */
import { benjaminiHochberg } from './benjamini-hochberg.js';
import type { ProportionDrop } from './proportion-drop.js';
import type { TextDrift } from './text-drift.js';

export interface EmergingNeed {
  /** The intent users corrected to, unknown to the model. */
  need: string;
  current: number;
  reference: number;
  examples: string[];
  /** The windows' lengths in weeks, when known: the counts are then also given per week. */
  reference_weeks?: number;
  current_weeks?: number;
}

/** "735 requests … this week (567 a week in the 4 weeks before)", or the counts alone when the lengths are unknown. */
function countsInWords(e: EmergingNeed, what: string): string {
  const rw = e.reference_weeks;
  const cw = e.current_weeks;
  if (rw === undefined || cw === undefined || rw <= 0 || cw <= 0) return `${e.current} requests ${what} this week (${e.reference} in the weeks before)`;
  const now = Math.abs(cw - 1) < 0.01 ? `${e.current} requests ${what} this week` : `${Math.round(e.current / cw)} requests a week ${what} in the last ${+cw.toFixed(1)} weeks`;
  return `${now} (${Math.round(e.reference / rw)} a week in the ${+rw.toFixed(1)} weeks before)`;
}

/** The production model's recall on one need it knows, in both windows. */
export interface NeedRecall extends ProportionDrop {
  need: string;
  n_reference: number;
  n_current: number;
}

/** The production model, re-scoring the requests it never trained on. */
export interface ServingPerformance {
  /** The production model (registry id). */
  model: string;
  /** The model version whose served requests are compared (the same in both windows). */
  judged_on: string | null;
  /** `judged_on` is the production model itself: the labels are of requests it answered. */
  judged_on_production?: boolean;
  accuracy: ProportionDrop & { n_reference: number; n_current: number };
  needs: NeedRecall[];
  /**
   * Mean top probability on its unseen training-period texts and on the window's; and how
   * much lower it is now within each predicted need, weighted by the window's mix (absent:
   * the plain difference counts).
   */
  confidence: { reference: number | null; current: number | null; n_reference: number; n_current: number; within_needs_drop?: number | null };
  /**
   * The share of requests it calls none of its needs (its stored out-of-scope rule), on its
   * unseen training-period texts and on the window's: no labels needed, so it is there the
   * night users' words change, days before their corrections are. Absent in older results.
   */
  out_of_scope?: { reference: number | null; current: number | null; n_reference: number; n_current: number; rise: number | null; p: number };
}

export interface RetrainThresholds {
  /** Retrain when accuracy drops at least this much, significantly. */
  performanceDrop: number;
  /** Significance level of the drops. */
  alpha: number;
  /** Labelled requests needed on each side before accuracy is compared. */
  minLabels: number;
  /** A need's recall must fall at least this much, significantly, on this many requests per side. */
  recallDrop: number;
  minNeedLabels: number;
  /** Request texts count as moved at this Jensen–Shannon distance (base 2) from the training texts… */
  textJs: number;
  /** …and as news when the model's mean confidence on them fell at least this much. */
  confidenceDrop: number;
  /** Corrections to one unknown intent that make it an emerging need. */
  minEmerging: number;
  /** Retrain when the share of requests it calls none of its needs rose at least this much, significantly. */
  outOfScopeRise: number;
  /** Texts needed on each side before that share is compared. */
  minTexts: number;
}

export const DEFAULT_RETRAIN_THRESHOLDS: RetrainThresholds = {
  performanceDrop: 0.03, alpha: 0.01, minLabels: 50, recallDrop: 0.2, minNeedLabels: 20, textJs: 0.1, confidenceDrop: 0.05, minEmerging: 20, outOfScopeRise: 0.05, minTexts: 200,
};

export interface RetrainReason {
  kind: 'performance' | 'need_recall' | 'text_drift' | 'emerging_need' | 'out_of_scope';
  message: string;
}

export interface RetrainDecision {
  retrain: boolean;
  /** The production model the decision is about; null when there is none. */
  model: string | null;
  reasons: RetrainReason[];
  /** What was looked at and did not call for retraining, in words. */
  notes: string[];
}

/**
 * Corrected intents that the model does not know, that users corrected to at least
 * `minEmerging` times now, and whose share of all events grew (`rows`: events in each
 * window, as windows differ in length).
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

/** An accuracy within this of the reference's counts as held. */
const ACCURACY_HELD = 0.01;

const f3 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));
const pv = (p: number) => (p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);

export function retrainDecision(
  input: {
    model: string | null; performance: ServingPerformance | null; text: TextDrift | null; emerging: readonly EmergingNeed[]; predictionDrift: readonly string[];
    /** The label feedback gives requests of no known need (db's OUT_OF_SCOPE): corrections to it are not a need. */
    outOfScopeLabel?: string;
  },
  thresholds: RetrainThresholds = DEFAULT_RETRAIN_THRESHOLDS,
): RetrainDecision {
  const reasons: RetrainReason[] = [];
  const notes: string[] = [];
  const model = input.model;
  const name = model === null ? 'the model that served the logs' : `model ${model}`;
  const p = input.performance;
  if (p !== null) {
    const a = p.accuracy;
    const served = p.judged_on === null ? 'unversioned requests' : `requests served by ${p.judged_on}`;
    if (a.n_reference < thresholds.minLabels || a.n_current < thresholds.minLabels) {
      notes.push(`${name}'s accuracy is not judged: ${a.n_current} labelled ${served} it never trained on this week and ${a.n_reference} before (${thresholds.minLabels} needed on each side)`);
    } else if (a.drop !== null && a.drop >= thresholds.performanceDrop && a.p < thresholds.alpha) {
      reasons.push({ kind: 'performance', message: `${name}'s accuracy on labelled ${served} fell from ${f3(a.reference)} (${a.n_reference}) to ${f3(a.current)} (${a.n_current}): a drop of ${f3(a.drop)} ≥ ${thresholds.performanceDrop}, ${pv(a.p)}` });
    } else {
      notes.push(`${name}'s accuracy on labelled ${served}: ${f3(a.current)} (${a.n_current}) against ${f3(a.reference)} (${a.n_reference}) before — no significant drop of ${thresholds.performanceDrop} or more`);
    }
    // One test per need, every night: adjusted across the needs (Benjamini–Hochberg), or a
    // dozen needs would raise a false alarm every few nights.
    const judged = p.needs.filter((r) => r.n_reference >= thresholds.minNeedLabels && r.n_current >= thresholds.minNeedLabels && r.drop !== null);
    const adjusted = benjaminiHochberg(judged.map((r) => r.p));
    judged.forEach((r, i) => {
      const q = adjusted[i]!;
      if (r.drop! >= thresholds.recallDrop && q < thresholds.alpha) {
        reasons.push({ kind: 'need_recall', message: `${name}'s recall on "${r.need}" fell from ${f3(r.reference)} (${r.n_reference}) to ${f3(r.current)} (${r.n_current}), ${pv(q)} adjusted for ${judged.length} needs: users ask for it in ways it has not learnt` });
      }
    });
  }
  for (const e of input.emerging) {
    if (e.need === input.outOfScopeLabel) {
      // Not a need: users telling the model that requests are none of its needs, a class it has not learnt yet.
      reasons.push({ kind: 'emerging_need', message: `${countsInWords(e, 'marked as none of the known needs')}: ${name} has not learnt to tell them apart${e.examples.length > 0 ? `; e.g. "${e.examples[0]}"` : ''}` });
      continue;
    }
    reasons.push({ kind: 'emerging_need', message: `emerging need "${e.need}": ${countsInWords(e, 'corrected to it')}, a need ${name} does not know${e.examples.length > 0 ? `; e.g. "${e.examples[0]}"` : ''}` });
  }
  const t = input.text;
  if (t !== null && p !== null) {
    const c = p.confidence;
    // A mix of needs that changed is not news: what counts is being less sure within the needs.
    const fell = c.within_needs_drop !== undefined ? c.within_needs_drop : c.reference !== null && c.current !== null ? c.reference - c.current : null;
    const within = c.within_needs_drop === undefined || c.within_needs_drop === null ? '' : `, ${f3(c.within_needs_drop)} lower within the needs it predicts`;
    const moved = t.js >= thresholds.textJs;
    // Labels overrule the confidence proxy: when production's accuracy was judged on enough
    // labelled requests it answered itself and held (within a point), texts it is less sure
    // of are not news — a calibrated model is less sure of new phrasings it still gets right.
    // Labels of requests an older version answered are of older texts: they overrule nothing.
    const a = p.accuracy;
    const held = p.judged_on_production === true && a.n_reference >= thresholds.minLabels && a.n_current >= thresholds.minLabels && a.drop !== null && a.drop <= ACCURACY_HELD;
    if (moved && fell !== null && fell >= thresholds.confidenceDrop && held) {
      notes.push(`request texts moved from ${name}'s training data (Jensen–Shannon ${t.js.toFixed(3)}) and it is less sure of them (mean confidence ${f3(c.current)} against ${f3(c.reference)}${within}), but its accuracy on labelled requests held (${f3(a.current)} against ${f3(a.reference)}): not news`);
    } else if (moved && fell !== null && fell >= thresholds.confidenceDrop) {
      const terms = t.new_terms.slice(0, 5).map((x) => x.term);
      reasons.push({
        kind: 'text_drift',
        message: `request texts moved away from ${model === null ? 'the reference window' : `what ${name} was trained on`} (Jensen–Shannon ${t.js.toFixed(3)} ≥ ${thresholds.textJs}${terms.length > 0 ? `; new: ${terms.join(', ')}` : ''}) and ${name} is less sure of them: mean confidence ${f3(c.current)} against ${f3(c.reference)} ${model === null ? 'before' : 'on its training period'}${within}`,
      });
    } else if (moved) {
      notes.push(`request texts moved from ${name}'s training data (Jensen–Shannon ${t.js.toFixed(3)}) but it is as sure of them (mean confidence ${f3(c.current)} against ${f3(c.reference)}${within}): not news`);
    }
  }
  const o = p?.out_of_scope;
  if (p !== null && o !== undefined && o.n_reference >= thresholds.minTexts && o.n_current >= thresholds.minTexts && o.rise !== null) {
    // Labels overrule this proxy as they do the confidence one: production's own accuracy judged and held.
    const a = p.accuracy;
    const held = p.judged_on_production === true && a.n_reference >= thresholds.minLabels && a.n_current >= thresholds.minLabels && a.drop !== null && a.drop <= ACCURACY_HELD;
    const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)} %`);
    const shares = `${pct(o.current)} of this week's requests (${o.n_current}) against ${pct(o.reference)} on its training period (${o.n_reference})`;
    if (o.rise >= thresholds.outOfScopeRise && o.p < thresholds.alpha && !held) {
      reasons.push({ kind: 'out_of_scope', message: `${name} calls ${shares} none of its needs: a rise of ${f3(o.rise)} ≥ ${thresholds.outOfScopeRise}, ${pv(o.p)} — users ask in ways it does not recognise` });
    } else if (o.rise >= thresholds.outOfScopeRise && o.p < thresholds.alpha) {
      notes.push(`${name} calls ${shares} none of its needs, but its accuracy on labelled requests held (${f3(a.current)} against ${f3(a.reference)}): not news`);
    }
  }
  for (const column of input.predictionDrift) notes.push(`${column} drifted among the predictions of ${name}: users ask for other things, no fault of the model's`);
  return { retrain: reasons.length > 0, model, reasons, notes };
}
