/**
 * The vectlite side of bench/ann.ts: builds and serves vectlite, in this runtime (Bun or
 * Deno), on the data set that ann.ts wrote, and prints one JSON line (BuildResult,
 * ServeResult of ann.ts), as bench/ann-peers.mjs does for the peers. ann.ts runs it, but by
 * hand (`bench/ann.ts --child ...` forwards here):
 *
 *   bun bench/ann-vectlite.ts --child build --db DIR/vectlite.vdb --data DIR
 *   deno run -A bench/ann-vectlite.ts --child build --db DIR/v.vdb --quantization int8 --data DIR
 *   bun bench/ann-vectlite.ts --child serve --db DIR/vectlite-int8.vdb --quantization int8 --data DIR
 *
 * - build: `open` with `{ dimension, quantization, hnsw: { m: 16, efConstruction: 200 } }`,
 *   `upsertMany` in batches of `--batch` (10,000) with metadata `{ bucket: i % 100 }` (the
 *   graph grows as the batches land, on every core), then `compact()` (which persists the
 *   graph) and the file size.
 * - serve: opens the file read-only (open time; the graph must be loaded, `indexBuilds === 0`;
 *   the quantization is the file's and must equal `--quantization`), runs the queries one at
 *   a time at every efSearch of `--ef` (`--passes` timed passes each; recall@10 from the first,
 *   queries/s the best pass), then filtered queries at 10% and 1% selectivity
 *   (`filter: { bucket: { $lt: 10 } }`), and the same filters with `exact: true`. On a
 *   quantized file the search options are the defaults (`rescore` 4 for int8), and each point
 *   records the candidates rescored with float32 per query (`stats.rescored`).
 *
 * Options: `--quantization none|int8|binary --ef 16,24,32,48,64,96,128 --filter-ef 32,64,128
 * --passes 3 --batch 10000`.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import * as vectlite from "../mod.ts";
import { EF_CONSTRUCTION, efLists, K, M, readF32, readMeta, readU32, SELECTIVITIES } from "./ann-data.ts";
import type { BuildResult, CurvePoint, FilteredPoint, ServeResult } from "./ann.ts";
import { fileSize, fmt, row, runtimeName } from "./common.ts";

const argv = process.argv.slice(2);
function str(name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}
const { efs: EFS, filterEfs: FILTER_EFS } = efLists(argv);
const PASSES = Number(str("passes") ?? 3);
const BATCH = Number(str("batch") ?? 10_000);
const QUANTIZATION = (str("quantization") ?? "none") as vectlite.Quantization;

/** VmRSS, VmHWM (peak), and of the RSS the anonymous (heap) and file-backed (mapped) pages, in bytes. */
function memory(): { rss: number; hwm: number; anon: number; file: number } {
  const status = readFileSync("/proc/self/status", "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM"), anon: kb("RssAnon"), file: kb("RssFile") };
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;
const log = (s: string) => console.error(s);

/** The share of `truth`'s k ids per query found in `got`'s. */
function recallOf(got: number[][], truth: Uint32Array): number {
  let hits = 0;
  got.forEach((ids, q) => {
    const want = truth.subarray(q * K, (q + 1) * K);
    for (const id of ids) if (want.includes(id)) hits++;
  });
  return hits / (got.length * K);
}

/**
 * Runs every query once per pass, one at a time; recall from the first pass, queries/s of
 * the best pass and of the median one.
 */
async function timedPasses(
  queries: number,
  passes: number,
  truth: Uint32Array,
  one: (q: number) => Promise<number[]>,
): Promise<{ recall: number; qps: number; qpsMedian: number }> {
  const rates: number[] = [];
  let recall = NaN;
  for (let p = 0; p < passes; p++) {
    const got: number[][] = new Array(queries);
    const t0 = performance.now();
    for (let q = 0; q < queries; q++) got[q] = await one(q);
    rates.push(queries / seconds(t0));
    if (p === 0) recall = recallOf(got, truth);
  }
  rates.sort((a, b) => b - a);
  return { recall, qps: rates[0], qpsMedian: rates[rates.length >> 1] };
}

/** How many cores this process may run on (1 under `taskset -c 0`). */
function coresAllowed(): number {
  const status = readFileSync("/proc/self/status", "utf8");
  const list = /^Cpus_allowed_list:\s+(\S+)/m.exec(status)?.[1] ?? "";
  return list.split(",").reduce((n, part) => {
    const [a, b] = part.split("-").map(Number);
    return n + (b === undefined ? 1 : b - a + 1);
  }, 0);
}

