/**
 * The Node side of bench/ann.ts: builds and serves hnswlib-node and usearch on the data set
 * that ann.ts wrote, one library per process, and prints one JSON line of the same shape as
 * ann.ts's own children (BuildResult, ServeResult). Plain JavaScript so that Node runs it
 * as is; ann.ts runs it, but by hand:
 *
 *   node --expose-gc bench/ann-peers.mjs --lib hnswlib --child build --data DIR
 *   node --expose-gc bench/ann-peers.mjs --lib usearch --child build --threads 2 --data DIR
 *   node --expose-gc bench/ann-peers.mjs --lib usearch --quantization i8 --child serve --data DIR
 *   node --expose-gc bench/ann-peers.mjs --lib hnswlib --child serve --data DIR
 *   node bench/ann-peers.mjs --lib hnswlib --child open --data DIR   # the load alone (bench/open-cold.ts)
 *   node --expose-gc bench/ann-peers.mjs --lib hnswlib --module /tmp/x/node_modules/hnswlib-node \
 *     --label "hnswlib-node native" --out DIR/hnswlib-native.bin --child build --data DIR
 *
 * Matched parameters: M = 16, efConstruction = 200 (hnswlib-node `initIndex(n, 16, 200)`,
 * usearch `connectivity: 16, expansion_add: 200`). Both use inner product: every vector is
 * L2-normalised, so it ranks as cosine does, and it is each library's cheapest kernel
 * (usearch's "cos" recomputes both norms per distance).
 * - hnswlib-node takes `number[]`: each vector is copied into one reused array before
 *   `addPoint`, and the queries are converted once, before anything is timed. Its build is
 *   one thread (`addPoint` is synchronous). Queries: `setEf(ef)`, `searchKnn(q, 10)`; filtered
 *   `searchKnn(q, 10, (label) => label % 100 < p)`.
 * - usearch: `add` of the whole matrix with `threads` 2 or 1; queries `search(q, 10, 1)`
 *   (one thread). Its JS API sets `expansion_search` only in the constructor, so each
 *   efSearch point loads the saved index into a new `Index`. No filter in its JS API.
 *   `--quantization i8` (label "usearch i8", file usearch-i8.bin) stores the vectors as int8
 *   (`new Index({ ..., quantization: "i8" })`: each vector scaled by 127 / its norm) and
 *   ranks by their int8 dot product, with no float32 rescoring; the queries are cast the same
 *   way. Default `f32`.
 *
 * @module
 */
import { readFileSync, statSync } from "node:fs";
import { cpus } from "node:os";
import { createRequire } from "node:module";
import { join } from "node:path";

const argv = process.argv.slice(2);
const str = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const list = (name, fallback) => str(name)?.split(",").map(Number) ?? fallback;

const K = 10;
const M = 16;
const EF_CONSTRUCTION = 200;
const SELECTIVITIES = [10, 1];
const EFS = list("ef", [16, 24, 32, 48, 64, 96, 128]);
const FILTER_EFS = list("filter-ef", [32, 64, 128]);
const PASSES = Number(str("passes") ?? 3);
const lib = str("lib");
const dir = str("data");
const child = str("child");
const threads = Number(str("threads") ?? 1);
/** usearch's `quantization` (its ScalarKind): "f32" or "i8". */
const quantization = str("quantization") ?? "f32";
const suffix = quantization === "f32" ? "" : `-${quantization}`;
const indexPath = str("out") ?? join(dir, lib === "hnswlib" ? "hnswlib.bin" : `usearch${suffix}.bin`);

const log = (s) => console.error(s);
const seconds = (t0) => (performance.now() - t0) / 1000;
const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8"));
const dim = meta.dim;

