/**
 * Connections to Temporal from the configuration (address, namespace, TLS, API key),
 * and the worker that serves needloop's workflows and activities.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { PipelineActivities } from '../activities/pipeline-activities.js';
import type { Config, TemporalConfig } from '../config.js';
import { UserError } from './output.js';
import { analyticsTaskQueue, ingestTaskQueue, trainingTaskQueue } from '../workflows/types.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** The workflow bundler resolves our `.js` import suffixes to the `.ts` sources. */
export const bundlerOptions = {
  webpackConfigHook: (config: { resolve?: object }) => ({ ...config, resolve: { ...config.resolve, extensionAlias: { '.js': ['.ts', '.js'] } } }),
};

function tlsOf(t: TemporalConfig): TLSConfig | undefined {
  if (t.tls === null) return undefined;
  return {
    ...(t.tls.serverName === null ? {} : { serverNameOverride: t.tls.serverName }),
    ...(t.tls.ca === null ? {} : { serverRootCACertificate: readFileSync(t.tls.ca) }),
    ...(t.tls.cert === null || t.tls.key === null ? {} : { clientCertPair: { crt: readFileSync(t.tls.cert), key: readFileSync(t.tls.key) } }),
  };
}

function requireAddress(config: Config): string {
  if (config.temporal.address === null) {
    throw new UserError('TEMPORAL_ADDRESS is not set: point it at a Temporal server (host:port), or use the local runner (--local)');
  }
  return config.temporal.address;
}

export async function connectClient(config: Config): Promise<Client> {
  const connection = await Connection.connect({
    address: requireAddress(config), tls: tlsOf(config.temporal) ?? null, ...(config.temporal.apiKey === null ? {} : { apiKey: config.temporal.apiKey }),
  });
  return new Client({ connection, namespace: config.temporal.namespace });
}

export type QueueName = 'default' | 'ingest' | 'analytics' | 'training';
export const QUEUE_NAMES: readonly QueueName[] = ['default', 'ingest', 'analytics', 'training'];

/** Activities that heartbeat their own progress (the details say how far they got). */
const BEATS_ITSELF = new Set(['fineTune', 'ingestFile']);

/**
 * Every other activity heartbeats while it runs — four times per heartbeat timeout, at most
 * every 30 s — so that Temporal notices a worker killed mid-task within that timeout and
 * retries the task elsewhere. A run started before heartbeat timeouts were set asks none.
 */
export function withHeartbeats(activities: PipelineActivities): PipelineActivities {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities) as [string, (input: unknown) => Promise<unknown>][]) {
    wrapped[name] = BEATS_ITSELF.has(name) ? fn : async (input: unknown) => {
      const ctx = Context.current();
      const timeout = ctx.info.heartbeatTimeoutMs;
      const beat = timeout === undefined || timeout <= 0 ? null : setInterval(() => ctx.heartbeat(), Math.min(30_000, Math.max(1000, timeout / 4)));
      try {
        return await fn(input);
      } finally {
        if (beat !== null) clearInterval(beat);
      }
    };
  }
  return wrapped as unknown as PipelineActivities;
}

/**
 * Workers for the asked queues on one connection: `default` runs the workflows and the
 * short bookkeeping activities; `ingest` loads inbox files, `analytics` segments, scores,
 * checks drift, discovers, evaluates and writes the report; `training` (on GPU hosts)
 * fine-tunes. Every queue's worker can run every activity: the workflow decides which
 * activity goes where.
 */
export async function createWorkers(config: Config, activities: PipelineActivities, queues: readonly QueueName[]): Promise<{ workers: Worker[]; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({
    address: requireAddress(config), tls: tlsOf(config.temporal) ?? null, ...(config.temporal.apiKey === null ? {} : { apiKey: config.temporal.apiKey }),
  });
  const workers: Worker[] = [];
  for (const queue of queues) {
    workers.push(await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: { default: config.temporal.taskQueue, ingest: ingestTaskQueue(config.temporal.taskQueue), analytics: analyticsTaskQueue(config.temporal.taskQueue), training: trainingTaskQueue(config.temporal.taskQueue) }[queue],
      // A deploy lets running tasks finish (training included) before the worker stops.
      shutdownGraceTime: queue === 'training' ? '30 minutes' : '2 minutes',
      activities: withHeartbeats(activities),
      ...(queue === 'default' ? { workflowsPath: WORKFLOWS_PATH, bundlerOptions } : {}),
      // One training at a time per host: it takes the whole GPU (or CPU).
      ...(queue === 'training' ? { maxConcurrentActivityTaskExecutions: 1 } : {}),
    }));
  }
  return { workers, connection };
}
