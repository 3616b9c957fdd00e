/** `needloop schedule create|describe|pause|unpause|delete`: the nightly Temporal Schedule. */
import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Command } from 'commander';
import type { Config } from '../../config.js';
import { nightlyPipeline } from '../../workflows/nightly-pipeline.js';
import { printJson, say, UserError } from '../output.js';
import { connectClient } from '../temporal.js';

export const SCHEDULE_ID = 'needloop-nightly';

async function withSchedules<T>(config: Config, work: (client: Awaited<ReturnType<typeof connectClient>>) => Promise<T>): Promise<T> {
  const client = await connectClient(config);
  try {
    return await work(client);
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) throw new UserError(`there is no schedule ${SCHEDULE_ID}: needloop schedule create`, 1);
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
  const schedule = program.command('schedule').description('the nightly Temporal Schedule of the pipeline');

  schedule
    .command('create')
    .description('run the pipeline every night (02:00 by default); a night still running skips the next')
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
          scheduleId: SCHEDULE_ID,
          spec: { calendars: [{ hour, minute }], timezone: flags.timezone },
          policies: { overlap: ScheduleOverlapPolicy.SKIP },
          // Temporal appends the scheduled time to this id: one workflow per night.
          action: { type: 'startWorkflow', workflowType: nightlyPipeline, workflowId: 'needloop-nightly', taskQueue: cfg.temporal.taskQueue, args: [{ inbox: cfg.inbox, approvalTimeoutMs: cfg.approvalTimeoutMs, seed: 1 }] },
        });
      });
      if (flags.json) printJson({ schedule_id: SCHEDULE_ID, hour, minute, timezone: flags.timezone, overlap: 'skip' });
      else say(`Schedule ${SCHEDULE_ID}: the pipeline runs daily at ${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')} ${flags.timezone}.`);
    });

  schedule
    .command('describe')
    .description('the schedule, whether it is paused, its next and recent runs')
    .option('--json', 'print the description as JSON')
    .action(async (flags: { json?: boolean }) => {
      const d = await withSchedules(config(), (client) => client.schedule.getHandle(SCHEDULE_ID).describe());
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
        await withSchedules(config(), async (client) => {
          const handle = client.schedule.getHandle(SCHEDULE_ID);
          if (name === 'pause') await handle.pause(flags.note);
          else if (name === 'unpause') await handle.unpause(flags.note);
          else await handle.delete();
        });
        if (flags.json) printJson({ schedule_id: SCHEDULE_ID, action: name });
        else say(`Schedule ${SCHEDULE_ID}: ${name}d.`);
      });
  }
}
