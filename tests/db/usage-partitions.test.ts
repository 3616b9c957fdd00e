/**
 * Usage events partitioned by month (issue 18): a load puts each row in its month's
 * partition (made before the load from the file's time range, or after it for a stray
 * row), a repeated event is still a duplicate, a window's query reads only its months,
 * and an old month can be detached — archived — while the rest works on.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { latestTime } from '../../db/queries/time-window.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { ingest, usageJson } from '../helpers/ingest.js';

const db = useTestDatabase();
const files = useTempFiles();

/**
 * 1,000 events from 20 January to 5 March 2026 in time order, with one from June 2025 in
 * the middle: the load's guess of the file's months (its first 100 records and last
 * 256 KiB; each line here is about 1 KB) misses June, so that row goes to the default
 * partition and moves to a partition of its own after the load.
 */
const events = Array.from({ length: 1000 }, (_, i) => ({
  event_id: `m${i}`,
  ts: i === 500 ? '2025-06-15T12:00:00.000Z' : new Date(Date.UTC(2026, 0, 20) + i * 1.08 * 3_600_000).toISOString(),
  request_text: `summarize this report ${'please '.repeat(90)}`,
}));
const month = (ts: string) => `usage_events_${ts.slice(0, 4)}_${ts.slice(5, 7)}`;

async function rowsByPartition(): Promise<Record<string, number>> {
  const { rows } = await sql<{ partition: string; n: number }>`select tableoid::regclass::text as partition, count(*)::int as n from usage_events group by 1 order by 1`.execute(db.handle.db);
  return Object.fromEntries(rows.map((r) => [r.partition, r.n]));
}

function expected(list: readonly { ts: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of [...list].sort((a, b) => a.ts.localeCompare(b.ts))) out[month(e.ts)] = (out[month(e.ts)] ?? 0) + 1;
  return out;
}

describe('usage events by month', () => {
  it('puts every row in its month, the stray one too, and counts a repeated event as a duplicate', async () => {
    const file = await files.file('usage.jsonl', events.map((e) => usageJson(e)).join('\n'));
    expect(await ingest(db.handle, file)).toMatchObject({ status: 'loaded', accepted: 1000 });
    expect(await rowsByPartition()).toEqual(expected(events));
    expect(Object.keys(await rowsByPartition())).toEqual(['usage_events_2025_06', 'usage_events_2026_01', 'usage_events_2026_02', 'usage_events_2026_03']);
    // Analysed once loaded, every month and the whole table, for the night's plans.
    const { rows: analysed } = await sql<{ name: string; n: number }>`
      select c.relname as name, c.reltuples::int as n from pg_class c join pg_inherits i on i.inhrelid = c.oid
       where i.inhparent = 'usage_events'::regclass and c.relname <> 'usage_events_default' order by 1`.execute(db.handle.db);
    expect(Object.fromEntries(analysed.map((r) => [r.name, r.n]))).toEqual(expected(events));
    const { rows: whole } = await sql<{ n: number }>`select count(*)::int as n from pg_stats where tablename = 'usage_events' and inherited`.execute(db.handle.db);
    expect(whole[0].n).toBeGreaterThan(10);

    // The same events again in another file, and one new: the repeats are duplicates.
    const again = await files.file('again.jsonl', [...events.slice(950), { event_id: 'new', ts: '2026-03-05T10:00:00Z' }].map((e) => usageJson(e)).join('\n'));
    expect(await ingest(db.handle, again)).toMatchObject({ status: 'loaded', accepted: 1, duplicates: 50 });
  });

  it('analyses only the months a load wrote to', async () => {
    const analyses = async () => Object.fromEntries((await sql<{ name: string; n: number }>`
      select c.relname as name, pg_stat_get_analyze_count(c.oid)::int as n from pg_class c join pg_inherits i on i.inhrelid = c.oid
       where i.inhparent = 'usage_events'::regclass order by 1`.execute(db.handle.db)).rows.map((r) => [r.name, r.n]));
    const before = await analyses();
    expect(before.usage_events_2026_01).toBeGreaterThan(0);
    const march = await files.file('march.jsonl', ['mar1', 'mar2'].map((id, i) => usageJson({ event_id: id, ts: `2026-03-0${i + 2}T10:00:00Z` })).join('\n'));
    expect(await ingest(db.handle, march)).toMatchObject({ status: 'loaded', accepted: 2 });
    const after = await analyses();
    expect(Object.keys(after).filter((p) => after[p] !== before[p])).toEqual(['usage_events_2026_03']);
  });

  it('reads only the partitions of a window', async () => {
    const { rows } = await sql<{ 'QUERY PLAN': string }>`explain select count(*) from usage_events where ts >= '2026-02-10' and ts < '2026-03-01'`.execute(db.handle.db);
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toContain('usage_events_2026_02');
    expect(plan).not.toMatch(/usage_events_(2026_01|2026_03|2025_06|default)/);
  });

  it('finds the latest event newest month first: past an empty month made ahead, and in the default partition too', async () => {
    const plainMax = async () => (await sql<{ last: Date }>`select max(ts) as last from usage_events`.execute(db.handle.db)).rows[0].last;
    await sql`select needloop_usage_partition('2026-05-01')`.execute(db.handle.db);
    const latest = new Date((await plainMax()).getTime() + 1);
    // The older months are not read: with January and February locked by another session,
    // the answer comes all the same (a plain max(ts) would wait for the locks).
    const locker = await db.handle.pool.connect();
    try {
      await locker.query('begin');
      await locker.query('lock table usage_events_2026_01, usage_events_2026_02 in access exclusive mode');
      const late = new Promise((resolve) => setTimeout(() => resolve('waited on the older months'), 5000));
      expect(await Promise.race([latestTime(db.handle.db, 'usage_events'), late])).toEqual(latest);
    } finally {
      await locker.query('rollback');
      locker.release();
    }
    // A month without a partition: the row lands in the default partition, newer than every month.
    const { rows } = await sql<{ id: string }>`select min(id)::text as id from ingest_batches`.execute(db.handle.db);
    await sql`insert into usage_events (event_id, user_id, ts, feature, outcome, batch_id) values ('late', 'u1', '2027-01-02T03:04:05Z', 'docs', 'success', ${rows[0].id})`.execute(db.handle.db);
    expect(Object.keys(await rowsByPartition())).toContain('usage_events_default');
    expect(await latestTime(db.handle.db, 'usage_events')).toEqual(new Date(Date.parse('2027-01-02T03:04:05Z') + 1));
    await sql`delete from usage_events where event_id = 'late'`.execute(db.handle.db);
  });

  it('detaches an old month, keeps the rest, and loads that month again into a partition of its own', async () => {
    const before = await rowsByPartition();
    await sql`alter table usage_events detach partition usage_events_2026_01`.execute(db.handle.db);
    const after = await rowsByPartition();
    expect(after).toEqual(Object.fromEntries(Object.entries(before).filter(([p]) => p !== 'usage_events_2026_01')));
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from usage_events_2026_01`.execute(db.handle.db);
    expect(rows[0].n).toBe(before.usage_events_2026_01);

    const late = await files.file('late.jsonl', usageJson({ event_id: 'late', ts: '2026-01-31T08:00:00Z' }));
    expect(await ingest(db.handle, late)).toMatchObject({ status: 'loaded', accepted: 1 });
    expect((await rowsByPartition()).usage_events_2026_01_2).toBe(1);
  });
});
