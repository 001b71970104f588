/**
 * Approximate search (HNSW) against usearch and hnswlib-node, in one run, at matched
 * M = 16 and efConstruction = 200, on 100,000 x 384 clustered, L2-normalised vectors
 * (bench/ann-data.ts: the recipe and generator of lib-rs/examples/hnsw_recall.rs), 1,000
 * queries, exact top-10 by brute force.
 *
 *   bun bench/ann.ts                 # everything, about 15-20 minutes on 2 cores
 *   bun bench/ann.ts --n 20000 --queries 200 --rounds 1
 *   deno run -A bench/ann.ts         # the same (the driver's runtime does not matter)
 *
 * The driver generates the data once into a temp directory, then runs every library in its
 * own process, so the peak RSS (/proc/self/status VmHWM) and the resident set are each
 * library's own; every child prints one JSON line that the driver tabulates:
 * - build: vectlite under Bun (`upsertMany` in batches of 10,000 with metadata
 *   `{ bucket: i % 100 }`; the graph grows as the batches land, on every core), once on both
 *   cores and once under `taskset -c 0`, then `compact()` (which persists the graph) and the
 *   file size; with `--deno-build` also under Deno. hnswlib-node (`addPoint` one at a time: one
 *   thread, the only way it builds) and usearch (`add` of the whole matrix, 2 threads and 1)
 *   run under Node in bench/ann-peers.mjs, then save their index.
 * - serve: each library opens its saved index (open time; vectlite must load its graph,
 *   `indexBuilds === 0`), runs the 1,000 queries one at a time on one thread at every
 *   efSearch of `--ef` (`--passes` timed passes each; recall@10 from the first, queries/s
 *   the best pass), then filtered queries at 10% and 1% selectivity (vectlite
 *   `filter: { bucket: { $lt: 10 } }`, hnswlib-node's filter callback; usearch's JS API has
 *   no filter). vectlite serves from Bun and from Deno. The serve processes run `--rounds`
 *   times in alternating order and each figure is the best round, since other processes on a
 *   shared machine only ever slow a round down.
 *
 * Then it prints the curves, queries/s at recall@10 = 0.95 and 0.99 (linear interpolation
 * between the two efSearch values around the target) and the ratios to the better peer.
 *
 * Options: `--n 100000 --queries 1000 --ef 16,24,32,48,64,96,128 --filter-ef 32,64,128
 * --passes 3 --rounds 2 --batch 10000 --deno-build --hnswlib-native DIR --data DIR --keep --json FILE`.
 * `--hnswlib-native DIR` adds a copy of hnswlib-node compiled with -march=native (DIR is the
 * package directory of that copy; see bench/README.md) as a fifth, out-of-competition column.
 * `--data DIR` generates into DIR, or reuses the data set already there; `--keep` keeps the
 * temp directory (data and indexes).
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import * as vectlite from "../mod.ts";
import { type AnnMeta, ensureData, readF32, readMeta, readU32, SELECTIVITIES } from "./ann-data.ts";
import { fileSize, fmt, machine, mb, removeDir, repoRoot, row, runtimeName, tempDir } from "./common.ts";

const argv = process.argv.slice(2);
function arg(name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}
function str(name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}
const flag = (name: string) => argv.includes(`--${name}`);
const list = (name: string, fallback: number[]) => str(name)?.split(",").map(Number) ?? fallback;

const K = 10;
const M = 16;
const EF_CONSTRUCTION = 200;
const EFS = list("ef", [16, 24, 32, 48, 64, 96, 128]);
const FILTER_EFS = list("filter-ef", [32, 64, 128]);
const PASSES = arg("passes", 3);
const BATCH = arg("batch", 10_000);
const TARGETS = [0.95, 0.99];

/** One efSearch point of a curve. */
export interface CurvePoint {
  ef: number;
  recall: number;
  /** Queries/s of the best and the median timed pass. */
  qps: number;
  qpsMedian: number;
  /** Vectors scored per query, where the library reports it (vectlite). */
  visited?: number;
}
/** One filtered point: `selectivity` in percent of the records. */
export interface FilteredPoint {
  selectivity: number;
  ef: number;
  recall: number;
  qps: number;
  plan?: string;
  /** Vectors scored per query (vectlite's `stats.visited`, mean of 20 queries). */
  visited?: number;
}
/** What a build child prints. */
export interface BuildResult {
  lib: string;
  runtime: string;
  cores: number;
  threads: number;
  buildSeconds: number;
  saveSeconds: number;
  fileBytes: number;
  rssStartBytes: number;
  peakRssBytes: number;
  extra: Record<string, unknown>;
}
/** What a serve child prints. */
export interface ServeResult {
  lib: string;
  runtime: string;
  openSeconds: number;
  rssStartBytes: number;
  /** Resident set after open and the first pass of queries (every page the queries touch). */
  rssServeBytes: number;
  peakRssBytes: number;
  curve: CurvePoint[];
  filtered: FilteredPoint[];
  extra: Record<string, unknown>;
}

