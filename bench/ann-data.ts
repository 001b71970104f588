/**
 * The data set of `bench/ann.ts`: a seeded Gaussian mixture, the recipe of
 * lib-rs/examples/hnsw_recall.rs (100 clusters; each point its centre plus a component in a
 * random rank-64 subspace of that cluster plus isotropic noise 0.2; L2-normalised), with the
 * same xorshift64* generator, seeds and f32 rounding, so the vectors match that example's to
 * the last bit or so (only the final normalisation sums in another order).
 *
 * Written once to a directory as little-endian binaries that every process (Bun, Deno, Node)
 * reads: `base.f32` (n x dim), `query.f32` (queries x dim), and the exact top-k ids by brute
 * force, `truth.u32` (all records), `truth10.u32` (records with `i % 100 < 10`, the 10%
 * filter) and `truth1.u32` (`i % 100 < 1`, the 1% filter), k ids per query, best first; plus
 * `meta.json`.
 *
 * @module
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { textVectors } from "./text-vectors.ts";

/** What was generated; stored as meta.json. */
export interface AnnMeta {
  n: number;
  dim: number;
  queries: number;
  k: number;
  clusters: number;
  rank: number;
  noise: number;
  /** Seconds to generate the vectors and to compute the exact top-k. */
  generateSeconds: number;
  truthSeconds: number;
  /** "text" for the real-text set of bench/text-vectors.ts; absent for the mixture. */
  source?: string;
}

/** Records with `i % 100 < bucket` match a filter of that selectivity (in percent). */
export const SELECTIVITIES = [10, 1] as const;

/** The graph and search parameters every library of the ANN benchmark runs with. */
export const K = 10;
export const M = 16;
export const EF_CONSTRUCTION = 200;

/** The efSearch points of `--ef` and `--filter-ef` (comma lists) in `argv`, or the defaults. */
export function efLists(argv: string[]): { efs: number[]; filterEfs: number[] } {
  const list = (name: string, fallback: number[]) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1].split(",").map(Number) : fallback;
  };
  return { efs: list("ef", [16, 24, 32, 48, 64, 96, 128]), filterEfs: list("filter-ef", [32, 64, 128]) };
}

