/** `needloop schedule create|describe|pause|unpause|delete`: the nightly Temporal Schedule. */
import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Command } from 'commander';
import { describe } from './index.js';
import type { Config } from '../../config.js';
import { nightlyPipeline } from '../../workflows/nightly-pipeline.js';
import { printJson, say, UserError } from '../output.js';
import { connectClient } from '../temporal.js';

/**
 * The Schedule of a task queue: `<queue>-nightly` (needloop-nightly by default), so that an
 * environment on its own queue — a staging setup, an integration test — can never touch
 * another's Schedule.
 */
export function scheduleIdOf(taskQueue: string): string {
  return `${taskQueue}-nightly`;
}

/** A night's run may wait this long for approval; past it plus a day, the run is stopped. */
const runTimeout = (approvalTimeoutMs: number) => `${Math.ceil(approvalTimeoutMs / 3_600_000) + 24} hours`;

async function withSchedules<T>(config: Config, work: (client: Awaited<ReturnType<typeof connectClient>>) => Promise<T>): Promise<T> {
  const client = await connectClient(config);
  try {
    return await work(client);
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) throw new UserError(`there is no schedule ${scheduleIdOf(config.temporal.taskQueue)}: needloop schedule create`, 1);
    throw error;
  } finally {
    await client.connection.close();
  }
}

function whole(value: string, flag: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new UserError(`${flag} must be a whole number from 0 to ${max} (got ${value})`);
  return n;
}

export function registerSchedule(program: Command, config: () => Config): void {
  const schedule = program.command('schedule').description(describe('schedule'));

  schedule
    .command('create')
    .description('run the pipeline every night (02:00 by default); a night awaiting approval does not hold up the next')
    .option('--hour <h>', 'hour of the day', '2')
    .option('--minute <m>', 'minute of the hour', '0')
    .option('--timezone <tz>', 'IANA time zone of the hour, e.g. Europe/Paris', 'UTC')
    .option('--json', 'print the schedule as JSON')
    .action(async (flags: { hour: string; minute: string; timezone: string; json?: boolean }) => {
      const cfg = config();
      const hour = whole(flags.hour, '--hour', 23);
      const minute = whole(flags.minute, '--minute', 59);
      if (!Intl.supportedValuesOf('timeZone').includes(flags.timezone) && flags.timezone !== 'UTC') throw new UserError(`--timezone ${flags.timezone} is not an IANA time zone (e.g. Europe/Paris)`);
      await withSchedules(cfg, async (client) => {
        await client.schedule.create({
          scheduleId: scheduleIdOf(cfg.temporal.taskQueue),
          spec: { calendars: [{ hour, minute }], timezone: flags.timezone },
          // A run awaiting approval (up to NEEDLOOP_APPROVAL_TIMEOUT_HOURS, 72 by default)
          // must not cost the nights after it their ingest and report: the next night starts
          // beside it, and trains nothing while a candidate waits; a second run of one night
          // stops at once (one run per night). A worker down for a week does not replay seven
          // nights at once: one day's catch-up.
          policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: '1 day' },
          // Temporal appends the scheduled time to this id: one workflow per night.
          action: {
            type: 'startWorkflow', workflowType: nightlyPipeline, workflowId: scheduleIdOf(cfg.temporal.taskQueue), taskQueue: cfg.temporal.taskQueue,
            workflowRunTimeout: runTimeout(cfg.approvalTimeoutMs), args: [{ inbox: cfg.inbox, approvalTimeoutMs: cfg.approvalTimeoutMs, seed: 1, heartbeatMs: cfg.heartbeatMs, timezone: flags.timezone }],
          },
        });
      });
      if (flags.json) printJson({ schedule_id: scheduleIdOf(cfg.temporal.taskQueue), hour, minute, timezone: flags.timezone, overlap: 'allow_all' });
      else say(`Schedule ${scheduleIdOf(cfg.temporal.taskQueue)}: the pipeline runs daily at ${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')} ${flags.timezone}.`);
    });

  schedule
    .command('describe')
    .description('the schedule, whether it is paused, its next and recent runs')
    .option('--json', 'print the description as JSON')
    .action(async (flags: { json?: boolean }) => {
      const cfg = config();
      const d = await withSchedules(cfg, (client) => client.schedule.getHandle(scheduleIdOf(cfg.temporal.taskQueue)).describe());
      const out = {
        schedule_id: d.scheduleId, paused: d.state.paused, note: d.state.note ?? null, calendars: d.spec.calendars ?? [], timezone: d.spec.timezone ?? 'UTC',
        overlap: d.policies.overlap, next_runs: d.info.nextActionTimes, recent_runs: d.info.recentActions.map((a) => ({ scheduled_at: a.scheduledAt, workflow_id: a.action.workflow.workflowId })),
      };
      if (flags.json) printJson(out);
      else {
        say(`Schedule ${out.schedule_id}: ${out.paused ? `paused${out.note ? ` (${out.note})` : ''}` : 'active'}, time zone ${out.timezone}`);
        for (const t of out.next_runs) say(`  next: ${t.toISOString()}`);
        for (const r of out.recent_runs) say(`  ran: ${r.workflow_id}`);
      }
    });

  for (const [name, description] of [['pause', 'stop starting nightly runs'], ['unpause', 'start nightly runs again'], ['delete', 'remove the schedule (runs already started go on)']] as const) {
    schedule
      .command(name)
      .description(description)
      .option('--note <text>', 'why (pause, unpause)')
      .option('--json', 'print {schedule_id, action} as JSON')
      .action(async (flags: { note?: string; json?: boolean }) => {
        const cfg = config();
        await withSchedules(cfg, async (client) => {
          const handle = client.schedule.getHandle(scheduleIdOf(cfg.temporal.taskQueue));
          if (name === 'pause') await handle.pause(flags.note);
          else if (name === 'unpause') await handle.unpause(flags.note);
          else await handle.delete();
        });
        if (flags.json) printJson({ schedule_id: scheduleIdOf(cfg.temporal.taskQueue), action: name });
        else say(`Schedule ${scheduleIdOf(cfg.temporal.taskQueue)}: ${name}d.`);
      });
  }
}
