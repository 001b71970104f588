/**
 * A real-text data set for the ANN benchmark: the paragraphs of bench/corpus.ts (the
 * documentation installed on the machine, about 44,000 paragraphs) as 384-dimensional unit
 * vectors. No neural embedding model can be had offline here, so each paragraph is embedded
 * as its TF-IDF vector (words of two or more letters or digits, lower-cased; tf damped as
 * 1 + ln tf; idf ln(N / df)) projected onto 384 random directions: each word gets a fixed
 * direction of +1 / -1 entries drawn from a hash of the word (a Johnson-Lindenstrauss
 * projection: the cosine between two paragraphs' TF-IDF vectors is kept to about +-0.05 at this
 * dimension),
 * then L2-normalised. The result has the shape of text data rather than of a mixture of
 * Gaussians: a long tail of rare words, uneven density, near-duplicates.
 *
 * Every 44th paragraph is a query and is left out of the base set (1,000 queries for the
 * corpus of this machine); the rest, in corpus order, are the records.
 *
 * @module
 */
import { buildCorpus } from "./corpus.ts";

/** One query for every this many paragraphs. */
const QUERY_EVERY = 44;

/** FNV-1a of a word: the seed of its direction. */
function hashWord(word: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) {
    h ^= word.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h || 1;
}

/** Adds `weight` times the word's +1/-1 direction to `out` (xorshift32 bits from its hash). */
function addDirection(out: Float64Array, word: string, weight: number): void {
  let x = hashWord(word);
  for (let d = 0; d < out.length; d += 32) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const end = Math.min(32, out.length - d);
    for (let b = 0; b < end; b++) out[d + b] += (x >>> b) & 1 ? weight : -weight;
  }
}

function words(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length >= 2);
}

/** The corpus embedded: base vectors and query vectors (row-major, unit length) and the source. */
export function textVectors(dim: number): { base: Float32Array; queries: Float32Array; paragraphs: number; root: string } {
  const corpus = buildCorpus();
  const docs = corpus.docs.map(words);
  const df = new Map<string, number>();
  for (const doc of docs) for (const w of new Set(doc)) df.set(w, (df.get(w) ?? 0) + 1);
  const n = docs.length;
  const isQuery = (i: number) => i % QUERY_EVERY === QUERY_EVERY - 1;
  const queryCount = docs.filter((_, i) => isQuery(i)).length;
  const base = new Float32Array((n - queryCount) * dim);
  const queries = new Float32Array(queryCount * dim);
  const acc = new Float64Array(dim);
  let b = 0, q = 0;
  docs.forEach((doc, i) => {
    acc.fill(0);
    const tf = new Map<string, number>();
    for (const w of doc) tf.set(w, (tf.get(w) ?? 0) + 1);
    for (const [w, count] of tf) addDirection(acc, w, (1 + Math.log(count)) * Math.log(n / df.get(w)!));
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += acc[d] * acc[d];
    // A paragraph whose every word is in every paragraph has no weight: a fixed unit vector.
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    const [out, at] = isQuery(i) ? [queries, q++ * dim] : [base, b++ * dim];
    for (let d = 0; d < dim; d++) out[at + d] = scale ? acc[d] * scale : d === 0 ? 1 : 0;
  });
  return { base, queries, paragraphs: n, root: corpus.root };
}
