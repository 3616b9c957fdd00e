import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cnIdChecks, PiiScrubber, luhn } from '../../analytics/pii.js';
import { ingestFile } from '../../db/ingest/ingest-file.js';
import { runCli } from '../helpers/cli.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { catalogue, usageJson } from '../helpers/ingest.js';

const db = useTestDatabase();
const files = useTempFiles();

/** Personal data as users type it, in English and Chinese, and the kind each is. */
const PLANTED: [string, string][] = [
  ['jane.doe+work@example.co.uk', 'email'],
  ['张伟@例子.中国', 'email'],
  ['+44 20 7946 0958', 'phone'],
  ['(415) 555-2671', 'phone'],
  ['13812345678', 'phone'],
  ['138 1234 5678', 'phone'],
  ['4111 1111 1111 1111', 'card'],
  ['5500-0000-0000-0004', 'card'],
  ['DE89 3704 0044 0532 0130 00', 'iban'],
  ['GB82WEST12345698765432', 'iban'],
];
const TEXTS = [
  `please email the summary to ${PLANTED[0][0]} tonight`,
  `把报告发到 ${PLANTED[1][0]}，谢谢`,
  `call me on ${PLANTED[2][0]} or ${PLANTED[3][0]}`,
  `我的手机号是${PLANTED[4][0]}，也可以打 ${PLANTED[5][0]}`,
  `refund to card ${PLANTED[6][0]} or ${PLANTED[7][0]}`,
  `transfer to ${PLANTED[8][0]} and ${PLANTED[9][0]} pls`,
];

