import { describe, expect, it } from 'vitest';
import { GoldenFileError, readGoldenFile } from '../../models/golden-file.js';
import { useTempFiles } from '../helpers/fixtures.js';

const files = useTempFiles();
const INTENTS = ['draft_email', 'code_help', 'out_of_scope'];

describe('a golden set supplied as a file', () => {
  it('reads JSON Lines and CSV, ids from the file or its line numbers', async () => {
    const jsonl = await files.file('golden.jsonl', [
      JSON.stringify({ id: 'g1', text: 'write to my landlord', intent: 'draft_email' }),
      '',
      JSON.stringify({ text: 'why does this loop never end', intent: 'code_help' }),
    ].join('\n'));
    expect(await readGoldenFile(jsonl, INTENTS)).toEqual([
      { event_id: 'golden:g1', text: 'write to my landlord', intent: 'draft_email' },
      { event_id: 'golden:line-3', text: 'why does this loop never end', intent: 'code_help' },
    ]);
    const csv = await files.file('golden.csv', 'intent,text\nout_of_scope,"weather on mars, tomorrow"\n');
    expect(await readGoldenFile(csv, INTENTS)).toEqual([{ event_id: 'golden:line-2', text: 'weather on mars, tomorrow', intent: 'out_of_scope' }]);
  });

  it('refuses the whole file when any line is unusable, naming the file, the line and the reason', async () => {
    const file = await files.file('bad.jsonl', [
      JSON.stringify({ text: 'fine', intent: 'draft_email' }),
      '{"text": "cut off',
      JSON.stringify({ text: 'walk the dog', intent: 'dog_walking' }),
      JSON.stringify({ text: ' ', intent: 'code_help' }),
    ].join('\n'));
    const error = await readGoldenFile(file, INTENTS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GoldenFileError);
    const lines = (error as Error).message.split('\n');
    expect(lines[0]).toBe(`${file}: 3 lines cannot be used, nothing was stored:`);
    expect(lines[1]).toMatch(new RegExp(`^  ${file}, line 2: not JSON`));
    expect(lines[2]).toBe(`  ${file}, line 3: intent "dog_walking" is not a need id of the catalogue (nor out_of_scope)`);
    expect(lines[3]).toBe(`  ${file}, line 4: "text" must be a non-empty string`);
    await expect(readGoldenFile(await files.file('golden.txt', 'x'), INTENTS)).rejects.toThrow('give a .jsonl, .ndjson or .csv file');
  });
});