async function childBuild(dir: string, dbPath: string): Promise<BuildResult> {
  const rssStart = memory().rss;
  const meta = readMeta(dir);
  const base = readF32(join(dir, "base.f32"));
  const db = await vectlite.open(dbPath, {
    dimension: meta.dim,
    quantization: QUANTIZATION,
    hnsw: { m: M, efConstruction: EF_CONSTRUCTION },
  });
  const t0 = performance.now();
  let maxBatch = 0;
  for (let start = 0; start < meta.n; start += BATCH) {
    const batch: vectlite.RecordInput[] = [];
    for (let i = start; i < Math.min(meta.n, start + BATCH); i++) {
      batch.push({ id: String(i), vector: row(base, meta.dim, i), metadata: { bucket: i % 100 } });
    }
    const tb = performance.now();
    await db.upsertMany(batch);
    maxBatch = Math.max(maxBatch, seconds(tb));
    log(`  ${start + batch.length} records, ${fmt(seconds(t0))} s`);
  }
  const buildSeconds = seconds(t0);
  const before = await db.stats();
  const afterIngest = memory();
  const t1 = performance.now();
  await db.compact();
  const saveSeconds = seconds(t1);
  const after = await db.stats();
  const afterCompact = memory();
  await db.close();
  const index = before.namespaces[""]?.index;
  if (!index || index.nodes !== meta.n) throw new Error(`after ingest the graph has ${index?.nodes} nodes, expected ${meta.n}`);
  return {
    lib: QUANTIZATION === "none" ? "vectlite" : `vectlite ${QUANTIZATION}`,
    runtime: runtimeName(),
    cores: cpus().length,
    threads: coresAllowed(),
    buildSeconds,
    saveSeconds,
    fileBytes: fileSize(dbPath) + fileSize(`${dbPath}-wal`),
    rssStartBytes: rssStart,
    peakRssBytes: memory().hwm,
    extra: {
      quantization: after.quantization,
      codes: after.namespaces[""]?.codes ?? null,
      maxBatchSeconds: maxBatch,
      indexBuilds: before.indexBuilds,
      graphBytes: after.namespaces[""]?.index?.bytes,
      rssAfterIngestBytes: afterIngest.rss,
      peakRssIngestBytes: afterIngest.hwm,
      rssAfterCompactBytes: afterCompact.rss,
    },
  };
}

/**
 * The plans the first 20 queries ran with ("a+b" when they differ), vectors scored and
 * candidates rescored with float32 per query.
 */
async function planOf(
  db: vectlite.Database,
  q: (i: number) => Float32Array,
  queries: number,
  opts: vectlite.SearchOptions,
): Promise<{ plan: string; visited: number; rescored: number }> {
  const plans = new Set<string>();
  let visited = 0, rescored = 0;
  const n = Math.min(20, queries);
  for (let i = 0; i < n; i++) {
    const { stats } = await db.searchWithStats(q(i), opts);
    plans.add(stats.plan);
    visited += stats.visited;
    rescored += stats.rescored;
  }
  return { plan: [...plans].join("+"), visited: visited / n, rescored: rescored / n };
}

