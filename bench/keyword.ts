/**
 * Keyword (BM25) and hybrid search on a real text corpus, against Orama and MiniSearch
 * indexing the same documents in the same run.
 *
 * The corpus is the paragraphs of the documentation installed under /usr/share/doc
 * (bench/corpus.ts: the rules, deterministic for a given machine). Every document gets a
 * cheap dense vector (a signed hashed bag of words, dimension 8) so hybrid search has a
 * dense side; the vectors are computed before anything is timed, as embeddings would be.
 *
 * - vectlite: `upsertMany` in batches, each record `{ id, vector, metadata: { text },
 *   sparse: sparseTerms(text) }` (indexing time includes `sparseTerms`), sync "normal", no
 *   HNSW graph (the dense side is an exact scan of 8-dimensional vectors); keyword query
 *   `db.search(null, { sparse: sparseTerms(q), k: 10 })`, hybrid query
 *   `db.search(vec(q), { sparse: sparseTerms(q), k: 10 })` (linear fusion).
 * - Orama: `create({ schema: { text: "string" } })`, `insertMultiple`, `search({ term: q,
 *   limit: 10 })`, all defaults; for hybrid a second instance with an `embedding: "vector[8]"`
 *   property and `search({ mode: "hybrid", term, vector, limit: 10 })`.
 * - MiniSearch: `new MiniSearch({ fields: ["text"] })`, `addAll`, `search(q)`, first 10.
 * - ts-bm25: a plain TypeScript inverted index over vectlite's own terms with vectlite's
 *   formula (k1 1.2, b 0.75, idf ln(1 + (N − df + 0.5)/(df + 0.5))): the reference that
 *   vectlite's top 10 must equal id for id, and a no-FFI baseline for the query loop.
 * - MiniSearch "aligned" (agreement only, not timed): MiniSearch fed vectlite's terms, with
 *   k 1.2, b 0.75, d 0 and its document length made the sum of term frequencies; the formulas
 *   then agree except that MiniSearch multiplies a score by the number of query terms matched,
 *   so 1-word queries must give vectlite's top 10.
 *
 * Queries: seeded, 1 to 3 distinct words drawn from the 2,000 words (3+ ASCII letters, not
 * stop words, distinct stems) found in the most documents; the same strings for everyone.
 * Queries/s are single-threaded, one query at a time, after a warm-up pass over all queries,
 * in alternating rounds; figures are medians over rounds, ratios medians of per-round ratios.
 *
 *   bun bench/keyword.ts
 *   deno run -A bench/keyword.ts
 *
 * Options: `--docs 0` (0 = the whole corpus, else an evenly spaced subset of that many),
 * `--queries 500 --rounds 3 --seconds 1.5 --batch 5000 --sample 50`, `--charts DIR` (default
 * bench/charts/; `--no-charts` for none): where `keyword-qps-<runtime>.svg` goes, the bars of
 * the queries/s printed (bench/charts.ts).
 *
 * @module
 */
import { join } from "node:path";
import { create, insertMultiple, search as oramaSearch } from "@orama/orama";
import MiniSearch from "minisearch";
import * as vectlite from "../mod.ts";
import { chartsDir, keywordChart } from "./charts.ts";
import { buildCorpus } from "./corpus.ts";
import { fmt, machine, median, removeDir, runtimeName, tempDir } from "./common.ts";

const argv = process.argv.slice(2);
function arg(name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}

const DOCS = arg("docs", 0);
const QUERIES = arg("queries", 500);
const ROUNDS = arg("rounds", 3);
const SECONDS = arg("seconds", 1.5);
const BATCH = arg("batch", 5_000);
const SAMPLE = arg("sample", 50);
const DIM = 8;
const K = 10;
const VOCAB = 2_000;

const ms = (t: number) => performance.now() - t;

/** xorshift32, as in bench/common.ts. */
function rng(seed: number): () => number {
  let s = (seed >>> 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4_294_967_296;
  };
}

