/**
 * The nightly workflow replayed over recorded histories (tests/fixtures/histories/, one
 * file per case, written by record.ts there) with the real workflow bundle: the commands
 * the code issues must match each history event by event, so a plan change that would
 * break a run in flight fails here unless it is versioned (`fx.patched`). Each case also
 * says which commands its history holds — what the workflow did. No Temporal server is
 * needed to replay. The live-*.json cases were recorded on `temporal server start-dev`
 * (tests/workflows/temporal-processes.test.ts with NEEDLOOP_RECORD_HISTORIES=1); the
 * hand-built ones stay for what that run does not produce (expiry, a training timeout with
 * no worker, a night from before a plan change).
 */
import { readdir, readFile } from 'node:fs/promises';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundlerOptions, WORKFLOWS_PATH } from '../../cli/temporal.js';
import { fromServerJson, replayable } from '../helpers/history.js';

const FIXTURES = new URL('../fixtures/histories/', import.meta.url);
const silent = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, ...bundlerOptions, logger: silent });
}, 120_000);

interface Fixture { events: { eventType: string; [key: string]: unknown }[] }
const fixture = async (name: string) => JSON.parse(await readFile(new URL(`${name}.json`, FIXTURES), 'utf8')) as Fixture;
// Histories recorded from a real server (`temporal workflow show --output json`, live-*.json) are in proto3 JSON.
// They replay under the workflow id they ran with: its child workflows are named after it.
const recordedId = (f: Fixture) => {
  const child = f.events.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes !== undefined)?.startChildWorkflowExecutionInitiatedEventAttributes as { workflowId: string } | undefined;
  return child?.workflowId.replace(/-ingest-\d+$/, '');
};
const replay = async (name: string) => {
  const f = await fixture(name);
  return Worker.runReplayHistory({ workflowBundle: bundle }, name.startsWith('live-') ? fromServerJson(f) : replayable(f), name.startsWith('live-') ? recordedId(f) ?? `replay-${name}` : `replay-${name}`);
};

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
/** A night on a real server today: the sweep of terminated runs first, analytics on their own queue. */
const LIVE_NIGHT = ['beginRun', 'plan change sweep-ended-runs', 'sweepEndedRuns', 'recordRun', 'listInbox', 'recordRun', 'plan change task-queues', 'segmentUsers', 'recordRun', 'analyzeNeeds', 'recordRun', 'detectDrift', 'plan change discover-needs', 'discoverNeeds', 'recordRun', 'decideRetraining'];
const LIVE_TO_APPROVAL = TO_APPROVAL;

describe('the nightly workflow, replayed over its recorded histories', () => {
  it('has one fixture per case', async () => {
    const names = (await readdir(FIXTURES)).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
    expect(names).toEqual([
      'approval-expired', 'approved-by-update', 'cancelled-awaiting-approval', 'live-approved-by-cli', 'live-database-away-during-ingest', 'live-scheduled-night-beside-a-waiting-run',
      'live-terminated-then-swept', 'live-training-worker-killed', 'quiet-night', 'quiet-night-before-discovery', 'training-timed-out',
    ]);
  });

  // Recorded on `temporal server start-dev` by tests/workflows/temporal-processes.test.ts
  // (NEEDLOOP_RECORD_HISTORIES=1): workers as processes, the three task queues, the sweeper.
  it('live: a night approved through `needloop approve`, with the sweep and the task-queue routing', async () => {
    await replay('live-approved-by-cli');
    const s = story(await fixture('live-approved-by-cli'));
    expect(s).toEqual([...LIVE_NIGHT, ...LIVE_TO_APPROVAL, 'Update accepted', 'plan change approvers-per-decision', 'listApprovers', 'Update completed', 'wait over', 'recordRun', 'promoteCandidate', ...END, 'completed']);
  }, 60_000);

  it('live: the training worker killed mid-training, the fine-tune retried on another, then rejected', async () => {
    await replay('live-training-worker-killed');
    const s = story(await fixture('live-training-worker-killed'));
    // One fine-tune scheduled: the retry after the lost worker is the same activity, attempt 2.
    expect(s).toEqual([...LIVE_NIGHT, ...LIVE_TO_APPROVAL, 'Update accepted', 'plan change approvers-per-decision', 'listApprovers', 'Update completed', 'wait over', 'recordRun', 'rejectCandidate', ...END, 'completed']);
  }, 60_000);

  it('live: the run after a terminated one sweeps it, then is cancelled while it waits and cleans up', async () => {
    await replay('live-terminated-then-swept');
    const s = story(await fixture('live-terminated-then-swept'));
    expect(s).toEqual([...LIVE_NIGHT, ...LIVE_TO_APPROVAL, 'cancel requested', 'wait over', 'rejectCandidate', 'finishRun', 'canceled']);
  }, 60_000);

  it('live: a night whose database went away for a minute during ingest, beside a candidate that waits: retried, completed, nothing trained', async () => {
    await replay('live-database-away-during-ingest');
    expect(story(await fixture('live-database-away-during-ingest'))).toEqual([...LIVE_NIGHT, ...END, 'completed']);
  }, 60_000);

  it('live: a Schedule\'s night (a backfill), its night named by the time it was scheduled for, beside a waiting run', async () => {
    const f = await fixture('live-scheduled-night-beside-a-waiting-run');
    await replay('live-scheduled-night-beside-a-waiting-run');
    expect(story(f)).toEqual([...LIVE_NIGHT, ...END, 'completed']);
    const begin = f.events.find((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED') as unknown as { activityTaskScheduledEventAttributes: { input: { payloads: { data: string }[] } } };
    expect(JSON.parse(Buffer.from(begin.activityTaskScheduledEventAttributes.input.payloads[0].data, 'base64').toString())).toMatchObject({ night: '2031-01-09' });
  }, 60_000);

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
