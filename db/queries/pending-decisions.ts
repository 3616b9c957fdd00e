/**
 * What waits for a person's decision, read from the database as it is now: the one source
 * the report's first screen, `needloop status` and the terminal all describe (in words by
 * web/decision-words.ts), so that none of them can say "nothing waits" while a model waits.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** A blessed candidate model waiting for an engineer. */
export interface PendingModel {
  /** The pipeline run that waits for the decision; null for a candidate evaluated by hand (`needloop evaluate`). */
  run_id: string | null;
  runner: 'local' | 'temporal' | null;
  /** The Temporal workflow id of a Temporal run. */
  run_key: string | null;
  candidate_id: string;
  /** The model it would replace. */
  production_id: string | null;
  /** When the candidate expires, ISO 8601; null when nothing expires it. */
  deadline: string | null;
}

/** A need nobody has named yet that discovery proposes, open for a product manager to adopt or dismiss. */
export interface PendingNeed {
  id: string;
  label: string;
  size: number;
  users: number;
  first_seen: string;
  last_seen: string;
  /** The pipeline run of its latest sighting. */
  last_run: string | null;
}

export interface PendingDecisions {
  models: PendingModel[];
  needs: PendingNeed[];
}

export async function pendingDecisions(db: Kysely<Database>): Promise<PendingDecisions> {
  const [runs, waiting, production, needs] = await Promise.all([
    db.selectFrom('pipeline_runs').select(['id', 'runner', 'run_key', 'candidate_id', 'approval_deadline'])
      .where('status', '=', 'awaiting_approval').where('candidate_id', 'is not', null).orderBy('id').execute(),
    db.selectFrom('model_versions').select('id').where('status', '=', 'awaiting_approval').orderBy('id').execute(),
    db.selectFrom('model_versions').select('id').where('status', '=', 'production').executeTakeFirst(),
    db.selectFrom('need_candidates as c')
      .innerJoinLateral(
        (eb) => eb.selectFrom('need_candidate_sightings as s').select(['s.size', 's.users', 's.pipeline_run_id']).whereRef('s.candidate_id', '=', 'c.id').orderBy('s.id', 'desc').limit(1).as('l'),
        (join) => join.onTrue(),
      )
      .select(['c.id', 'c.label', 'c.first_seen', 'c.last_seen', 'l.size', 'l.users', 'l.pipeline_run_id'])
      .where('c.status', '=', 'open').orderBy('c.last_seen', 'desc').orderBy('l.size', 'desc').execute(),
  ]);
  const production_id = production?.id ?? null;
  const byRun = new Set(runs.map((r) => r.candidate_id));
  const models: PendingModel[] = [
    ...runs.map((r) => ({ run_id: r.id, runner: r.runner, run_key: r.run_key, candidate_id: r.candidate_id!, production_id, deadline: r.approval_deadline?.toISOString() ?? null })),
    // Blessed by `needloop evaluate`, outside any run: promoted with `needloop promote`.
    ...waiting.filter((m) => !byRun.has(m.id)).map((m) => ({ run_id: null, runner: null, run_key: null, candidate_id: m.id, production_id, deadline: null })),
  ];
  return {
    models,
    needs: needs.map((n) => ({ id: n.id, label: n.label, size: n.size, users: n.users, first_seen: n.first_seen.toISOString(), last_seen: n.last_seen.toISOString(), last_run: n.pipeline_run_id })),
  };
}