/** FNV-1a, 32 bits. */
function fnv(word: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) {
    h ^= word.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A signed hashed bag of the lower-cased words: the stand-in embedding of text. */
function vec(text: string): Float32Array {
  const v = new Float32Array(DIM);
  for (const w of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const h = fnv(w);
    v[h % DIM] += h & 0x100 ? 1 : -1;
  }
  if (v.every((x) => x === 0)) v[0] = 1; // never a zero vector (Orama's cosine would be NaN)
  return v;
}

const idOf = (i: number) => `d${String(i).padStart(6, "0")}`;

/** Every term repeated by its frequency: a term map as a token stream (for MiniSearch). */
function expand(terms: vectlite.SparseVector): string[] {
  const out: string[] = [];
  for (const [t, n] of Object.entries(terms)) for (let i = 0; i < n; i++) out.push(t);
  return out;
}

/**
 * BM25 exactly as lib-rs/src/sparse computes it: per-term contributions summed in f64 in
 * query order, the total rounded to f32, ties broken by id. Over the same terms vectlite
 * indexed, so its top 10 must be this one.
 */
class ReferenceBm25 {
  readonly postings = new Map<string, { docs: number[]; tfs: number[] }>();
  readonly lengths: Float64Array;
  readonly n: number;
  readonly avg: number;
  readonly #acc: Float64Array;

  constructor(terms: vectlite.SparseVector[], readonly ids: string[]) {
    this.lengths = new Float64Array(terms.length);
    let n = 0;
    let total = 0;
    terms.forEach((t, d) => {
      let len = 0;
      for (const [term, tf] of Object.entries(t)) {
        let p = this.postings.get(term);
        if (!p) this.postings.set(term, p = { docs: [], tfs: [] });
        p.docs.push(d);
        p.tfs.push(tf);
        len += tf;
      }
      this.lengths[d] = len;
      if (Object.keys(t).length > 0) {
        n++;
        total += len;
      }
    });
    this.n = n;
    this.avg = n ? total / n : 0;
    this.#acc = new Float64Array(terms.length);
  }

  search(query: vectlite.SparseVector, k: number): string[] {
    const acc = this.#acc;
    const touched: number[] = [];
    for (const [term, qw] of Object.entries(query)) {
      const p = this.postings.get(term);
      if (!p) continue;
      const df = p.docs.length;
      const idf = Math.log(1 + (this.n - df + 0.5) / (df + 0.5));
      for (let j = 0; j < df; j++) {
        const d = p.docs[j];
        const tf = p.tfs[j];
        const norm = this.avg > 0 ? this.lengths[d] / this.avg : 1;
        if (acc[d] === 0) touched.push(d);
        acc[d] += qw * (idf * tf * 2.2 / (tf + 1.2 * (1 - 0.75 + 0.75 * norm)));
      }
    }
    // A bounded top-k by (f32 score desc, id asc); ids sort like doc indexes (zero-padded).
    const topS: number[] = [];
    const topD: number[] = [];
    for (const d of touched) {
      const s = Math.fround(acc[d]);
      acc[d] = 0;
      if (topS.length === k && (s < topS[k - 1] || (s === topS[k - 1] && d > topD[k - 1]))) continue;
      let p = topS.length < k ? topS.length : k - 1;
      while (p > 0 && (topS[p - 1] < s || (topS[p - 1] === s && topD[p - 1] > d))) {
        topS[p] = topS[p - 1];
        topD[p] = topD[p - 1];
        p--;
      }
      topS[p] = s;
      topD[p] = d;
    }
    return topD.map((d) => this.ids[d]);
  }
}

// ---------------------------------------------------------------------------------------

console.log(`vectlite keyword and hybrid search, ${runtimeName()}: against Orama and MiniSearch`);
console.log(`machine: ${machine()}`);

let t = performance.now();
const corpus = buildCorpus();
let docs = corpus.docs;
if (DOCS > 0 && DOCS < docs.length) {
  const step = docs.length / DOCS;
  docs = Array.from({ length: DOCS }, (_, i) => corpus.docs[Math.floor(i * step)]);
}
const N = docs.length;
const textBytes = docs.reduce((s, d) => s + new TextEncoder().encode(d).length, 0);
const ids = docs.map((_, i) => idOf(i));
console.log(
  `corpus: ${N} paragraphs, ${(textBytes / 1e6).toFixed(1)} MB of text (${corpus.docs.length} in ${corpus.files} ` +
    `files under ${corpus.root}), built in ${fmt(ms(t) / 1000)} s`,
);

// Queries: seeded, 1 to 3 words with distinct stems, from the most widespread words.
t = performance.now();
const df = new Map<string, number>();
for (const d of docs) {
  for (const w of new Set(d.toLowerCase().match(/[a-z]+/g) ?? [])) {
    if (w.length >= 3) df.set(w, (df.get(w) ?? 0) + 1);
  }
}
const vocab: string[] = [];
for (const [w] of [...df].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) {
  if (vocab.length === VOCAB) break;
  if (Object.keys(vectlite.sparseTerms(w)).length === 1) vocab.push(w); // not a stop word
}
const random = rng(4);
const queries: string[] = [];
while (queries.length < QUERIES) {
  const words = new Set<string>();
  const want = 1 + Math.floor(random() * 3);
  while (words.size < want) words.add(vocab[Math.floor(random() * vocab.length)]);
  const q = [...words].join(" ");
  const terms = vectlite.sparseTerms(q);
  if (Object.keys(terms).length === want && Object.values(terms).every((x) => x === 1)) queries.push(q);
}
const queryTerms = queries.map((q) => vectlite.sparseTerms(q));
const queryVecs = queries.map(vec);
const queryArrays = queryVecs.map((v) => Array.from(v));
const wordsOf = (i: number) => Object.keys(queryTerms[i]).length;
console.log(
  `queries: ${QUERIES}, ${
    [1, 2, 3].map((w) => `${queries.filter((_, i) => wordsOf(i) === w).length} of ${w} word(s)`).join(", ")
  }` +
    ` from the ${VOCAB} most widespread non-stop words ("${vocab.slice(0, 5).join('", "')}", ...); ` +
    `e.g. ${queries.slice(0, 4).map((q) => JSON.stringify(q)).join(", ")}`,
);

// The stand-in embeddings, before anything is timed.
const vectors = docs.map(vec);
const vectorArrays = vectors.map((v) => Array.from(v));

// ---- indexing -----------------------------------------------------------------------------

const index: Record<string, number> = {};

// vectlite: sparseTerms + upsertMany, batch by batch.
const dir = tempDir("vectlite-keyword-");
const db = await vectlite.open(join(dir, "keyword.vdb"), { dimension: DIM, sync: "normal", annThreshold: 2 ** 32 - 1 });
const docTerms: vectlite.SparseVector[] = new Array(N);
t = performance.now();
let termsMs = 0;
for (let start = 0; start < N; start += BATCH) {
  const batch: vectlite.RecordInput[] = [];
  for (let i = start; i < Math.min(N, start + BATCH); i++) {
    const t0 = performance.now();
    docTerms[i] = vectlite.sparseTerms(docs[i]);
    termsMs += ms(t0);
    batch.push({ id: ids[i], vector: vectors[i], metadata: { text: docs[i] }, sparse: docTerms[i] });
  }
  await db.upsertMany(batch);
}
index.vectlite = ms(t);
const noTerms = docTerms.filter((x) => Object.keys(x).length === 0).length;
console.log(
  `index vectlite: ${fmt(index.vectlite)} ms (sparseTerms ${fmt(termsMs)} ms of it; ${
    fmt(N / index.vectlite * 1000)
  } docs/s; ` +
    `upsertMany x${BATCH}, sync normal, no HNSW graph${noTerms ? `; ${noTerms} docs without terms` : ""})`,
);

// Orama, text only (the keyword comparison), then with a vector property (hybrid).
t = performance.now();
const orama = create({ schema: { text: "string" } as const });
await insertMultiple(orama, docs.map((text, i) => ({ id: ids[i], text })));
index.orama = ms(t);
console.log(
  `index Orama (text): ${fmt(index.orama)} ms (${fmt(N / index.orama * 1000)} docs/s; insertMultiple, defaults)`,
);

t = performance.now();
const oramaHybrid = create({ schema: { text: "string", embedding: `vector[${DIM}]` } as const });
await insertMultiple(oramaHybrid, docs.map((text, i) => ({ id: ids[i], text, embedding: vectorArrays[i] })));
index.oramaHybrid = ms(t);
console.log(`index Orama (text + vector[${DIM}]): ${fmt(index.oramaHybrid)} ms`);

t = performance.now();
const mini = new MiniSearch({ fields: ["text"] });
mini.addAll(docs.map((text, i) => ({ id: ids[i], text })));
index.minisearch = ms(t);
console.log(
  `index MiniSearch: ${fmt(index.minisearch)} ms (${fmt(N / index.minisearch * 1000)} docs/s; addAll, defaults)`,
);

// Not timed: the agreement checks' engines, over vectlite's own terms.
const reference = new ReferenceBm25(docTerms, ids);
// MiniSearch takes a document's length to be its number of distinct terms; padding each
// token stream with distinct never-queried tokens makes that the sum of frequencies, as in
// vectlite. Queries are tokenized without padding.
const tokensOf = new Map<string, string[]>(docs.map((d, i) => {
  const tokens = expand(docTerms[i]);
  const pads = tokens.length - Object.keys(docTerms[i]).length;
  for (let j = 0; j < pads; j++) tokens.push(`\u0001${j}`);
  return [d, tokens];
}));
const aligned = new MiniSearch({
  fields: ["text"],
  tokenize: (text: string) => tokensOf.get(text)!,
  processTerm: (term: string) => term,
  searchOptions: { tokenize: (q: string) => Object.keys(vectlite.sparseTerms(q)), bm25: { k: 1.2, b: 0.75, d: 0 } },
});
aligned.addAll(docs.map((text, i) => ({ id: ids[i], text })));

// ---- the query functions --------------------------------------------------------------

type Engine = (i: number) => Promise<string[]> | string[];
const engines: Record<string, Engine> = {
  "vectlite": async (i) => (await db.search(null, { sparse: vectlite.sparseTerms(queries[i]), k: K })).map((r) => r.id),
  "Orama": async (i) => (await oramaSearch(orama, { term: queries[i], limit: K })).hits.map((h) => h.id),
  "MiniSearch": (i) => mini.search(queries[i]).slice(0, K).map((r) => String(r.id)),
  "ts-bm25": (i) => reference.search(vectlite.sparseTerms(queries[i]), K),
  "vectlite hybrid": async (i) =>
    (await db.search(queryVecs[i], { sparse: vectlite.sparseTerms(queries[i]), k: K })).map((r) => r.id),
  "Orama hybrid": async (i) =>
    (await oramaSearch(oramaHybrid, {
      mode: "hybrid",
      term: queries[i],
      vector: { value: queryArrays[i], property: "embedding" },
      limit: K,
    })).hits.map((h) => h.id),
};

// ---- agreement (also the warm-up: every engine runs every query once) --------------------

const tops: Record<string, string[][]> = {};
for (const [name, run] of Object.entries(engines)) {
  tops[name] = [];
  for (let i = 0; i < QUERIES; i++) tops[name].push(await run(i));
}
const alignedTops = queries.map((q) => aligned.search(q).slice(0, K).map((r) => String(r.id)));

/** |a ∩ b| / max(|a|, |b|) averaged over the queries `which` selects (1 when both are empty). */
function overlap(a: string[][], b: string[][], which: (i: number) => boolean = () => true): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (!which(i)) continue;
    const set = new Set(a[i]);
    const common = b[i].filter((x) => set.has(x)).length;
    const size = Math.max(a[i].length, b[i].length);
    sum += size ? common / size : 1;
    count++;
  }
  return count ? sum / count : NaN;
}
const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, j) => x === b[j]);
const sample = Array.from(
  { length: Math.min(SAMPLE, QUERIES) },
  (_, j) => Math.floor(j * QUERIES / Math.min(SAMPLE, QUERIES)),
);
const identical = sample.filter((i) => same(tops["vectlite"][i], tops["ts-bm25"][i])).length;
const identicalAll = queries.filter((_, i) => same(tops["vectlite"][i], tops["ts-bm25"][i])).length;
const single = (i: number) => wordsOf(i) === 1;
const multi = (i: number) => wordsOf(i) > 1;
const agreement = {
  referenceIdenticalTop10: identical / sample.length,
  referenceSample: sample.length,
  referenceIdenticalAllQueries: identicalAll / QUERIES,
  overlapOrama: overlap(tops["vectlite"], tops["Orama"]),
  overlapMiniSearch: overlap(tops["vectlite"], tops["MiniSearch"]),
  overlapMiniSearchAligned1Word: overlap(tops["vectlite"], alignedTops, single),
  identicalMiniSearchAligned1Word:
    queries.filter((_, i) => single(i) && same(tops["vectlite"][i], alignedTops[i])).length /
    queries.filter((_, i) => single(i)).length,
  overlapMiniSearchAlignedMultiWord: overlap(tops["vectlite"], alignedTops, multi),
  overlapHybridOrama: overlap(tops["vectlite hybrid"], tops["Orama hybrid"]),
  overlapHybridKeyword: overlap(tops["vectlite hybrid"], tops["vectlite"]),
  emptyResults: Object.fromEntries(Object.entries(tops).map(([n, l]) => [n, l.filter((x) => x.length === 0).length])),
};
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log(
  `agreement: vectlite = ts-bm25 top-10 id for id on ${identical}/${sample.length} sampled queries ` +
    `(${identicalAll}/${QUERIES} over all); overlap@10 with Orama ${pct(agreement.overlapOrama)}, with MiniSearch ` +
    `${pct(agreement.overlapMiniSearch)}; with MiniSearch fed vectlite's terms (k1 1.2, b 0.75, d 0): 1-word queries ` +
    `${pct(agreement.overlapMiniSearchAligned1Word)} overlap, ${
      pct(agreement.identicalMiniSearchAligned1Word)
    } identical ` +
    `lists, multi-word ${pct(agreement.overlapMiniSearchAlignedMultiWord)} overlap`,
);
if (identicalAll < QUERIES) {
  const i = queries.findIndex((_, i) => !same(tops["vectlite"][i], tops["ts-bm25"][i]));
  console.log(
    `WARNING: first differing query ${JSON.stringify(queries[i])}:\n  vectlite ${tops["vectlite"][i]}\n  ts-bm25  ${
      tops["ts-bm25"][i]
    }`,
  );
}