/** xorshift64* (as in hnsw_recall.rs) on two uint32 halves, with Box-Muller normals. */
class Rng {
  hi: number;
  lo: number;
  constructor(seed: bigint) {
    const s = BigInt.asUintN(64, seed);
    this.hi = Number(s >> 32n);
    this.lo = Number(s & 0xffff_ffffn);
  }
  /** A uniform in (0, 1]: the top 53 bits of the scrambled state, plus one, over 2^53. */
  uniform(): number {
    let hi = this.hi, lo = this.lo;
    lo = (lo ^ ((lo >>> 12) | (hi << 20))) >>> 0; // x ^= x >> 12
    hi = (hi ^ (hi >>> 12)) >>> 0;
    hi = (hi ^ ((hi << 25) | (lo >>> 7))) >>> 0; // x ^= x << 25
    lo = (lo ^ (lo << 25)) >>> 0;
    lo = (lo ^ ((lo >>> 27) | (hi << 5))) >>> 0; // x ^= x >> 27
    hi = (hi ^ (hi >>> 27)) >>> 0;
    this.hi = hi;
    this.lo = lo;
    // The low 64 bits of x * 0x2545F4914F6CDD1D.
    const MH = 0x2545f491, ML = 0x4f6cdd1d;
    const a0 = lo & 0xffff, a1 = lo >>> 16, b0 = ML & 0xffff, b1 = ML >>> 16;
    const a0b0 = a0 * b0, a1b0 = a1 * b0, a0b1 = a0 * b1;
    const mid = (a0b0 >>> 16) + (a1b0 & 0xffff) + (a0b1 & 0xffff);
    const carry = a1 * b1 + (a1b0 >>> 16) + (a0b1 >>> 16) + (mid >>> 16);
    const pHi = (carry + Math.imul(lo, MH) + Math.imul(hi, ML)) >>> 0;
    const pLo = Math.imul(lo, ML) >>> 0;
    return (pHi * 2_097_152 + (pLo >>> 11) + 1) / 9_007_199_254_740_992;
  }
  normal(): number {
    const u = this.uniform(), v = this.uniform();
    return Math.fround(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
}

interface Mixture {
  centres: Float32Array;
  bases: Float32Array;
}

function mixture(dim: number, clusters: number, rank: number): Mixture {
  const r = new Rng(0x5eed_cafen);
  const centres = new Float32Array(clusters * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = r.normal();
  const scale = Math.fround(1 / Math.fround(Math.sqrt(rank)));
  const bases = new Float32Array(clusters * rank * dim);
  for (let i = 0; i < bases.length; i++) bases[i] = Math.fround(r.normal() * scale);
  return { centres, bases };
}

function sample(meta: AnnMeta, mix: Mixture, count: number, seed: bigint): Float32Array {
  const { dim, clusters, rank } = meta;
  const noise = Math.fround(meta.noise);
  const r = new Rng((seed * 0x9e37_79b9_7f4a_7c15n) | 1n);
  const out = new Float32Array(count * dim);
  const coef = new Float32Array(rank);
  for (let i = 0; i < count; i++) {
    const row = out.subarray(i * dim, (i + 1) * dim);
    const c = Math.floor(r.uniform() * clusters) % clusters;
    row.set(mix.centres.subarray(c * dim, (c + 1) * dim));
    for (let j = 0; j < rank; j++) coef[j] = r.normal();
    for (let j = 0; j < rank; j++) {
      const w = coef[j];
      const b = (c * rank + j) * dim;
      // f32 multiply, then f32 add (a double sum of two floats rounds to the f32 sum).
      for (let x = 0; x < dim; x++) row[x] += Math.fround(w * mix.bases[b + x]);
    }
    for (let x = 0; x < dim; x++) row[x] += Math.fround(noise * r.normal());
    let ss = 0;
    for (let x = 0; x < dim; x++) ss += row[x] * row[x];
    const norm = Math.fround(Math.sqrt(Math.fround(ss)));
    const inv = norm > 0 ? Math.fround(1 / norm) : 0;
    for (let x = 0; x < dim; x++) row[x] *= inv;
  }
  return out;
}

/** Keeps the k best (score, id) pairs seen, best first. */
class TopK {
  scores: Float64Array;
  ids: Int32Array;
  threshold = -Infinity;
  constructor(public k: number) {
    this.scores = new Float64Array(k).fill(-Infinity);
    this.ids = new Int32Array(k).fill(-1);
  }
  push(s: number, id: number): void {
    if (s <= this.threshold) return;
    let p = this.k - 1;
    while (p > 0 && this.scores[p - 1] < s) {
      this.scores[p] = this.scores[p - 1];
      this.ids[p] = this.ids[p - 1];
      p--;
    }
    this.scores[p] = s;
    this.ids[p] = id;
    this.threshold = this.scores[this.k - 1];
  }
}

/**
 * Exact top-k by dot product (= cosine: every vector has unit length) over all records, and
 * over the records of each filter, in one pass per query; a plain loop, four rows at a time.
 */
function groundTruth(base: Float32Array, queries: Float32Array, meta: AnnMeta): Uint32Array[] {
  const { n, dim, k } = meta;
  const qn = queries.length / dim;
  const outs = [new Uint32Array(qn * k), ...SELECTIVITIES.map(() => new Uint32Array(qn * k))];
  for (let q = 0; q < qn; q++) {
    const qo = q * dim;
    const all = new TopK(k);
    const filtered = SELECTIVITIES.map(() => new TopK(k));
    for (let i = 0; i < n; i++) {
      const bo = i * dim;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let x = 0; x < dim; x += 4) {
        s0 += queries[qo + x] * base[bo + x];
        s1 += queries[qo + x + 1] * base[bo + x + 1];
        s2 += queries[qo + x + 2] * base[bo + x + 2];
        s3 += queries[qo + x + 3] * base[bo + x + 3];
      }
      const s = s0 + s1 + s2 + s3;
      all.push(s, i);
      const bucket = i % 100;
      for (let f = 0; f < SELECTIVITIES.length; f++) if (bucket < SELECTIVITIES[f]) filtered[f].push(s, i);
    }
    outs[0].set(all.ids, q * k);
    filtered.forEach((t, f) => outs[f + 1].set(t.ids, q * k));
  }
  return outs;
}

const bytes = (a: Float32Array | Uint32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The bytes of a file, 4-byte aligned: copied only if the runtime's buffer is not (so RSS holds one copy). */
function readAligned(path: string): { buffer: ArrayBuffer; offset: number; length: number } {
  const b = readFileSync(path);
  if (b.byteOffset % 4 === 0) return { buffer: b.buffer as ArrayBuffer, offset: b.byteOffset, length: b.byteLength };
  return { buffer: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, offset: 0, length: b.byteLength };
}
/** Reads a little-endian f32 file. */
export function readF32(path: string): Float32Array {
  const { buffer, offset, length } = readAligned(path);
  return new Float32Array(buffer, offset, length / 4);
}
/** Reads a little-endian u32 file. */
export function readU32(path: string): Uint32Array {
  const { buffer, offset, length } = readAligned(path);
  return new Uint32Array(buffer, offset, length / 4);
}

export function readMeta(dir: string): AnnMeta {
  return JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as AnnMeta;
}

/**
 * Generates the data set into `dir` unless it already holds one with the same parameters
 * (`--data DIR` reuses a kept directory); returns its meta.
 */
export function ensureData(
  dir: string,
  want: Omit<AnnMeta, "generateSeconds" | "truthSeconds">,
  log: (s: string) => void,
): AnnMeta {
  if (existsSync(join(dir, "meta.json"))) {
    const have = readMeta(dir);
    const same = (Object.keys(want) as (keyof typeof want)[]).every((key) => have[key] === want[key]);
    if (same) {
      log(`data: reusing ${dir}`);
      return have;
    }
  }
  const meta: AnnMeta = { ...want, generateSeconds: 0, truthSeconds: 0 };
  const t = performance.now();
  const mix = mixture(meta.dim, meta.clusters, meta.rank);
  const base = sample(meta, mix, meta.n, 1n);
  const queries = sample(meta, mix, meta.queries, 2n);
  meta.generateSeconds = (performance.now() - t) / 1000;
  log(`data: ${meta.n} x ${meta.dim} + ${meta.queries} queries generated in ${meta.generateSeconds.toFixed(1)} s`);
  return writeData(dir, meta, base, queries, log);
}

/**
 * The real-text set (bench/text-vectors.ts) in `dir`, made unless it is already there; its
 * size is the corpus's.
 */
export function ensureTextData(dir: string, log: (s: string) => void): AnnMeta {
  if (existsSync(join(dir, "meta.json")) && readMeta(dir).source === "text") {
    log(`data: reusing the text set in ${dir}`);
    return readMeta(dir);
  }
  const t = performance.now();
  const { base, queries, paragraphs, root } = textVectors(384);
  const meta: AnnMeta = {
    n: base.length / 384,
    dim: 384,
    queries: queries.length / 384,
    k: K,
    clusters: 0,
    rank: 0,
    noise: 0,
    generateSeconds: (performance.now() - t) / 1000,
    truthSeconds: 0,
    source: "text",
  };
  log(`data: ${paragraphs} paragraphs of ${root} embedded (TF-IDF, random projection) in ${meta.generateSeconds.toFixed(1)} s`);
  return writeData(dir, meta, base, queries, log);
}

/** Computes the exact answers and writes the set with `meta` into `dir`. */
function writeData(dir: string, meta: AnnMeta, base: Float32Array, queries: Float32Array, log: (s: string) => void): AnnMeta {
  const t = performance.now();
  const [truth, ...filtered] = groundTruth(base, queries, meta);
  meta.truthSeconds = (performance.now() - t) / 1000;
  log(`data: exact top-${meta.k} (all, 10%, 1%) by brute force in ${meta.truthSeconds.toFixed(1)} s`);
  writeFileSync(join(dir, "base.f32"), bytes(base));
  writeFileSync(join(dir, "query.f32"), bytes(queries));
  writeFileSync(join(dir, "truth.u32"), bytes(truth));
  SELECTIVITIES.forEach((p, f) => writeFileSync(join(dir, `truth${p}.u32`), bytes(filtered[f])));
  writeFileSync(join(dir, "meta.json"), JSON.stringify(meta, null, 2));
  return meta;
}