describe('personal data in free text', () => {
  it('is found in English and Chinese, and ordinary numbers are left alone', () => {
    const s = new PiiScrubber('redact');
    expect(TEXTS.map((t) => s.scrub(t))).toEqual([
      'please email the summary to [EMAIL] tonight',
      '把报告发到 [EMAIL]，谢谢',
      'call me on [PHONE] or [PHONE]',
      '我的手机号是[PHONE]，也可以打 [PHONE]',
      'refund to card [CARD] or [CARD]',
      'transfer to [IBAN] and [IBAN] pls',
    ]);
    expect(s.counts).toMatchObject({ email: 2, phone: 4, card: 2, iban: 2, national_id: 0, ip: 0 });
    // Dates, versions, order numbers and amounts are not personal data.
    for (const text of ['version 2026-12-02 and 3.14159', 'order 1234567890123 is late', 'card expires 12/27', 'my order 4111111111111112', '订单号 20261202 金额 1999.00']) expect(s.scrub(text)).toBe(text);
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('4111111111111112')).toBe(false);
  });

  it('is found in the forms people write to dodge a scan, in full-width or behind invisible characters, and order numbers, dates, versions and amounts stay', () => {
    const s = new PiiScrubber('redact');
    const found: [string, string][] = [
      ['身份证 11010519491231002X 请核实', '身份证 [ID] 请核实'],
      ['我的身份证号是 110105 19491231 002X', '我的身份证号是 [ID]'],
      ['call １３８００１３８０００ now', 'call [PHONE] now'],
      ['mail bob[at]example[dot]com', 'mail [EMAIL]'],
      ['mail bob (at) example dot com', 'mail [EMAIL]'],
      ['mail bob at example dot com', 'mail [EMAIL]'],
      ['mail bob＠example.com', 'mail [EMAIL]'],
      ['mail bo\u200Bb@example.com', 'mail [EMAIL]'],
      ['mail "bob smith"@example.com', 'mail [EMAIL]'],
      ['card 4111.1111.1111.1111', 'card [CARD]'],
      ['card 4111  1111  1111  1111', 'card [CARD]'],
      ['card 4111\u00a01111\u00a01111\u00a01111', 'card [CARD]'],
      ['iban DE89-3704-0044-0532-0130-00', 'iban [IBAN]'],
      ['ip 2001:db8::ff00:42:8329 and 192.168.1.20', 'ip [IP] and [IP]'],
      ['mac 00:1A:2B:3C:4D:5E or 00-1a-2b-3c-4d-5e', 'mac [MAC] or [MAC]'],
      ['passport number: C01X00T47', 'passport number: [ID]'],
      ['my NI number is QQ 12 34 56 C', 'my NI number is [ID]'],
      ['HKID A123456(3)', 'HKID [ID]'],
      ['ssn 123-45-6789, mine is', 'ssn [ID], mine is'],
      ['I am at 37.7749, -122.4194', 'I am at [LOCATION]'],
      ['https://x.com/reset?email=bob%40example.com&token=abc123def456 failed', 'https://x.com/reset?[QUERY] failed'],
      ['I live at 221B Baker Street, London', 'I live at [ADDRESS], London'],
      ['寄到北京市朝阳区建国路88号', '寄到[ADDRESS]'],
      ['hi, my name is John Smith', 'hi, my name is [NAME]'],
      ['你好，我叫张伟，账号登不上', '你好，我叫[NAME]，账号登不上'],
    ];
    expect(found.map(([text]) => s.scrub(text))).toEqual(found.map(([, scrubbed]) => scrubbed));
    // What the review saw replaced as [PHONE], and what is no personal data at all, stays.
    for (const text of ['order 1234567890 shipped', '我的订单 1234567890123 到哪了', 'version 2.3.14 on 2024-05-01 for $1,234.56', 'look at google.com tomorrow', 'meet at 12:30:45 today', '身份证 110105194912310021 错了一位', 'the result (at least 3) is ok', '我是新用户']) expect(s.scrub(text)).toBe(text);
    expect(cnIdChecks('11010519491231002X')).toBe(true);
    expect(cnIdChecks('110105194912310021')).toBe(false);
  });

  it('hash mode keeps a keyed hash, so repeats can be counted without the value', () => {
    const s = new PiiScrubber('hash', 'a-secret-of-16-chars');
    const [a, b] = [s.scrub('write to Jane@Example.com'), s.scrub('jane@example.com again')];
    expect(a).toMatch(/^write to \[EMAIL:[0-9a-f]{10}\]$/);
    expect(b.slice(0, b.indexOf(']') + 1)).toBe(a.slice(9));
    expect(new PiiScrubber('hash', 'another-secret-16+').scrub('jane@example.com')).not.toBe(b.split(' ')[0]);
    expect(() => new PiiScrubber('hash', null)).toThrow('PII hash mode needs a key of at least 16 characters');
  });

  it('never reaches the database: rows are accepted with placeholders, a rejected row keeps its raw line redacted, the summary counts per kind', async () => {
    const usage = await files.file('pii-usage.jsonl', [
      ...TEXTS.map((t, i) => usageJson({ event_id: `p${i}`, request_text: t })),
      // Rejected (bad outcome): its raw line is kept for whoever fixes the file.
      usageJson({ event_id: 'p-bad', request_text: `mail ${PLANTED[0][0]}`, outcome: 'exploded' }),
      // Rejected for a field that quotes personal data in its reason.
      usageJson({ event_id: 'p-bad2', ts: `call me on ${PLANTED[3][0]} or ${PLANTED[0][0]}` }),
    ].join('\n'));
    const surveys = await files.file('pii-surveys.csv', [
      'response_id,user_id,submitted_at,nps,csat,comment',
      `s1,u1,2026-03-02T09:00:00Z,9,4,"great, reach me at ${PLANTED[2][0]}"`,
      `s2,u2,2026-03-02T09:00:00Z,3,2,"太慢了，联系 ${PLANTED[4][0]}"`,
    ].join('\n'));
    const options = { catalogue, maxFieldBytes: 65536, scrubber: () => new PiiScrubber('redact') };
    const u = await ingestFile(db.handle, usage, options);
    expect(u).toMatchObject({ status: 'loaded', accepted: 6, rejected: 2, redacted: { email: 3, phone: 4, card: 2, iban: 2 } });
    const rejected = await db.handle.db.selectFrom('rejected_rows').select(['line', 'reason', 'raw_sha256']).where('file_name', '=', usage).orderBy('line').execute();
    expect(rejected.map((r) => r.line)).toEqual([7, 8]);
    // The reason names the field and quotes the value with its personal data replaced; no unkeyed hash of the original is kept beside it.
    expect(rejected[1].reason).toMatch(/^ts: "call me on \[PHONE\] or \[EMAIL\]"/);
    expect(rejected.every((r) => r.raw_sha256 === null)).toBe(true);
    const s = await ingestFile(db.handle, surveys, options);
    expect(s).toMatchObject({ status: 'loaded', accepted: 2, rejected: 0, redacted: { phone: 2 } });
    const stored = await db.handle.db.selectFrom('usage_events').select('request_text').where('event_id', 'like', 'p%').orderBy('event_id').execute();
    expect(stored.map((r) => r.request_text)).toContain('refund to card [CARD] or [CARD]');
    // Every table, every column, as text: none of the planted values.
    const { rows } = await db.handle.pool.query<{ dump: string }>(`
      select string_agg(t::text, E'\\n') as dump from (
        select row_to_json(x)::text as t from usage_events x union all select row_to_json(x)::text from survey_responses x
        union all select row_to_json(x)::text || convert_from(x.raw, 'UTF8') from rejected_rows x union all select row_to_json(x)::text from ingest_batches x) all_rows`);
    expect(rows[0].dump).toContain('[EMAIL]');
    const digits = (v: string) => v.replace(/\D/g, '');
    for (const [value] of PLANTED) {
      expect(rows[0].dump).not.toContain(value);
      if (digits(value).length >= 7) expect(rows[0].dump.replace(/\D/g, ' ')).not.toContain(digits(value));
    }
  });

  it('in an id: an e-mail address, or a whole phone number, ID, IP or MAC address, is personal data; UUIDs, account numbers and dates are not', () => {
    const s = new PiiScrubber('redact', null, undefined, () => 'a-home-key-of-32-characters-0000');
    const personal = ['jane@example.com', 'Jane@Example.com ', 'bob[at]example[dot]com', '+44 20 7946 0958', '(415) 555-2671', '13812345678', '１３８１２３４５６７８', '11010519491231002X', '123-45-6789', '192.168.1.20', '2001:db8::1', '00:1A:2B:3C:4D:5E'];
    const pseudonyms = personal.map((id) => s.pseudonym(id));
    expect(pseudonyms.every((p) => /^\[(EMAIL|PHONE|ID|IP|MAC):[0-9a-f]{16}\]$/.test(p))).toBe(true);
    expect(pseudonyms[1]).toBe(pseudonyms[0]); // case and spacing
    expect(pseudonyms[6]).toBe(pseudonyms[5]); // full-width digits
    expect(new Set(pseudonyms).size).toBe(personal.length - 2);
    for (const id of ['91438436-5dbb-4764-894d-7ddf991da1cc', 's-480a12ae-558c', 'u_4155552671', '4155552671', '12345678901234567', '2026-12-07', 'order-12345', 'anonymous']) expect(s.pseudonym(id)).toBe(id);
    expect(s.counts).toMatchObject({ email: 3, phone: 4, national_id: 2, ip: 2, mac: 1 });
    expect(() => new PiiScrubber('redact').pseudonym('jane@example.com')).toThrow('needs a key');
  });

  it('in identifiers and the other text columns: a user whose id is their e-mail address is stored as a keyed pseudonym, the same in every file and format, keyed by the home', async () => {
    const id = 'Jane.Doe@Example.com';
    const home = join(files.dir, 'pseudonym-home');
    const env = { DATABASE_URL: db.handle.url, NEEDLOOP_HOME: home };
    const users = await files.file('pid-users.csv', `user_id,signup_at,plan,country,industry\n${id},2026-01-01,pro,GB,"consulting (li.wei@example.com)"\nu-plain,2026-01-01,free,CN,retail\n`);
    const usage = await files.file('pid-usage.jsonl', [
      usageJson({ event_id: 'pid-1', user_id: ' jane.doe@example.com ', session_id: '+44 20 7946 0958', feature: 'export for jane.doe@example.com' }),
      usageJson({ event_id: 'pid-2', user_id: 'u-plain', session_id: 's-123' }),
    ].join('\n'));
    // Google Forms' user is the respondent's e-mail address.
    const form = await files.file('pid-form.csv', [
      'Timestamp,Email Address,How likely are you to recommend us? (0-10)',
      `11/08/2026 14:22:05,${id.toUpperCase()},9`,
    ].join('\n'));
    const formMap = await files.file('pid-form-map.json', JSON.stringify({ surveys: { nps: 'How likely are you to recommend us? (0-10)' } }));
    const loaded = await runCli(['ingest', users, usage, '--json'], env);
    expect(loaded.code).toBe(0);
    expect(JSON.parse(loaded.stdout).files.map((f: { accepted: number; rejected: number }) => [f.accepted, f.rejected])).toEqual([[2, 0], [2, 0]]);
    const viaForm = await runCli(['ingest', '--format', 'google-forms', '--map', formMap, form, '--json'], env);
    expect(viaForm.code, viaForm.stderr).toBe(0);
    const pseudonym = (await db.handle.db.selectFrom('users').select('user_id').where('user_id', 'like', '[EMAIL:%').executeTakeFirstOrThrow()).user_id;
    expect(pseudonym).toMatch(/^\[EMAIL:[0-9a-f]{16}\]$/);
    // One user in every table: the join holds across files, formats, case and spacing.
    const events = await db.handle.db.selectFrom('usage_events').select(['user_id', 'session_id', 'feature']).where('event_id', 'in', ['pid-1', 'pid-2']).orderBy('event_id').execute();
    expect(events).toEqual([
      { user_id: pseudonym, session_id: expect.stringMatching(/^\[PHONE:[0-9a-f]{16}\]$/), feature: 'export for [EMAIL]' },
      { user_id: 'u-plain', session_id: 's-123', feature: 'docs' },
    ]);
    const responses = await db.handle.db.selectFrom('survey_responses').select('user_id').where('user_id', 'like', '[EMAIL:%').execute();
    expect(responses.map((r) => r.user_id)).toEqual([pseudonym]);
    expect((await db.handle.db.selectFrom('users').select('industry').where('user_id', '=', pseudonym).executeTakeFirstOrThrow()).industry).toBe('consulting ([EMAIL])');
    // The key is the home's own, readable by its owner only: another home pseudonymises the same id differently.
    expect((await stat(join(home, 'pii-key'))).mode & 0o777).toBe(0o600);
    const other = await files.file('pid-users-2.csv', `user_id,signup_at,plan\n${id},2026-01-01,pro\n`);
    expect((await runCli(['ingest', other], { ...env, NEEDLOOP_HOME: join(files.dir, 'pseudonym-home-2') })).code).toBe(0);
    expect(await db.handle.db.selectFrom('users').select('user_id').where('user_id', 'like', '[EMAIL:%').execute()).toHaveLength(2);
    // Nowhere in the database, nor in what the commands printed.
    const { rows } = await db.handle.pool.query<{ dump: string }>(`select string_agg(row_to_json(x)::text, E'\\n') as dump from (select * from users) x`);
    const everything = `${rows[0].dump}\n${JSON.stringify(await db.handle.db.selectFrom('usage_events').selectAll().execute())}\n${JSON.stringify(await db.handle.db.selectFrom('survey_responses').selectAll().execute())}\n${loaded.stdout}${loaded.stderr}${viaForm.stdout}${viaForm.stderr}`;
    for (const value of ['jane.doe', 'JANE.DOE', 'li.wei', '7946']) expect(everything.toLowerCase()).not.toContain(value.toLowerCase());
  });

  it('planted in every field of vendors\' exports (ids, texts, times, values the map reads, fields it does not), reaches no table, reason or output', async () => {
    const planted = ['jane.doe@example.com', '+44 20 7946 0958', '13812345678', '11010519491231002X', '4111 1111 1111 1111', '张伟@例子.中国', '我叫王小明'];
    const tag = planted.join(' ; ');
    // Every string gets it ("all": times and values the map reads are then rejected, and their reasons quote them);
    // or only strings that are not times, numbers or code words ("free": the rows are accepted).
    const STRUCTURED = /^(\d{4}-\d{2}-\d{2}.*|\d{1,2}\/\d{1,2}\/\d{4}.*|[-+]?\d+(\.\d+)?|[a-z_$]+|[A-Z][a-z]+|true|false|)$/;
    const plant = (v: string, mode: string) => (mode === 'all' || !STRUCTURED.test(v.trim()) ? `${v} ${tag}` : v);
    const walk = (o: unknown, mode: string, key = ''): unknown => Array.isArray(o) ? o.map((x) => walk(x, mode, key))
      : o !== null && typeof o === 'object' ? Object.fromEntries(Object.entries(o).map(([k, v]) => [k, walk(v, mode, k)]))
        : typeof o === 'string' && !['type', 'event', 'event_type'].includes(key) ? plant(o, mode) : o;
    const csvCell = (c: string) => (/[",\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c);
    const examples = join(import.meta.dirname, '..', '..', 'examples');
    const env = { DATABASE_URL: db.handle.url, NEEDLOOP_HOME: join(files.dir, 'planted-home') };
    let printed = '';
    const accepted: number[] = [];
    for (const mode of ['all', 'free']) {
      const seg = (await readFile(join(examples, 'segment', 'events.jsonl'), 'utf8')).split('\n').filter((l) => l.trim() !== '')
        .map((l) => { try { return JSON.stringify(walk(JSON.parse(l), mode)); } catch { return l; } });
      const segFile = await files.file(`planted-${mode}-segment.jsonl`, seg.join('\n'));
      const form = (await readFile(join(examples, 'google-forms', 'export.csv'), 'utf8')).trim().split('\n');
      // The export's cells hold no commas or quotes but the header's; each body cell gets the plant.
      const formFile = await files.file(`planted-${mode}-form.csv`, [form[0], ...form.slice(1).map((row) => row.split(',').map((c) => csvCell(c === '' ? c : plant(c, mode))).join(','))].join('\n'));
      for (const args of [['--format', 'segment', '--map', join(examples, 'segment', 'map.json'), segFile], ['--format', 'google-forms', '--map', join(examples, 'google-forms', 'map.json'), formFile]]) {
        const run = await runCli(['ingest', ...args, '--json'], env);
        expect(run.code, run.stderr).toBe(0);
        printed += run.stdout + run.stderr;
        accepted.push(...(JSON.parse(run.stdout).files as { accepted: number }[]).map((f) => f.accepted));
        const suggested = await runCli(['ingest', ...args.slice(0, 2), '--suggest-map', args[4]], env);
        printed += suggested.stdout + suggested.stderr;
      }
    }
    // The "free" plant's requests and responses are accepted: the values are in the tables' columns (as placeholders and pseudonyms).
    // (Its Segment users are rejected: a planted country is longer than the 64 bytes a country may be; the reason quotes it.)
    expect(accepted, JSON.stringify(accepted)).toEqual([0, 0, 0, 0, 3, 2]);
    const { rows } = await db.handle.pool.query<{ dump: string }>(`
      select string_agg(t, E'\\n') as dump from (
        select row_to_json(x)::text as t from usage_events x union all select row_to_json(x)::text from users x
        union all select row_to_json(x)::text from survey_responses x union all select row_to_json(x)::text from survey_answers x
        union all select row_to_json(x)::text || convert_from(x.raw, 'UTF8') from rejected_rows x union all select row_to_json(x)::text from ingest_batches x) all_rows`);
    expect(rows[0].dump).toContain('[EMAIL');
    for (const value of planted) {
      expect(rows[0].dump, value).not.toContain(value);
      expect(printed, value).not.toContain(value);
    }
  }, 120_000);

  it('never reaches the run\'s report or its output: a pipeline run over planted data shows placeholders only', async () => {
    const inbox = join(files.dir, 'pii-inbox');
    await mkdir(inbox, { recursive: true });
    await writeFile(join(inbox, 'users.csv'), `user_id,signup_at,plan\n${['u1', 'u2', 'u3'].map((u) => `${u},2026-01-01,free`).join('\n')}\n`);
    await writeFile(join(inbox, 'surveys.csv'), ['response_id,user_id,submitted_at,nps,csat,comment', ...TEXTS.map((t, i) => `r${i},u${1 + (i % 3)},2026-03-0${1 + (i % 5)}T09:00:00Z,${i + 3},${1 + (i % 5)},"${t}"`)].join('\n'));
    await writeFile(join(inbox, 'usage.jsonl'), TEXTS.map((t, i) => usageJson({ event_id: `rp${i}`, user_id: `u${1 + (i % 3)}`, ts: `2026-03-0${1 + (i % 5)}T10:00:00Z`, request_text: t, out_of_scope: true, feedback: 'corrected', corrected_intent: 'automate_workflows', predicted_intent: 'draft_email' })).join('\n'));
    const reports = join(files.dir, 'pii-reports');
    // Every group shown (k = 1), so that the comments and requests would be on the page if kept.
    const run = await runCli(['run', '--local', '--json'], { DATABASE_URL: db.handle.url, NEEDLOOP_HOME: join(files.dir, 'pii-home'), NEEDLOOP_INBOX: inbox, NEEDLOOP_REPORTS_DIR: reports, NEEDLOOP_MIN_GROUP: '1', TFJS_BACKEND: 'cpu' });
    const report = await readFile(join(reports, 'latest.html'), 'utf8');
    expect(report).toContain('[PHONE]');
    const everything = `${report}\n${run.stdout}\n${run.stderr}`;
    for (const [value] of PLANTED) expect(everything).not.toContain(value);
  }, 60_000);
});

