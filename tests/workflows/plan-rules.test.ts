/** Small rules of the Temporal path (issue 17) that need no history to show. */
import { describe, expect, it } from 'vitest';
import { scheduleIdOf } from '../../cli/commands/schedule.js';
import { checkDecision } from '../../workflows/approval.js';
import { messageOf } from '../../workflows/pipeline-plan.js';
import { trainingTaskQueue } from '../../workflows/types.js';

describe('the Temporal path', () => {
  it('says what went wrong from the innermost cause, however deeply an activity failure is wrapped', () => {
    const inner = new Error('lost the connection to Postgres');
    const activity = Object.assign(new Error('Activity task failed'), { cause: Object.assign(new Error('ApplicationFailure'), { cause: inner }) });
    expect(messageOf(activity)).toBe('lost the connection to Postgres');
    expect(messageOf(new Error('plain'))).toBe('plain');
  });

  it('refuses a decision after the stored deadline, and from someone no longer an approver', () => {
    const state = { pending: { candidate_id: '2', evaluation_id: '5', reasons: [], deadline: '2026-12-04T02:00:00.000Z' }, decision: null, approvers: ['alice'] };
    expect(() => checkDecision(state, { candidate: '2', by: 'alice' }, Date.parse('2026-12-04T01:59:59Z'))).not.toThrow();
    expect(() => checkDecision(state, { candidate: '2', by: 'alice' }, Date.parse('2026-12-04T02:00:01Z'))).toThrow('the approval expired at 2026-12-04T02:00:00.000Z');
    expect(() => checkDecision({ ...state, approvers: [] }, { candidate: '2', by: 'alice' })).toThrow('alice is not an authorised approver');
  });

  it('keeps two environments on one namespace apart: training queue, Schedule and workflow ids follow the task queue', () => {
    expect(trainingTaskQueue('needloop')).toBe('needloop-training');
    expect(trainingTaskQueue('needloop-staging')).toBe('needloop-staging-training');
    expect(scheduleIdOf('needloop')).toBe('needloop-nightly');
    expect(scheduleIdOf('needloop-test-42')).toBe('needloop-test-42-nightly');
  });
});