// Where vectlite's time goes: native timings per query (the second of two passes).
async function breakdownOf(hybrid: boolean) {
  const sum = { wall: 0, total: 0, dense: 0, sparse: 0, fusion: 0 };
  for (let pass = 0; pass < 2; pass++) {
    sum.total =
      sum.dense =
      sum.sparse =
      sum.fusion =
        0;
    const t0 = performance.now();
    for (let i = 0; i < QUERIES; i++) {
      const { stats } = await db.searchWithStats(hybrid ? queryVecs[i] : null, { sparse: queryTerms[i], k: K });
      sum.total += stats.timings.totalUs;
      sum.dense += stats.timings.denseUs;
      sum.sparse += stats.timings.sparseUs;
      sum.fusion += stats.timings.fusionUs;
    }
    sum.wall = ms(t0) * 1000;
  }
  return {
    wallUs: sum.wall / QUERIES,
    nativeUs: sum.total / QUERIES,
    denseUs: sum.dense / QUERIES,
    sparseUs: sum.sparse / QUERIES,
    fusionUs: sum.fusion / QUERIES,
  };
}
const breakdown = { keyword: await breakdownOf(false), hybrid: await breakdownOf(true), sparseTermsUs: 0 };
t = performance.now();
for (let i = 0; i < QUERIES; i++) vectlite.sparseTerms(queries[i]);
breakdown.sparseTermsUs = ms(t) * 1000 / QUERIES;
console.log(
  `vectlite per query (searchWithStats, mean): keyword ${fmt(breakdown.keyword.wallUs)} us wall, ` +
    `${fmt(breakdown.keyword.nativeUs)} us in Rust (BM25 ${fmt(breakdown.keyword.sparseUs)} us); hybrid ` +
    `${fmt(breakdown.hybrid.wallUs)} us wall, ${fmt(breakdown.hybrid.nativeUs)} us in Rust (dense scan ` +
    `${fmt(breakdown.hybrid.denseUs)} us, BM25 ${fmt(breakdown.hybrid.sparseUs)} us, fusion ${
      fmt(breakdown.hybrid.fusionUs)
    } us); ` +
    `sparseTerms(q) ${fmt(breakdown.sparseTermsUs)} us`,
);