/** A typed array over a file's bytes, copied only if Node's buffer is not 4-byte aligned. */
function readArray(path, Type) {
  const b = readFileSync(path);
  if (b.byteOffset % 4 === 0) return new Type(b.buffer, b.byteOffset, b.byteLength / 4);
  return new Type(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function memory() {
  const status = readFileSync("/proc/self/status", "utf8");
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM"), anon: kb("RssAnon"), file: kb("RssFile") };
}

function coresAllowed() {
  const l = /^Cpus_allowed_list:\s+(\S+)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? "";
  return l.split(",").reduce((n, part) => {
    const [a, b] = part.split("-").map(Number);
    return n + (b === undefined ? 1 : b - a + 1);
  }, 0);
}

function recallOf(got, truth) {
  let hits = 0;
  got.forEach((ids, q) => {
    const want = truth.subarray(q * K, (q + 1) * K);
    for (const id of ids) if (want.includes(id)) hits++;
  });
  return hits / (got.length * K);
}

/** As in ann.ts: recall from the first pass, queries/s of the best and the median pass. */
function timedPasses(queries, passes, truth, one) {
  const rates = [];
  let recall = NaN;
  for (let p = 0; p < passes; p++) {
    const got = new Array(queries);
    const t0 = performance.now();
    for (let q = 0; q < queries; q++) got[q] = one(q);
    rates.push(queries / seconds(t0));
    if (p === 0) recall = recallOf(got, truth);
  }
  rates.sort((a, b) => b - a);
  return { recall, qps: rates[0], qpsMedian: rates[rates.length >> 1] };
}

if (lib !== "hnswlib" && lib !== "usearch") throw new Error(`--lib hnswlib|usearch, found ${lib}`);
if (quantization !== "f32" && (lib !== "usearch" || quantization !== "i8")) {
  throw new Error(`--quantization f32, or i8 with usearch; found ${quantization} with ${lib}`);
}
/** The package, or with `--module DIR` a copy of it built otherwise (e.g. -march=native). */
const modulePath = str("module") ?? (lib === "hnswlib" ? "hnswlib-node" : "usearch");
const require = createRequire(import.meta.url);
const mod = require(modulePath);
const packageDir = modulePath.startsWith("/") ? modulePath : new URL(`../node_modules/${modulePath}`, import.meta.url).pathname;
const version = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")).version;
const label = str("label") ?? (lib === "hnswlib" ? "hnswlib-node" : quantization === "f32" ? "usearch" : `usearch ${quantization}`);
const usearchIndex = (ef) =>
  new mod.Index({ dimensions: dim, metric: "ip", quantization, connectivity: M, expansion_add: EF_CONSTRUCTION, expansion_search: ef });

function build() {
  const rssStart = memory().rss;
  const base = readArray(join(dir, "base.f32"), Float32Array);
  const n = meta.n;
  let buildSeconds, saveSeconds;
  if (lib === "hnswlib") {
    const index = new mod.HierarchicalNSW("ip", dim);
    index.initIndex(n, M, EF_CONSTRUCTION, 100);
    const v = new Array(dim).fill(0);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      for (let j = 0, o = i * dim; j < dim; j++) v[j] = base[o + j];
      index.addPoint(v, i);
      if ((i + 1) % 10_000 === 0) log(`  ${i + 1} points, ${seconds(t0).toFixed(1)} s`);
    }
    buildSeconds = seconds(t0);
    const t1 = performance.now();
    index.writeIndexSync(indexPath);
    saveSeconds = seconds(t1);
  } else {
    const index = usearchIndex(64);
    const keys = new BigUint64Array(n);
    for (let i = 0; i < n; i++) keys[i] = BigInt(i);
    const t0 = performance.now();
    index.add(keys, base, threads);
    buildSeconds = seconds(t0);
    log(`  ${index.size()} points, ${buildSeconds.toFixed(1)} s`);
    const t1 = performance.now();
    index.save(indexPath);
    saveSeconds = seconds(t1);
  }
  return {
    lib: label,
    runtime: `node ${process.versions.node}`,
    cores: cpus().length,
    threads: lib === "hnswlib" ? 1 : Math.min(threads, coresAllowed()),
    buildSeconds,
    saveSeconds,
    fileBytes: statSync(indexPath).size,
    rssStartBytes: rssStart,
    peakRssBytes: memory().hwm,
    extra: { version, module: modulePath, quantization },
  };
}

function serve() {
  const rssStart = memory().rss;
  const queries = readArray(join(dir, "query.f32"), Float32Array);
  const truth = readArray(join(dir, "truth.u32"), Uint32Array);
  const nq = meta.queries;
  const qv = (i) => queries.subarray(i * dim, (i + 1) * dim);
  const curve = [];
  const filtered = [];
  let openSeconds, rssServe = 0;
  const extra = { version, module: modulePath, quantization };
  if (lib === "hnswlib") {
    const qa = Array.from({ length: nq }, (_, i) => Array.from(qv(i)));
    const index = new mod.HierarchicalNSW("ip", dim);
    const t0 = performance.now();
    index.readIndexSync(indexPath);
    openSeconds = seconds(t0);
    index.setEf(64);
    for (let i = 0; i < 200; i++) index.searchKnn(qa[i % nq], K); // warm-up
    for (const ef of EFS) {
      index.setEf(ef);
      const r = timedPasses(nq, PASSES, truth, (i) => index.searchKnn(qa[i], K).neighbors);
      curve.push({ ef, ...r });
      if (!rssServe) rssServe = memory().rss;
      log(`  ef ${ef}: recall ${r.recall.toFixed(4)}, ${Math.round(r.qps)} q/s`);
    }
    for (const sel of SELECTIVITIES) {
      const ftruth = readArray(join(dir, `truth${sel}.u32`), Uint32Array);
      const keep = (label) => label % 100 < sel;
      for (const ef of FILTER_EFS) {
        index.setEf(ef);
        const r = timedPasses(nq, 1, ftruth, (i) => index.searchKnn(qa[i], K, keep).neighbors);
        filtered.push({ selectivity: sel, ef, recall: r.recall, qps: r.qps });
        log(`  ${sel}% ef ${ef}: recall ${r.recall.toFixed(4)}, ${Math.round(r.qps)} q/s`);
      }
    }
  } else {
    let index = null;
    for (const ef of EFS) {
      index = null;
      globalThis.gc?.();
      index = usearchIndex(ef);
      const t0 = performance.now();
      index.load(indexPath);
      if (openSeconds === undefined) {
        openSeconds = seconds(t0);
        for (let i = 0; i < 200; i++) index.search(qv(i % nq), K, 1); // warm-up
      }
      const r = timedPasses(nq, PASSES, truth, (i) => Array.from(index.search(qv(i), K, 1).keys, Number));
      curve.push({ ef, ...r });
      if (!rssServe) rssServe = memory().rss;
      log(`  ef ${ef}: recall ${r.recall.toFixed(4)}, ${Math.round(r.qps)} q/s`);
    }
    extra.filter = "none in the JS API";
  }
  return {
    lib: label,
    runtime: `node ${process.versions.node}`,
    openSeconds,
    rssStartBytes: rssStart,
    rssServeBytes: rssServe,
    peakRssBytes: memory().hwm,
    curve,
    filtered,
    extra,
  };
}

/**
 * Opens the saved index alone, as bench/open-cold.ts measures vectlite's open: the time of
 * the load, the resident memory before and after it (heap and file pages), then the time of
 * one search, in the fields open-cold.ts reads.
 */
function open() {
  const query = readArray(join(dir, "query.f32"), Float32Array).subarray(0, dim);
  const rssBefore = memory().rss;
  const t0 = performance.now();
  let search;
  if (lib === "hnswlib") {
    const index = new mod.HierarchicalNSW("ip", dim);
    index.readIndexSync(indexPath);
    const q = Array.from(query);
    search = () => index.searchKnn(q, K);
  } else {
    const index = usearchIndex(64);
    index.load(indexPath);
    search = () => index.search(query, K, 1);
  }
  const openMs = performance.now() - t0;
  const after = memory();
  const t1 = performance.now();
  search();
  const firstSearchMs = performance.now() - t1;
  return { openMs, firstSearchMs, rssBefore, rss: after.rss, anon: after.anon, file: after.file, indexBuilds: 0 };
}

if (child === "build") console.log(JSON.stringify(build()));
else if (child === "serve") console.log(JSON.stringify(serve()));
else if (child === "open") console.log(JSON.stringify(open()));
else throw new Error("--child build|serve|open");
