/**
 * Workflow histories built by hand, as a Temporal server would record them, for
 * `Worker.runReplayHistory`: no server can be downloaded here, and a replay checks the
 * commands the workflow code issues against these events, one by one.
 *
 *   const h = new HistoryBuilder('nightlyPipeline', [input]);
 *   h.activity('beginRun', { run_id: '1' });
 *   …
 *   h.completed(result);
 *   writeFile('tests/fixtures/histories/quiet-night.json', JSON.stringify(h.json()));
 */
import proto from '@temporalio/proto';

const JSON_PLAIN = Buffer.from('json/plain').toString('base64');
const T0 = Date.parse('2026-12-01T02:00:00Z');

export function payload(value: unknown) {
  return { metadata: { encoding: JSON_PLAIN }, data: Buffer.from(JSON.stringify(value) ?? 'null').toString('base64') };
}

type Event = Record<string, unknown> & { eventId: string; eventType: string };

export class HistoryBuilder {
  private readonly events: Event[] = [];
  private activitySeq = 0;
  private timerSeq = 0;
  private lastCompleted = 0;
  /** Activities scheduled and not yet resolved: activity id → scheduled event id. */
  private readonly open = new Map<string, number>();

  constructor(workflowType: string, args: unknown[], private readonly taskQueue = 'needloop-replay') {
    this.push('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED', 'workflowExecutionStartedEventAttributes', {
      workflowType: { name: workflowType }, taskQueue: { name: taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' }, input: { payloads: args.map(payload) },
      workflowTaskTimeout: { seconds: '10' }, originalExecutionRunId: 'run-1', firstExecutionRunId: 'run-1', attempt: 1, identity: 'replay',
    });
    this.workflowTask();
  }

  private push(eventType: string, key: string, attributes: Record<string, unknown>): number {
    const eventId = this.events.length + 1;
    this.events.push({ eventId: String(eventId), eventTime: { seconds: String(T0 / 1000 + eventId) }, eventType, [key]: attributes });
    return eventId;
  }

  /** A workflow task: scheduled, started, completed (the workflow's commands follow it). */
  workflowTask(): this {
    const scheduled = this.push('EVENT_TYPE_WORKFLOW_TASK_SCHEDULED', 'workflowTaskScheduledEventAttributes', { taskQueue: { name: this.taskQueue }, startToCloseTimeout: { seconds: '10' }, attempt: 1 });
    const started = this.push('EVENT_TYPE_WORKFLOW_TASK_STARTED', 'workflowTaskStartedEventAttributes', { scheduledEventId: String(scheduled), identity: 'replay' });
    this.lastCompleted = this.push('EVENT_TYPE_WORKFLOW_TASK_COMPLETED', 'workflowTaskCompletedEventAttributes', { scheduledEventId: String(scheduled), startedEventId: String(started), identity: 'replay' });
    return this;
  }

  /** The workflow scheduled an activity (the next in its sequence); returns its id. */
  scheduled(activityType: string, taskQueue = this.taskQueue): string {
    const activityId = String(++this.activitySeq);
    const id = this.push('EVENT_TYPE_ACTIVITY_TASK_SCHEDULED', 'activityTaskScheduledEventAttributes', {
      activityId, activityType: { name: activityType }, taskQueue: { name: taskQueue }, workflowTaskCompletedEventId: String(this.lastCompleted),
      input: { payloads: [] }, startToCloseTimeout: { seconds: '1800' },
    });
    this.open.set(activityId, id);
    return activityId;
  }

  /** A scheduled activity ran and returned `result`; a workflow task follows. */
  resolved(activityId: string, result: unknown): this {
    const scheduledEventId = this.open.get(activityId)!;
    this.open.delete(activityId);
    const started = this.push('EVENT_TYPE_ACTIVITY_TASK_STARTED', 'activityTaskStartedEventAttributes', { scheduledEventId: String(scheduledEventId), identity: 'replay', attempt: 1 });
    this.push('EVENT_TYPE_ACTIVITY_TASK_COMPLETED', 'activityTaskCompletedEventAttributes', { scheduledEventId: String(scheduledEventId), startedEventId: String(started), result: { payloads: [payload(result)] } });
    return this.workflowTask();
  }

  /** A scheduled activity timed out (schedule-to-start, or start-to-close); a workflow task follows. */
  timedOut(activityId: string, timeoutType: 'TIMEOUT_TYPE_SCHEDULE_TO_START' | 'TIMEOUT_TYPE_SCHEDULE_TO_CLOSE' | 'TIMEOUT_TYPE_START_TO_CLOSE'): this {
    const scheduledEventId = this.open.get(activityId)!;
    this.open.delete(activityId);
    this.push('EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT', 'activityTaskTimedOutEventAttributes', {
      scheduledEventId: String(scheduledEventId), startedEventId: '0', retryState: 'RETRY_STATE_TIMEOUT',
      failure: { message: 'activity timeout', timeoutFailureInfo: { timeoutType } },
    });
    return this.workflowTask();
  }

  /** The next activity of the workflow's sequence, scheduled and completed with `result`. */
  activity(activityType: string, result: unknown, taskQueue?: string): this {
    return this.resolved(this.scheduled(activityType, taskQueue), result);
  }

  /** The workflow started a timer (a `condition` with a timeout, a sleep); returns its id. */
  timerStarted(ms: number): string {
    const timerId = String(++this.timerSeq);
    this.push('EVENT_TYPE_TIMER_STARTED', 'timerStartedEventAttributes', { timerId, startToFireTimeout: { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 }, workflowTaskCompletedEventId: String(this.lastCompleted) });
    return timerId;
  }

  timerFired(timerId: string): this {
    const started = this.events.find((e) => e.eventType === 'EVENT_TYPE_TIMER_STARTED' && (e.timerStartedEventAttributes as { timerId: string }).timerId === timerId)!;
    this.push('EVENT_TYPE_TIMER_FIRED', 'timerFiredEventAttributes', { timerId, startedEventId: started.eventId });
    return this.workflowTask();
  }

  timerCanceled(timerId: string): void {
    const started = this.events.find((e) => e.eventType === 'EVENT_TYPE_TIMER_STARTED' && (e.timerStartedEventAttributes as { timerId: string }).timerId === timerId)!;
    this.push('EVENT_TYPE_TIMER_CANCELED', 'timerCanceledEventAttributes', { timerId, startedEventId: started.eventId, workflowTaskCompletedEventId: String(this.lastCompleted), identity: 'replay' });
  }

  /**
   * An engineer's Update arrives with a new workflow task, which accepts it (its handler
   * then runs: what it schedules follows); returns the accepted event's id.
   */
  updateAccepted(name: string, args: unknown[], updateId = `update-${name}`): string {
    const scheduled = this.push('EVENT_TYPE_WORKFLOW_TASK_SCHEDULED', 'workflowTaskScheduledEventAttributes', { taskQueue: { name: this.taskQueue }, startToCloseTimeout: { seconds: '10' }, attempt: 1 });
    const started = this.push('EVENT_TYPE_WORKFLOW_TASK_STARTED', 'workflowTaskStartedEventAttributes', { scheduledEventId: String(scheduled), identity: 'replay' });
    this.lastCompleted = this.push('EVENT_TYPE_WORKFLOW_TASK_COMPLETED', 'workflowTaskCompletedEventAttributes', { scheduledEventId: String(scheduled), startedEventId: String(started), identity: 'replay' });
    return String(this.push('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED', 'workflowExecutionUpdateAcceptedEventAttributes', {
      protocolInstanceId: updateId, acceptedRequestMessageId: `${updateId}/request`, acceptedRequestSequencingEventId: String(started - 1),
      acceptedRequest: { meta: { updateId, identity: 'replay' }, input: { name, args: { payloads: args.map(payload) } } },
    }));
  }

  /** The Update's handler returned `result`. */
  updateCompleted(acceptedEventId: string, result: unknown, updateId: string): this {
    this.push('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED', 'workflowExecutionUpdateCompletedEventAttributes', {
      meta: { updateId, identity: 'replay' }, acceptedEventId, outcome: { success: { payloads: [payload(result)] } },
    });
    return this;
  }

  /** The workflow took a plan change (`patched(id)`): Temporal records a marker. */
  patch(id: string): this {
    this.push('EVENT_TYPE_MARKER_RECORDED', 'markerRecordedEventAttributes', {
      markerName: 'core_patch', details: { 'patch-data': { payloads: [payload({ id, deprecated: false })] } }, workflowTaskCompletedEventId: String(this.lastCompleted),
    });
    return this;
  }

  /** Someone asked to cancel the run; a workflow task follows. */
  cancelRequested(): this {
    this.push('EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED', 'workflowExecutionCancelRequestedEventAttributes', { cause: 'operator', identity: 'replay' });
    return this.workflowTask();
  }

  completed(result: unknown): this {
    this.push('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED', 'workflowExecutionCompletedEventAttributes', { result: { payloads: [payload(result)] }, workflowTaskCompletedEventId: String(this.lastCompleted) });
    return this;
  }

  failed(message: string, type: string): this {
    this.push('EVENT_TYPE_WORKFLOW_EXECUTION_FAILED', 'workflowExecutionFailedEventAttributes', {
      failure: { message, applicationFailureInfo: { type, nonRetryable: true } }, retryState: 'RETRY_STATE_NON_RETRYABLE_FAILURE', workflowTaskCompletedEventId: String(this.lastCompleted),
    });
    return this;
  }

  canceled(): this {
    this.push('EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED', 'workflowExecutionCanceledEventAttributes', { workflowTaskCompletedEventId: String(this.lastCompleted) });
    return this;
  }

  /** The history in protobufjs object form (what `History.fromObject` reads; see `replayable`). */
  json(): { events: Event[] } {
    return { events: this.events };
  }
}

/**
 * A history for `Worker.runReplayHistory`. (The SDK's own `historyFromJSON` fails in this
 * install — two copies of protobufjs, "type must be a Type" — so fixtures are stored in
 * protobufjs object form and decoded with @temporalio/proto's own classes.)
 */
export function replayable(json: unknown): proto.temporal.api.history.v1.History {
  return proto.temporal.api.history.v1.History.fromObject(json as Record<string, unknown>);
}

/**
 * A history as `temporal workflow show --output json` prints it (proto3 JSON: timestamps
 * and durations as strings), in the shape `History.fromObject` reads (seconds and nanos).
 */
export function fromServerJson(json: unknown): proto.temporal.api.history.v1.History {
  const at = (iso: string) => {
    const m = /^(.*?)(?:\.(\d+))?Z$/.exec(iso)!;
    return { seconds: String(Math.floor(Date.parse(`${m[1]}Z`) / 1000)), nanos: Number((m[2] ?? '0').padEnd(9, '0').slice(0, 9)) };
  };
  const span = (d: string) => {
    const [whole, frac = ''] = d.slice(0, -1).split('.');
    return { seconds: whole, nanos: Number(frac.padEnd(9, '0').slice(0, 9)) };
  };
  const walk = (value: unknown, key = ''): unknown => {
    if (Array.isArray(value)) return value.map((v) => walk(v, key));
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    if (typeof value === 'string' && /Time$/.test(key) && /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(value)) return at(value);
    if (typeof value === 'string' && /(Timeout|Interval|Delay|Duration|Backoff|Ttl)$/i.test(key) && /^-?\d+(\.\d+)?s$/.test(value)) return span(value);
    return value;
  };
  return replayable(walk(json));
}
