import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generateScenario } from '../../scenarios/generate.js';
import { startCli, runCli } from '../helpers/cli.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { catalogue, ingest, rejections, usageJson } from '../helpers/ingest.js';

const db = useTestDatabase();
const files = useTempFiles();

const count = async (table: 'usage_events' | 'ingest_batches' | 'rejected_rows') =>
  Number((await db.handle.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('re-ingest', () => {
  it('ingesting the same file twice loads it once and reports the second as a duplicate', async () => {
    const file = await files.file('once.jsonl', [usageJson({ event_id: 'o1' }), usageJson({ event_id: 'o2' }), '{oops'].join('\n'));
    const first = await ingest(db.handle, file);
    expect(first).toMatchObject({ status: 'loaded', accepted: 2, rejected: 1 });
    const [events, rejected] = [await count('usage_events'), await count('rejected_rows')];
    const second = await ingest(db.handle, file);
    expect(second).toMatchObject({ status: 'duplicate', accepted: 0, rejected: 0, duplicates: 0, batch_id: first.batch_id });
    expect([await count('usage_events'), await count('rejected_rows')]).toEqual([events, rejected]);
  });

  it('records the file\'s SHA-256 whichever way it was taken, and knows the same bytes under another name', async () => {
    // No stored batch has this size: the checksum is taken during the load's own read.
    const lines = [usageJson({ event_id: 's1' }), usageJson({ event_id: 's2' })].join('\n');
    const file = await files.file('sized.jsonl', lines);
    const loaded = await ingest(db.handle, file);
    const batch = async (id: string | undefined) => (await db.handle.db.selectFrom('ingest_batches').select('checksum').where('id', '=', id!).executeTakeFirstOrThrow()).checksum;
    expect(await batch(loaded.batch_id)).toBe(createHash('sha256').update(await readFile(file)).digest('hex'));
    const copy = await files.file('sized-again.jsonl', lines);
    expect(await ingest(db.handle, copy)).toMatchObject({ status: 'duplicate', batch_id: loaded.batch_id });
    // Same size, other bytes (s3 is new, s2 stored): checksummed before the load, and loaded.
    const other = await files.file('sized-other.jsonl', lines.replace('s1', 's3'));
    const third = await ingest(db.handle, other);
    expect(third).toMatchObject({ status: 'loaded', accepted: 1, duplicates: 1 });
    expect(await batch(third.batch_id)).toBe(createHash('sha256').update(await readFile(other)).digest('hex'));
  });

  it('a file whose events overlap stored ones inserts only the new events and counts the rest', async () => {
    const file = await files.file('overlap.jsonl', [usageJson({ event_id: 'o2', feature: 'chat' }), usageJson({ event_id: 'o3' })].join('\n'));
    expect(await ingest(db.handle, file)).toMatchObject({ status: 'loaded', accepted: 1, rejected: 0, duplicates: 1 });
    const o2 = await db.handle.db.selectFrom('usage_events').select('feature').where('event_id', '=', 'o2').executeTakeFirstOrThrow();
    expect(o2.feature).toBe('docs');
  });

  it('a surveys file stores each response with its answers; a response id stored before is a duplicate, one repeated in the file rejected', async () => {
    const header = 'response_id,user_id,submitted_at,nps,csat,comment,imp_draft_email,sat_draft_email,kano_f_draft_email,kano_d_draft_email,imp_code_help,sat_code_help';
    const answers = async (ids: string[]) => (await db.handle.db.selectFrom('survey_answers').select(['response_id', 'need_id', 'importance', 'satisfaction', 'kano_functional', 'kano_dysfunctional'])
      .where('response_id', 'in', ids).orderBy('response_id').orderBy('need_id').execute()).map((a) => Object.values(a));
    // New responses only: copied straight in, answers after them.
    const first = await files.file('surveys-1.csv', [header, 'q1,u1,2026-03-01,9,5,,5,4,2,5,,', 'q2,u2,2026-03-02,,,fine,,,,,3,1'].join('\n'));
    expect(await ingest(db.handle, first)).toMatchObject({ kind: 'surveys', status: 'loaded', accepted: 2, rejected: 0, duplicates: 0 });
    expect(await answers(['q1', 'q2'])).toEqual([['q1', 'draft_email', 5, 4, 2, 5], ['q2', 'code_help', 3, 1, null, null]]);
    // q2 stored already, q3 twice: the file goes the staged way.
    const second = await files.file('surveys-2.csv', [header, 'q2,u2,2026-03-02,,,changed,,,,,5,5', 'q3,u3,2026-03-03,7,,,4,4,,,,', 'q3,u3,2026-03-04,1,,,1,1,,,,'].join('\n'));
    expect(await ingest(db.handle, second)).toMatchObject({ status: 'loaded', accepted: 1, rejected: 1, duplicates: 1 });
    expect(await rejections(db.handle, second)).toEqual([[4, 'duplicate response_id "q3" (first seen on line 3)']]);
    expect(await answers(['q2', 'q3'])).toEqual([['q2', 'code_help', 3, 1, null, null], ['q3', 'draft_email', 4, 4, null, null]]);
  });

  it('two ingests of one file at the same time load it exactly once', async () => {
    const out = `${files.dir}/concurrent`;
    const generated = await generateScenario({ outDir: out, catalogue, users: 200, days: 10, seed: 3 });
    const before = await count('usage_events');
    const results = await Promise.all([ingest(db.handle, generated.files.usage), ingest(db.handle, generated.files.usage)]);
    expect(results.map((r) => r.status).sort()).toEqual(['duplicate', 'loaded']);
    expect(await count('usage_events')).toBe(before + generated.counts.events);
  });
});

describe('a process killed during COPY', () => {
  it('leaves no partial batch, and a re-run loads the whole file', async () => {
    const generated = await generateScenario({ outDir: `${files.dir}/kill`, catalogue, users: 1500, days: 30, seed: 11, events: 150_000 });
    const before = { events: await count('usage_events'), batches: await count('ingest_batches'), rejected: await count('rejected_rows') };
    const env = { DATABASE_URL: db.handle.url };
    const { child, done } = startCli(['ingest', generated.files.usage, '--json'], env);
    // Wait until Postgres reports rows arriving through COPY for this database, then kill.
    let copied = 0;
    for (let i = 0; i < 1000 && copied === 0; i++) {
      const { rows } = await db.handle.pool.query<{ n: string }>(
        'select coalesce(sum(tuples_processed), 0) as n from pg_stat_progress_copy where datname = current_database()',
      );
      copied = Number(rows[0].n);
      if (copied === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(copied).toBeGreaterThan(0);
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    // The server notices the dropped connection and rolls the transaction back.
    for (let i = 0; i < 200; i++) {
      const { rows } = await db.handle.pool.query<{ n: string }>(
        "select count(*) as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'",
      );
      if (Number(rows[0].n) === 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect({ events: await count('usage_events'), batches: await count('ingest_batches'), rejected: await count('rejected_rows') }).toEqual(before);

    const rerun = await runCli(['ingest', generated.files.usage, '--json'], env);
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout).files[0]).toMatchObject({ status: 'loaded', accepted: generated.counts.events, rejected: 0, duplicates: 0 });
    expect(await count('usage_events')).toBe(before.events + generated.counts.events);
  });
});
