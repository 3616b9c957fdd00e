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
 * - A request close to a known need's prototypes (from labelled requests of that need) is a
 *   known need served badly, not a new one: it is set aside before clustering.
 * - Labels: the phrase most of a cluster's requests share (clusterPhrases), and its most
 *   distinctive words by c-TF-IDF (BERTopic's class-based TF-IDF: a word's frequency in the
 *   cluster against its frequency over all clusters).
 * - Or, given a learnt space (a pretrained sentence encoder's vectors, VectorSpace), the same
 *   clustering there, with each known need's own boundary and thresholds read off the known
 *   needs (knownRegions, calibrateToKnown) instead of the hashed space's fixed cosines.
 *
 * Not BERTopic itself (Python), nor a library's k-means: the clustering needs noise, merging
 * and vectors comparable across nights, which none of the JS packages offers.
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

/** Dot product of row AI of A and row BI of B (rows of DIM values). */
export function dot(a: Float32Array, ai: number, b: Float32Array, bi: number, dim = DIMENSIONS): number {
  let s = 0;
  const ao = ai * dim;
  const bo = bi * dim;
  for (let d = 0; d < dim; d++) s += a[ao + d] * b[bo + d];
  return s;
}

/** Cosine similarity of two unit vectors; 0 for vectors of different spaces (lengths). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  let s = 0;
  for (let d = 0; d < a.length; d++) s += a[d] * b[d];
  return s;
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

/** Spherical k-means from k-means++ starts; returns the centroids (k × DIM). */
export function sphericalKMeans(x: Float32Array, n: number, k: number, rng: Random, iterations = 12, dim = DIMENSIONS): Float32Array {
  const c = new Float32Array(k * dim);
  const best = new Float32Array(n).fill(-Infinity);
  let first = Math.floor(rng.next() * n);
  for (let j = 0; j < k; j++) {
    c.set(x.subarray(first * dim, (first + 1) * dim), j * dim);
    // Next start: far from every start so far (weight 1 - similarity, squared).
    let total = 0;
    for (let i = 0; i < n; i++) {
      const s = dot(x, i, c, j, dim);
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
        const s = dot(x, i, c, j, dim);
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
      const o = assign[i] * dim;
      const xo = i * dim;
      for (let d = 0; d < dim; d++) c[o + d] += x[xo + d];
    }
    for (let j = 0; j < k; j++) normalize(c.subarray(j * dim, (j + 1) * dim));
    if (moved === 0) break;
  }
  return c;
}

/**
 * Clusters unit vectors (n × DIM, row-major). Requests far from every cluster stay
 * unclustered; clusters smaller than `minSize` or less cohesive than `minCohesion` are
 * dropped (their requests are noise).
 */
export function clusterVectors(x: Float32Array, n: number, options: DiscoveryOptions = DEFAULT_DISCOVERY, dim = DIMENSIONS): Cluster[] {
  if (n < options.minSize) return [];
  const rng = new Random(options.seed);
  const k = Math.max(2, Math.min(64, Math.round(Math.sqrt(n / 2))));
  const raw = sphericalKMeans(x, n, Math.min(k, n), rng, 12, dim);
  // Merge centroids closer than mergeSimilarity (greedy, closest pair first).
  let centroids: Float32Array[] = [];
  for (let j = 0; j < raw.length / dim; j++) {
    const v = raw.slice(j * dim, (j + 1) * dim);
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
    const merged = new Float32Array(dim);
    for (let d = 0; d < dim; d++) merged[d] = centroids[bestPair[0]][d] + centroids[bestPair[1]][d];
    centroids = [...centroids.filter((_, i) => i !== bestPair![0] && i !== bestPair![1]), normalize(merged)];
  }
  // Members: each request to its nearest centroid, if close enough; centroids then refitted
  // on their members. Twice: the requests of a centroid that did not make a cluster (too
  // small, not cohesive) get a second chance with the clusters that did.
  let out: Cluster[] = [];
  for (let pass = 0; pass < 2; pass++) {
    const flat = new Float32Array(centroids.length * dim);
    centroids.forEach((c, j) => flat.set(c, j * dim));
    const groups = centroids.map(() => [] as number[]);
    for (let i = 0; i < n; i++) {
      let bj = -1;
      let bs = options.memberSimilarity;
      for (let j = 0; j < centroids.length; j++) {
        const s = dot(x, i, flat, j, dim);
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
      const centroid = new Float32Array(dim);
      for (const i of members) for (let d = 0; d < dim; d++) centroid[d] += x[i * dim + d];
      normalize(centroid);
      const similarity = members.map((i) => dot(x, i, centroid, 0, dim));
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

/**
 * Each cluster's phrase: the run of 2–4 words (not starting or ending with a stop word) that
 * most of its requests share and that sets it apart from the others, scored by c-TF-IDF like
 * clusterLabels' words, longer runs preferred when nearly as common — so a need reads as
 * "cancel my subscription", not "cancel · subscription". Null where no run is common enough
 * (fewer than PHRASE_SHARE of the requests).
 */
export function clusterPhrases(texts: readonly string[], clusters: readonly { members: readonly number[] }[]): (string | null)[] {
  const perCluster = clusters.map((c) => {
    const counts = new Map<string, number>();
    for (const i of c.members) {
      const w = words(texts[i]);
      const seen = new Set<string>();
      for (let n = 2; n <= 4; n++) {
        for (let a = 0; a + n <= w.length; a++) {
          if (STOP.has(w[a]) || STOP.has(w[a + n - 1])) continue;
          const run = w.slice(a, a + n);
          const phrase = run.reduce((out, word, k) => out + (k > 0 && !(HAN.test(word) && HAN.test(run[k - 1])) ? ' ' : '') + word, '');
          seen.add(phrase);
        }
      }
      for (const p of seen) counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    return counts;
  });
  const overall = new Map<string, number>();
  let total = 0;
  for (const counts of perCluster) for (const [p, n] of counts) (overall.set(p, (overall.get(p) ?? 0) + n), (total += n));
  const average = total / Math.max(clusters.length, 1);
  return perCluster.map((counts, j) => {
    const size = clusters[j].members.length;
    let best: string | null = null;
    let bestScore = 0;
    for (const [p, n] of counts) {
      if (n < Math.max(2, PHRASE_SHARE * size)) continue;
      const length = p.includes(' ') ? p.split(' ').length : [...p].length / 2;
      const score = (n / size) * Math.log(1 + average / overall.get(p)!) * Math.sqrt(length);
      if (score > bestScore || (score === bestScore && best !== null && p < best)) [best, bestScore] = [p, score];
    }
    return best;
  });
}

/** A phrase labels a cluster only when at least this share of its requests hold it. */
export const PHRASE_SHARE = 0.2;

export interface CandidateCluster extends Cluster {
  /** Its most distinctive words (c-TF-IDF), most distinctive first. */
  label: string[];
  /** The phrase its requests share (clusterPhrases); null when none is common enough. */
  phrase: string | null;
  /** Requests of the window before as close to its centroid as a member would be. */
  previous: number;
}

export interface Discovery {
  clusters: CandidateCluster[];
  /** Requests set aside as like a known need's. */
  likeKnown: number;
  /** The thresholds the clustering used (OPTIONS', or calibrated to the known needs in a learnt space). */
  thresholds: DiscoveryOptions;
}

const PROTOTYPES_PER_NEED = 8;

/** Vectors of a learnt space (a sentence encoder's), in place of the hashed TF-IDF ones. */
export interface VectorSpace {
  dim: number;
  /** Rows aligned with discoverCandidates' POOL, KNOWN and PREVIOUS. */
  pool: Float32Array;
  known: Float32Array;
  previous: Float32Array;
}

/**
 * Tonight's candidate needs among POOL (texts no known need answered well): requests like a
 * known need's are set aside, the rest clustered; each cluster is counted again among
 * PREVIOUS (the window before's pool) for its growth. `members` index into POOL.
 *
 * In the hashed space (no SPACE) "like a known need" is a fixed cosine (`knownSimilarity`)
 * to one of a few prototypes of KNOWN's requests of that need, and the clustering's
 * thresholds are OPTIONS'. In a learnt SPACE, where a cosine means something else for each
 * encoder, both come from the known needs themselves (calibrateToKnown): each need's own
 * boundary, and thresholds from how close a known need's requests sit together.
 */
export function discoverCandidates(pool: readonly string[], known: readonly { intent: string; text: string }[], previous: readonly string[], options: DiscoveryOptions = DEFAULT_DISCOVERY, space?: VectorSpace): Discovery {
  let dim = DIMENSIONS;
  let xPool: Float32Array;
  let xKnown: Float32Array;
  let xPrev: Float32Array;
  if (space === undefined) {
    const [poolF, prevF, knownF] = [pool.map(textFeatures), previous.map(textFeatures), known.map((k) => textFeatures(k.text))];
    const idf = fitIdf([...poolF, ...prevF, ...knownF]);
    const vectors = (features: readonly string[][]) => {
      const x = new Float32Array(features.length * DIMENSIONS);
      features.forEach((f, i) => embed(f, idf, x.subarray(i * DIMENSIONS, (i + 1) * DIMENSIONS)));
      return x;
    };
    [xPool, xKnown, xPrev] = [vectors(poolF), vectors(knownF), vectors(prevF)];
  } else {
    ({ dim, pool: xPool, known: xKnown, previous: xPrev } = space);
    for (const [name, x, n] of [['pool', xPool, pool.length], ['known', xKnown, known.length], ['previous', xPrev, previous.length]] as const) {
      if (x.length !== n * dim) throw new Error(`discoverCandidates: ${name} has ${x.length / dim} vectors of ${dim} for ${n} texts`);
    }
  }
  const byNeed = [...groupBy(known.map((_, i) => i), (i) => known[i].intent)].sort(([a], [b]) => (a < b ? -1 : 1));
  const regions = knownRegions(xKnown, byNeed, dim, space === undefined ? options.knownSimilarity : 'own', options.seed);
  const unknown = (x: Float32Array, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) if (!regions.inside(x, i)) out.push(i);
    return out;
  };
  const tuned = space === undefined ? options : calibrateToKnown(options, xKnown, byNeed.map(([, m]) => m), dim);
  const keep = unknown(xPool, pool.length);
  const clusters = clusterVectors(rowsOf(xPool, keep, dim), keep.length, tuned, dim);
  const labels = clusterLabels(keep.map((i) => pool[i]), clusters);
  const phrases = clusterPhrases(keep.map((i) => pool[i]), clusters);
  const prevKept = unknown(xPrev, previous.length);
  return {
    likeKnown: pool.length - keep.length,
    thresholds: tuned,
    clusters: clusters.map((c, j) => ({
      ...c, members: c.members.map((m) => keep[m]), label: labels[j], phrase: phrases[j],
      previous: prevKept.filter((i) => dot(xPrev, i, c.centroid, 0, dim) >= tuned.memberSimilarity).length,
    })),
  };
}

/** Rows IDX of X (rows of DIM values), in that order, as a matrix of their own. */
export function rowsOf(x: Float32Array, idx: readonly number[], dim: number): Float32Array {
  const out = new Float32Array(idx.length * dim);
  idx.forEach((i, j) => out.set(x.subarray(i * dim, (i + 1) * dim), j * dim));
  return out;
}

/** The known needs' regions: a few prototypes each, and how close a request must be to one. */
export interface KnownRegions {
  /** Whether row I of X lies in some known need's region. */
  inside(x: Float32Array, i: number): boolean;
  /** The need whose region holds row I of X (the one it is furthest inside), or null: none of them. */
  nearest(x: Float32Array, i: number): string | null;
}

/**
 * Regions of the known needs (NEEDS: each need's rows of X, by name): PROTOTYPES_PER_NEED
 * spherical k-means prototypes per need. BOUNDARY is one cosine for every need (the hashed
 * space's fixed rule), or 'own': each need's own boundary (ADB's idea, without training) —
 * the similarity to its nearest prototype that all but CALIBRATION.outside of its own
 * requests reach, so a loose need gets a wide region and a tight one a narrow one.
 */
export function knownRegions(x: Float32Array, needs: readonly (readonly [string, readonly number[]])[], dim: number, boundary: number | 'own', seed: string): KnownRegions {
  const prototypes: Float32Array[] = [];
  const owner: string[] = [];
  const bounds: number[] = [];
  for (const [need, members] of needs) {
    const k = Math.min(PROTOTYPES_PER_NEED, members.length);
    const xNeed = rowsOf(x, members, dim);
    const c = sphericalKMeans(xNeed, members.length, k, new Random(`${seed}:${need}`), 12, dim);
    let bound = boundary === 'own' ? 0 : boundary;
    if (boundary === 'own') {
      const own = members.map((_, m) => {
        let best = -1;
        for (let j = 0; j < k; j++) best = Math.max(best, dot(xNeed, m, c, j, dim));
        return best;
      }).sort((a, b) => a - b);
      bound = own[Math.floor(CALIBRATION.outside * (own.length - 1))];
    }
    for (let j = 0; j < k; j++) {
      prototypes.push(c.slice(j * dim, (j + 1) * dim));
      owner.push(need);
      bounds.push(bound);
    }
  }
  const P = new Float32Array(prototypes.length * dim);
  prototypes.forEach((p, j) => P.set(p, j * dim));
  return {
    inside(q, i) {
      for (let j = 0; j < prototypes.length; j++) if (dot(q, i, P, j, dim) >= bounds[j]) return true;
      return false;
    },
    nearest(q, i) {
      let best: string | null = null;
      let margin = -Infinity;
      for (let j = 0; j < prototypes.length; j++) {
        const over = dot(q, i, P, j, dim) - bounds[j];
        if (over >= 0 && over > margin) [best, margin] = [owner[j], over];
      }
      return best;
    },
  };
}

/**
 * Clustering thresholds for a learnt space, read off the known needs (each need's requests,
 * as rows of X): a request joins a cluster as close to its centroid as most requests of a
 * known need are to theirs; a cluster must be about as cohesive as a known need; centroids
 * merge when closer than most pairs of distinct known needs are.
 */
export function calibrateToKnown(options: DiscoveryOptions, x: Float32Array, needs: readonly (readonly number[])[], dim: number): DiscoveryOptions {
  const toOwn: number[] = [];
  const cohesions: number[] = [];
  const centroids: Float32Array[] = [];
  for (const members of needs) {
    if (members.length < 2) continue;
    const c = new Float32Array(dim);
    for (const i of members) for (let d = 0; d < dim; d++) c[d] += x[i * dim + d];
    normalize(c);
    const sims = members.map((i) => dot(x, i, c, 0, dim));
    toOwn.push(...sims);
    cohesions.push(sims.reduce((a, v) => a + v, 0) / sims.length);
    centroids.push(c);
  }
  if (centroids.length < 2) return options;
  const between: number[] = [];
  for (let a = 0; a < centroids.length; a++) for (let b = a + 1; b < centroids.length; b++) between.push(cosine(centroids[a], centroids[b]));
  const q = (v: number[], p: number) => [...v].sort((m, n) => m - n)[Math.floor(p * (v.length - 1))];
  return {
    ...options,
    memberSimilarity: q(toOwn, CALIBRATION.member),
    minCohesion: q(cohesions, CALIBRATION.cohesion),
    mergeSimilarity: q(between, CALIBRATION.merge),
  };
}

/**
 * Quantiles read off the known needs in a learnt space: `outside`, the share of a need's own
 * requests left outside its boundary; `member`, `cohesion` and `merge`, calibrateToKnown's.
 */
export const CALIBRATION = { outside: 0.05, member: 0.1, cohesion: 0.1, merge: 0.99 };
