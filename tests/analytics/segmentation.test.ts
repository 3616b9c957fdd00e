import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { adjustedRandIndex, kmeans, matrixFrom, meanSilhouette, personaName, personaNameZh, Random, sampleDistances, segmentUsers, standardize, termGrowth, words } from '../../analytics/index.js';

function blobs(centres: number[][], perBlob: number, spread: number, seed: number) {
  const rng = new Random(seed);
  const rows: number[][] = [];
  const labels: number[] = [];
  centres.forEach((c, label) => {
    for (let i = 0; i < perBlob; i++) {
      rows.push(c.map((v) => v + rng.normal(0, spread)));
      labels.push(label);
    }
  });
  return { rows, labels };
}

describe('standardize', () => {
  it('standardize(matrix) gives columns of mean 0 and sd 1, NaN and constants as 0', () => {
    const { matrix, means, stds } = standardize(matrixFrom([[1, 5, NaN], [3, 5, 2], [5, 5, 4]]));
    expect(means).toEqual([3, 5, 3]);
    expect(stds[0]).toBeCloseTo(Math.sqrt(8 / 3), 12);
    expect(stds[1]).toBe(0);
    expect(Array.from(matrix.data).map((v) => Math.round(v * 1000) / 1000)).toEqual([-1.225, 0, 0, 0, 0, -1, 1.225, 0, 1]);
  });
});

describe('kmeans', () => {
  it('kmeans(matrix, {k}) separates well-apart groups', () => {
    const { rows, labels } = blobs([[0, 0], [10, 0], [0, 10]], 50, 1, 1);
    const result = kmeans(matrixFrom(rows), { k: 3, seed: 1 });
    expect(adjustedRandIndex(labels, Array.from(result.assignments))).toBe(1);
  });

  it('kmeans gives identical results for the same seed', () => {
    const { rows } = blobs([[0, 0], [3, 3], [6, 0], [3, -3]], 40, 1.5, 2);
    const a = kmeans(matrixFrom(rows), { k: 4, seed: 'x' });
    const b = kmeans(matrixFrom(rows), { k: 4, seed: 'x' });
    expect(Array.from(a.assignments)).toEqual(Array.from(b.assignments));
    expect(Array.from(a.centroids)).toEqual(Array.from(b.centroids));
  });

  it('runs exactly maxIterations when told not to stop early', () => {
    const { rows } = blobs([[0], [5]], 20, 1, 3);
    expect(kmeans(matrixFrom(rows), { k: 2, restarts: 1, maxIterations: 7, stopWhenStable: false }).iterations).toBe(7);
  });
});

describe('silhouette and the adjusted Rand index', () => {
  it('meanSilhouette is near 1 for tight, distant clusters and lower when they are split wrongly', () => {
    const m = matrixFrom([[0], [0.1], [10], [10.1]]);
    const sample = sampleDistances(m, 4);
    expect(meanSilhouette(sample, Int32Array.from([0, 0, 1, 1]), 2)).toBeCloseTo(0.99, 2);
    // Hand-worked: point 0 with cluster {0, 10}: a = 10, b = mean(0.1, 10.1) = 5.1 → −0.49…
    expect(meanSilhouette(sample, Int32Array.from([0, 1, 0, 1]), 2)!).toBeLessThan(0);
    expect(meanSilhouette(sample, Int32Array.from([0, 0, 0, 0]), 2)).toBeNull();
  });

  it('adjustedRandIndex is 1 for the same partition under other names and 0-ish for unrelated ones', () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2], ['b', 'b', 'a', 'a', 'c'])).toBe(1);
    // Hand-worked: contingency [[1,1],[1,1]] → index 0, expected 1·1/6·… = 0.333, max 1 → −0.5
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 12);
  });
});

