import { describe, expect, it } from 'vitest';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { ingest, rejections, USAGE_HEADER, usageJson } from '../helpers/ingest.js';

const db = useTestDatabase();
const files = useTempFiles();

describe('ingest: users', () => {
  it('ingest(users.csv) stores every column, blanks as null', async () => {
    const file = await files.file(
      'users.csv',
      'user_id,signup_at,plan,country,industry\nu1,2026-01-02T10:00:00Z,pro,DE,software\nu2,2026-01-03,free,,\n',
    );
    expect(await ingest(db.handle, file)).toMatchObject({ kind: 'users', status: 'loaded', accepted: 2, rejected: 0, duplicates: 0 });
    const users = await db.handle.db.selectFrom('users').select(['user_id', 'signup_at', 'plan', 'country', 'industry']).orderBy('user_id').execute();
    expect(users).toEqual([
      { user_id: 'u1', signup_at: new Date('2026-01-02T10:00:00Z'), plan: 'pro', country: 'DE', industry: 'software' },
      { user_id: 'u2', signup_at: new Date('2026-01-03T00:00:00Z'), plan: 'free', country: null, industry: null },
    ]);
  });

  it('ingest(users.jsonl) updates a known user and counts an unchanged one as a duplicate', async () => {
    const file = await files.file(
      'users.jsonl',
      [
        { user_id: 'u1', signup_at: '2026-01-02T10:00:00Z', plan: 'enterprise', country: 'DE', industry: 'software' },
        { user_id: 'u2', signup_at: '2026-01-03', plan: 'free' },
        { user_id: 'u3', signup_at: '2026-02-01T08:00:00+08:00', plan: 'free', country: 'CN', industry: 'education' },
      ]
        .map((u) => JSON.stringify(u))
        .join('\n'),
    );
    expect(await ingest(db.handle, file)).toMatchObject({ status: 'loaded', accepted: 2, rejected: 0, duplicates: 1 });
    const u1 = await db.handle.db.selectFrom('users').select('plan').where('user_id', '=', 'u1').executeTakeFirstOrThrow();
    expect(u1.plan).toBe('enterprise');
    const u3 = await db.handle.db.selectFrom('users').select('signup_at').where('user_id', '=', 'u3').executeTakeFirstOrThrow();
    expect(u3.signup_at.toISOString()).toBe('2026-02-01T00:00:00.000Z');
  });
});

describe('ingest: surveys', () => {
  it('ingest(surveys.csv) stores the response and one answer row per need answered', async () => {
    const file = await files.file(
      'surveys.csv',
      [
        'response_id,user_id,submitted_at,nps,csat,comment,imp_draft_email,sat_draft_email,kano_f_draft_email,kano_d_draft_email,imp_code_help,sat_code_help',
        'r1,u1,2026-03-02T09:00:00Z,9,4,"Great, but slow",5,2,1,5,,',
        'r2,u2,2026-03-03T09:00:00Z,,,,,,,,4,',
      ].join('\n'),
    );
    expect(await ingest(db.handle, file)).toMatchObject({ kind: 'surveys', status: 'loaded', accepted: 2, rejected: 0 });
    const responses = await db.handle.db.selectFrom('survey_responses').select(['response_id', 'nps', 'csat', 'comment']).orderBy('response_id').execute();
    expect(responses).toEqual([
      { response_id: 'r1', nps: 9, csat: 4, comment: 'Great, but slow' },
      { response_id: 'r2', nps: null, csat: null, comment: null },
    ]);
    const answers = await db.handle.db.selectFrom('survey_answers').selectAll().orderBy('response_id').execute();
    expect(answers).toEqual([
      { response_id: 'r1', need_id: 'draft_email', importance: 5, satisfaction: 2, kano_functional: 1, kano_dysfunctional: 5 },
      { response_id: 'r2', need_id: 'code_help', importance: 4, satisfaction: null, kano_functional: null, kano_dysfunctional: null },
    ]);
  });
});

