/**
 * The nightly workflow replayed over recorded histories (tests/fixtures/histories/, one
 * file per case, written by record.ts there) with the real workflow bundle: the commands
 * the code issues must match each history event by event, so a plan change that would
 * break a run in flight fails here unless it is versioned (`fx.patched`). Each case also
 * says which commands its history holds — what the workflow did. No Temporal server is
 * needed (none can be obtained here).
 */
import { readdir, readFile } from 'node:fs/promises';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundlerOptions, WORKFLOWS_PATH } from '../../cli/temporal.js';
import { replayable } from '../helpers/history.js';

const FIXTURES = new URL('../fixtures/histories/', import.meta.url);
const silent = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, ...bundlerOptions, logger: silent });
}, 120_000);

interface Fixture { events: { eventType: string; [key: string]: unknown }[] }
const fixture = async (name: string) => JSON.parse(await readFile(new URL(`${name}.json`, FIXTURES), 'utf8')) as Fixture;
const replay = async (name: string) => Worker.runReplayHistory({ workflowBundle: bundle }, replayable(await fixture(name)), `replay-${name}`);

/** What the workflow did, in order: activities scheduled (by type), timers, markers, Updates, the end. */
function story(f: Fixture): string[] {
  return f.events.flatMap((e) => {
    const a = (k: string) => e[k] as Record<string, unknown>;
    switch (e.eventType) {
      case 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED': return [`${(a('activityTaskScheduledEventAttributes').activityType as { name: string }).name}${(a('activityTaskScheduledEventAttributes').taskQueue as { name: string }).name.endsWith('-training') ? ' (training queue)' : ''}`];
      case 'EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT': return ['activity timed out'];
      case 'EVENT_TYPE_TIMER_STARTED': return ['wait for approval'];
      case 'EVENT_TYPE_TIMER_FIRED': return ['approval expired'];
      case 'EVENT_TYPE_TIMER_CANCELED': return ['wait over'];
      case 'EVENT_TYPE_MARKER_RECORDED': return [`plan change ${JSON.parse(Buffer.from(((a('markerRecordedEventAttributes').details as Record<string, { payloads: { data: string }[] }>)['patch-data']).payloads[0].data, 'base64').toString()).id}`];
      case 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED': return ['Update accepted'];
      case 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED': return ['Update completed'];
      case 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED': return ['cancel requested'];
      case 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED': return ['completed'];
      case 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED': return ['failed'];
      case 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED': return ['canceled'];
      default: return [];
    }
  });
}

const NIGHT = ['beginRun', 'recordRun', 'listInbox', 'recordRun', 'segmentUsers', 'recordRun', 'analyzeNeeds', 'recordRun', 'detectDrift', 'plan change discover-needs', 'discoverNeeds', 'recordRun', 'decideRetraining'];
const TO_APPROVAL = ['recordRun', 'fineTune (training queue)', 'recordRun', 'evaluateCandidate', 'publishReport', 'recordRun', 'listApprovers', 'wait for approval'];
const END = ['recordRun', 'publishReport', 'finishRun'];

describe('the nightly workflow, replayed over its recorded histories', () => {
  it('has one fixture per case', async () => {
    const names = (await readdir(FIXTURES)).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
    expect(names).toEqual(['approval-expired', 'approved-by-update', 'cancelled-awaiting-approval', 'quiet-night', 'quiet-night-before-discovery', 'training-timed-out']);
  });

  it('a quiet night: no retraining, a report, the run closed', async () => {
    await replay('quiet-night');
    expect(story(await fixture('quiet-night'))).toEqual([...NIGHT, ...END, 'completed']);
  }, 60_000);

  it('a night recorded before the plan looked for unnamed needs still replays: the change is versioned', async () => {
    await replay('quiet-night-before-discovery');
    expect(story(await fixture('quiet-night-before-discovery'))).not.toContain('discoverNeeds');
  }, 60_000);

  it('approval by Update: the approvers are read again, the wait ends, the candidate is promoted', async () => {
    await replay('approved-by-update');
    expect(story(await fixture('approved-by-update'))).toEqual([
      ...NIGHT, ...TO_APPROVAL, 'Update accepted', 'plan change approvers-per-decision', 'listApprovers', 'Update completed', 'wait over', 'recordRun', 'promoteCandidate', ...END, 'completed',
    ]);
  }, 60_000);

  it('approval expiry: nobody decided by the deadline, the candidate is rejected', async () => {
    await replay('approval-expired');
    expect(story(await fixture('approval-expired'))).toEqual([...NIGHT, ...TO_APPROVAL, 'approval expired', 'recordRun', 'rejectCandidate', ...END, 'completed']);
  }, 60_000);

  it('cancelled while awaiting approval: the clean-up still rejects the candidate and closes the run, out of the cancellation\'s reach', async () => {
    await replay('cancelled-awaiting-approval');
    expect(story(await fixture('cancelled-awaiting-approval'))).toEqual([...NIGHT, ...TO_APPROVAL, 'cancel requested', 'wait over', 'rejectCandidate', 'finishRun', 'canceled']);
  }, 60_000);

  it('training that no worker starts times out: the run reports, closes and fails instead of waiting for ever', async () => {
    await replay('training-timed-out');
    expect(story(await fixture('training-timed-out'))).toEqual([...NIGHT, 'recordRun', 'fineTune (training queue)', 'activity timed out', ...END, 'failed']);
  }, 60_000);
});