/** VmRSS and VmHWM (peak) of this process, in bytes. */
function memory(): { rss: number; hwm: number } {
  const status = readFileSync("/proc/self/status", "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
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

// ---------------------------------------------------------------------------------------
// Children: vectlite build and serve, in this runtime.

async function childBuild(dir: string, dbPath: string): Promise<BuildResult> {
  const rssStart = memory().rss;
  const meta = readMeta(dir);
  const base = readF32(join(dir, "base.f32"));
  const db = await vectlite.open(dbPath, { dimension: meta.dim, hnsw: { m: M, efConstruction: EF_CONSTRUCTION } });
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
    lib: "vectlite",
    runtime: runtimeName(),
    cores: cpus().length,
    threads: coresAllowed(),
    buildSeconds,
    saveSeconds,
    fileBytes: fileSize(dbPath) + fileSize(`${dbPath}-wal`),
    rssStartBytes: rssStart,
    peakRssBytes: memory().hwm,
    extra: {
      maxBatchSeconds: maxBatch,
      indexBuilds: before.indexBuilds,
      graphBytes: after.namespaces[""]?.index?.bytes,
      rssAfterIngestBytes: afterIngest.rss,
      peakRssIngestBytes: afterIngest.hwm,
      rssAfterCompactBytes: afterCompact.rss,
    },
  };
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

/** The plans the first 20 queries ran with ("a+b" when they differ), and vectors scored per query. */
async function planOf(
  db: vectlite.Database,
  q: (i: number) => Float32Array,
  queries: number,
  opts: vectlite.SearchOptions,
): Promise<{ plan: string; visited: number }> {
  const plans = new Set<string>();
  let visited = 0;
  const n = Math.min(20, queries);
  for (let i = 0; i < n; i++) {
    const { stats } = await db.searchWithStats(q(i), opts);
    plans.add(stats.plan);
    visited += stats.visited;
  }
  return { plan: [...plans].join("+"), visited: visited / n };
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
  const ids = (rs: vectlite.SearchResult[]) => rs.map((r) => Number(r.id));

  // Cross-check: vectlite's exact scan against the brute-force truth, and warm-up.
  const checked = Math.min(20, meta.queries);
  const exact: number[][] = [];
  for (let i = 0; i < checked; i++) exact.push(ids(await db.search(q(i), { k: K, exact: true })));
  const exactRecall = recallOf(exact, truth);
  if (exactRecall < 0.999) log(`WARNING: exact search agrees with the brute-force truth on only ${exactRecall}`);
  for (let i = 0; i < 200; i++) await db.search(q(i % meta.queries), { k: K, efSearch: 64 });

  const curve: CurvePoint[] = [];
  let rssServe = 0;
  for (const ef of EFS) {
    const r = await timedPasses(meta.queries, PASSES, truth, async (i) => ids(await db.search(q(i), { k: K, efSearch: ef })));
    const { visited } = await planOf(db, q, meta.queries, { k: K, efSearch: ef });
    curve.push({ ef, ...r, visited });
    if (!rssServe) rssServe = memory().rss;
    log(`  ef ${ef}: recall ${r.recall.toFixed(4)}, ${fmt(r.qps)} q/s`);
  }
  const filtered: FilteredPoint[] = [];
  const filteredExact: FilteredPoint[] = [];
  const otherPlans: Record<string, string> = {};
  for (const sel of SELECTIVITIES) {
    const ftruth = readU32(join(dir, `truth${sel}.u32`));
    const filter = { bucket: { $lt: sel } };
    for (const ef of FILTER_EFS) {
      const opts = { k: K, efSearch: ef, filter };
      const { plan, visited } = await planOf(db, q, meta.queries, opts);
      const r = await timedPasses(meta.queries, 1, ftruth, async (i) => ids(await db.search(q(i), opts)));
      filtered.push({ selectivity: sel, ef, recall: r.recall, qps: r.qps, plan, visited });
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
    lib: "vectlite",
    runtime: runtimeName(),
    openSeconds,
    rssStartBytes: rssStart,
    rssServeBytes: rssServe,
    peakRssBytes: memory().hwm,
    curve,
    filtered,
    extra: {
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

// ---------------------------------------------------------------------------------------
// The driver.

const local = (name: string) => {
  const p = join(repoRoot, "node_modules", ".bin", name);
  return existsSync(p) ? p : name;
};
const BUN = local("bun");
const DENO = local("deno");
const hasTaskset = spawnSync("taskset", ["-c", "0", "true"]).status === 0;

/** Runs a child (its progress on our stderr) and parses the JSON of its last stdout line. */
function runChild<T>(label: string, command: string[]): T | null {
  log(`\n[${label}] ${command.map((c) => c.replace(repoRoot, "")).join(" ")}  (load ${loadavg().map((x) => x.toFixed(2)).join(" ")})`);
  const t0 = performance.now();
  const r = spawnSync(command[0], command.slice(1), {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) {
    log(`[${label}] FAILED (status ${r.status}${r.error ? `, ${r.error.message}` : ""}):\n${r.stdout}`);
    return null;
  }
  log(`[${label}] done in ${fmt(seconds(t0))} s`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as T;
}

/** Queries/s at `target` recall: interpolated between the efSearch points around it. */
export function qpsAt(curve: CurvePoint[], target: number): { qps: number; note: string } | null {
  const i = curve.findIndex((p) => p.recall >= target);
  if (i < 0) return null;
  if (i === 0) return { qps: curve[0].qps, note: `recall ${curve[0].recall.toFixed(3)} already at ef ${curve[0].ef}` };
  const a = curve[i - 1], b = curve[i];
  const t = (target - a.recall) / (b.recall - a.recall);
  return { qps: a.qps + t * (b.qps - a.qps), note: `ef ${a.ef}-${b.ef}` };
}

/** Merges the serve rounds of one library: the best queries/s per point. */
function mergeRounds(rounds: ServeResult[]): ServeResult {
  const [first, ...rest] = rounds;
  const out: ServeResult = structuredClone(first);
  for (const r of rest) {
    r.curve.forEach((p, i) => {
      out.curve[i].qps = Math.max(out.curve[i].qps, p.qps);
      out.curve[i].qpsMedian = Math.max(out.curve[i].qpsMedian, p.qpsMedian);
      if (Math.abs(p.recall - out.curve[i].recall) > 1e-9) log(`NOTE: ${first.lib} recall at ef ${p.ef} differs between rounds`);
    });
    r.filtered.forEach((p, i) => (out.filtered[i].qps = Math.max(out.filtered[i].qps, p.qps)));
    const exact = out.extra.filteredExact as FilteredPoint[] | undefined;
    (r.extra.filteredExact as FilteredPoint[] | undefined)?.forEach((p, i) => exact && (exact[i].qps = Math.max(exact[i].qps, p.qps)));
    out.openSeconds = Math.min(out.openSeconds, r.openSeconds);
  }
  return out;
}

async function driver(): Promise<void> {
  const want = {
    n: arg("n", 100_000),
    dim: 384,
    queries: arg("queries", 1_000),
    k: K,
    clusters: 100,
    rank: 64,
    noise: 0.2,
  };
  const rounds = arg("rounds", 2);
  const keep = flag("keep");
  const dataArg = str("data");
  const dir = dataArg ?? tempDir("vectlite-ann-");
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const load0 = loadavg();
  console.log(`vectlite approximate search vs usearch and hnswlib-node: driver ${runtimeName()}, node ${nodeVersion()}`);
  console.log(`machine: ${machine()}; data dir ${dir}`);
  console.log(`M=${M}, efConstruction=${EF_CONSTRUCTION}, k=${K}, efSearch ${EFS.join(",")}, ${PASSES} passes, ${rounds} serve rounds`);
  const meta: AnnMeta = ensureData(dir, want, log);
  const self = join(repoRoot, "bench", "ann.ts");
  const peers = join(repoRoot, "bench", "ann-peers.mjs");
  const common = ["--data", dir, "--ef", EFS.join(","), "--filter-ef", FILTER_EFS.join(","), "--passes", String(PASSES)];
  const vl = (runtime: "bun" | "deno", ...rest: string[]) =>
    runtime === "bun" ? [BUN, self, ...rest, ...common] : [DENO, "run", "-A", self, ...rest, ...common];
  const one = (cmd: string[]) => (hasTaskset ? ["taskset", "-c", "0", ...cmd] : null);
  const vdb = join(dir, "vectlite.vdb");

  // Builds. Each starts from nothing; the extra ones delete what they built.
  const builds: Record<string, BuildResult | null> = {};
  for (const f of [vdb, `${vdb}-wal`]) rmSync(f, { force: true });
  builds["vectlite bun 2"] = runChild("build vectlite bun", vl("bun", "--child", "build", "--db", vdb, "--batch", String(BATCH)));
  const scratch = join(dir, "scratch.vdb");
  const scratchBuild = (label: string, cmd: string[] | null) => {
    if (!cmd) return null;
    for (const f of [scratch, `${scratch}-wal`]) rmSync(f, { force: true });
    const r = runChild<BuildResult>(label, cmd);
    for (const f of [scratch, `${scratch}-wal`]) rmSync(f, { force: true });
    return r;
  };
  builds["vectlite bun 1"] = scratchBuild("build vectlite bun, 1 core", one(vl("bun", "--child", "build", "--db", scratch, "--batch", String(BATCH))));
  if (flag("deno-build")) builds["vectlite deno 2"] = scratchBuild("build vectlite deno", vl("deno", "--child", "build", "--db", scratch, "--batch", String(BATCH)));
  const peer = (lib: string, ...rest: string[]) => ["node", "--expose-gc", peers, "--lib", lib, ...rest, ...common];
  builds["hnswlib node 1"] = runChild("build hnswlib-node", peer("hnswlib", "--child", "build"));
  builds["usearch node 2"] = runChild("build usearch, 2 threads", peer("usearch", "--child", "build", "--threads", "2"));
  const usearch1 = one(peer("usearch", "--child", "build", "--threads", "1", "--out", join(dir, "usearch-1.bin")));
  builds["usearch node 1"] = usearch1 ? runChild("build usearch, 1 thread", usearch1) : null;
  rmSync(join(dir, "usearch-1.bin"), { force: true });
  const native = str("hnswlib-native");
  const nativeArgs = native ? ["--module", native, "--label", "hnswlib-node native", "--out", join(dir, "hnswlib-native.bin")] : [];
  if (native) builds["hnswlib native 1"] = runChild("build hnswlib-node native", peer("hnswlib", ...nativeArgs, "--child", "build"));

  // Serve rounds, in alternating order.
  const serveCommands: [string, string[]][] = [
    ["vectlite bun", vl("bun", "--child", "serve", "--db", vdb)],
    ["vectlite deno", vl("deno", "--child", "serve", "--db", vdb)],
    ["hnswlib-node", peer("hnswlib", "--child", "serve")],
    ["usearch", peer("usearch", "--child", "serve")],
  ];
  if (native) serveCommands.push(["hnswlib-node native", peer("hnswlib", ...nativeArgs, "--child", "serve")]);
  const served: Record<string, ServeResult[]> = {};
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? serveCommands : [...serveCommands].reverse();
    for (const [name, cmd] of order) {
      const res = runChild<ServeResult>(`serve ${name}, round ${r + 1}`, cmd);
      if (res) (served[name] ??= []).push(res);
    }
  }
  const serve: Record<string, ServeResult> = {};
  for (const [name, rs] of Object.entries(served)) serve[name] = mergeRounds(rs);
  const load1 = loadavg();

  report(meta, builds, serve);
  console.log(`\nload before ${load0.map((x) => x.toFixed(2)).join(" ")}, after ${load1.map((x) => x.toFixed(2)).join(" ")}; total ${fmt(seconds(started) / 60)} min`);
  const json = str("json");
  if (json) writeFileSync(json, JSON.stringify({ machine: machine(), meta, builds, serve, load: [load0, load1] }, null, 2));
  if (!keep && !dataArg) removeDir(dir);
}

function nodeVersion(): string {
  const r = spawnSync("node", ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "not found";
}

const cell = (x: number | undefined, f = fmt) => (x === undefined || !Number.isFinite(x) ? "-" : f(x));
const secs = (x?: number) => cell(x, (v) => `${fmt(v)} s`);
const mbs = (x?: number) => cell(x, mb);

function report(meta: AnnMeta, builds: Record<string, BuildResult | null>, serve: Record<string, ServeResult>): void {
  const md = (cells: string[]) => console.log(`| ${cells.join(" | ")} |`);
  console.log(`\n## ${meta.n} x ${meta.dim}, ${meta.queries} queries, k=${K}, M=${M}, efConstruction=${EF_CONSTRUCTION}\n`);
  console.log(`data generated in ${fmt(meta.generateSeconds)} s, brute-force truth in ${fmt(meta.truthSeconds)} s\n`);

  const libs: [string, string, string, string, string][] = [
    // name, build 2-thread key, build 1-thread key, serve key (Bun for vectlite), second serve key
    ["vectlite", "vectlite bun 2", "vectlite bun 1", "vectlite bun", "vectlite deno"],
    ["hnswlib-node", "", "hnswlib node 1", "hnswlib-node", ""],
    ["usearch", "usearch node 2", "usearch node 1", "usearch", ""],
    ["hnswlib-node native", "", "hnswlib native 1", "hnswlib-node native", ""],
  ];
  md(["", "build 2 threads", "build 1 thread", "save", "file", "build peak RSS", "open", "serve RSS (start)", "serve peak RSS"]);
  md(Array(9).fill("---"));
  for (const [name, b2, b1, s, s2] of libs) {
    if (!serve[s] && !builds[b1]) continue;
    const saved = builds[b2 || b1];
    for (const key of [s, s2].filter(Boolean)) {
      const sv = serve[key];
      // The Deno row serves the file Bun built; its own build only with --deno-build.
      const deno = key === s2 ? builds["vectlite deno 2"] : undefined;
      const same = "(Bun's file)";
      md([
        key === s2 ? `${name} (Deno)` : name,
        key === s2 ? secs(deno?.buildSeconds) : b2 ? secs(builds[b2]?.buildSeconds) : "n/a",
        key === s2 ? "-" : secs(builds[b1]?.buildSeconds),
        key === s2 ? same : secs(saved?.saveSeconds),
        key === s2 ? same : mbs(saved?.fileBytes),
        key === s2 ? mbs(deno?.peakRssBytes) : mbs(saved?.peakRssBytes),
        secs(sv?.openSeconds),
        sv ? `${mb(sv.rssServeBytes)} (${mb(sv.rssStartBytes)})` : "-",
        mbs(sv?.peakRssBytes),
      ]);
    }
  }

  const names = Object.keys(serve);
  console.log(`\nqueries/s (best pass) and recall@${K}, one query at a time:\n`);
  md(["efSearch", ...names.flatMap((n) => [`${n} recall`, `${n} q/s`])]);
  md(Array(1 + 2 * names.length).fill("---"));
  EFS.forEach((ef, i) => md([String(ef), ...names.flatMap((n) => [serve[n].curve[i]?.recall.toFixed(4) ?? "-", cell(serve[n].curve[i]?.qps)])]));

  console.log(`\nqueries/s at a recall@${K} target, and vectlite / the better peer:\n`);
  const hasNative = Boolean(serve["hnswlib-node native"]);
  const nativeCols = hasNative ? ["vectlite bun / hnswlib native", "vectlite deno / hnswlib native"] : [];
  md(["target", ...names, "vectlite bun / best peer", "vectlite deno / best peer", ...nativeCols]);
  md(Array(3 + names.length + nativeCols.length).fill("---"));
  for (const target of TARGETS) {
    const at = Object.fromEntries(names.map((n) => [n, qpsAt(serve[n].curve, target)]));
    const peerBest = Math.max(...["hnswlib-node", "usearch"].map((n) => at[n]?.qps ?? -Infinity));
    const ratio = (n: string, to: number) => (at[n] && Number.isFinite(to) ? `${(at[n]!.qps / to).toFixed(2)}x` : "-");
    const nat = at["hnswlib-node native"]?.qps ?? NaN;
    md([
      String(target),
      ...names.map((n) => (at[n] ? `${fmt(at[n]!.qps)} (${at[n]!.note})` : "not reached")),
      ratio("vectlite bun", peerBest),
      ratio("vectlite deno", peerBest),
      ...(hasNative ? [ratio("vectlite bun", nat), ratio("vectlite deno", nat)] : []),
    ]);
  }

  console.log(`\nfiltered (records with i % 100 < 10 or < 1; recall against the exact top-${K} of the matching records):\n`);
  md(["selectivity", "efSearch", ...names.flatMap((n) => [`${n} recall`, `${n} q/s`, `${n} slowdown`])]);
  md(Array(2 + 3 * names.length).fill("---"));
  for (const sel of SELECTIVITIES) {
    for (const ef of FILTER_EFS) {
      md([`${sel}%`, String(ef), ...names.flatMap((n) => {
        const f = serve[n].filtered.find((p) => p.selectivity === sel && p.ef === ef);
        const u = serve[n].curve.find((p) => p.ef === ef);
        if (!f) return ["n/a", "n/a", "n/a"];
        const slow = u ? `${(u.qps / f.qps).toFixed(2)}x` : "-";
        return [f.recall.toFixed(4) + (f.plan ? ` (${f.plan})` : ""), fmt(f.qps), slow];
      })]);
    }
  }
  const v = serve["vectlite bun"];
  for (const key of ["vectlite bun", "vectlite deno"]) {
    const exact = serve[key]?.extra.filteredExact as FilteredPoint[] | undefined;
    for (const f of exact ?? []) {
      console.log(`${key}, ${f.selectivity}% with exact: true (the "filtered-exact" plan): recall ${f.recall.toFixed(4)}, ${fmt(f.qps)} q/s, plan ${f.plan}`);
    }
  }
  if (v) {
    console.log(`vectlite plans for the same selectivities on other buckets: ${JSON.stringify(v.extra.plans)}`);
    console.log(`vectlite vectors scored per query by efSearch: ${v.curve.map((p) => `${p.ef}: ${fmt(p.visited ?? NaN)}`).join(", ")}; filtered: ${v.filtered.map((p) => `${p.selectivity}%/${p.ef}: ${fmt(p.visited ?? NaN)}`).join(", ")}`);
    console.log(`\nvectlite: indexBuilds at open ${v.extra.indexBuilds}, indexesLoaded ${v.extra.indexesLoaded}; exact search vs brute force ${v.extra.exactRecall}; exact scan ${fmt(v.extra.exactQps as number)} q/s`);
    console.log(`vectlite open (Bun): RSS after open ${mbs(v.extra.rssAfterOpenBytes as number)}, peak during open ${mbs(v.extra.peakRssOpenBytes as number)}`);
  }
  const b = builds["vectlite bun 2"];
  if (b) {
    console.log(`vectlite build: longest batch ${fmt(b.extra.maxBatchSeconds as number)} s, graph ${mbs(b.extra.graphBytes as number)}`);
    console.log(`vectlite build memory: RSS at start ${mbs(b.rssStartBytes)}, after ingest ${mbs(b.extra.rssAfterIngestBytes as number)} (peak so far ${mbs(b.extra.peakRssIngestBytes as number)}), after compact ${mbs(b.extra.rssAfterCompactBytes as number)}, peak ${mbs(b.peakRssBytes)}`);
  }
  const h = builds["hnswlib node 1"];
  if (b && h) console.log(`build vectlite (2 cores) / hnswlib-node: ${(b.buildSeconds / h.buildSeconds).toFixed(2)}x the time; 1 core: ${builds["vectlite bun 1"] ? (builds["vectlite bun 1"]!.buildSeconds / h.buildSeconds).toFixed(2) + "x" : "-"}`);
  const hs = serve["hnswlib-node"];
  if (v && hs) {
    console.log(`serve RSS vectlite (Bun) / hnswlib-node: ${(v.rssServeBytes / hs.rssServeBytes).toFixed(2)}x; above each runtime's start: ${((v.rssServeBytes - v.rssStartBytes) / (hs.rssServeBytes - hs.rssStartBytes)).toFixed(2)}x`);
  }
  const vd = serve["vectlite deno"];
  if (vd && hs) console.log(`serve RSS vectlite (Deno) / hnswlib-node: ${(vd.rssServeBytes / hs.rssServeBytes).toFixed(2)}x`);
  if (b && h) console.log(`build peak RSS vectlite / hnswlib-node: ${(b.peakRssBytes / h.peakRssBytes).toFixed(2)}x`);
}

const child = str("child");
const data = str("data");
const out = (r: unknown) => console.log(JSON.stringify(r));
if (child === "build") out(await childBuild(data!, str("db")!));
else if (child === "serve") out(await childServe(data!, str("db")!));
else await driver();
