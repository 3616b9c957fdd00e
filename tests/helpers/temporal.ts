/**
 * Where the live Temporal tests find a server: TEMPORAL_CLI_PATH (the official `temporal`
 * binary, whose `server start-dev` is a real single-binary server; `.ci/run` installs it) or
 * TEMPORAL_ADDRESS (an existing server). Without either they skip, saying why — except
 * where NEEDLOOP_REQUIRE_TEMPORAL is set (CI): there a skip would hide that nothing ran.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { createActivities } from '../../activities/pipeline-activities.js';
import type { Config } from '../../config.js';
import type { DatabaseHandle } from '../../db/connection.js';
import { promoteModel } from '../../db/queries/model-versions.js';
import { addApprover } from '../../db/queries/pipeline-runs.js';
import { evaluateCandidate } from '../../models/evaluate-candidate.js';
import { ModelStore } from '../../models/model-store.js';
import { trainCandidate } from '../../models/train-candidate.js';
import { catalogue } from './ingest.js';
import { freePort } from './ports.js';

export const TEMPORAL_CLI = process.env.TEMPORAL_CLI_PATH || undefined;
export const TEMPORAL_ADDRESS = process.env.TEMPORAL_ADDRESS || undefined;

/** Whether the live tests can run here; throws under NEEDLOOP_REQUIRE_TEMPORAL when they cannot. */
export function temporalAvailable(needs: 'cli' | 'any' = 'any'): boolean {
  const ok = needs === 'cli' ? TEMPORAL_CLI !== undefined : TEMPORAL_CLI !== undefined || TEMPORAL_ADDRESS !== undefined;
  if (ok) return true;
  const what = needs === 'cli' ? 'TEMPORAL_CLI_PATH (a temporal binary)' : 'TEMPORAL_CLI_PATH (a temporal binary) or TEMPORAL_ADDRESS (an existing server)';
  if (process.env.NEEDLOOP_REQUIRE_TEMPORAL) throw new Error(`NEEDLOOP_REQUIRE_TEMPORAL is set but ${what} is not: the live Temporal tests cannot run`);
  console.warn(`Temporal live tests skipped: set ${what} to run them.`);
  return false;
}

export interface DevServer {
  address: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** `temporal server start-dev` as a child process on free loopback ports, in memory; resolves once it answers. */
export async function startDevServer(): Promise<DevServer> {
  const [port, http, metrics] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(TEMPORAL_CLI!, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--http-port', String(http), '--metrics-port', String(metrics), '--log-level', 'error'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const address = `127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; ; i++) {
    try {
      const c = await Connection.connect({ address, connectTimeout: 1000 });
      await c.workflowService.getSystemInfo({});
      await c.close();
      break;
    } catch (error) {
      if (child.exitCode !== null || i > 120) throw new Error(`temporal server start-dev did not answer on ${address}: ${(error as Error).message}\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  return {
    address, process: child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The state both live suites start from: the inbox loaded, a production model trained on
 * the weeks before the scenario's change (so each night retrains), approver alice.
 */
export async function seedBeforeTheChange(handle: DatabaseHandle, config: Config, inbox: string): Promise<{ activities: ReturnType<typeof createActivities>; production: string }> {
  const store = new ModelStore(config.modelsDir);
  const activities = createActivities({ handle, config, store, catalogue });
  for (const file of await activities.listInbox({ inbox })) await activities.ingestFile({ file });
  const deps = { db: handle.db, store, backend: { choice: 'cpu' as const, backend: 'cpu', device: 'CPU, pure JavaScript' } };
  const first = await trainCandidate(deps, { to: new Date('2026-09-29T00:00:00Z') });
  await evaluateCandidate(deps, { candidateId: first.version.id });
  await promoteModel(handle.db, first.version.id, { by: 'setup' });
  await addApprover(handle.db, 'alice', 'token-a');
  return { activities, production: first.version.id };
}
