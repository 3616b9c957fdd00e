import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PiiScrubber, luhn } from '../../analytics/pii.js';
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
    expect(s.counts).toEqual({ email: 2, phone: 4, card: 2, iban: 2 });
    // Dates, versions, order numbers and amounts are not personal data.
    for (const text of ['version 2026-12-02 and 3.14159', 'order 1234567890123 is late', 'card expires 12/27', 'my order 4111111111111112', '订单号 20261202 金额 1999.00']) expect(s.scrub(text)).toBe(text);
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('4111111111111112')).toBe(false);
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
    ].join('\n'));
    const surveys = await files.file('pii-surveys.csv', [
      'response_id,user_id,submitted_at,nps,csat,comment',
      `s1,u1,2026-03-02T09:00:00Z,9,4,"great, reach me at ${PLANTED[2][0]}"`,
      `s2,u2,2026-03-02T09:00:00Z,3,2,"太慢了，联系 ${PLANTED[4][0]}"`,
    ].join('\n'));
    const options = { catalogue, maxFieldBytes: 65536, scrubber: () => new PiiScrubber('redact') };
    const u = await ingestFile(db.handle, usage, options);
    expect(u).toMatchObject({ status: 'loaded', accepted: 6, rejected: 1, redacted: { email: 3, phone: 4, card: 2, iban: 2 } });
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

