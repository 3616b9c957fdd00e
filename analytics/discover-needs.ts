/**
 * Needs nobody has named yet: requests no known need answers well are clustered into
 * candidate needs.
 *
 * - A request becomes a vector of TF-IDF weights of its words (Intl.Segmenter words, so
 *   Chinese too), its words' character trigrams (so typos stay close), and, for Chinese,
 *   character bigrams — hashed onto `DIMENSIONS` signed coordinates (a sparse random
 *   projection, fixed by the hash, so that vectors of different nights are comparable) and
 *   scaled to unit length. Cosine similarity is then a dot product.
 * - Spherical k-means over-segments the requests (k from the data's size, seeded k-means++
 *   starts); centroids closer than `mergeSimilarity` are merged (the number of needs is the
 *   data's, not a parameter); a request joins its nearest centroid only when it is at least
 *   `memberSimilarity` close, and stays unclustered noise otherwise. A cluster counts when
 *   it has `minSize` requests and is cohesive.
 * - A cluster close to a known need's centroid (from labelled requests of that need) is a
 *   known need served badly, not a new one: it is set aside.
 * - Labels are the cluster's most distinctive words by c-TF-IDF (BERTopic's class-based
 *   TF-IDF: a word's frequency in the cluster against its frequency over all clusters).
 *
 * Not BERTopic itself (Python, pretrained sentence embeddings, neither loadable here), nor a
 * library's k-means: the vectors are hashed sparse-to-dense and the clustering needs noise,
 * merging and a fixed projection across nights, which none of the JS packages offers.
 */
import { Random } from './seeded-random.js';
import { groupBy } from './group-by.js';
import { words } from './tokenize.js';

export const DIMENSIONS = 192;

export interface DiscoveryOptions {
  /** Fewest requests for a cluster to count. */
  minSize: number;
  /** A request joins a cluster only this close to its centroid (cosine). */
  memberSimilarity: number;
  /** Centroids this close are one need. */
  mergeSimilarity: number;
  /** A cluster's members must average this close to its centroid. */
  minCohesion: number;
  /** A cluster this close to a known need's centroid is that need, served badly. */
  knownSimilarity: number;
  seed: string;
}

export const DEFAULT_DISCOVERY: DiscoveryOptions = {
  minSize: 20,
  memberSimilarity: 0.35,
  mergeSimilarity: 0.5,
  minCohesion: 0.6,
  knownSimilarity: 0.5,
  seed: 'needloop-discovery',
};

/** Words too common to say anything about a need. */
const STOP = new Set(
  ('a an the and or but if to of in on for with at by from up about into over after my me i you your we our it its this that these those is are was were be been am do does did ' +
    'can could would should will shall may might must please pls plz help want need get make just some any all can\'t dont don\'t im i\'m hi hello thanks thank ' +
    '的 了 吗 呢 吧 啊 我 你 他 她 它 我的 你的 他的 我们 你们 是 在 有 和 与 把 被 给 让 请 帮 帮我 一下 这个 那个 这 那 什么 怎么 可以 能 要 想 需要 谢谢 一个').split(' '),
);
const HAN = /\p{Script=Han}/u;

/** The features of one text: words, their character trigrams, and Chinese character bigrams. */
export function textFeatures(text: string): string[] {
  const out: string[] = [];
  for (const w of words(text)) {
    if (STOP.has(w)) continue;
    out.push(w);
    if (HAN.test(w)) {
      const chars = [...w];
      for (let i = 0; i + 1 < chars.length; i++) out.push(`§${chars[i]}${chars[i + 1]}`);
    } else if (w.length >= 5) {
      const padded = `<${w}>`;
      for (let i = 0; i + 3 <= padded.length; i++) out.push(`#${padded.slice(i, i + 3)}`);
    }
  }
  return out;
}

