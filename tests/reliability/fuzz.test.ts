/**
 * Seeded, bounded fuzzing: random and mutated rows of every input kind through ingest,
 * and random bodies to the server's JSON API. Never a crash; every row is accepted or
 * rejected with a reason, and the counts add up.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../analytics/seeded-random.js';
import { ModelStore } from '../../models/model-store.js';
import { generateScenario } from '../../scenarios/generate.js';
import { createNeedloopServer } from '../../web/server.js';
import { useTempFiles, useTestDatabase } from '../helpers/fixtures.js';
import { catalogue, ingest } from '../helpers/ingest.js';

const db = useTestDatabase();
const files = useTempFiles();
const ROUNDS = 6;
const JUNK = ['', '"', '""', ',', '\\', '\u0000', '\ufffd', '{', '}', '[', 'null', 'NaN', '-1', '1e309', '😀', '翻译', "'; drop table users; --", '\r', '\n', '9'.repeat(40)];
let samples: Record<string, string[]>;

beforeAll(async () => {
  const g = await generateScenario({ outDir: join(files.dir, 'seed'), catalogue, users: 60, days: 10, seed: 4 });
  const csvUsage = await generateScenario({ outDir: join(files.dir, 'seed-csv'), catalogue, users: 30, days: 5, seed: 5, usageFormat: 'csv' });
  const lines = async (f: string) => (await readFile(f, 'utf8')).trimEnd().split('\n');
  samples = { users: await lines(g.files.users), surveys: await lines(g.files.surveys), usage_jsonl: await lines(g.files.usage), usage_csv: await lines(csvUsage.files.usage) };
});

/** One mutation of a line: flip, cut, duplicate, splice junk, or swap fields. */
function mutate(rng: Random, line: string): string {
  const at = rng.int(line.length + 1);
  switch (rng.int(7)) {
    case 0: return line.slice(0, at);
    case 1: return line.slice(0, at) + rng.pick(JUNK) + line.slice(at);
    case 2: return line.slice(0, at) + line.slice(Math.min(line.length, at + 1 + rng.int(8)));
    case 3: {
      const parts = line.split(',');
      const i = rng.int(parts.length);
      const j = rng.int(parts.length);
      [parts[i], parts[j]] = [parts[j], parts[i]];
      return parts.join(',');
    }
    case 4: return line + line;
    case 5: return Array.from({ length: 1 + rng.int(60) }, () => String.fromCharCode(rng.int(0x3000))).join('');
    default: return line.replace(/\d/g, () => String(rng.int(10)));
  }
}

describe('ingest under fuzzed input', () => {
  for (const kind of ['users', 'surveys', 'usage_jsonl', 'usage_csv']) {
    it(`${kind}: ${ROUNDS} seeded files of mutated rows — no crash, accepted + rejected + duplicates = rows`, async () => {
      const rng = new Random(`fuzz-${kind}`);
      const totals = { accepted: 0, rejected: 0 };
      for (let round = 0; round < ROUNDS; round++) {
        const [header, ...rows] = samples[kind];
        const body = rows.slice(0, 40).map((l) => (rng.chance(0.5) ? mutate(rng, l) : l));
        const raw = Buffer.from([header, ...body].join(rng.chance(0.3) ? '\r\n' : '\n'));
        // Now and then an invalid UTF-8 byte in the middle.
        if (rng.chance(0.3)) raw[header.length + 1 + rng.int(raw.length - header.length - 1)] = 0xff;
        const file = join(files.dir, `${kind}-${round}.${kind === 'usage_jsonl' ? 'jsonl' : 'csv'}`);
        await writeFile(file, raw);
        const result = await ingest(db.handle, file);
        expect(result.status).not.toBe('failed');
        const batch = await db.handle.db.selectFrom('ingest_batches').selectAll().where('id', '=', result.batch_id!).executeTakeFirstOrThrow();
        expect(batch.accepted + batch.rejected + batch.duplicates).toBe(batch.rows_total);
        totals.accepted += batch.accepted;
        totals.rejected += batch.rejected;
        const rejected = await db.handle.db.selectFrom('rejected_rows').select(['reason']).where('batch_id', '=', batch.id).execute();
        expect(rejected).toHaveLength(batch.rejected);
        expect(rejected.every((r) => r.reason.length > 0)).toBe(true);
      }
      // The fuzz did reach both outcomes.
      expect(totals.accepted).toBeGreaterThan(0);
      expect(totals.rejected).toBeGreaterThan(0);
    }, 120_000);
  }
});

describe('the JSON API under fuzzed bodies', () => {
  it('/api/predict answers every body with JSON and a 4xx/503, never a 500 or a dropped connection', async () => {
    const { server, close } = createNeedloopServer({ db: db.handle.db, store: new ModelStore(join(files.dir, 'models')), reportsDir: files.dir, decide: async () => ({ ok: false, reason: 'no' }) });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const rng = new Random('fuzz-api');
    const bodies = [
      '', 'null', '[]', '{}', '{"texts": null}', '{"texts": [1]}', '{"texts": "a"}', '{"text": ""}', `{"texts": ${JSON.stringify(Array(101).fill('a'))}}`,
      `{"texts": ["${'x'.repeat(5000)}"]}`, '{"texts": ["\'; drop table model_versions; --"]}', 'x'.repeat(70_000),
      ...Array.from({ length: 40 }, () => mutate(rng, '{"texts": ["summarize this report", "翻译"]}')),
    ];
    try {
      for (const body of bodies) {
        const res = await fetch(`http://127.0.0.1:${port}/api/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        expect({ body: body.slice(0, 60), status: res.status }).toMatchObject({ status: expect.toSatisfy((s: number) => [400, 413, 503].includes(s)) });
        expect(typeof ((await res.json()) as { error: string }).error).toBe('string');
      }
    } finally {
      await close();
    }
    expect(await db.handle.db.selectFrom('model_versions').select('id').execute()).toEqual([]);
  }, 60_000);
});
