import { describe, expect, it } from 'vitest';
import { parseCsvFields, RecordSplitter, type FileFormat, type RawRecord } from '../../db/ingest/records.js';

function split(format: FileFormat, input: string | Buffer, chunkSize = 3, maxLineBytes = 1 << 20): RawRecord[] {
  const records: RawRecord[] = [];
  const splitter = new RecordSplitter(format, maxLineBytes, (r) => records.push(r));
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  for (let i = 0; i < bytes.length; i += chunkSize) splitter.push(bytes.subarray(i, i + chunkSize));
  splitter.end();
  return records;
}

describe('RecordSplitter', () => {
  it('numbers JSON Lines records by line and skips blank lines', () => {
    const records = split('jsonl', '{"a":1}\n\n{"a":2}\n  \n{"a":3}');
    expect(records.map((r) => [r.line, r.text])).toEqual([
      [1, '{"a":1}'],
      [3, '{"a":2}'],
      [5, '{"a":3}'],
    ]);
  });

  it('drops a UTF-8 byte order mark and the CR of CRLF line ends', () => {
    const records = split('csv', '\uFEFFa,b\r\n1,2\r\n');
    expect(records.map((r) => r.text)).toEqual(['a,b', '1,2']);
    expect(records[1].raw.toString()).toBe('1,2');
  });

  it('splits a file whose line breaks are a CR alone (old Mac, some spreadsheet exports), at any chunk boundary', () => {
    for (const chunk of [1, 2, 3, 4, 1000]) {
      const records = split('csv', 'a,b\r1,2\r\r3,4\r', chunk);
      expect(records.map((r) => [r.line, r.text]), `chunks of ${chunk}`).toEqual([[1, 'a,b'], [2, '1,2'], [4, '3,4']]);
    }
    // A CR inside a line of an LF file stays text.
    expect(split('csv', 'a,b\n1,x\ry\n', 2).map((r) => r.text)).toEqual(['a,b', '1,x\ry']);
    // CRLF split by the chunking between CR and LF is CRLF.
    expect(split('csv', 'a,b\r\n1,2\r\n', 4).map((r) => r.text)).toEqual(['a,b', '1,2']);
  });

  it('keeps a quoted CSV field that spans lines in one record, numbered by its first line', () => {
    const records = split('csv', 'id,comment\n1,"first line\nsecond, with comma"\n2,plain\n', 5);
    expect(records.map((r) => [r.line, r.text])).toEqual([
      [1, 'id,comment'],
      [2, '1,"first line\nsecond, with comma"'],
      [4, '2,plain'],
    ]);
  });

  it('reports invalid UTF-8 with the offset of the first bad byte and keeps the raw bytes', () => {
    const bad = Buffer.concat([Buffer.from('{"x":"ab'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
    const [record] = split('jsonl', bad);
    expect(record.text).toBeNull();
    expect(record.problem).toBe('not valid UTF-8 (first bad byte at offset 8)');
    expect(record.raw.equals(bad.subarray(0, bad.length - 1))).toBe(true);
  });

  it('rejects a line longer than the limit without holding all of it', () => {
    const long = `${'x'.repeat(100)}\nok\n`;
    const records = split('jsonl', long, 7, 40);
    expect(records[0].problem).toMatch(/^line is 100 bytes long; at most 40 bytes are read/);
    expect(records[0].raw.length).toBe(40);
    expect(records[1]).toMatchObject({ line: 2, text: 'ok' });
  });

  it('reports a quoted field left open at the end of the file', () => {
    const records = split('csv', 'a,b\n1,"never closed\n2,3\n');
    expect(records[1]).toMatchObject({ line: 2, text: null, problem: 'a quoted field is not closed before the end of the file' });
  });
});

describe('parseCsvFields', () => {
  it('splits plain and quoted fields, with doubled quotes and empty fields', () => {
    expect(parseCsvFields('a,,"b,c","say ""hi""",')).toEqual(['a', '', 'b,c', 'say "hi"', '']);
  });

  it('says what is wrong after a closing quote', () => {
    expect(parseCsvFields('"a"x,b')).toBe('unexpected character "x" after a closing quote (column 4)');
  });
});
