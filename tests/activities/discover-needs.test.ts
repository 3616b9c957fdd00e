/**
 * The needs nobody has named yet, night after night (issue 16), on a real database:
 * stable traffic yields no candidate; a planted need nobody labelled is found, keeps its
 * id the next night, and once adopted it is in the catalogue with labelled requests that
 * the next model learns.
 */
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { discoverNeeds } from '../../activities/discover-needs.js';
import { publishRunReport } from '../../activities/publish-report.js';
import { ingestFile } from '../../db/ingest/ingest-file.js';
import { labelledExamples } from '../../db/queries/labelled-examples.js';
import { addApprover, createPipelineRun } from '../../db/queries/pipeline-runs.js';
import { latestTime } from '../../db/queries/time-window.js';
import { selectBackend } from '../../models/backend.js';
import { ModelStore } from '../../models/model-store.js';
import { trainCandidate } from '../../models/train-candidate.js';
import { predictIntents } from '../../models/predict.js';
import { Random } from '../../analytics/seeded-random.js';
import { generateScenario } from '../../scenarios/generate.js';
import { runCli } from '../helpers/cli.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { catalogue, usageJson } from '../helpers/ingest.js';

const db = useTestDatabase();
const files = useTempFiles();
const DAY = 86_400_000;
const TEMPLATES = ['cancel my {p} subscription', 'how do I cancel the {p} subscription', 'please cancel my subscription, the {p} one', 'I want to cancel my subscription and get a refund', 'cancel {p} subscription before it renews', 'can you cancel my subscription to {p}'];
let users: string[] = [];
let end: Date;

/** Requests of a need the catalogue lacks, as the legacy model served them: unsure, wrong, unhelped. */
async function plant(name: string, day: Date, count: number, seed: string): Promise<string[]> {
  const rng = new Random(seed);
  const lines = Array.from({ length: count }, (_, i) => usageJson({
    event_id: `${name}-${i}`, user_id: users[i % 60], ts: new Date(day.getTime() - rng.int(DAY)).toISOString(), feature: 'billing',
    request_text: rng.pick(TEMPLATES).replace('{p}', rng.pick(['pro', 'team', 'annual', 'premium'])), predicted_intent: 'lower_cost', confidence: 0.2 + 0.25 * rng.next(),
    model_version: 'legacy', outcome: rng.chance(0.5) ? 'failure' : 'abandoned', rating: rng.chance(0.3) ? 1 : null, feedback: null, corrected_intent: null,
  }));
  await writeFile(join(files.dir, `${name}.jsonl`), lines.join('\n'));
  expect((await ingestFile(db.handle, join(files.dir, `${name}.jsonl`), { catalogue, maxFieldBytes: 65536 })).rejected).toBe(0);
  return lines.map((_, i) => `${name}-${i}`);
}

beforeAll(async () => {
  await selectBackend('cpu');
  const generated = await generateScenario({ outDir: join(files.dir, 'inbox'), catalogue, users: 300, days: 35, scenario: 'stable', seed: 16 });
  for (const file of [generated.files.users, generated.files.usage]) await ingestFile(db.handle, file, { catalogue, maxFieldBytes: 65536 });
  users = (await db.handle.db.selectFrom('users').select('user_id').orderBy('user_id').execute()).map((u) => u.user_id);
  end = (await latestTime(db.handle.db, 'usage_events'))!;
}, 120_000);