/** The words of a text that can label a need (no n-grams, no stop words). */
export function labelWords(text: string): string[] {
  return words(text).filter((w) => !STOP.has(w) && (HAN.test(w) ? [...w].length >= 2 : w.length >= 3));
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Document frequencies of features over a corpus, for TF-IDF weights. */
export interface Idf {
  documents: number;
  weight(feature: string): number;
}

export function fitIdf(featureLists: readonly (readonly string[])[]): Idf {
  const df = new Map<string, number>();
  for (const features of featureLists) for (const f of new Set(features)) df.set(f, (df.get(f) ?? 0) + 1);
  const n = featureLists.length;
  return { documents: n, weight: (f) => Math.log((n + 1) / ((df.get(f) ?? 0) + 1)) + 1 };
}

/** A text's unit vector: TF-IDF weights hashed onto DIMENSIONS signed coordinates (three each). */
export function embed(features: readonly string[], idf: Idf, into = new Float32Array(DIMENSIONS)): Float32Array {
  into.fill(0);
  const counts = new Map<string, number>();
  for (const f of features) counts.set(f, (counts.get(f) ?? 0) + 1);
  for (const [f, c] of counts) {
    // Word features count fully; n-grams share the weight of the word they come from.
    const w = (1 + Math.log(c)) * idf.weight(f) * (f.startsWith('#') || f.startsWith('§') ? 0.35 : 1);
    let h = fnv1a(f);
    for (let k = 0; k < 3; k++) {
      into[h % DIMENSIONS] += h & 0x80000000 ? -w : w;
      h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    }
  }
  return normalize(into);
}

function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i] *= inv;
  }
  return v;
}

export function dot(a: Float32Array, ai: number, b: Float32Array, bi: number): number {
  let s = 0;
  const ao = ai * DIMENSIONS;
  const bo = bi * DIMENSIONS;
  for (let d = 0; d < DIMENSIONS; d++) s += a[ao + d] * b[bo + d];
  return s;
}

/** Cosine similarity of two unit vectors. */
export function cosine(a: Float32Array, b: Float32Array): number {
  return dot(a, 0, b, 0);
}

export interface Cluster {
  /** Indices of the member texts. */
  members: number[];
  centroid: Float32Array;
  /** Mean similarity of members to the centroid. */
  cohesion: number;
  /** Similarity of each member to the centroid, aligned with `members`. */
  similarity: number[];
}

/** Spherical k-means from k-means++ starts; returns the centroids (k × DIMENSIONS). */
export function sphericalKMeans(x: Float32Array, n: number, k: number, rng: Random, iterations = 12): Float32Array {
  const c = new Float32Array(k * DIMENSIONS);
  const best = new Float32Array(n).fill(-Infinity);
  let first = Math.floor(rng.next() * n);
  for (let j = 0; j < k; j++) {
    c.set(x.subarray(first * DIMENSIONS, (first + 1) * DIMENSIONS), j * DIMENSIONS);
    // Next start: far from every start so far (weight 1 - similarity, squared).
    let total = 0;
    for (let i = 0; i < n; i++) {
      const s = dot(x, i, c, j);
      if (s > best[i]) best[i] = s;
      total += (1 - best[i]) ** 2;
    }
    let r = rng.next() * total;
    first = n - 1;
    for (let i = 0; i < n; i++) {
      r -= (1 - best[i]) ** 2;
      if (r <= 0) {
        first = i;
        break;
      }
    }
  }
  const assign = new Int32Array(n);
  for (let it = 0; it < iterations; it++) {
    let moved = 0;
    for (let i = 0; i < n; i++) {
      let bj = 0;
      let bs = -Infinity;
      for (let j = 0; j < k; j++) {
        const s = dot(x, i, c, j);
        if (s > bs) {
          bs = s;
          bj = j;
        }
      }
      if (assign[i] !== bj || it === 0) moved++;
      assign[i] = bj;
    }
    c.fill(0);
    for (let i = 0; i < n; i++) {
      const o = assign[i] * DIMENSIONS;
      const xo = i * DIMENSIONS;
      for (let d = 0; d < DIMENSIONS; d++) c[o + d] += x[xo + d];
    }
    for (let j = 0; j < k; j++) normalize(c.subarray(j * DIMENSIONS, (j + 1) * DIMENSIONS));
    if (moved === 0) break;
  }
  return c;
}

