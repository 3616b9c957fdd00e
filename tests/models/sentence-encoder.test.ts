/**
 * A pretrained sentence encoder for discovery (NEEDLOOP_ENCODER, issue 32), on real text:
 * BANKING77's requests (CC BY 4.0, ../shared/data/banking77) with some intents held out as
 * needs nobody named, clustered in the encoder's space and in the built-in hashed one; and
 * the whole path a user takes, `needs discover` with NEEDLOOP_ENCODER set, on a database:
 * stable traffic gives no candidate, a planted unnamed need is found and labelled by a phrase.
 * The encoder is the small all-MiniLM-L6-v2 that `.ci/test-encoder` assembles from PyPI
 * packages (tests/helpers/encoder.ts); the error tests need no model.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { discoverCandidates } from '../../analytics/discover-needs.js';
import { Random } from '../../analytics/seeded-random.js';
import { readBanking77 } from '../../bench/bench-kit.js';
import { ingestFile } from '../../db/ingest/ingest-file.js';
import { latestTime } from '../../db/queries/time-window.js';
import { loadEncoder, type SentenceEncoder } from '../../models/sentence-encoder.js';
import { generateScenario } from '../../scenarios/generate.js';
import { runCli } from '../helpers/cli.js';
import { encoderAvailable, TEST_ENCODER } from '../helpers/encoder.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { catalogue, usageJson } from '../helpers/ingest.js';

const files = useTempFiles();

describe('loadEncoder: a configured encoder that cannot load says which file is missing', () => {
  it('a folder without tokenizer.json, and one without ONNX weights', async () => {
    const dir = join(files.dir, 'my-encoder');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), '{}');
    await expect(loadEncoder(dir)).rejects.toThrow(`NEEDLOOP_ENCODER=${dir}: ${join(dir, 'tokenizer.json')} is missing`);
    await writeFile(join(dir, 'tokenizer.json'), '{}');
    await expect(loadEncoder(dir)).rejects.toThrow(`no ONNX weights (looked for ${join(dir, 'onnx', 'model.onnx')} and ${join(dir, 'model.onnx')})`);
  });
});

describe.runIf(encoderAvailable())('discovery in a pretrained encoder\'s space (all-MiniLM-L6-v2)', () => {
  let encoder: SentenceEncoder;
  beforeAll(async () => {
    encoder = await loadEncoder(TEST_ENCODER!);
  }, 60_000);

  it('embeds texts as unit vectors where a paraphrase is closer than another need', async () => {
    const x = await encoder.embed(['I want to cancel my subscription', 'how do I stop my plan from renewing', 'my card has not arrived yet', 'I want to cancel my subscription']);
    const row = (i: number) => x.subarray(i * encoder.dim, (i + 1) * encoder.dim);
    const cos = (a: number, b: number) => row(a).reduce((s, v, d) => s + v * row(b)[d], 0);
    expect(encoder.dim).toBe(384);
    expect(cos(0, 0)).toBeCloseTo(1, 4);
    expect(cos(0, 1)).toBeGreaterThan(cos(0, 2) + 0.1);
    expect([...row(3)]).toEqual([...row(0)]);
  });

  it('on BANKING77 finds more held-out intents than the hashed space, with no candidate of a known intent', async () => {
    const [train, test] = [await readBanking77('train.csv'), await readBanking77('test.csv')];
    const all = [...new Set(train.map((e) => e.intent))].sort();
    const splits = [5, 9].map((offset) => {
      // 5 intents held out as needs nobody named; half the others known (60 labelled requests each).
      const held = all.filter((_, i) => i % 15 === offset);
      const knownIntents = all.filter((intent, i) => !held.includes(intent) && i % 2 === 0);
      const known = knownIntents.flatMap((intent) => train.filter((e) => e.intent === intent).slice(0, 60));
      return { offset, held, known, pool: test.filter((e) => held.includes(e.intent) || knownIntents.includes(e.intent)) };
    });
    // Every text the splits need, embedded once.
    const texts = [...new Set(splits.flatMap((s) => [...s.known, ...s.pool].map((e) => e.text)))];
    const x = await encoder.embed(texts);
    const at = new Map(texts.map((t, i) => [t, i]));
    const rows = (of: readonly { text: string }[]) => {
      const out = new Float32Array(of.length * encoder.dim);
      of.forEach((e, i) => out.set(x.subarray(at.get(e.text)! * encoder.dim, (at.get(e.text)! + 1) * encoder.dim), i * encoder.dim));
      return out;
    };
    for (const { offset, held, known, pool } of splits) {
      const space = { dim: encoder.dim, pool: rows(pool), known: rows(known), previous: new Float32Array(0) };
      const score = (found: ReturnType<typeof discoverCandidates>) => ({
        found: held.filter((intent) => {
          const total = pool.filter((e) => e.intent === intent).length;
          return found.clusters.some((c) => {
            const hits = c.members.filter((m) => pool[m].intent === intent).length;
            return hits / c.members.length >= 0.8 && hits / total >= 0.5;
          });
        }).length,
        falseAlarms: found.clusters.filter((c) => {
          const counts = new Map<string, number>();
          for (const m of c.members) counts.set(pool[m].intent, (counts.get(pool[m].intent) ?? 0) + 1);
          return !held.includes([...counts].sort((a, b) => b[1] - a[1])[0][0]);
        }).length,
      });
      const hashed = score(discoverCandidates(pool.map((e) => e.text), known, []));
      const learnt = score(discoverCandidates(pool.map((e) => e.text), known, [], undefined, space));
      expect(learnt.found, `split ${offset}: found in the encoder's space (hashed: ${hashed.found})`).toBeGreaterThanOrEqual(2);
      expect(learnt.found, `split ${offset}`).toBeGreaterThan(hashed.found);
      expect(learnt.falseAlarms, `split ${offset}`).toBe(0);
    }
  }, 120_000);
});

describe.runIf(encoderAvailable())('needs discover with NEEDLOOP_ENCODER, on a database', () => {
  const db = useTestDatabase();
  const DAY = 86_400_000;
  let end: Date;
  let users: string[];
  const env = () => ({ DATABASE_URL: db.handle.url, NEEDLOOP_ENCODER: TEST_ENCODER!, NEEDLOOP_MODELS_DIR: join(files.dir, 'models') });
  type Discovered = { representation: string; looked_at: number; candidates: { label: string; size: number; examples: string[] }[] };

  beforeAll(async () => {
    const generated = await generateScenario({ outDir: join(files.dir, 'inbox'), catalogue, users: 300, days: 35, scenario: 'stable', seed: 32 });
    for (const file of [generated.files.users, generated.files.usage]) await ingestFile(db.handle, file, { catalogue, maxFieldBytes: 65536 });
    users = (await db.handle.db.selectFrom('users').select('user_id').orderBy('user_id').execute()).map((u) => u.user_id);
    end = (await latestTime(db.handle.db, 'usage_events'))!;
  }, 120_000);

  it('stable traffic: no candidate in the encoder\'s space either', async () => {
    const run = await runCli(['needs', 'discover', '--json'], env());
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as Discovered;
    expect(result.representation).toBe(basename(TEST_ENCODER!));
    expect(result.looked_at).toBeGreaterThan(100);
    expect(result.candidates, result.candidates.map((c) => c.label).join('; ')).toEqual([]);
  }, 120_000);

  it('a need nobody named, asked in words of its own, is found and labelled as a need', async () => {
    // Requests to stop a subscription, in many phrasings, which the model served badly.
    const rng = new Random('encoder-plant');
    const asks = ['cancel my {p} subscription', 'how do I cancel the {p} subscription', 'stop my {p} plan from renewing', 'I no longer want the {p} subscription, end it', 'please end my {p} membership', 'unsubscribe me from {p}', 'cancel {p} subscription before it renews', 'I want to quit my {p} subscription'];
    const lines = Array.from({ length: 120 }, (_, i) => usageJson({
      event_id: `plant-${i}`, user_id: users[i % 60], ts: new Date(end.getTime() - rng.int(3 * DAY)).toISOString(), feature: 'billing',
      request_text: rng.pick(asks).replace('{p}', rng.pick(['pro', 'team', 'annual', 'premium'])), predicted_intent: 'lower_cost', confidence: 0.2 + 0.25 * rng.next(),
      model_version: 'legacy', outcome: rng.chance(0.5) ? 'failure' : 'abandoned', rating: null, feedback: null, corrected_intent: null,
    }));
    await writeFile(join(files.dir, 'plant.jsonl'), lines.join('\n'));
    expect((await ingestFile(db.handle, join(files.dir, 'plant.jsonl'), { catalogue, maxFieldBytes: 65536 })).rejected).toBe(0);
    const run = await runCli(['needs', 'discover', '--json'], env());
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as Discovered;
    expect(result.candidates.map((c) => c.label)).toHaveLength(1);
    const [c] = result.candidates;
    expect(c.size).toBeGreaterThanOrEqual(0.7 * 120);
    expect(c.size).toBeLessThanOrEqual(120 / 0.8);
    expect(c.label, 'a phrase its requests share').toMatch(/^(?!.*·).*\b(subscription|cancel)\b/);
    const text = await runCli(['needs', 'discover'], env());
    expect(text.stdout).toContain(`clustered in the space of the encoder ${result.representation}`);
  }, 180_000);
});
