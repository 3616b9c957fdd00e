/** `needloop serve [--port P] [--host H] [--public] [--trust-proxy] [--tls-cert F --tls-key F]`: reports, /api/predict and the approval page. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { describe } from './index.js';
import type { Config } from '../../config.js';
import { openDatabase } from '../../db/connection.js';
import { findModelVersion, findProductionModel } from '../../db/queries/model-versions.js';
import { selectBackend } from '../../models/backend.js';
import { ModelStore } from '../../models/model-store.js';
import { createNeedloopServer, isLoopback, LOOPBACK_HOSTS, type DecisionRequest } from '../../web/server.js';
import { say, UserError, warn } from '../output.js';
import { decideRun } from './pipeline.js';

export function registerServe(program: Command, config: () => Config): void {
  program
    .command('serve')
    .description(describe('serve'))
    .option('--port <n>', 'port', '8080')
    .option('--host <host>', 'interface to listen on; beyond loopback the reports and /api/predict need a signed-in viewer', '127.0.0.1')
    .option('--allowed-host <name...>', 'a host name requests may name in their Host header (repeatable); on loopback only localhost, 127.0.0.1 and ::1 are answered unless given')
    .option('--public', 'let anyone who can reach the server read the reports and call /api/predict without signing in')
    .option('--trust-proxy', 'behind a reverse proxy: for connections from the proxy, take the client address from X-Forwarded-For and HTTPS from X-Forwarded-Proto')
    .option('--proxy-address <addr...>', 'with --trust-proxy: the proxy\'s own address (repeatable; default: this machine\'s loopback, a proxy beside the server)')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM); with --tls-key')
    .option('--tls-key <file>', 'the certificate\'s private key (PEM)')
    .action(async (flags: { port: string; host: string; public?: boolean; trustProxy?: boolean; proxyAddress?: string[]; tlsCert?: string; tlsKey?: string; allowedHost?: string[] }) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port must be a port number (got ${flags.port})`);
      if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new UserError('--tls-cert and --tls-key go together');
      const read = (file: string, what: string) => {
        try {
          return readFileSync(file);
        } catch (error) {
          throw new UserError(`cannot read the TLS ${what} ${file}: ${(error as Error).message}`);
        }
      };
      const tls = flags.tlsCert === undefined ? undefined : { cert: read(flags.tlsCert, 'certificate'), key: read(flags.tlsKey!, 'key') };
      const local = isLoopback(flags.host);
      const cfg = config();
      await selectBackend(cfg.tfjsBackend);
      const handle = await openDatabase(cfg);
      const decide = async (runId: string, d: DecisionRequest) => {
        const result = await decideRun(cfg, handle, runId, d);
        if (!result.ok) return result;
        if (result.decision === null) return { ok: true as const };
        // A Temporal run takes the decision and acts on it a moment later: the page waits for
        // that — the candidate promoted or rejected, 10 s at most — so that it shows what serves.
        for (let i = 0; i < 50; i++) {
          const model = await findModelVersion(handle.db, result.candidate);
          if (model === null || model.status !== 'awaiting_approval') break;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        const serving = (await findProductionModel(handle.db))?.id ?? null;
        if (d.kind === 'approve' && serving === result.candidate) return { ok: true as const, then: `Model ${result.candidate} serves now.` };
        if (d.kind === 'reject' && (await findModelVersion(handle.db, result.candidate))?.status === 'rejected') return { ok: true as const };
        return { ok: true as const, then: `Its Temporal run ${d.kind === 'approve' ? 'promotes' : 'rejects'} model ${result.candidate} in a moment: reload to see it${d.kind === 'approve' ? ' serve' : ''}.` };
      };
      const { server, close } = createNeedloopServer(
        { db: handle.db, store: new ModelStore(cfg.modelsDir), reportsDir: cfg.reportsDir, decide },
        // On loopback only this machine's names are answered (DNS rebinding); beyond it, --allowed-host names them.
        { requireSignIn: !local && flags.public !== true, trustProxy: flags.trustProxy === true, proxyAddresses: flags.proxyAddress, tls, allowedHosts: allowedHosts(local, flags.host, flags.allowedHost ?? []) },
      );
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, flags.host, resolve));
      const address = server.address();
      if (!local && flags.public === true) warn(`needloop serve: --public on ${flags.host}: anyone who can reach this server reads the reports (they quote what users typed) and calls /api/predict without signing in`);
      else if (!local) warn(`needloop serve: listening on ${flags.host}, beyond this machine: the reports and /api/predict need a signed-in viewer or approver (needloop viewer add NAME), or Authorization: Bearer TOKEN`);
      if (!local && tls === undefined && flags.trustProxy !== true) warn('needloop serve: plain HTTP beyond this machine: tokens and session cookies cross the network unencrypted; use --tls-cert/--tls-key, or a TLS proxy with --trust-proxy');
      say(`needloop serve: ${tls === undefined ? 'http' : 'https'}://${flags.host}:${typeof address === 'object' && address !== null ? address.port : port}/ (reports, /api/predict, /approvals); Ctrl-C stops it`);
      // Our own handlers: stop accepting, finish what is in flight, close the database.
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.removeAllListeners(signal);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await close();
      await handle.close();
    });
}

/**
 * The Host names answered: on loopback this machine's own names (and the --host given),
 * plus any --allowed-host; beyond loopback any name, unless --allowed-host lists them.
 */
export function allowedHosts(local: boolean, host: string, named: readonly string[]): readonly string[] | undefined {
  const extra = named.map((n) => n.toLowerCase());
  if (local) return [...new Set([...LOOPBACK_HOSTS, host.toLowerCase(), ...extra])];
  return extra.length === 0 ? undefined : [...new Set([host.toLowerCase(), ...extra])];
}