/**
 * Clusters unit vectors (n × DIMENSIONS, row-major). Requests far from every cluster stay
 * unclustered; clusters smaller than `minSize` or less cohesive than `minCohesion` are
 * dropped (their requests are noise).
 */
export function clusterVectors(x: Float32Array, n: number, options: DiscoveryOptions = DEFAULT_DISCOVERY): Cluster[] {
  if (n < options.minSize) return [];
  const rng = new Random(options.seed);
  const k = Math.max(2, Math.min(64, Math.round(Math.sqrt(n / 2))));
  const raw = sphericalKMeans(x, n, Math.min(k, n), rng);
  // Merge centroids closer than mergeSimilarity (greedy, closest pair first).
  let centroids: Float32Array[] = [];
  for (let j = 0; j < raw.length / DIMENSIONS; j++) {
    const v = raw.slice(j * DIMENSIONS, (j + 1) * DIMENSIONS);
    if (v.some((e) => e !== 0)) centroids.push(v);
  }
  for (;;) {
    let bestPair: [number, number] | null = null;
    let bestSim = options.mergeSimilarity;
    for (let a = 0; a < centroids.length; a++) {
      for (let b = a + 1; b < centroids.length; b++) {
        const s = cosine(centroids[a], centroids[b]);
        if (s > bestSim) {
          bestSim = s;
          bestPair = [a, b];
        }
      }
    }
    if (bestPair === null) break;
    const merged = new Float32Array(DIMENSIONS);
    for (let d = 0; d < DIMENSIONS; d++) merged[d] = centroids[bestPair[0]][d] + centroids[bestPair[1]][d];
    centroids = [...centroids.filter((_, i) => i !== bestPair![0] && i !== bestPair![1]), normalize(merged)];
  }
  // Members: each request to its nearest centroid, if close enough; centroids then refitted
  // on their members. Twice: the requests of a centroid that did not make a cluster (too
  // small, not cohesive) get a second chance with the clusters that did.
  let out: Cluster[] = [];
  for (let pass = 0; pass < 2; pass++) {
    const flat = new Float32Array(centroids.length * DIMENSIONS);
    centroids.forEach((c, j) => flat.set(c, j * DIMENSIONS));
    const groups = centroids.map(() => [] as number[]);
    for (let i = 0; i < n; i++) {
      let bj = -1;
      let bs = options.memberSimilarity;
      for (let j = 0; j < centroids.length; j++) {
        const s = dot(x, i, flat, j);
        if (s >= bs) {
          bs = s;
          bj = j;
        }
      }
      if (bj >= 0) groups[bj].push(i);
    }
    out = [];
    for (const members of groups) {
      if (members.length < options.minSize) continue;
      const centroid = new Float32Array(DIMENSIONS);
      for (const i of members) for (let d = 0; d < DIMENSIONS; d++) centroid[d] += x[i * DIMENSIONS + d];
      normalize(centroid);
      const similarity = members.map((i) => dot(x, i, centroid, 0));
      const cohesion = similarity.reduce((a, v) => a + v, 0) / similarity.length;
      if (cohesion >= options.minCohesion) out.push({ members, centroid, cohesion, similarity });
    }
    if (out.length === centroids.length) break;
    centroids = out.map((c) => c.centroid);
  }
  return out.sort((a, b) => b.members.length - a.members.length);
}

/**
 * The `top` most distinctive label words of each cluster by c-TF-IDF: frequency in the
 * cluster × log(1 + average words per cluster / the word's frequency over all clusters).
 */
