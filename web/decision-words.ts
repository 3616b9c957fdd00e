/**
 * What waits for a decision, in words, English and Chinese, each with the commands that
 * decide it — the same sentences on the report's first screen, in `needloop status` and in
 * the terminal after `npm start` or `needloop run`. Plain text: callers escape for HTML.
 */
import type { PendingDecisions } from '../db/queries/pending-decisions.js';

/** How the commands are printed: `npx` finds the checkout's own bin, with no global install. */
export const CLI = 'npx needloop';

export interface DecisionLine {
  kind: 'model' | 'need' | 'more-needs';
  en: string;
  zh: string;
  /** Commands that decide it, as they run. */
  commands: string[];
}

const when = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
const day = (iso: string) => iso.slice(0, 10);

/**
 * One line per candidate model, then the candidate needs (the `maxNeeds` most recently
 * seen, and a line for the rest). Nothing waiting: an empty list.
 */
export function decisionLines(p: PendingDecisions, options: { maxNeeds?: number } = {}): DecisionLine[] {
  const out: DecisionLine[] = [];
  for (const m of p.models) {
    const replaces = m.production_id === null ? ['it would be the first production model', '它将成为第一个生产模型'] : [`it would replace model ${m.production_id}`, `它将取代模型 ${m.production_id}`];
    if (m.run_id === null) {
      out.push({
        kind: 'model',
        en: `Model ${m.candidate_id} passed the gate and awaits promotion; ${replaces[0]}.`,
        zh: `模型 ${m.candidate_id} 已通过评审门，等待升级；${replaces[1]}。`,
        commands: [`${CLI} promote ${m.candidate_id} --token-file FILE`],
      });
      continue;
    }
    const until = m.deadline === null ? ['', ''] : [` until ${when(m.deadline)}`, `，截止 ${when(m.deadline)}`];
    out.push({
      kind: 'model',
      en: `Model ${m.candidate_id} awaits an engineer's approval (pipeline run ${m.run_id})${until[0]}: the gate blessed it; ${replaces[0]}. Production is unchanged until someone decides.`,
      zh: `模型 ${m.candidate_id} 等待工程师批准（流水线运行 ${m.run_id}${until[1]}）：它已通过评审门；${replaces[1]}。在有人决定之前生产模型不变。`,
      commands: [`${CLI} approve ${m.run_id} --token-file FILE`, `${CLI} reject ${m.run_id} --token-file FILE --reason TEXT`],
    });
  }
  const shown = p.needs.slice(0, options.maxNeeds ?? p.needs.length);
  for (const n of shown) {
    out.push({
      kind: 'need',
      en: `Candidate need #${n.id} "${n.label}" (${n.size} requests from ${n.users} users, last seen ${day(n.last_seen)}) awaits a product manager: adopt it as a need, or dismiss it.`,
      zh: `候选需求 #${n.id}“${n.label}”（${n.users} 位用户的 ${n.size} 个请求，最近一次出现于 ${day(n.last_seen)}）等待产品经理决定：采纳为需求，或忽略。`,
      commands: [`${CLI} needs adopt ${n.id} --as NEED_ID --token-file FILE`, `${CLI} needs dismiss ${n.id} --token-file FILE`],
    });
  }
  const more = p.needs.length - shown.length;
  if (more > 0) {
    out.push({ kind: 'more-needs', en: `${more} more candidate need(s) await a product manager.`, zh: `另有 ${more} 个候选需求等待产品经理决定。`, commands: [`${CLI} needs candidates`] });
  }
  return out;
}

/** The terminal's lines: each decision, its commands indented below it; and who may decide, once. */
export function decisionText(p: PendingDecisions, options: { maxNeeds?: number; approvers?: number } = {}): string[] {
  const lines = decisionLines(p, options);
  if (lines.length === 0) return ['Nothing waits for a decision.'];
  const out = ['Waiting for a decision:'];
  for (const l of lines) {
    out.push(`  ${l.en}`);
    for (const c of l.commands) out.push(`      ${c}`);
  }
  if (p.models.length > 0) {
    out.push(options.approvers === 0
      ? `  No approver is registered yet: ${CLI} approver add NAME (once; prints the token that proves NAME decides)`
      : `  Only a registered approver decides (${CLI} approver list); add yourself once: ${CLI} approver add NAME`);
  }
  return out;
}
