/**
 * Where the live Temporal tests find a server: TEMPORAL_CLI_PATH (the official `temporal`
 * binary, whose `server start-dev` is a real single-binary server; `.ci/run` installs it) or
 * TEMPORAL_ADDRESS (an existing server). Without either they skip, saying why — except
 * where NEEDLOOP_REQUIRE_TEMPORAL is set (CI): there a skip would hide that nothing ran.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
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