async function childServe(dir: string, dbPath: string): Promise<ServeResult> {
  const rssStart = memory().rss;
  const meta = readMeta(dir);
  const queries = readF32(join(dir, "query.f32"));
  const truth = readU32(join(dir, "truth.u32"));
  const q = (i: number) => row(queries, meta.dim, i);
  const t0 = performance.now();
  const db = await vectlite.open(dbPath, { readOnly: true });
  const openSeconds = seconds(t0);
  const afterOpen = memory();
  const stats = await db.stats();
  if (stats.indexBuilds !== 0) log(`WARNING: ${stats.indexBuilds} graph(s) rebuilt at open`);
  if (stats.quantization !== QUANTIZATION) {
    throw new Error(`the file's quantization is ${JSON.stringify(stats.quantization)}, expected ${QUANTIZATION}`);
  }
  const ids = (rs: vectlite.SearchResult[]) => rs.map((r) => Number(r.id));

  // Warm-up. The exact cross-check comes after the curve: an exact scan reads every vector,
  // and the serving RSS is measured before anything but approximate searches ran.
  for (let i = 0; i < 200; i++) await db.search(q(i % meta.queries), { k: K, efSearch: 64 });

  const curve: CurvePoint[] = [];
  for (const ef of EFS) {
    const r = await timedPasses(meta.queries, PASSES, truth, async (i) => ids(await db.search(q(i), { k: K, efSearch: ef })));
    const { visited, rescored } = await planOf(db, q, meta.queries, { k: K, efSearch: ef });
    curve.push({ ef, ...r, visited, rescored });
    log(`  ef ${ef}: recall ${r.recall.toFixed(4)}, ${fmt(r.qps)} q/s`);
  }
  // After every efSearch of the curve (thousands of queries): what serving keeps resident.
  const serving = memory();
  const rssServe = serving.rss;
  log(`  serving RSS ${(serving.rss / 1048576).toFixed(1)} MB: heap ${(serving.anon / 1048576).toFixed(1)} MB, file pages ${(serving.file / 1048576).toFixed(1)} MB`);

  // Cross-check: vectlite's exact scan against the brute-force truth.
  const checked = Math.min(20, meta.queries);
  const exact: number[][] = [];
  for (let i = 0; i < checked; i++) exact.push(ids(await db.search(q(i), { k: K, exact: true })));
  const exactRecall = recallOf(exact, truth);
  if (exactRecall < 0.999) log(`WARNING: exact search agrees with the brute-force truth on only ${exactRecall}`);
  const filtered: FilteredPoint[] = [];
  const filteredExact: FilteredPoint[] = [];
  const otherPlans: Record<string, string> = {};
  for (const sel of SELECTIVITIES) {
    const ftruth = readU32(join(dir, `truth${sel}.u32`));
    const filter = { bucket: { $lt: sel } };
    for (const ef of FILTER_EFS) {
      const opts = { k: K, efSearch: ef, filter };
      const { plan, visited, rescored } = await planOf(db, q, meta.queries, opts);
      const r = await timedPasses(meta.queries, 1, ftruth, async (i) => ids(await db.search(q(i), opts)));
      filtered.push({ selectivity: sel, ef, recall: r.recall, qps: r.qps, plan, visited, rescored });
      log(`  ${sel}% ef ${ef}: recall ${r.recall.toFixed(4)}, ${fmt(r.qps)} q/s, plan ${plan}, ${fmt(visited)} scored/query`);
    }
    // What the exact scan of the matching records (the "filtered-exact" plan) gives here.
    const exactOpts = { k: K, filter, exact: true };
    const ex = await planOf(db, q, meta.queries, exactOpts);
    const r = await timedPasses(meta.queries, 1, ftruth, async (i) => ids(await db.search(q(i), exactOpts)));
    filteredExact.push({ selectivity: sel, ef: 0, recall: r.recall, qps: r.qps, plan: ex.plan, visited: ex.visited });
    log(`  ${sel}% exact: true: recall ${r.recall.toFixed(4)}, ${fmt(r.qps)} q/s, plan ${ex.plan}`);
    // The same selectivity on other buckets: the planner samples every (slots / 512)-th
    // record, which can alias with a periodic field such as i % 100.
    const other = { bucket: { $gte: 100 - sel } };
    otherPlans[`bucket >= ${100 - sel}`] = (await planOf(db, q, meta.queries, { k: K, filter: other })).plan;
    otherPlans[`bucket < ${sel}`] = (await planOf(db, q, meta.queries, { k: K, filter })).plan;
  }
  const exactQps = (await timedPasses(Math.min(50, meta.queries), 1, truth, async (i) => ids(await db.search(q(i), { k: K, exact: true })))).qps;
  await db.close();
  return {
    lib: QUANTIZATION === "none" ? "vectlite" : `vectlite ${QUANTIZATION}`,
    runtime: runtimeName(),
    openSeconds,
    rssStartBytes: rssStart,
    rssServeBytes: rssServe,
    peakRssBytes: memory().hwm,
    curve,
    filtered,
    extra: {
      quantization: stats.quantization,
      codes: stats.namespaces[""]?.codes ?? null,
      indexBuilds: stats.indexBuilds,
      indexesLoaded: stats.indexesLoaded,
      exactRecall,
      exactQps,
      rssAfterOpenBytes: afterOpen.rss,
      peakRssOpenBytes: afterOpen.hwm,
      filteredExact,
      plans: otherPlans,
    },
  };
}

if (!["none", "int8", "binary"].includes(QUANTIZATION)) throw new Error(`--quantization none|int8|binary, found ${QUANTIZATION}`);
const child = str("child");
const data = str("data");
const out = (r: unknown) => console.log(JSON.stringify(r));
if (child === "build") out(await childBuild(data!, str("db")!));
else if (child === "serve") out(await childServe(data!, str("db")!));
else throw new Error("--child build|serve");