describe('discoverNeeds', () => {
  let candidateId: string;
  let planted: string[];

  it('stable traffic yields no candidate', async () => {
    const result = await discoverNeeds({ handle: db.handle, store: null, minGroup: 10 }, { to: end });
    expect(result!.looked_at).toBeGreaterThan(100);
    expect(result!.candidates).toEqual([]);
  });

  it('finds a need nobody labelled, with its label, size, growth, users and examples; the next night it keeps its id', async () => {
    planted = await plant('night1', end, 90, 'n1');
    const first = await discoverNeeds({ handle: db.handle, store: null, minGroup: 10 }, { to: end });
    expect(first!.candidates).toHaveLength(1);
    const c = first!.candidates[0];
    const members = (await db.handle.db.selectFrom('need_candidate_sightings').select('event_ids').where('candidate_id', '=', c.id).executeTakeFirstOrThrow()).event_ids;
    const hits = members.filter((e) => planted.includes(e)).length;
    expect(hits / members.length).toBeGreaterThanOrEqual(0.8);
    expect(hits / planted.length).toBeGreaterThanOrEqual(0.7);
    expect(c.label, 'a phrase its requests share, not keywords').toMatch(/^(?!.*·).*\bcancel\b.*\bsubscription\b/);
    expect(c).toMatchObject({ new: true, growth: null, users: 60 });
    expect(c.examples).toHaveLength(5);
    candidateId = c.id;

    // The next night: more of them; the same candidate, now with a history.
    const next = new Date(end.getTime() + DAY);
    planted = [...planted, ...(await plant('night2', next, 60, 'n2'))];
    const runId = await createPipelineRun(db.handle.db, { runner: 'local', runKey: null });
    const second = await discoverNeeds({ handle: db.handle, store: null, minGroup: 10 }, { pipelineRunId: runId, to: next });
    expect(second!.candidates.map((x) => x.id)).toEqual([candidateId]);
    expect(second!.candidates[0].new).toBe(false);
    const listed = JSON.parse((await runCli(['needs', 'candidates', '--json'], { DATABASE_URL: db.handle.url })).stdout) as { candidates: { id: string; nights: number; size: number; first_seen: string; event_ids: string[]; examples: string[] }[] };
    expect(listed.candidates).toHaveLength(1);
    expect(listed.candidates[0]).toMatchObject({ id: candidateId, nights: 2, size: second!.candidates[0].size });
    expect(listed.candidates[0].event_ids.length).toBe(second!.candidates[0].size);

    // The run's report ranks it in "Needs nobody has named yet", and its summary says so.
    const report = await publishRunReport({ db: db.handle.db, reportsDir: join(files.dir, 'reports'), catalogue }, { run_id: runId, results: { discovery: second } });
    const html = await readFile(report.path, 'utf8');
    const section = html.slice(html.indexOf('<section id="unnamed-needs-section">'), html.indexOf('<section id="out-of-scope-section">'));
    expect(section).toContain(`<strong class="quote">${second!.candidates[0].label}</strong>`);
    expect(section).toContain(`candidate #${candidateId}, first seen `);
    expect(section).toContain(`${second!.candidates[0].size} requests from 60 users`);
    expect(section).toContain(`<li class="quote">${second!.candidates[0].examples[0]}</li>`);
    expect(html).toContain(`1 need(s) nobody has named yet: &quot;${second!.candidates[0].label}&quot; (${second!.candidates[0].size} requests, `);
  }, 60_000);

  it('adopting it adds the need and labels its requests, and the next model learns it', async () => {
    const env = { DATABASE_URL: db.handle.url, NEEDLOOP_MODELS_DIR: join(files.dir, 'models'), TFJS_BACKEND: 'cpu' };
    const bad = await runCli(['needs', 'adopt', candidateId, '--as', 'Cancel-It', '--accept-all'], env);
    expect(bad.stderr).toContain('--as "Cancel-It" must be lower-case letters');
    const taken = await runCli(['needs', 'adopt', candidateId, '--as', 'lower_cost', '--accept-all'], env);
    expect(taken.stderr).toBe('needloop: the catalogue has a need lower_cost already: choose another id\n');
    // Without --accept-all: a file of its requests with their texts, to review; nothing adopted yet.
    const review = await runCli(['needs', 'adopt', candidateId, '--as', 'cancel_subscription', '--json'], env, { cwd: files.dir });
    expect(JSON.parse(review.stdout)).toMatchObject({ need: null, labelled: 0, review_file: `needloop-candidate-${candidateId}.jsonl` });
    const lines = (await readFile(join(files.dir, `needloop-candidate-${candidateId}.jsonl`), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { event_id: string; text: string | null });
    const sighted = (await db.handle.db.selectFrom('need_candidate_sightings').select('event_ids').where('candidate_id', '=', candidateId).orderBy('id', 'desc').executeTakeFirstOrThrow()).event_ids;
    expect(lines.map((l) => l.event_id)).toEqual(sighted);
    expect(lines.filter((l) => l.text === null || !/subscription/.test(l.text)).length).toBeLessThanOrEqual(sighted.length * 0.2);
    // It quotes what users typed: its owner's only; and a second adopt neither overwrites it nor follows a link planted at its name.
    const reviewFile = join(files.dir, `needloop-candidate-${candidateId}.jsonl`);
    expect((await stat(reviewFile)).mode & 0o777).toBe(0o600);
    const again = await runCli(['needs', 'adopt', candidateId, '--as', 'cancel_subscription'], env, { cwd: files.dir });
    expect(again.stderr).toBe(`needloop: needloop-candidate-${candidateId}.jsonl exists already: review it and adopt with --review needloop-candidate-${candidateId}.jsonl, or delete it to have it written again\n`);
    const victim = join(files.dir, 'victim.txt');
    await writeFile(victim, 'keep me');
    await mkdir(join(files.dir, 'linked'), { recursive: true });
    await symlink(victim, join(files.dir, 'linked', `needloop-candidate-${candidateId}.jsonl`));
    expect((await runCli(['needs', 'adopt', candidateId, '--as', 'cancel_subscription'], env, { cwd: join(files.dir, 'linked') })).code).toBe(1);
    expect(await readFile(victim, 'utf8')).toBe('keep me');
    // A label is one line of plain text of at most 200 characters.
    expect((await runCli(['needs', 'adopt', candidateId, '--as', 'cancel_subscription', '--label', 'x'.repeat(90_000), '--accept-all'], env)).stderr).toBe('needloop: --label must be 1 to 200 characters (got 90000)\n');
    expect((await runCli(['needs', 'adopt', candidateId, '--as', 'cancel_subscription', '--label', 'Cancel\u001b]0;pwned\u0007', '--accept-all'], env)).stderr).toBe('needloop: --label holds a control character: a label is one line of plain text\n');
    // Adopting changes the catalogue and the training labels: an approver decides, proven by their token.
    const adopt = ['needs', 'adopt', candidateId, '--as', 'cancel_subscription', '--label', 'Cancel a subscription', '--label-zh', '取消订阅', '--category', 'price', '--accept-all', '--json'];
    const unproven = await runCli(adopt, env);
    expect(unproven.code).toBe(2);
    expect(unproven.stderr).toContain('Adopting a candidate need is decided by an approver, who proves it with their token');
    await addApprover(db.handle.db, 'pat', 'pat-token-0123456789abcdef');
    const adopted = await runCli(adopt, { ...env, NEEDLOOP_TOKEN: 'pat-token-0123456789abcdef' });
    expect(adopted.code).toBe(0);
    const audited = await db.handle.db.selectFrom('audit_log').select(['actor', 'outcome']).where('action', '=', 'candidate need adopted').execute();
    expect(audited).toEqual([{ actor: 'pat', outcome: 'accepted' }]);
    const out = JSON.parse(adopted.stdout) as { need: { id: string }; labelled: number };
    expect(out.need.id).toBe('cancel_subscription');
    expect(out.labelled).toBeGreaterThan(100);
    expect(JSON.parse((await runCli(['needs', 'candidates', '--json'], env)).stdout).candidates).toEqual([]);
    const examples = await labelledExamples(db.handle.db, { window: { from: new Date(end.getTime() - 30 * DAY), to: new Date(end.getTime() + 2 * DAY) }, segmentRunId: null });
    expect(examples.filter((e) => e.intent === 'cancel_subscription').length).toBe(out.labelled);

    const store = new ModelStore(join(files.dir, 'models'));
    const trained = await trainCandidate({ db: db.handle.db, store, backend: { choice: 'cpu', backend: 'cpu', device: 'CPU' } }, { to: new Date(end.getTime() + 2 * DAY), epochs: 8 });
    expect(trained.version.labels).toContain('cancel_subscription');
    const model = await store.load(trained.version.artifact_sha256);
    const predicted = predictIntents(model, ['please cancel my annual subscription', 'how do I cancel the team subscription']);
    expect(predicted.map((p) => p.intent)).toEqual(['cancel_subscription', 'cancel_subscription']);
  }, 180_000);
});
