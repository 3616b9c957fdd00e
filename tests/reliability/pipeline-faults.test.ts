import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateScenario } from '../../scenarios/generate.js';
import { runCli, startCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { useTempFiles } from '../helpers/fixtures.js';
import { catalogue } from '../helpers/ingest.js';

const files = useTempFiles();
let inbox: string;

beforeAll(async () => {
  inbox = join(files.dir, 'inbox');
  await generateScenario({ outDir: inbox, catalogue, users: 400, days: 40, scenario: 'stable', seed: 3 });
});

async function environment(name: string): Promise<{ handle: TestDatabase; env: Record<string, string> }> {
  const handle = await createTestDatabase();
  const env = { DATABASE_URL: handle.url, NEEDLOOP_HOME: join(files.dir, name), NEEDLOOP_INBOX: inbox, NEEDLOOP_REPORTS_DIR: join(files.dir, name, 'reports'), TFJS_BACKEND: 'cpu' };
  return { handle, env };
}

const statuses = async (handle: TestDatabase) => (await handle.db.selectFrom('pipeline_runs').select(['id', 'status', 'error']).orderBy('id').execute());

describe('the local pipeline under faults', () => {
  it('two `run --local` at once: one runs, the other says the pipeline is busy', async () => {
    const { handle, env } = await environment('concurrent');
    const [a, b] = await Promise.all([runCli(['run', '--local', '--json'], env), runCli(['run', '--local', '--json'], env)]);
    const busy = [a, b].filter((r) => r.code === 1);
    const ran = [a, b].filter((r) => r.code === 0);
    expect(busy).toHaveLength(1);
    expect(ran).toHaveLength(1);
    expect(busy[0].stderr).toBe('needloop: another pipeline run is in progress on this database: try again when it has finished (needloop status)\n');
    expect(JSON.parse(ran[0].stdout).status).toBe('awaiting_approval');
    expect(await statuses(handle)).toHaveLength(1);
    expect(await handle.db.selectFrom('model_versions').select('id').execute()).toHaveLength(1);
  }, 180_000);

  it('killed while training: nothing half-written; the next run closes the interrupted one and trains once', async () => {
    const { handle, env } = await environment('killed');
    const { child, done } = startCli(['run', '--local'], env);
    await new Promise<void>((resolve) => child.stderr!.on('data', (d: Buffer) => d.toString().includes('… train') && resolve()));
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    expect(await statuses(handle)).toEqual([{ id: '1', status: 'running', error: null }]);
    expect(await handle.db.selectFrom('model_versions').select('id').execute()).toEqual([]);

    const rerun = await runCli(['run', '--local', '--json'], env);
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ run_id: '2', status: 'awaiting_approval' });
    expect(await statuses(handle)).toEqual([
      { id: '1', status: 'failed', error: 'interrupted: the process stopped before the run finished' },
      { id: '2', status: 'awaiting_approval', error: null },
    ]);
    // One candidate: the killed training registered nothing, the re-run registered one.
    expect(await handle.db.selectFrom('model_versions').select(['id', 'status']).execute()).toEqual([{ id: '1', status: 'awaiting_approval' }]);
  }, 180_000);

  it('an unwritable report folder: a clear error, the run marked failed, its other results kept', async () => {
    const { handle, env } = await environment('unwritable');
    const blocker = join(files.dir, 'not-a-folder');
    await writeFile(blocker, 'a file where the reports folder should be');
    const run = await runCli(['run', '--local', '--json'], { ...env, NEEDLOOP_REPORTS_DIR: join(blocker, 'reports') });
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout);
    expect(out.status).toBe('failed');
    expect(out.results.error).toMatch(new RegExp(`^cannot write the report to ${blocker}/reports: ENOTDIR`));
    expect(out.results.needs.analysis_id).not.toBeNull();
    const [stored] = await statuses(handle);
    expect(stored).toMatchObject({ status: 'failed' });
    expect(stored.error).toContain('cannot write the report');
    expect(await handle.db.selectFrom('need_analyses').select('id').execute()).toHaveLength(1);
    expect(await handle.db.selectFrom('reports').select('id').execute()).toEqual([]);
    // The candidate it trained cannot be decided through a failed run: it is rejected, not left blocking.
    expect(await handle.db.selectFrom('model_versions').select(['status', 'status_reason']).execute()).toEqual([
      { status: 'rejected', status_reason: expect.stringMatching(/^rejected by needloop: its pipeline run failed: cannot write the report/) },
    ]);
  }, 180_000);
});
