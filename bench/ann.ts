/**
 * Approximate search (HNSW) against usearch and hnswlib-node, in one run, at matched
 * M = 16 and efConstruction = 200, on 100,000 x 384 clustered, L2-normalised vectors
 * (bench/ann-data.ts: the recipe and generator of lib-rs/examples/hnsw_recall.rs), 1,000
 * queries, exact top-10 by brute force; float32 and quantized (int8) on both sides.
 *
 *   bun bench/ann.ts                 # everything, about 25-30 minutes on 2 cores
 *   bun bench/ann.ts --n 20000 --queries 200 --rounds 1
 *   bun bench/ann.ts --sizes 10000,100000 --quantization int8   # how cost grows with n
 *   deno run -A bench/ann.ts         # the same (the driver's runtime does not matter)
 *
 * The driver generates the data once into a temp directory, then runs every library in its
 * own process, so the peak RSS (/proc/self/status VmHWM) and the resident set are each
 * library's own; every child prints one JSON line that the driver tabulates:
 * - build: vectlite under Bun (bench/ann-vectlite.ts: `upsertMany` in batches of 10,000 with
 *   metadata `{ bucket: i % 100 }`; the graph grows as the batches land, on every core), once
 *   on both cores and once under `taskset -c 0`, then `compact()` (which persists the graph)
 *   and the file size; with `--deno-build` also under Deno. Once per vectlite variant of
 *   `--quantization` (default `none,int8`: float32, and `open(..., { quantization: "int8" })`,
 *   whose graph walk scores int8 codes and rescores the best k x 4 with float32).
 *   hnswlib-node (`addPoint` one at a time: one thread, the only way it builds), usearch and
 *   usearch i8 (`quantization: "i8"`: int8 vectors, no rescoring) (`add` of the whole matrix,
 *   2 threads and 1) run under Node in bench/ann-peers.mjs, then save their index.
 * - serve: each library opens its saved index (open time; vectlite must load its graph,
 *   `indexBuilds === 0`), runs the 1,000 queries one at a time on one thread at every
 *   efSearch of `--ef` (`--passes` timed passes each; recall@10 from the first, queries/s
 *   the best pass), then filtered queries at 10% and 1% selectivity (vectlite
 *   `filter: { bucket: { $lt: 10 } }`, hnswlib-node's filter callback; usearch's JS API has
 *   no filter). Each vectlite variant serves from Bun and from Deno. The serve processes run
 *   `--rounds` times in alternating order and each figure is the best round, since other
 *   processes on a shared machine only ever slow a round down.
 *
 * Then it prints the curves, queries/s at recall@10 = 0.95 and 0.99 (linear interpolation
 * between the two efSearch values around the target) and the ratios of every library to the
 * best peer (hnswlib-node, usearch, usearch i8, or those of `--peers`) at each target; and for
 * each vectlite variant, its open: time, RSS right after it, and that RSS / the file size.
 *
 * Options: `--n 100000 --sizes LIST --quantization none,int8
 * --peers hnswlib-node,usearch,usearch-i8 --queries 1000 --ef 16,24,32,48,64,96,128
 * --filter-ef 32,64,128 --passes 3 --rounds 2 --batch 10000 --deno-build --no-one-core
 * --hnswlib-native DIR --data DIR --serve-only --keep --json FILE --dataset text`.
 * `--dataset text` runs on the real-text set of bench/text-vectors.ts (the installed
 * documentation's paragraphs, TF-IDF projected to 384 dimensions; its size is the corpus's, so
 * `--n` and `--sizes` do not apply) instead of the Gaussian mixture.
 * `--sizes 10000,100000` runs the whole comparison at each n in turn (data and indexes in
 * DIR/n10000, ...), prints each size's tables when it is done, then one table of how build
 * time, file, serving RSS and queries/s grow with n; without it, one size, `--n`.
 * `--quantization` picks the vectlite variants (`none`, `int8`, `binary`). `--peers` picks
 * the peers that build and serve (`hnswlib-node`, `usearch`, `usearch-i8`, default all three;
 * `--peers none`: vectlite alone, e.g. at a million vectors, where the peers' builds would
 * take an hour): a peer left out has no process, no row and no column, the ratios are to the
 * best of those that ran, with none the "/ best peer" columns are left out, and without
 * hnswlib-node so are the notes that compare with it. `--hnswlib-native DIR` adds a copy of
 * hnswlib-node compiled with -march=native (DIR is the package directory of that copy; see
 * bench/README.md) as an out-of-competition column. `--data DIR` generates into DIR, or
 * reuses the data set already there; `--serve-only` (with `--data`) builds nothing and serves the
 * indexes an earlier run left there (the build columns stay empty), e.g. to compare a new search
 * with the peers without an hour of builds at a million vectors; `--keep` keeps the temp
 * directory (data and indexes).
 * `--json FILE` writes every figure: `{ machine, meta, builds, serve, load, date }`, or with
 * `--sizes` `{ machine, runs: [...] }`.
 *
 * Charts (bench/charts.ts), drawn from the same figures as the tables, into `--charts DIR`
 * (default bench/charts/; `--no-charts` for none): `ann-<n>-<quantization>.svg` per size and
 * vectlite variant, and with `--sizes` `scale-memory.svg` and `scale-file.svg` (serving RSS and
 * file size against n). `--scale-with FILE` adds to those two the sizes this run lacks from an
 * earlier run's `--json` (e.g. a million vectors, vectlite alone), dashed. `--replot FILE`
 * draws the charts of an earlier `--json` and runs nothing.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { basename, join } from "node:path";
import { type AnnMeta, EF_CONSTRUCTION, efLists, ensureData, ensureTextData, K, M, SELECTIVITIES } from "./ann-data.ts";
import { annCharts, type AnnRun, chartsDir, scaleCharts } from "./charts.ts";
import { fmt, machine, mb, removeDir, repoRoot, runtimeName, tempDir } from "./common.ts";

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
const { efs: EFS, filterEfs: FILTER_EFS } = efLists(argv);
const PASSES = arg("passes", 3);
const BATCH = arg("batch", 10_000);
const TARGETS = [0.95, 0.99];
const SIZES = list("sizes", [arg("n", 100_000)]);
/** The vectlite variants: the `quantization` each one's file is created with. */
const QUANTIZATIONS = (str("quantization") ?? "none,int8").split(",");
/** `--peers` names and the label each peer's rows, serve key and ratios go by. */
const PEER_LABELS: Record<string, string> = { "hnswlib-node": "hnswlib-node", usearch: "usearch", "usearch-i8": "usearch i8" };
const PEERS_ARG = (str("peers") ?? Object.keys(PEER_LABELS).join(",")).split(",");
/**
 * The peers that run (`--peers`, in this order whatever the order given; none with
 * `--peers none`) and that the ratios compare with; "hnswlib-node native" is out of competition.
 */