describe('ingest: usage', () => {
  it('ingest(usage.jsonl) stores events with their feedback', async () => {
    const file = await files.file(
      'usage.jsonl',
      [
        usageJson(),
        usageJson({ event_id: 'e2', feedback: 'corrected', corrected_intent: 'analyze_data', rating: null, confidence: '0.41' }),
        usageJson({ event_id: 'e3', feedback: null, rating: null, latency_ms: null, request_text: '把这段话翻译成日语', predicted_intent: 'translate_text' }),
      ].join('\n'),
    );
    expect(await ingest(db.handle, file)).toMatchObject({ kind: 'usage', status: 'loaded', accepted: 3, rejected: 0, duplicates: 0 });
    const events = await db.handle.db.selectFrom('usage_events').select(['event_id', 'confidence', 'feedback', 'corrected_intent', 'request_text', 'latency_ms']).orderBy('event_id').execute();
    expect(events).toEqual([
      { event_id: 'e1', confidence: 0.93, feedback: 'confirmed', corrected_intent: null, request_text: 'summarize this report', latency_ms: 812 },
      { event_id: 'e2', confidence: 0.41, feedback: 'corrected', corrected_intent: 'analyze_data', request_text: 'summarize this report', latency_ms: 812 },
      { event_id: 'e3', confidence: 0.93, feedback: null, corrected_intent: null, request_text: '把这段话翻译成日语', latency_ms: null },
    ]);
  });

  it('stores whether the model found a request out of scope, and feedback that it is none of the known needs', async () => {
    const file = await files.file(
      'usage-oos.jsonl',
      [
        usageJson({ event_id: 'o1', out_of_scope: true, feedback: 'corrected', corrected_intent: 'out_of_scope', request_text: 'what is the weather on mars' }),
        usageJson({ event_id: 'o2', out_of_scope: false }),
        usageJson({ event_id: 'o3', out_of_scope: 'maybe' }),
      ].join('\n'),
    );
    expect(await ingest(db.handle, file)).toMatchObject({ accepted: 2, rejected: 1 });
    const events = await db.handle.db.selectFrom('usage_events').select(['event_id', 'out_of_scope', 'corrected_intent']).where('event_id', 'in', ['o1', 'o2', 'e1']).orderBy('event_id').execute();
    expect(events).toEqual([
      { event_id: 'e1', out_of_scope: null, corrected_intent: null },
      { event_id: 'o1', out_of_scope: true, corrected_intent: 'out_of_scope' },
      { event_id: 'o2', out_of_scope: false, corrected_intent: null },
    ]);
    expect(await rejections(db.handle, file)).toEqual([[3, 'out_of_scope: "maybe" must be one of true, false']]);
  });

  it('ingest(usage.csv) reads the same contract from CSV', async () => {
    const file = await files.file('usage.csv', `${USAGE_HEADER}\ne10,u1,2026-03-04T10:00:00Z,s9,code,"fix my ""regex""",code_help,0.8,v1,failure,1500,2,corrected,analyze_data\n`);
    expect(await ingest(db.handle, file)).toMatchObject({ kind: 'usage', accepted: 1, rejected: 0 });
    const e = await db.handle.db.selectFrom('usage_events').selectAll().where('event_id', '=', 'e10').executeTakeFirstOrThrow();
    expect(e).toMatchObject({ request_text: 'fix my "regex"', outcome: 'failure', rating: 2, corrected_intent: 'analyze_data' });
    expect(await rejections(db.handle, file)).toEqual([]);
  });

  it('ingest(file, {kind}) forces the kind and checks the header against it', async () => {
    const file = await files.file('mislabelled.csv', 'user_id,signup_at,plan\nu9,2026-01-01,free\n');
    const result = await ingest(db.handle, file, { kind: 'usage' });
    expect(result.status).toBe('failed');
    expect(result.error).toBe(`${file}:1: unknown columns "signup_at", "plan" for usage (valid: event_id, user_id, ts, session_id, feature, request_text, predicted_intent, confidence, model_version, out_of_scope, outcome, latency_ms, rating, feedback, corrected_intent)`);
  });
});
