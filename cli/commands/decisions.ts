/**
 * What waits for a decision, printed the same way after `start`, `run`, `simulate`,
 * `approve`/`reject` and by `status` — the sentences of the report's first screen
 * (web/decision-words.ts), from the same query (db/queries/pending-decisions.ts).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { pendingDecisions, type PendingDecisions } from '../../db/queries/pending-decisions.js';
import { approverNames } from '../../db/queries/pipeline-runs.js';
import { decisionText } from '../../web/decision-words.js';

/** The terminal's lines, and the pending decisions themselves (for --json). */
export async function waitingDecisions(db: Kysely<Database>): Promise<{ pending: PendingDecisions; lines: string[] }> {
  const [pending, approvers] = await Promise.all([pendingDecisions(db), approverNames(db)]);
  return { pending, lines: decisionText(pending, { maxNeeds: 3, approvers: approvers.length }) };
}