const PEERS = Object.keys(PEER_LABELS).filter((p) => PEERS_ARG.includes(p)).map((p) => PEER_LABELS[p]);
const peerRuns = (peer: string) => PEERS.includes(peer);

/** One efSearch point of a curve. */
export interface CurvePoint {
  ef: number;
  recall: number;
  /** Queries/s of the best and the median timed pass. */
  qps: number;
  qpsMedian: number;
  /** Vectors scored per query, where the library reports it (vectlite). */
  visited?: number;
  /** Candidates rescored with float32 per query (vectlite, quantized). */
  rescored?: number;
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
  rescored?: number;
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
/** One size's run. */
interface Run {
  meta: AnnMeta;
  builds: Record<string, BuildResult | null>;
  serve: Record<string, ServeResult>;
  load: number[][];
  /** When the size's last serve process ended (ISO). */
  date: string;
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;
const log = (s: string) => console.error(s);

const local = (name: string) => {
  const p = join(repoRoot, "node_modules", ".bin", name);
  return existsSync(p) ? p : name;
};
const BUN = local("bun");
const DENO = local("deno");
const hasTaskset = spawnSync("taskset", ["-c", "0", "true"]).status === 0;

/** "vectlite" for float32, "vectlite int8" and so on. */
const variant = (q: string) => (q === "none" ? "vectlite" : `vectlite ${q}`);

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

/** Generates (or reuses) the data set of `n` records in `dir`, builds every index, serves every one. */
function runSize(n: number, dir: string): Run {
  const rounds = arg("rounds", 2);
  mkdirSync(dir, { recursive: true });
  const load0 = loadavg();
  const want = { n, dim: 384, queries: arg("queries", 1_000), k: K, clusters: 100, rank: 64, noise: 0.2 };
  const meta: AnnMeta = str("dataset") === "text" ? ensureTextData(dir, log) : ensureData(dir, want, log);
  const self = join(repoRoot, "bench", "ann-vectlite.ts");
  const peers = join(repoRoot, "bench", "ann-peers.mjs");
  const common = ["--data", dir, "--ef", EFS.join(","), "--filter-ef", FILTER_EFS.join(","), "--passes", String(PASSES)];
  const vl = (runtime: "bun" | "deno", q: string, ...rest: string[]) => {
    const args = [self, "--quantization", q, ...rest, ...common];
    return runtime === "bun" ? [BUN, ...args] : [DENO, "run", "-A", ...args];
  };
  // `--no-one-core` skips the builds on one core (at a million vectors they take long).
  const one = (cmd: string[]) => (hasTaskset && !flag("no-one-core") ? ["taskset", "-c", "0", ...cmd] : null);
  const vdb = (q: string) => join(dir, q === "none" ? "vectlite.vdb" : `vectlite-${q}.vdb`);

  // Builds. Each starts from nothing; the extra ones delete what they built. With
  // `--serve-only`, none: the indexes an earlier run left in `--data` are served as they are.
  const builds: Record<string, BuildResult | null> = {};
  const serveOnly = flag("serve-only");
  if (serveOnly) {
    const peerFiles = { "hnswlib-node": "hnswlib.bin", usearch: "usearch.bin", "usearch i8": "usearch-i8.bin" };
    const files = [
      ...QUANTIZATIONS.map(vdb),
      ...Object.entries(peerFiles).filter(([peer]) => peerRuns(peer)).map(([, file]) => join(dir, file)),
    ];
    const missing = files.filter((f) => !existsSync(f));
    if (missing.length) throw new Error(`--serve-only: no index to serve at ${missing.join(", ")} (build them with --data ${dir} first)`);
  }
  const scratch = join(dir, "scratch.vdb");
  const scratchBuild = (label: string, cmd: string[] | null) => {
    if (!cmd) return null;
    const files = [scratch, `${scratch}-wal`, `${scratch}.lock`];
    for (const f of files) rmSync(f, { force: true });
    const r = runChild<BuildResult>(label, cmd);
    for (const f of files) rmSync(f, { force: true });
    return r;
  };
  for (const q of serveOnly ? [] : QUANTIZATIONS) {
    const name = variant(q);
    const batch = ["--batch", String(BATCH)];
    for (const f of [vdb(q), `${vdb(q)}-wal`]) rmSync(f, { force: true });
    builds[`${name} bun 2`] = runChild(`build ${name} bun`, vl("bun", q, "--child", "build", "--db", vdb(q), ...batch));
    builds[`${name} bun 1`] = scratchBuild(`build ${name} bun, 1 core`, one(vl("bun", q, "--child", "build", "--db", scratch, ...batch)));
    if (flag("deno-build")) builds[`${name} deno 2`] = scratchBuild(`build ${name} deno`, vl("deno", q, "--child", "build", "--db", scratch, ...batch));
  }
  const peer = (lib: string, ...rest: string[]) => ["node", "--expose-gc", peers, "--lib", lib, ...rest, ...common];
  if (peerRuns("hnswlib-node") && !serveOnly) builds["hnswlib node 1"] = runChild("build hnswlib-node", peer("hnswlib", "--child", "build"));
  for (const [name, q] of [["usearch", "f32"], ["usearch i8", "i8"]]) {
    if (!peerRuns(name) || serveOnly) continue;
    const quant = ["--quantization", q];
    builds[`${name} node 2`] = runChild(`build ${name}, 2 threads`, peer("usearch", ...quant, "--child", "build", "--threads", "2"));
    const out1 = join(dir, "usearch-1.bin");
    const usearch1 = one(peer("usearch", ...quant, "--child", "build", "--threads", "1", "--out", out1));
    builds[`${name} node 1`] = usearch1 ? runChild(`build ${name}, 1 thread`, usearch1) : null;
    rmSync(out1, { force: true });
  }
  const native = str("hnswlib-native");
  const nativeArgs = native ? ["--module", native, "--label", "hnswlib-node native", "--out", join(dir, "hnswlib-native.bin")] : [];
  if (native && !serveOnly) builds["hnswlib native 1"] = runChild("build hnswlib-node native", peer("hnswlib", ...nativeArgs, "--child", "build"));

  // Serve rounds, in alternating order.
  const serveCommands: [string, string[]][] = [
    ...QUANTIZATIONS.flatMap((q): [string, string[]][] => [
      [`${variant(q)} bun`, vl("bun", q, "--child", "serve", "--db", vdb(q))],
      [`${variant(q)} deno`, vl("deno", q, "--child", "serve", "--db", vdb(q))],
    ]),
    ...([
      ["hnswlib-node", peer("hnswlib", "--child", "serve")],
      ["usearch", peer("usearch", "--child", "serve")],
      ["usearch i8", peer("usearch", "--quantization", "i8", "--child", "serve")],
    ] as [string, string[]][]).filter(([name]) => peerRuns(name)),
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
  // In the order of serveCommands, whichever round finished first.
  for (const [name] of serveCommands) if (served[name]) serve[name] = mergeRounds(served[name]);
  return { meta, builds, serve, load: [load0, loadavg()], date: new Date().toISOString() };
}

/** The runs of an ann.ts `--json` file (one size or `--sizes`), each with its date (else the file's). */
function readRuns(path: string): AnnRun[] {
  const json = JSON.parse(readFileSync(path, "utf8"));
  const mtime = statSync(path).mtime.toISOString();
  return ((json.runs ?? [json]) as AnnRun[]).map((r) => ({ ...r, date: r.date ?? mtime }));
}

/** Draws the charts of these runs into the `--charts` directory, if any. */
function charts(runs: AnnRun[]): void {
  const dir = chartsDir(argv);
  if (!dir) return;
  for (const r of runs) annCharts(dir, r, new Date(r.date!));
  const with_ = str("scale-with");
  const earlier = with_ ? { runs: readRuns(with_), source: basename(with_) } : null;
  if (runs.length > 1) scaleCharts(dir, runs, earlier, new Date(runs[runs.length - 1].date!));
}

async function driver(): Promise<void> {
  const replot = str("replot");
  if (replot) return charts(readRuns(replot));
  for (const q of QUANTIZATIONS) if (!["none", "int8", "binary"].includes(q)) throw new Error(`--quantization: none, int8 or binary, found ${q}`);
  if (!["mixture", "text", undefined].includes(str("dataset"))) throw new Error(`--dataset: mixture or text, found ${str("dataset")}`);
  if (str("dataset") === "text" && str("sizes")) throw new Error("--dataset text has the corpus's size: no --sizes");
  if (SIZES.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--sizes: positive integers, found ${str("sizes")}`);
  const peersOk = PEERS_ARG.join(",") === "none" || PEERS_ARG.every((p) => p in PEER_LABELS);
  if (!peersOk) throw new Error(`--peers: none, or a list of ${Object.keys(PEER_LABELS).join(", ")}; found ${str("peers")}`);
  const keep = flag("keep");
  const dataArg = str("data");
  const root = dataArg ?? tempDir("vectlite-ann-");
  const started = performance.now();
  const vs = [peerRuns("usearch") ? "usearch" : peerRuns("usearch i8") ? "usearch i8" : "", peerRuns("hnswlib-node") ? "hnswlib-node" : ""].filter(Boolean);
  console.log(`vectlite approximate search ${vs.length ? `vs ${vs.join(" and ")}` : "alone (--peers none)"}: driver ${runtimeName()}, node ${nodeVersion()}`);
  console.log(`machine: ${machine()}; data dir ${root}`);
  console.log(`M=${M}, efConstruction=${EF_CONSTRUCTION}, k=${K}, efSearch ${EFS.join(",")}, ${PASSES} passes, ${arg("rounds", 2)} serve rounds`);
  console.log(`vectlite quantization ${QUANTIZATIONS.join(", ")}; peers ${PEERS.join(", ") || "none"}; n ${SIZES.join(", ")}`);
  const runs: Run[] = [];
  for (const n of SIZES) {
    // With --sizes each size has a directory of its own, so that each one's data is kept.
    const run = runSize(n, str("sizes") ? join(root, `n${n}`) : root);
    runs.push(run);
    report(run);
  }
  if (runs.length > 1) growth(runs);
  console.log(`\ntotal ${fmt(seconds(started) / 60)} min`);
  const json = str("json");
  if (json) writeFileSync(json, JSON.stringify(runs.length === 1 ? { machine: machine(), ...runs[0] } : { machine: machine(), runs }, null, 2));
  charts(runs);
  if (!keep && !dataArg) removeDir(root);
}

function nodeVersion(): string {
  const r = spawnSync("node", ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "not found";
}

const cell = (x: number | undefined, f = fmt) => (x === undefined || !Number.isFinite(x) ? "-" : f(x));
const secs = (x?: number) => cell(x, (v) => `${fmt(v)} s`);
const mbs = (x?: number) => cell(x, mb);
const times = (a?: number, b?: number) => (a === undefined || b === undefined || !Number.isFinite(a) || !(b > 0) ? "-" : `${(a / b).toFixed(2)}x`);
/** `a` as a percentage of `b`. */
const pct = (a?: number, b?: number) => (a === undefined || b === undefined || !Number.isFinite(a) || !(b > 0) ? "-" : `${(100 * a / b).toFixed(1)}%`);
const md = (cells: string[]) => console.log(`| ${cells.join(" | ")} |`);

/**
 * One row per served library: its serve key, its label, and the build keys of the file it
 * serves (`file` empty for a Deno row: it serves the file Bun built).
 */
interface Entry {
  key: string;
  label: string;
  build2: string;
  build1: string;
  file: string;
}
function entries(): Entry[] {
  return [
    ...QUANTIZATIONS.flatMap((q) => {
      const name = variant(q);
      return [
        { key: `${name} bun`, label: `${name}, Bun`, build2: `${name} bun 2`, build1: `${name} bun 1`, file: `${name} bun 2` },
        { key: `${name} deno`, label: `${name}, Deno`, build2: `${name} deno 2`, build1: "", file: "" },
      ];
    }),
    { key: "hnswlib-node", label: "hnswlib-node", build2: "", build1: "hnswlib node 1", file: "hnswlib node 1" },
    { key: "usearch", label: "usearch", build2: "usearch node 2", build1: "usearch node 1", file: "usearch node 2" },
    { key: "usearch i8", label: "usearch i8", build2: "usearch i8 node 2", build1: "usearch i8 node 1", file: "usearch i8 node 2" },
    { key: "hnswlib-node native", label: "hnswlib-node native", build2: "", build1: "hnswlib native 1", file: "hnswlib native 1" },
  ];
}

/** Queries/s of every library at each target, and the best peer's. */
function atTargets(serve: Record<string, ServeResult>) {
  return TARGETS.map((target) => {
    const at = Object.fromEntries(Object.keys(serve).map((n) => [n, qpsAt(serve[n].curve, target)]));
    let best: { name: string; qps: number } | null = null;
    for (const p of PEERS) if (at[p] && at[p]!.qps > (best?.qps ?? -Infinity)) best = { name: p, qps: at[p]!.qps };
    return { target, at, best };
  });
}

function report({ meta, builds, serve, load }: Run): void {
  const source = meta.source === "text" ? " (real text: TF-IDF of the corpus, projected)" : "";
  console.log(`\n## ${meta.n} x ${meta.dim}${source}, ${meta.queries} queries, k=${K}, M=${M}, efConstruction=${EF_CONSTRUCTION}\n`);
  console.log(`data generated in ${fmt(meta.generateSeconds)} s, brute-force truth in ${fmt(meta.truthSeconds)} s\n`);
  const rows = entries().filter((e) => serve[e.key] || builds[e.build2] || builds[e.build1]);
  const label = (key: string) => rows.find((e) => e.key === key)?.label ?? key;

  md(["", "build 2 threads", "build 1 thread", "save", "file", "build peak RSS", "open", "serve RSS (start)", "serve peak RSS"]);
  md(Array(9).fill("---"));
  for (const e of rows) {
    const sv = serve[e.key];
    const saved = builds[e.file];
    const same = "(Bun's file)";
    md([
      e.label,
      e.build2 ? secs(builds[e.build2]?.buildSeconds) : "n/a",
      e.build1 ? secs(builds[e.build1]?.buildSeconds) : "-",
      e.file ? secs(saved?.saveSeconds) : same,
      e.file ? mbs(saved?.fileBytes) : same,
      mbs(builds[e.build2 || e.build1]?.peakRssBytes),
      secs(sv?.openSeconds),
      sv ? `${mb(sv.rssServeBytes)} (${mb(sv.rssStartBytes)})` : "-",
      mbs(sv?.peakRssBytes),
    ]);
  }

  const names = Object.keys(serve);
  console.log(`\nqueries/s (best pass) and recall@${K}, one query at a time:\n`);
  md(["efSearch", ...names.flatMap((n) => [`${label(n)} recall`, `${label(n)} q/s`])]);
  md(Array(1 + 2 * names.length).fill("---"));
  EFS.forEach((ef, i) => md([String(ef), ...names.flatMap((n) => [serve[n].curve[i]?.recall.toFixed(4) ?? "-", cell(serve[n].curve[i]?.qps)])]));

  const targets = atTargets(serve);
  const nat = serve["hnswlib-node native"] ? "hnswlib-node native" : "";
  // With --peers none there is no best peer: no ratio columns and no "best peer" line.
  const ratios = PEERS.length > 0;
  console.log(ratios ? `\nqueries/s at a recall@${K} target, and each / the best peer (${PEERS.join(", ")}) at that target:\n` : `\nqueries/s at a recall@${K} target (no peers run):\n`);
  md([
    "",
    ...TARGETS.map((t) => `q/s at ${t}`),
    ...(ratios ? TARGETS.map((t) => `/ best peer at ${t}`) : []),
    ...(nat ? TARGETS.map((t) => `/ hnswlib native at ${t}`) : []),
  ]);
  md(Array(1 + TARGETS.length * (1 + (ratios ? 1 : 0) + (nat ? 1 : 0))).fill("---"));
  for (const n of names) {
    md([
      label(n),
      ...targets.map((t) => (t.at[n] ? `${fmt(t.at[n]!.qps)} (${t.at[n]!.note})` : "not reached")),
      ...(ratios ? targets.map((t) => (t.at[n] && t.best ? times(t.at[n]!.qps, t.best.qps) : "-")) : []),
      ...(nat ? targets.map((t) => (t.at[n] ? times(t.at[n]!.qps, t.at[nat]?.qps) : "-")) : []),
    ]);
  }
  if (ratios) console.log(`best peer: ${targets.map((t) => `at ${t.target} ${t.best ? `${t.best.name} (${fmt(t.best.qps)} q/s)` : "none reached it"}`).join("; ")}`);

  const withFilter = names.filter((n) => serve[n].filtered.length > 0);
  const without = names.filter((n) => !withFilter.includes(n)).map(label);
  console.log(`\nfiltered (records with i % 100 < 10 or < 1; recall against the exact top-${K} of the matching records)${without.length ? `; ${without.join(", ")}: no filter in the JS API` : ""}:\n`);
  md(["selectivity", "efSearch", ...withFilter.flatMap((n) => [`${label(n)} recall`, `${label(n)} q/s`, `${label(n)} slowdown`])]);
  md(Array(2 + 3 * withFilter.length).fill("---"));
  for (const sel of SELECTIVITIES) {
    for (const ef of FILTER_EFS) {
      md([`${sel}%`, String(ef), ...withFilter.flatMap((n) => {
        const f = serve[n].filtered.find((p) => p.selectivity === sel && p.ef === ef);
        const u = serve[n].curve.find((p) => p.ef === ef);
        if (!f) return ["n/a", "n/a", "n/a"];
        return [f.recall.toFixed(4) + (f.plan ? ` (${f.plan})` : ""), fmt(f.qps), times(u?.qps, f.qps)];
      })]);
    }
  }

  // Undefined unless hnswlib-node ran (--peers): then its comparisons below are left out.
  const h = builds["hnswlib node 1"];
  const hs = serve["hnswlib-node"];
  const of = (build: string, served: string): Costs => ({ build: builds[build], serve: serve[served] });
  for (const q of QUANTIZATIONS) {
    const name = variant(q);
    console.log(`\n${name}:`);
    for (const key of [`${name} bun`, `${name} deno`]) {
      const exact = serve[key]?.extra.filteredExact as FilteredPoint[] | undefined;
      for (const f of exact ?? []) {
        console.log(`${label(key)}, ${f.selectivity}% with exact: true (the "filtered-exact" plan): recall ${f.recall.toFixed(4)}, ${fmt(f.qps)} q/s, plan ${f.plan}`);
      }
    }
    const v = serve[`${name} bun`];
    const vd = serve[`${name} deno`];
    const file = builds[`${name} bun 2`]?.fileBytes;
    if (v) {
      const codes = v.extra.codes as { kind: string; bytes: number; kernel: string } | null | undefined;
      if (codes) console.log(`codes: ${codes.kind}, ${mb(codes.bytes)}, kernel ${codes.kernel}; rescored with float32 per query by efSearch: ${v.curve.map((p) => `${p.ef}: ${cell(p.rescored)}`).join(", ")}`);
      console.log(`plans for the same selectivities on other buckets: ${JSON.stringify(v.extra.plans)}`);
      console.log(`vectors scored per query by efSearch: ${v.curve.map((p) => `${p.ef}: ${cell(p.visited)}`).join(", ")}; filtered: ${v.filtered.map((p) => `${p.selectivity}%/${p.ef}: ${cell(p.visited)}`).join(", ")}`);
      console.log(`indexBuilds at open ${v.extra.indexBuilds}, indexesLoaded ${v.extra.indexesLoaded}; exact search vs brute force ${v.extra.exactRecall}; exact scan ${cell(v.extra.exactQps as number)} q/s`);
    }
    for (const [runtime, s] of [["Bun", v], ["Deno", vd]] as const) if (s) console.log(openNote(runtime, s, file));
    const b = builds[`${name} bun 2`];
    if (b) {
      console.log(`build: longest batch ${fmt(b.extra.maxBatchSeconds as number)} s, graph ${mbs(b.extra.graphBytes as number)}`);
      console.log(`build memory: RSS at start ${mbs(b.rssStartBytes)}, after ingest ${mbs(b.extra.rssAfterIngestBytes as number)} (peak so far ${mbs(b.extra.peakRssIngestBytes as number)}), after compact ${mbs(b.extra.rssAfterCompactBytes as number)}, peak ${mbs(b.peakRssBytes)}`);
    }
    if (b && h) console.log(`build / hnswlib-node: ${times(b.buildSeconds, h.buildSeconds)} the time (2 cores), 1 core ${times(builds[`${name} bun 1`]?.buildSeconds, h.buildSeconds)}; peak RSS ${times(b.peakRssBytes, h.peakRssBytes)}`);
    if (v && hs) {
      console.log(`serve RSS / hnswlib-node: Bun ${times(v.rssServeBytes, hs.rssServeBytes)} (above each runtime's start ${times(v.rssServeBytes - v.rssStartBytes, hs.rssServeBytes - hs.rssStartBytes)}), Deno ${times(vd?.rssServeBytes, hs.rssServeBytes)}`);
    }
    if (q !== "none" && serve["vectlite bun"]) {
      console.log(`${name} / vectlite (Bun): ${against(of(`${name} bun 2`, `${name} bun`), of("vectlite bun 2", "vectlite bun"))}`);
    }
  }
  if (serve["usearch"] && serve["usearch i8"]) {
    console.log(`\nusearch i8 / usearch: ${against(of("usearch i8 node 2", "usearch i8"), of("usearch node 2", "usearch"))}`);
  }
  console.log(`\nload before ${load[0].map((x) => x.toFixed(2)).join(" ")}, after ${load[1].map((x) => x.toFixed(2)).join(" ")}`);
}

/**
 * "open (Bun): 0.05 s, RSS after open 60 MB (12 MB above the process's start), peak during open
 * 61 MB; file 170 MB: RSS after open / file size 35.3% (above start 7.1%)": a vectlite serve
 * process's open (the best round's time, the first round's memory), against the file it opened.
 */
function openNote(runtime: string, s: ServeResult, fileBytes?: number): string {
  const after = s.extra.rssAfterOpenBytes as number | undefined;
  const above = after === undefined ? undefined : after - s.rssStartBytes;
  return `open (${runtime}): ${secs(s.openSeconds)}, RSS after open ${mbs(after)} (${mbs(above)} above the process's start), ` +
    `peak during open ${mbs(s.extra.peakRssOpenBytes as number)}; file ${mbs(fileBytes)}: ` +
    `RSS after open / file size ${pct(after, fileBytes)} (above start ${pct(above, fileBytes)})`;
}

/** One library's build (2 threads) and serve figures. */
interface Costs {
  build?: BuildResult | null;
  serve?: ServeResult;
}
/** "file 0.32x, build 0.29x, serve RSS 0.90x (above start 0.52x), open 0.5x": `a` against `b`. */
function against(a: Costs, b: Costs): string {
  const above = (s?: ServeResult) => s && s.rssServeBytes - s.rssStartBytes;
  return [
    `file ${times(a.build?.fileBytes, b.build?.fileBytes)}`,
    `build ${times(a.build?.buildSeconds, b.build?.buildSeconds)}`,
    `serve RSS ${times(a.serve?.rssServeBytes, b.serve?.rssServeBytes)} (above start ${times(above(a.serve), above(b.serve))})`,
    `open ${times(a.serve?.openSeconds, b.serve?.openSeconds)}`,
  ].join(", ");
}

/** With --sizes: how each library's costs grow with n, one row per library and size. */
function growth(runs: Run[]): void {
  console.log(`\n## How cost grows with n (${runs.map((r) => r.meta.n).join(", ")} x ${runs[0].meta.dim})\n`);
  const ratios = PEERS.length > 0;
  const hnswlib = peerRuns("hnswlib-node") || str("hnswlib-native") ? ", hnswlib 1" : "";
  md(["", "n", `build (2 threads${hnswlib})`, "file", "serve RSS", ...TARGETS.map((t) => `q/s at ${t}`), ...(ratios ? TARGETS.map((t) => `/ best peer at ${t}`) : [])]);
  md(Array(5 + (ratios ? 2 : 1) * TARGETS.length).fill("---"));
  const targets = runs.map((r) => atTargets(r.serve));
  for (const e of entries()) {
    runs.forEach((r, i) => {
      const sv = r.serve[e.key];
      const build = r.builds[e.build2 || e.build1];
      if (!sv && !build) return;
      md([
        e.label,
        String(r.meta.n),
        secs(build?.buildSeconds),
        e.file ? mbs(r.builds[e.file]?.fileBytes) : "(Bun's file)",
        mbs(sv?.rssServeBytes),
        ...targets[i].map((t) => (t.at[e.key] ? fmt(t.at[e.key]!.qps) : "not reached")),
        ...(ratios ? targets[i].map((t) => (t.at[e.key] && t.best ? times(t.at[e.key]!.qps, t.best.qps) : "-")) : []),
      ]);
    });
  }
}

// `bench/ann.ts --child build|serve ...` is bench/ann-vectlite.ts's (as it was this file's).
if (str("child")) await import("./ann-vectlite.ts");
else await driver();