describe('segmentUsers', () => {
  it('segmentUsers(features, matrix, {k: "auto"}) finds the number of groups and names them by what stands out', () => {
    const { rows, labels } = blobs([[9, 0.8, 0.1], [2, 0.1, 0.8], [1, 0.1, 0.1]], 60, 0.05, 4);
    const scaled = rows.map(([a, b, c]) => [a * 1, b, c]);
    const result = segmentUsers(['events_per_day', 'share_code', 'share_email'], matrixFrom(scaled), { k: 'auto', seed: 1 });
    if ('error' in result) throw new Error(result.error);
    expect(result.k).toBe(3);
    expect(adjustedRandIndex(labels, Array.from(result.assignments))).toBe(1);
    expect(result.segments.map((s) => s.size)).toEqual([60, 60, 60]);
    expect(result.segments.map((s) => s.name).sort()).toEqual(['Heavy code users', 'Light email users', 'Light users']);
    expect(result.tried.map((t) => t.k)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('says why when there are too few users', () => {
    expect(segmentUsers(['x'], matrixFrom([[1], [2]]), { k: 2 })).toEqual({ error: 'too few users to segment (2; at least 3)' });
  });

  it('personaName prefers a behaviour adjective and a product-area noun', () => {
    expect(personaName([{ feature: 'plan_enterprise', z: 2 }, { feature: 'share_sheets', z: 1.5 }])).toBe('Enterprise sheets users');
    expect(personaName([{ feature: 'share_chat', z: -1 }, { feature: 'events_per_day', z: -0.2 }])).toBe('Users');
    // The Chinese name, read from the English one.
    expect(personaNameZh('Enterprise sheets users')).toBe('企业版表格用户');
    expect(personaNameZh('Quick-task email users 2')).toBe('快任务邮件用户 2');
    expect(personaNameZh('Struggling billing portal users')).toBe('受挫的 billing portal 用户');
    expect(personaNameZh('Users')).toBe('用户');
  });
});

describe('text', () => {
  it('words(text) splits English and Chinese into lower-case words', () => {
    expect(words('Summarize THIS report, please!')).toEqual(['summarize', 'this', 'report', 'please']);
    const zh = words('帮我翻译这份合同。');
    expect(zh).toContain('翻译');
    expect(zh).toContain('合同');
    expect(zh.join('')).toBe('帮我翻译这份合同');
  });

  it('words(text) splits plain English as the Unicode word segmenter does: real requests, and random strings of letters, spaces and punctuation', async () => {
    // The segmenter itself, as words() used it for every text before its shortcut for plain ones.
    const segmenter = new Intl.Segmenter('en', { granularity: 'word' });
    const bySegmenter = (text: string) => [...segmenter.segment(text.toLowerCase())].filter((p) => p.isWordLike && /\p{L}/u.test(p.segment)).map((p) => p.segment);
    const csv = await readFile(new URL('../../../shared/data/banking77/test.csv', import.meta.url), 'utf8');
    const requests = csv.split('\n').filter((line) => line !== '');
    const random = new Random('words');
    // Characters that keep a text plain, and some that join letters or digits into one word (. ' : 3) or are invisible (U+FEFF, U+00A0).
    const alphabet = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ      \t\n?!,;()"-', '.', "'", ':', '3', '\uFEFF', '\u00A0', 'é'];
    const strings = Array.from({ length: 5000 }, () => Array.from({ length: 1 + Math.floor(random.next() * 30) }, () => alphabet[Math.floor(random.next() * alphabet.length)]).join(''));
    for (const text of [...requests, ...strings, "don't", 'e.g. this', 'co-op', 'a,b', 'x;y', 'a:b']) expect(words(text), JSON.stringify(text)).toEqual(bySegmenter(text));
  });

  it('termGrowth(current, previous) ranks the terms whose share grew most', () => {
    const previous = ['slow answers', 'slow export', 'great summaries'];
    const current = ['automate my reports', 'automate invoices please', 'automate everything', 'slow answers'];
    const [top] = termGrowth(current, previous, { minCount: 2 });
    expect(top).toMatchObject({ term: 'automate', count: 3, previous_share: 0 });
    expect(top.current_share).toBeCloseTo(3 / 9, 12);
  });

  it('termGrowth with phrases: "pay less" rather than "pay" and "less", and no single Chinese characters', () => {
    const previous = ['great summaries', 'slow export', '翻译很好'];
    const current = ['please pay less for the api', 'I want to pay less', 'pay less or I leave', '自动化工作流又慢又贵', '希望自动化工作流更快', '自动化工作流经常失败'];
    const terms = termGrowth(current, previous, { minCount: 3, phrases: true }).map((t) => t.term);
    expect(terms).toContain('pay less');
    expect(terms).not.toContain('pay');
    expect(terms).not.toContain('less');
    expect(terms.some((t) => /^\p{Script=Han}{3,}$/u.test(t))).toBe(true);
    expect(terms.filter((t) => /^\p{Script=Han}$/u.test(t))).toEqual([]);
    // Without phrases, the words alone (as before).
    expect(termGrowth(current, previous, { minCount: 3 }).map((t) => t.term)).toContain('pay');
  });
});
