import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';

const db = useTestDatabase();
const files = useTempFiles();
const EVIL = "1'; drop table model_versions; --";
const EVIL2 = '1 or 1=1); delete from users; --';

const tables = async () => (await sql<{ n: string }>`select count(*) as n from information_schema.tables where table_schema = 'public'`.execute(db.handle.db)).rows[0].n;

describe('SQL injection strings in CLI options and arguments', () => {
  it('are refused as bad values or treated as plain text; no table changes', async () => {
    const before = await tables();
    const env = { DATABASE_URL: db.handle.url, NEEDLOOP_HOME: files.dir, TFJS_BACKEND: 'cpu' };
    const runs = [
      ['status', EVIL], ['status', EVIL2, '--json'], ['approve', EVIL, '--by', EVIL2], ['reject', EVIL2, '--by', EVIL, '--reason', EVIL],
      ['promote', EVIL, '--by', EVIL], ['evaluate', '--candidate', EVIL2], ['rollback', '--by', EVIL], ['predict', EVIL, '--json'],
      ['segment', '--k', EVIL], ['segment', '--seed', EVIL, '--from', EVIL], ['needs', '--from', EVIL2], ['drift', '--columns', EVIL],
      ['drift', '--rule', `${EVIL}=ks:0.05`], ['train', '--seed', EVIL], ['train', '--to', EVIL2], ['approver', 'add', EVIL], ['models', '--json'],
    ];
    for (const args of runs) {
      const r = await runCli(args, env);
      expect({ args, code: r.code, crashed: /at .*\.ts:\d+/.test(r.stderr) }).toMatchObject({ args, crashed: false });
    }
    expect(await tables()).toBe(before);
    expect(await db.handle.db.selectFrom('model_versions').select('id').execute()).toEqual([]);
    expect(await db.handle.db.selectFrom('approvers').select('name').execute()).toEqual([]);
  }, 180_000);
});
