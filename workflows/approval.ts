// The rules for an engineer's decision, shared by the workflow's Update validators and
// the local runner: a pending, blessed candidate, named correctly, decided once, by an
// authorised approver.
import type { ApprovalDecision, PendingApproval } from './types.js';

export class DecisionRefused extends Error {
  override name = 'DecisionRefused';
}

export function checkDecision(
  state: { pending: PendingApproval | null; decision: ApprovalDecision | null; approvers: readonly string[] },
  request: { candidate: string; by: string; reason?: string },
  now?: number,
): void {
  if (state.decision !== null) throw new DecisionRefused(`a decision was already taken: ${state.decision.kind} by ${state.decision.by} at ${state.decision.at}`);
  if (state.pending === null) throw new DecisionRefused('no candidate awaits approval in this run');
  if (now !== undefined && now > Date.parse(state.pending.deadline)) throw new DecisionRefused(`the approval expired at ${state.pending.deadline}`);
  if (request.candidate !== state.pending.candidate_id) {
    throw new DecisionRefused(`model ${request.candidate} is not the candidate awaiting approval in this run (model ${state.pending.candidate_id} is)`);
  }
  if (request.by.trim() === '') throw new DecisionRefused('the approver\'s name is empty');
  if (!state.approvers.includes(request.by)) {
    throw new DecisionRefused(`${request.by} is not an authorised approver${state.approvers.length === 0 ? ' (none is registered: needloop approver add NAME)' : ''}`);
  }
  if (request.reason !== undefined && request.reason.trim() === '') throw new DecisionRefused('a rejection needs a reason');
}
