import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ingestFiles } from '../../db/ingest/ingest-file.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { catalogue, ingest, rejections, USAGE_HEADER, usageJson } from '../helpers/ingest.js';

const db = useTestDatabase();
const files = useTempFiles();

const count = async (table: 'usage_events' | 'survey_responses' | 'users' | 'ingest_batches') =>
  Number((await db.handle.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('ingest rejects bad usage rows with their line and reason', () => {
  it('ingest(usage.jsonl) accepts the good rows and keeps each bad one with why', async () => {
    const lines = [
      usageJson({ event_id: 'b1' }), // 1 ok
      '{"event_id": "b2", "user_id": ', // 2 bad JSON
      usageJson({ event_id: 'b3', browser: 'firefox' }), // 3 unknown column
      usageJson({ event_id: 'b4', ts: '2026-13-01T00:00:00Z' }), // 4 invalid date
      usageJson({ event_id: 'b5', user_id: '' }), // 5 missing user_id
      usageJson({ event_id: 'b6', feedback: 'corrected', corrected_intent: null }), // 6 corrected without intent
      usageJson({ event_id: 'b7', confidence: 1.5, outcome: 'maybe' }), // 7 two problems
      '[1, 2, 3]', // 8 not an object
      usageJson({ event_id: 'b9', predicted_intent: 'teleport' }), // 9 unknown intent
      usageJson({ event_id: 'b10', request_text: 'null byte \u0000 here' }), // 10 NUL
      usageJson({ event_id: 'b11', user_id: { id: 1 } }), // 11 not a scalar
      usageJson({ event_id: 'b12', ts: '2026-02-29T10:00:00Z' }), // 12 not a leap year
      usageJson({ event_id: 'b13' }), // 13 ok
      usageJson({ event_id: 'b14', ts: '2028-02-29T10:00:00Z' }), // 14 ok: a leap year
      usageJson({ event_id: 'b15', ts: '2100-02-29T10:00:00Z' }), // 15 a century, not a leap year
      usageJson({ event_id: 'b16', ts: '2000-02-29T23:59:59Z' }), // 16 ok: a leap century
    ];
    const file = await files.file('bad-usage.jsonl', lines.join('\n'));
    const result = await ingest(db.handle, file);
    expect(result).toMatchObject({ status: 'loaded', accepted: 4, rejected: 12, duplicates: 0 });
    expect(await rejections(db.handle, file)).toEqual([
      [2, expect.stringMatching(/^not valid JSON: /)],
      [3, 'unknown field "browser"'],
      [4, 'ts: "2026-13-01T00:00:00Z" is not a valid date-time'],
      [5, 'user_id is required'],
      [6, 'feedback is "corrected" but corrected_intent is blank'],
      [7, 'confidence: 1.5 is out of range (0–1); outcome: "maybe" must be one of success, failure, abandoned'],
      [8, 'expected a JSON object'],
      [9, 'predicted_intent: "teleport" must be a need id: the need catalogue\'s ids (summarize_documents, draft_email, translate_text, code_help, analyze_data, …)'],
      [10, 'request_text: contains a NUL character'],
      [11, 'user_id: expected a string or a number, got object'],
      [12, 'ts: "2026-02-29T10:00:00Z" is not a valid date-time'],
      [15, 'ts: "2100-02-29T10:00:00Z" is not a valid date-time'],
    ]);
    const raw = await db.handle.db.selectFrom('rejected_rows').select('raw').where('file_name', '=', file).where('line', '=', 2).executeTakeFirstOrThrow();
    expect(raw.raw.toString()).toBe(lines[1]);
  });

  it('refuses numbers JSON has already changed, hexadecimal numbers, and offsets that carry a time outside 1970–2100 (the review of issue 33)', async () => {
    const base = usageJson({ event_id: 'PLACEHOLDER' });
    const lines = [
      base.replace('"PLACEHOLDER"', '9007199254740993'), // 1 beyond 2^53: JSON.parse reads …992
      base.replace('"PLACEHOLDER"', '9007199254740992').replace('"latency_ms":812', '"latency_ms":1e400'), // 2 overflows to Infinity
      usageJson({ event_id: 'n3', latency_ms: '0x1' }), // 3 hexadecimal
      usageJson({ event_id: 'n4', ts: '2100-12-31T23:00:00-14:00' }), // 4 is 2101 in UTC
      usageJson({ event_id: 'n5', ts: '1970-01-01T00:30:00+14:00' }), // 5 is 1969 in UTC
      base.replace('"PLACEHOLDER"', '12345'), // 6 ok: a small number is exact
      usageJson({ event_id: '9007199254740993', ts: '2100-12-31T09:00:00+14:00' }), // 7 ok: an id as a string; 2100 in UTC too
    ];
    const file = await files.file('numbers-usage.jsonl', lines.join('\n'));
    const result = await ingest(db.handle, file);
    expect(await rejections(db.handle, file)).toEqual([
      [1, 'event_id: the JSON number 9007199254740992 is beyond 2^53 and has lost its last digits: write it as a string'],
      [2, 'event_id: the JSON number 9007199254740992 is beyond 2^53 and has lost its last digits: write it as a string; latency_ms: the JSON number overflows (it reads as Infinity): write a number within ±1.8e308'],
      [3, 'latency_ms: "0x1" is not a number'],
      [4, 'ts: "2100-12-31T23:00:00-14:00" is in 2101 in UTC, outside 1970–2100'],
      [5, 'ts: "1970-01-01T00:30:00+14:00" is in 1969 in UTC, outside 1970–2100'],
    ]);
    expect(result).toMatchObject({ accepted: 2, rejected: 5 });
    const ids = await db.handle.db.selectFrom('usage_events').select('event_id').where('event_id', 'in', ['12345', '9007199254740993']).orderBy('event_id').execute();
    expect(ids.map((r) => r.event_id)).toEqual(['12345', '9007199254740993']);
  });

  it('ingest(usage.jsonl) keeps the first of two rows with the same event_id and rejects the second', async () => {
    const file = await files.file(
      'dup-ids.jsonl',
      [usageJson({ event_id: 'd1' }), usageJson({ event_id: 'd2' }), usageJson({ event_id: 'd1', feature: 'chat' }), usageJson({ event_id: 'bad', outcome: 'x' })].join('\n'),
    );
    expect(await ingest(db.handle, file)).toMatchObject({ status: 'loaded', accepted: 2, rejected: 2, duplicates: 0 });
    expect(await rejections(db.handle, file)).toEqual([
      [3, 'duplicate event_id "d1" (first seen on line 1)'],
      [4, 'outcome: "x" must be one of success, failure, abandoned'],
    ]);
    const d1 = await db.handle.db.selectFrom('usage_events').select('feature').where('event_id', '=', 'd1').executeTakeFirstOrThrow();
    expect(d1.feature).toBe('docs');
  });

  it('ingest(usage.csv) rejects rows with the wrong number of fields', async () => {
    const file = await files.file('fields.csv', `${USAGE_HEADER}\nf1,u1,2026-03-01T00:00:00Z,,docs,hi,,,,success,,,,\nf2,u1,2026-03-01T00:00:00Z,docs\n`);
    expect(await ingest(db.handle, file)).toMatchObject({ accepted: 1, rejected: 1 });
    expect(await rejections(db.handle, file)).toEqual([[3, 'expected 14 fields (as in the header), found 4']]);
  });
});

describe('ingest rejects bad survey and user rows', () => {
  it('ingest(surveys.csv) rejects NPS 11, CSAT 0, importance 6, a bad date and a missing user', async () => {
    const header = 'response_id,user_id,submitted_at,nps,csat,comment,imp_draft_email,sat_draft_email';
    const file = await files.file(
      'bad-surveys.csv',
      [header, 's1,u1,2026-03-01,10,5,,5,4', 's2,u1,2026-03-01,11,,,,', 's3,u1,2026-03-01,,0,,,', 's4,u1,2026-03-01,,,,6,', 's5,u1,yesterday,,,,,', 's6,,2026-03-01,,,,,', 's7,u1,2026-03-01,9.5,,,,'].join('\n'),
    );
    expect(await ingest(db.handle, file)).toMatchObject({ kind: 'surveys', accepted: 1, rejected: 6 });
    expect(await rejections(db.handle, file)).toEqual([
      [3, 'nps: 11 is out of range (0–10)'],
      [4, 'csat: 0 is out of range (1–5)'],
      [5, 'imp_draft_email: 6 is out of range (1–5)'],
      [6, 'submitted_at: "yesterday" is not an ISO 8601 date-time (e.g. 2026-03-01T12:30:00Z)'],
      [7, 'user_id is required'],
      [8, 'nps: "9.5" is not a whole number from 0 to 10'],
    ]);
  });

  it('ingest(users.csv) rejects an unknown plan and an impossible date', async () => {
    const file = await files.file('bad-users.csv', 'user_id,signup_at,plan\nx1,2026-02-30,free\nx2,2026-01-01,gold\nx3,2026-01-01T25:00:00Z,pro\n');
    expect(await ingest(db.handle, file)).toMatchObject({ accepted: 0, rejected: 3 });
    expect(await rejections(db.handle, file)).toEqual([
      [2, 'signup_at: "2026-02-30" is not a valid date-time'],
      [3, 'plan: "gold" must be one of free, pro, enterprise'],
      [4, 'signup_at: "2026-01-01T25:00:00Z" is not a valid date-time'],
    ]);
  });

  it('ingest(users.csv) keeps the first of two rows with the same user_id, on the first load (copied straight in) as on later ones (staged)', async () => {
    expect(await count('users')).toBe(0);
    const first = await files.file('first-users.csv', 'user_id,signup_at,plan\nv1,2026-01-01,free\nv2,2026-01-02,pro\nv1,2026-01-03,enterprise\nv3,2026-01-04,free\n');
    expect(await ingest(db.handle, first)).toMatchObject({ status: 'loaded', accepted: 3, rejected: 1, duplicates: 0 });
    expect(await rejections(db.handle, first)).toEqual([[4, 'duplicate user_id "v1" (first seen on line 2)']]);
    const later = await files.file('later-users.csv', 'user_id,signup_at,plan\nv4,2026-02-01,free\nv1,2026-01-01,pro\nv4,2026-02-02,pro\nv2,2026-01-02,pro\n');
    expect(await ingest(db.handle, later)).toMatchObject({ status: 'loaded', accepted: 2, rejected: 1, duplicates: 1 });
    expect(await rejections(db.handle, later)).toEqual([[4, 'duplicate user_id "v4" (first seen on line 2)']]);
    const stored = await db.handle.db.selectFrom('users').select(['user_id', 'plan']).orderBy('user_id').execute();
    expect(stored).toEqual([{ user_id: 'v1', plan: 'pro' }, { user_id: 'v2', plan: 'pro' }, { user_id: 'v3', plan: 'free' }, { user_id: 'v4', plan: 'free' }]);
  });

  it('ingest(file) fails the whole file, loading nothing, when the header has an unknown column', async () => {
    const before = await count('ingest_batches');
    const file = await files.file('unknown-col.csv', 'response_id,user_id,submitted_at,imp_teleport\nr1,u1,2026-03-01,5\n');
    const result = await ingest(db.handle, file);
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: unknown column "imp_teleport" for surveys`));
    expect(await count('ingest_batches')).toBe(before);
  });

  it('ingest(file) fails when a required column is missing from the header', async () => {
    const file = await files.file('missing-col.csv', 'user_id,plan\nu1,free\n');
    const result = await ingest(db.handle, file);
    expect(result).toMatchObject({ status: 'failed', error: `${file}:1: missing required column signup_at for users` });
  });
});

describe('ingest handles awkward files', () => {
  it('an empty file loads nothing and says so', async () => {
    const file = await files.file('empty.jsonl', '');
    expect(await ingest(db.handle, file)).toMatchObject({ status: 'empty', accepted: 0, rejected: 0, duplicates: 0, kind: null });
  });

  it('a header-only CSV is recorded as an empty batch', async () => {
    const file = await files.file('header-only.csv', `${USAGE_HEADER}\n`);
    const result = await ingest(db.handle, file);
    expect(result).toMatchObject({ status: 'empty', kind: 'usage', accepted: 0, rejected: 0 });
    const batch = await db.handle.db.selectFrom('ingest_batches').selectAll().where('id', '=', result.batch_id!).executeTakeFirstOrThrow();
    expect(batch).toMatchObject({ status: 'empty', rows_total: 0 });
  });

  it('a UTF-8 BOM and CRLF line ends are read as if absent', async () => {
    const file = await files.file('bom-crlf.csv', `\uFEFF${USAGE_HEADER}\r\nc1,u1,2026-03-01T00:00:00Z,,docs,hello,,,,success,,,,\r\nc2,u1,2026-03-01T00:00:00Z,,docs,"two\r\nlines",,,,abandoned,,,,\r\n`);
    expect(await ingest(db.handle, file)).toMatchObject({ kind: 'usage', accepted: 2, rejected: 0 });
    const rows = await db.handle.db.selectFrom('usage_events').select(['event_id', 'outcome', 'request_text']).where('event_id', 'in', ['c1', 'c2']).orderBy('event_id').execute();
    expect(rows).toEqual([
      { event_id: 'c1', outcome: 'success', request_text: 'hello' },
      { event_id: 'c2', outcome: 'abandoned', request_text: 'two\nlines' },
    ]);
  });

  it('a 10 MB field is rejected with its size, its raw line kept as a bounded prefix with its size, and the rows around it load', async () => {
    const huge = 'x'.repeat(10 * 1024 * 1024);
    const file = await files.file('huge.jsonl', [usageJson({ event_id: 'h1' }), usageJson({ event_id: 'h2', request_text: huge }), usageJson({ event_id: 'h3' })].join('\n'));
    expect(await ingest(db.handle, file)).toMatchObject({ accepted: 2, rejected: 1 });
    expect(await rejections(db.handle, file)).toEqual([[2, 'request_text: 10485760 bytes long; at most 65536 bytes are allowed']]);
    const { raw, raw_bytes } = await db.handle.db.selectFrom('rejected_rows').select(['raw', 'raw_bytes']).where('file_name', '=', file).executeTakeFirstOrThrow();
    expect(raw.toString()).toBe(usageJson({ event_id: 'h2', request_text: huge }).slice(0, 4096));
    expect(raw_bytes).toBe(usageJson({ event_id: 'h2', request_text: huge }).length);
  });

  it('invalid UTF-8 is rejected with the offset, and its exact bytes are kept', async () => {
    // "café" written in Latin-1: the lone byte 0xe9 is not UTF-8.
    const latin1 = Buffer.from(usageJson({ event_id: 'i2', request_text: 'cafX' }));
    const at = latin1.indexOf('X');
    latin1[at] = 0xe9;
    const file = await files.file('latin1.jsonl', Buffer.concat([Buffer.from(`${usageJson({ event_id: 'i1' })}\n`), latin1, Buffer.from('\n')]));
    expect(await ingest(db.handle, file)).toMatchObject({ accepted: 1, rejected: 1 });
    expect(await rejections(db.handle, file)).toEqual([[2, `not valid UTF-8 (first bad byte at offset ${at})`]]);
    const { raw } = await db.handle.db.selectFrom('rejected_rows').select('raw').where('file_name', '=', file).executeTakeFirstOrThrow();
    expect(Buffer.compare(raw, latin1)).toBe(0);
  });

  it('SQL-like strings are stored as plain text', async () => {
    const nasty = "'); DROP TABLE usage_events; --";
    const file = await files.file('sql.jsonl', [usageJson({ event_id: nasty, user_id: 'u1\\"; select pg_sleep(10);', request_text: `${nasty}\t$$ \\x00 \\N` })].join('\n'));
    expect(await ingest(db.handle, file)).toMatchObject({ accepted: 1, rejected: 0 });
    const row = await db.handle.db.selectFrom('usage_events').select(['user_id', 'request_text']).where('event_id', '=', nasty).executeTakeFirstOrThrow();
    expect(row).toEqual({ user_id: 'u1\\"; select pg_sleep(10);', request_text: `${nasty}\t$$ \\x00 \\N` });
    expect(await count('usage_events')).toBeGreaterThan(0);
  });
});

describe('ingest refuses what is not a regular file, at once', () => {
  it('a FIFO nobody writes to and /dev/zero fail by name within seconds, and the other files load', async () => {
    const fifo = `${files.dir}/usage-fifo.jsonl`;
    execFileSync('mkfifo', [fifo]);
    const good = await files.file('fifo-neighbour.jsonl', `${usageJson({ event_id: 'fifo-ok' })}\n`);
    const started = Date.now();
    const results = await ingestFiles(db.handle, [fifo, '/dev/zero', good], { catalogue, maxFieldBytes: 65536 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(results.map((r) => [r.file, r.status, r.error ?? null])).toEqual([
      [fifo, 'failed', `${fifo}: not a regular file`],
      ['/dev/zero', 'failed', '/dev/zero: not a regular file'],
      [good, 'loaded', null],
    ]);
  }, 30_000);
});
