/**
 * The command line as people use it: the README's exit codes, --version, messages that
 * name the real problem, and the embedded Postgres on a free port when its default is
 * taken — by another program, or another checkout's database on the same host.
 */
import { createServer, type Server } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printable } from '../../cli/output.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';
import { freePort } from '../helpers/ports.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

let files: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  files = await tempDir();
  await chmod(files.dir, 0o755); // the embedded Postgres runs as its own user
});
afterAll(() => files.cleanup());

/** A home of its own, on the embedded default. */
const home = (name: string, extra: Record<string, string> = {}) => ({ DATABASE_URL: '', NEEDLOOP_HOME: `${files.dir}/${name}`, NEEDLOOP_REPORTS_DIR: `${files.dir}/${name}/reports`, NEEDLOOP_INBOX: `${files.dir}/${name}/inbox`, NEEDLOOP_PG_PORT: '', ...extra });

/** Listens on 127.0.0.1:port (something else holds the port); resolves null when it is taken already. */
function occupy(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(server));
  });
}

describe('text users wrote, on a terminal', () => {
  it('shows escape sequences and other control characters as \\u escapes instead of letting them act', () => {
    expect(printable('cancel \u001b]0;owned\u0007 my plan\r\n')).toBe('cancel \\u001b]0;owned\\u0007 my plan\\u000d\\u000a');
    expect(printable('取消订阅 — fine')).toBe('取消订阅 — fine');
  });
});

describe('exit codes and messages', () => {
  it('--version prints the package version and exits 0; --help exits 0', async () => {
    const v = await runCli(['--version']);
    expect(v).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
    const h = await runCli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Usage: needloop');
    expect(h.stdout).toContain('approve');
  });

  it('usage errors exit 2 and say how to get help: an unknown command, an unknown option, a missing argument', async () => {
    for (const args of [['frobnicate'], ['status', '--frobnicate'], ['approve']]) {
      const run = await runCli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(/^error: /);
      expect(run.stderr, args.join(' ')).toContain('npx needloop --help');
    }
  });

  it('`approve abc` without Temporal names the real problem: local runs have numeric ids', async () => {
    const run = await runCli(['approve', 'abc', '--by', 'alice'], home('words', { TEMPORAL_ADDRESS: '' }));
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('needloop: "abc" is not a pipeline run: runs of this database have numeric ids (npx needloop status shows the latest and what waits for a decision); a Temporal workflow id needs TEMPORAL_ADDRESS set\n');
  });

  it('`status` before any run says what waits (nothing) and how to begin, exit 0', async () => {
    const run = await runCli(['status'], home('words'));
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('Nothing waits for a decision.\nNo pipeline has run yet: npx needloop start (or npx needloop run --local)\n');
  });
});

describe('the embedded Postgres port', () => {
  it('the default port taken: this home starts on a free port, remembers it, and keeps it next time', async () => {
    const held = await occupy(54329); // null: something holds it already, which is the case under test too
    try {
      const first = await runCli(['status', '--json'], home('a'));
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      const remembered = Number(readFileSync(`${files.dir}/a/pg-port`, 'utf8'));
      expect(remembered).not.toBe(54329);
      expect(remembered).toBeGreaterThan(1023);
      const again = await runCli(['status', '--json'], home('a'));
      expect(again.code).toBe(0);
      expect(Number(readFileSync(`${files.dir}/a/pg-port`, 'utf8'))).toBe(remembered);
      // A second checkout on the same host: a port of its own.
      expect((await runCli(['status', '--json'], home('b'))).code).toBe(0);
      expect(Number(readFileSync(`${files.dir}/b/pg-port`, 'utf8'))).not.toBe(54329);
    } finally {
      held?.close();
    }
  });

  it('NEEDLOOP_PG_PORT set to a taken port: exit 2, a sentence saying what to do, no stack trace', async () => {
    const port = await freePort();
    const held = await occupy(port);
    try {
      const run = await runCli(['status'], home('fixed', { NEEDLOOP_PG_PORT: String(port) }));
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`needloop: port ${port} (NEEDLOOP_PG_PORT) is taken by another program or another needloop home's database: set NEEDLOOP_PG_PORT to a free port, or leave it unset and needloop picks one\n`);
      expect(existsSync(`${files.dir}/fixed/pg-port`)).toBe(false);
    } finally {
      held?.close();
    }
  });
});
