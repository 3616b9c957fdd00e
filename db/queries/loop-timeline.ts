/**
 * The loop, night by night: every pipeline run up to a report's own, what it found and
 * did, and every decision on the registry (promotions, rejections, rollbacks) at the night
 * it was taken — whether by the run itself, by an engineer days later, or by hand.
 * A run of `needloop simulate` adds what its users really got (accuracy on their true
 * needs); any other run has what the logs say (accuracy on its labelled requests).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** A decision on the registry: who made which model what, and when. */
export interface ModelDecision {
  action: 'promote' | 'reject' | 'rollback';
  model: string;
  /** promote: the model it replaced; rollback: the model it retired. */
  previous: string | null;
  by: string;
  comment: string | null;
  at: string;
}

export interface TimelineNight {
  night: number;
  date: string;
  run_id: string;
  /** The model that served the night's requests (registry id). */
  production_model: string | null;
  accuracy: number | null;
  /** What `accuracy` is: the simulated users' true needs, or the run's labelled requests. */
  accuracy_of: 'truth' | 'labelled' | null;
  changed_need: string | null;
  changed_need_recall: number | null;
  retrain: boolean;
  candidate: string | null;
  reasons: string[];
  /** Decisions taken after this night's run began and before the next one's. */
  decisions: ModelDecision[];
}

interface RunResults {
  drift?: { model?: string | null; current?: { to: string }; accuracy?: { current: number | null } | null } | null;
  decision?: { retrain: boolean; reasons: string[] };
  training?: { candidate_id: string };
}

export async function modelDecisions(db: Kysely<Database>, since: Date | null = null): Promise<ModelDecision[]> {
  const rows = await db.selectFrom('promotions').select(['action', 'model_id', 'previous_production_id', 'decided_by', 'comment', 'decided_at'])
    .$if(since !== null, (q) => q.where('decided_at', '>=', since as never)).orderBy('decided_at').orderBy('id').execute();
  return rows.map((r) => ({ action: r.action, model: r.model_id, previous: r.previous_production_id, by: r.decided_by, comment: r.comment, at: new Date(r.decided_at as unknown as Date).toISOString() }));
}

const day = (iso: string) => new Date(Date.parse(iso) - 1).toISOString().slice(0, 10);

/**
 * The nights up to run `upTo` (its own results given, as they stand while its report is
 * written). With simulated nights, the timeline starts at the first of them (the history
 * before is the legacy model's); otherwise at the first run.
 */
export async function loopTimeline(db: Kysely<Database>, upTo: { run_id: string; results: unknown }): Promise<TimelineNight[]> {
  const [runs, simulated, decisions] = await Promise.all([
    db.selectFrom('pipeline_runs').select(['id', 'started_at', 'results']).where('id', '<=', upTo.run_id).orderBy('id').execute(),
    db.selectFrom('simulation_nights').selectAll().where('pipeline_run_id', '<=', upTo.run_id).execute(),
    modelDecisions(db),
  ]);
  const sim = new Map(simulated.map((s) => [String(s.pipeline_run_id), s]));
  const first = simulated.length === 0 ? null : simulated.reduce((a, b) => (Number(a.pipeline_run_id) < Number(b.pipeline_run_id) ? a : b));
  const kept = runs.filter((r) => first === null || Number(r.id) >= Number(first.pipeline_run_id));
  const out: TimelineNight[] = [];
  for (const [i, run] of kept.entries()) {
    const r = (run.id === upTo.run_id ? upTo.results : run.results ?? {}) as RunResults;
    const s = sim.get(run.id);
    const night = s?.night ?? (out.length === 0 ? 1 : out[out.length - 1].night + 1);
    const next = kept[i + 1]?.started_at.getTime() ?? Infinity;
    const start = run.started_at.getTime();
    const labelled = r.drift?.accuracy?.current ?? null;
    out.push({
      night,
      date: s?.date ?? (r.drift?.current?.to !== undefined ? day(r.drift.current.to) : run.started_at.toISOString().slice(0, 10)),
      run_id: run.id,
      production_model: s?.production_model ?? r.drift?.model ?? null,
      accuracy: s?.accuracy ?? labelled,
      accuracy_of: s?.accuracy != null ? 'truth' : labelled !== null ? 'labelled' : null,
      changed_need: s?.changed_need ?? null,
      changed_need_recall: s?.changed_need_recall ?? null,
      retrain: r.decision?.retrain ?? false,
      candidate: r.training?.candidate_id ?? null,
      reasons: r.decision?.reasons ?? [],
      decisions: decisions.filter((d) => Date.parse(d.at) >= start && Date.parse(d.at) < next),
    });
  }
  return out;
}
