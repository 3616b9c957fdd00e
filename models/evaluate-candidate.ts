/**
 * Evaluation of a registered candidate against the production version on the same data
 * (the candidate's recent holdout and the frozen golden set), the gate's verdict, and its
 * record: the candidate then awaits approval, or is rejected with the gate's reasons.
 */
import { goldenExamples, labelledExamples, stratifiedExamples } from '../db/queries/labelled-examples.js';
import { findModelVersion, findProductionModel, recordEvaluation, RegistryError } from '../db/queries/model-versions.js';
import { latestSegmentRun } from '../db/queries/segment-runs.js';
import type { ModelStatus } from '../db/schema.js';
import { measureLatency, scorePredictions, SLICE_DIMENSIONS, sliceValue } from './evaluate.js';
import { fitNaiveBayes } from './baseline.js';
import { FAIRNESS_ATTRIBUTES, groupOf } from './fairness.js';
import { SPLITS } from './dataset.js';
import { DEFAULT_GATE, gateCandidate, type BaselinePairs, type GateConfig, type GateVerdict, type ModelEvaluation, type PairedExamples } from './gate.js';
import { predictIntents, type LoadedModel } from './predict.js';
import type { ModelDeps } from './train-candidate.js';

export interface CandidateEvaluation {
  evaluation_id: string;
  candidate_id: string;
  production_id: string | null;
  status: ModelStatus;
  blessed: boolean;
  nothing_to_gain: boolean;
  reasons: string[];
  paired: GateVerdict['paired'];
  new_needs: string[];
  /** The holdout's window and the examples judged: all `of` them, or a sample stratified by need (SPLITS.holdoutSample). */
  holdout: { from: Date; to: Date; examples: number; of: number };
  golden_examples: number;
  candidate: ModelEvaluation;
  production: ModelEvaluation | null;
}

export async function evaluateCandidate(deps: Omit<ModelDeps, 'backend'>, options: { candidateId: string; gate?: GateConfig; latencyRequests?: number }): Promise<CandidateEvaluation> {
  const { db, store } = deps;
  const gate = options.gate ?? DEFAULT_GATE;
  const candidateRow = await findModelVersion(db, options.candidateId);
  if (candidateRow === null) throw new RegistryError(`model ${options.candidateId} does not exist (see needloop models)`);
  if (candidateRow.status !== 'candidate' && candidateRow.status !== 'awaiting_approval') {
    throw new RegistryError(`model ${candidateRow.id} is ${candidateRow.status}: only a candidate can be evaluated`);
  }
  const productionRow = await findProductionModel(db);
  const segmentRunId = (await latestSegmentRun(db))?.run.id ?? null;
  const window = { from: candidateRow.holdout_from, to: candidateRow.holdout_to };
  const { examples: holdout, total } = await stratifiedExamples(db, { window, segmentRunId, partition: 'holdout', limit: SPLITS.holdoutSample, sampleSeed: 'holdout' });
  const holdoutRecord = { ...window, examples: holdout.length, of: total };
  const golden = await goldenExamples(db);

  const models: LoadedModel[] = [await store.load(candidateRow.artifact_sha256)];
  if (productionRow !== null) models.push(await store.load(productionRow.artifact_sha256));
  try {
    const latency = measureLatency(models, holdout.map((e) => e.text), options.latencyRequests);
    // Each model predicts each example once: the reports and the paired tests share them.
    const predictions = models.map((m) => ({ holdout: predictIntents(m, holdout.map((e) => e.text)), golden: predictIntents(m, golden.map((e) => e.text)) }));
    const minGroupUsers = gate.minGroupUsers;
    const evaluations: ModelEvaluation[] = models.map((_, i) => ({ holdout: scorePredictions(holdout, predictions[i].holdout, { minGroupUsers }), golden: scorePredictions(golden, predictions[i].golden, { minGroupUsers }), latency: latency[i] }));
    const [candidate, production = null] = evaluations;
    const paired: PairedExamples | null = productionRow === null ? null : {
      productionLabels: productionRow.labels,
      holdout: holdout.map((e, i) => ({
        intent: e.intent,
        slices: SLICE_DIMENSIONS.flatMap((d) => { const v = sliceValue(e, d); return v === null ? [] : [`${d}=${v}`]; }),
        groups: FAIRNESS_ATTRIBUTES.flatMap((a) => { const v = groupOf(e, a); return v === null ? [] : [`${a}=${v}`]; }),
        user: e.user_id,
        candidate: predictions[0].holdout[i].intent === e.intent,
        production: predictions[1].holdout[i].intent === e.intent,
      })),
      golden: golden.map((e, i) => ({ candidate: predictions[0].golden[i].intent === e.intent, production: predictions[1].golden[i].intent === e.intent })),
    };
    // A first model is held to a Naive Bayes fitted here on the examples it learnt from.
    let baseline: BaselinePairs | null = null;
    if (productionRow === null) {
      const examples = await labelledExamples(db, { window: { from: candidateRow.data_from, to: candidateRow.data_to }, segmentRunId, limit: SPLITS.maxExamples, partition: 'train' });
      if (examples.length > 0) {
        const nb = fitNaiveBayes(examples);
        const [onHoldout, onGolden] = [nb.predict(holdout.map((e) => e.text)), nb.predict(golden.map((e) => e.text))];
        baseline = {
          name: nb.name,
          holdout: holdout.map((e, i) => ({ candidate: predictions[0].holdout[i].intent === e.intent, baseline: onHoldout[i] === e.intent })),
          golden: golden.map((e, i) => ({ candidate: predictions[0].golden[i].intent === e.intent, baseline: onGolden[i] === e.intent })),
        };
      }
    }
    const verdict = gateCandidate(candidate, production, paired, gate, baseline);
    const headline = (e: ModelEvaluation) => ({
      holdout_accuracy: e.holdout.accuracy, holdout_macro_f1: e.holdout.macro_f1, golden_accuracy: e.golden.accuracy,
      ece: e.holdout.ece, p95_latency_ms: e.latency.p95_ms,
    });
    const metrics = { ...headline(candidate), examples: holdout.length, blessed: verdict.blessed, nothing_to_gain: verdict.nothing_to_gain, paired: verdict.paired, new_needs: verdict.new_needs, production: production === null ? null : { id: productionRow!.id, ...headline(production) } };
    const { evaluationId, status } = await recordEvaluation(db, {
      candidateId: candidateRow.id, productionId: productionRow?.id ?? null, blessed: verdict.blessed, reasons: verdict.reasons, gate,
      report: { holdout: holdoutRecord, golden_examples: golden.length, candidate, production, paired: verdict.paired, new_needs: verdict.new_needs }, metrics,
    });
    return {
      evaluation_id: evaluationId, candidate_id: candidateRow.id, production_id: productionRow?.id ?? null, status, ...verdict,
      holdout: holdoutRecord, golden_examples: golden.length, candidate, production,
    };
  } finally {
    for (const m of models) m.model.dispose();
  }
}