// ---- throughput -------------------------------------------------------------------------

/** Runs queries 0, 1, 2, ... (cycling) for `seconds`, at least one full pass; queries/s. */
async function timed(run: Engine): Promise<number> {
  const start = performance.now();
  let done = 0;
  while (done < QUERIES || performance.now() - start < SECONDS * 1000) {
    await run(done % QUERIES);
    done++;
  }
  return done / (ms(start) / 1000);
}

const rounds: Record<string, number>[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const round: Record<string, number> = {};
  for (const [name, run] of Object.entries(engines)) round[name] = await timed(run);
  rounds.push(round);
  console.log(`round ${r + 1}: ${Object.entries(round).map(([n, q]) => `${n} ${fmt(q)}`).join(", ")} queries/s`);
}
const qps = Object.fromEntries(Object.keys(engines).map((n) => [n, median(rounds.map((r) => r[n]))]));
const ratio = (a: string, b: string) => median(rounds.map((r) => r[a] / r[b]));
const ratios = {
  keywordVsOrama: ratio("vectlite", "Orama"),
  keywordVsMiniSearch: ratio("vectlite", "MiniSearch"),
  keywordVsTsBm25: ratio("vectlite", "ts-bm25"),
  hybridVsOramaHybrid: ratio("vectlite hybrid", "Orama hybrid"),
  hybridVsOramaKeyword: ratio("vectlite hybrid", "Orama"),
  indexOramaOverVectlite: index.orama / index.vectlite,
  indexMiniSearchOverVectlite: index.minisearch / index.vectlite,
};
console.log(
  `queries/s (median of ${ROUNDS}): ${Object.entries(qps).map(([n, q]) => `${n} ${fmt(q)}`).join(", ")}\n` +
    `keyword: vectlite/Orama ${fmt(ratios.keywordVsOrama)}x (goal >= 3), vectlite/MiniSearch ${
      fmt(ratios.keywordVsMiniSearch)
    }x, ` +
    `vectlite/ts-bm25 ${fmt(ratios.keywordVsTsBm25)}x; hybrid: vectlite/Orama hybrid ${
      fmt(ratios.hybridVsOramaHybrid)
    }x\n` +
    `indexing: vectlite ${fmt(index.vectlite)} ms, Orama ${fmt(index.orama)} ms (${
      fmt(ratios.indexOramaOverVectlite)
    }x vectlite's), ` +
    `MiniSearch ${fmt(index.minisearch)} ms (${fmt(ratios.indexMiniSearchOverVectlite)}x vectlite's)`,
);

await db.close();
removeDir(dir);
const charts = chartsDir(argv);
if (charts) keywordChart(charts, runtimeName(), { qps, docs: N, mb: textBytes / 1e6, queries: QUERIES, rounds: ROUNDS });
console.log(
  `RESULT ${
    JSON.stringify({
      runtime: runtimeName(),
      machine: machine(),
      corpus: { docs: N, mb: textBytes / 1e6, files: corpus.files, root: corpus.root },
      queries: QUERIES,
      indexMs: index,
      qps,
      ratios,
      agreement,
      vectliteUsPerQuery: breakdown,
    })
  }`,
);