export function clusterLabels(texts: readonly string[], clusters: readonly { members: readonly number[] }[], top = 3): string[][] {
  const perCluster = clusters.map((c) => {
    const counts = new Map<string, number>();
    for (const i of c.members) for (const w of new Set(labelWords(texts[i]))) counts.set(w, (counts.get(w) ?? 0) + 1);
    return counts;
  });
  const overall = new Map<string, number>();
  let totalWords = 0;
  for (const counts of perCluster) {
    for (const [w, n] of counts) {
      overall.set(w, (overall.get(w) ?? 0) + n);
      totalWords += n;
    }
  }
  const average = totalWords / Math.max(clusters.length, 1);
  return perCluster.map((counts, j) => {
    const size = clusters[j].members.length;
    return [...counts]
      .filter(([, n]) => n >= Math.max(2, 0.15 * size))
      .map(([w, n]) => [w, (n / size) * Math.log(1 + average / overall.get(w)!)] as const)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, top)
      .map(([w]) => w);
  });
}

export interface CandidateCluster extends Cluster {
  /** Its most distinctive words (c-TF-IDF), most distinctive first. */
  label: string[];
  /** Requests of the window before as close to its centroid as a member would be. */
  previous: number;
}

export interface Discovery {
  clusters: CandidateCluster[];
  /** Requests set aside as like a known need's. */
  likeKnown: number;
}

const PROTOTYPES_PER_NEED = 8;

/**
 * Tonight's candidate needs among POOL (texts no known need answered well): requests like a
 * known need's (within `knownSimilarity` of one of a few prototypes of KNOWN's requests of
 * that need) are set aside, the rest clustered; each cluster is counted again among
 * PREVIOUS (the window before's pool) for its growth. `members` index into POOL.
 */
export function discoverCandidates(pool: readonly string[], known: readonly { intent: string; text: string }[], previous: readonly string[], options: DiscoveryOptions = DEFAULT_DISCOVERY): Discovery {
  const [poolF, prevF, knownF] = [pool.map(textFeatures), previous.map(textFeatures), known.map((k) => textFeatures(k.text))];
  const idf = fitIdf([...poolF, ...prevF, ...knownF]);
  const vectors = (features: readonly string[][]) => {
    const x = new Float32Array(features.length * DIMENSIONS);
    features.forEach((f, i) => embed(f, idf, x.subarray(i * DIMENSIONS, (i + 1) * DIMENSIONS)));
    return x;
  };
  const byNeed = groupBy(known.map((_, i) => i), (i) => known[i].intent);
  const prototypes: Float32Array[] = [];
  for (const [need, rows] of [...byNeed].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const k = Math.min(PROTOTYPES_PER_NEED, rows.length);
    const c = sphericalKMeans(vectors(rows.map((i) => knownF[i])), rows.length, k, new Random(`${options.seed}:${need}`));
    for (let j = 0; j < k; j++) prototypes.push(c.slice(j * DIMENSIONS, (j + 1) * DIMENSIONS));
  }
  const P = new Float32Array(prototypes.length * DIMENSIONS);
  prototypes.forEach((p, j) => P.set(p, j * DIMENSIONS));
  const unknown = (x: Float32Array, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      let like = false;
      for (let j = 0; j < prototypes.length && !like; j++) like = dot(x, i, P, j) >= options.knownSimilarity;
      if (!like) out.push(i);
    }
    return out;
  };
  const xPool = vectors(poolF);
  const keep = unknown(xPool, pool.length);
  const xKeep = new Float32Array(keep.length * DIMENSIONS);
  keep.forEach((i, j) => xKeep.set(xPool.subarray(i * DIMENSIONS, (i + 1) * DIMENSIONS), j * DIMENSIONS));
  const clusters = clusterVectors(xKeep, keep.length, options);
  const labels = clusterLabels(keep.map((i) => pool[i]), clusters);
  const xPrev = vectors(prevF);
  const prevKept = unknown(xPrev, previous.length);
  return {
    likeKnown: pool.length - keep.length,
    clusters: clusters.map((c, j) => ({
      ...c, members: c.members.map((m) => keep[m]), label: labels[j],
      previous: prevKept.filter((i) => dot(xPrev, i, c.centroid, 0) >= options.memberSimilarity).length,
    })),
  };
}
