/**
 * Exact-scan throughput: 100,000 x 384 cosine, one query at a time, top 10.
 *
 * Measured in the same run, in alternating rounds (the machine is shared, so only ratios
 * taken side by side mean much):
 * - vectlite: `await db.search(q, { k: 10 })`, on the database just ingested and on a second
 *   handle opened from a snapshot of it (loaded into one array of its full size, the way a
 *   database is after a restart; the ingested array grew by doubling);
 * - js: a plain Float32Array loop in this runtime (dot products over one big array,
 *   precomputed inverse norms, a bounded top-10);
 * - rust: lib-rs/examples/scan_baseline.rs run as a child process with
 *   `cargo run --release --example scan_baseline`: the same scan in plain Rust with
 *   vectlite's own `distance::dot` ("simd", the baseline of the headline ratio), with the
 *   compiler-vectorised `dot_portable`, and with a naive `iter().zip().sum()`; plus the
 *   memory streaming bandwidth (summing the 153.6 MB data array). Its data is advised for
 *   transparent huge pages before first touch, as vectlite advises its vector arrays; the
 *   `4k` variants rerun the simd scan and the bandwidth on 4 KiB pages.
 *
 * The data is bit-identical in all three (bench/common.ts `randomVectors`), and the top-10
 * of query 0 is compared id for id before anything is timed.
 *
 *   bun bench/scan.ts
 *   deno run -A bench/scan.ts
 *
 * Options: `--n 100000 --rounds 5 --seconds 2` (seconds per measurement).
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as vectlite from "../mod.ts";
import { fmt, machine, mb, median, randomVectors, removeDir, repoRoot, row, runtimeName, tempDir } from "./common.ts";

const argv = process.argv.slice(2);
function arg(name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}

const N = arg("n", 100_000);
const DIM = 384;
const K = 10;
const QUERIES = 64;
const ROUNDS = arg("rounds", 5);
const SECONDS = arg("seconds", 2);
const BATCH = 10_000;
const BYTES_PER_QUERY = N * DIM * 4;
const libDir = join(repoRoot, "lib-rs");

interface RustScan {
  queries: number;
  seconds: number;
  qps: number;
  gbPerSec: number;
  top0: number[];
}
interface RustReport {
  avx2fma: boolean;
  anonHugeKB: number;
  generateMs: number;
  simd: RustScan;
  simd4k: RustScan;
  portable: RustScan;
  naive: RustScan;
  bandwidth: { gbPerSec: number };
  bandwidth4k: { gbPerSec: number };
}

/** AnonHugePages of this process in kB (Linux), or -1: how much huge-page backing vectlite got. */
function anonHugeKB(): number {
  try {
    const m = /AnonHugePages:\s+(\d+) kB/.exec(readFileSync("/proc/self/smaps_rollup", "utf8"));
    return m ? Number(m[1]) : -1;
  } catch {
    return -1;
  }
}

function spawn(command: string, args: string[]): string {
  const r = spawnSync(command, args, { cwd: libDir, encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

const baselineArgs = `--n ${N} --dim ${DIM} --k ${K} --queries ${QUERIES} --seed 42 --query-seed 7`.split(" ");
const baselineBinary = join(libDir, "target", "release", "examples", "scan_baseline");
/** Set once cargo has failed: from then on the last built binary is run directly. */
let useBuiltBinary = false;

/**
 * Runs the baseline (each variant for `seconds`) through cargo, or the last built binary
 * once cargo has failed.
 */
function rustBaseline(seconds: number): RustReport {
  const args = [...baselineArgs, "--seconds", String(seconds)];
  if (!useBuiltBinary) {
    try {
      const out = spawn("cargo", ["run", "--release", "--quiet", "--example", "scan_baseline", "--", ...args]);
      return JSON.parse(out.trim().split("\n").pop()!) as RustReport;
    } catch (e) {
      fallBack(e);
    }
  }
  return JSON.parse(spawn(baselineBinary, args).trim().split("\n").pop()!) as RustReport;
}

/** The crate may not compile at a given moment (someone is mid-edit): use the last binary. */
function fallBack(e: unknown): void {
  if (!existsSync(baselineBinary)) throw e;
  useBuiltBinary = true;
  console.log(`WARNING: cargo failed, running the last built ${baselineBinary}:\n${(e as Error).message}`);
}

/** The plain-JS reference: one pass over `data`, a sorted top-k kept in two small arrays. */
function jsScan(data: Float32Array, invNorms: Float32Array, q: Float32Array, k: number): Int32Array {
  let qq = 0;
  for (let j = 0; j < DIM; j++) qq += q[j] * q[j];
  const invQ = qq > 0 ? 1 / Math.sqrt(qq) : 0;
  const topS = new Float64Array(k).fill(-Infinity);
  const topI = new Int32Array(k).fill(-1);
  let threshold = -Infinity;
  const n = data.length / DIM;
  for (let i = 0, base = 0; i < n; i++, base += DIM) {
    let s = 0;
    for (let j = 0; j < DIM; j++) s += q[j] * data[base + j];
    s = s * invQ * invNorms[i];
    if (s > threshold) {
      let p = k - 1;
      while (p > 0 && topS[p - 1] < s) {
        topS[p] = topS[p - 1];
        topI[p] = topI[p - 1];
        p--;
      }
      topS[p] = s;
      topI[p] = i;
      threshold = topS[k - 1];
    }
  }
  return topI;
}

/** Calls `one(i)` for query i = 0, 1, 2, ... until `seconds` have passed; queries/s. */
async function timed(seconds: number, one: (i: number) => unknown): Promise<number> {
  await one(0); // warm-up
  const start = performance.now();
  let done = 0;
  while (done === 0 || performance.now() - start < seconds * 1000) {
    await one(done % QUERIES);
    done++;
  }
  return done / ((performance.now() - start) / 1000);
}

const gb = (qps: number) => (qps * BYTES_PER_QUERY) / 1e9;

console.log(`vectlite exact scan, ${runtimeName()}: ${N} x ${DIM} cosine, k=${K}, ${ROUNDS} rounds of ${SECONDS}s`);
console.log(`machine: ${machine()}`);

// Build the Rust baseline before anything is timed (a no-op when it is up to date). If the
// crate does not compile at the moment (someone is mid-edit), run the last built binary.
try {
  spawn("cargo", ["build", "--release", "--quiet", "--example", "scan_baseline"]);
} catch (e) {
  fallBack(e);
}

const data = randomVectors(N, DIM, 42);
const queries = randomVectors(QUERIES, DIM, 7);
const invNorms = new Float32Array(N);
for (let i = 0; i < N; i++) {
  let s = 0;
  for (let j = i * DIM; j < (i + 1) * DIM; j++) s += data[j] * data[j];
  invNorms[i] = s > 0 ? 1 / Math.sqrt(s) : 0;
}

const dir = tempDir();
// No HNSW graph (annThreshold at its maximum): this measures the exact scan, and building a
// graph over 100,000 vectors would take longer than the whole benchmark.
const db = await vectlite.open(join(dir, "scan.vdb"), { dimension: DIM, sync: "normal", annThreshold: 2 ** 32 - 1 });
let t = performance.now();
for (let start = 0; start < N; start += BATCH) {
  const batch = [];
  for (let i = start; i < Math.min(N, start + BATCH); i++) batch.push({ id: String(i), vector: row(data, DIM, i) });
  await db.upsertMany(batch);
}
const ingestS = (performance.now() - t) / 1000;
console.log(
  `ingest: ${N} records in ${fmt(ingestS)} s (${fmt(N / ingestS)} records/s, upsertMany x${BATCH}, sync normal)`,
);
const hugeAfterIngest = anonHugeKB();
// The same data as a database opened from a file: `snapshot` writes a .vdb, and opening it
// loads the vectors into one array allocated at its full size (the ingested one grew by
// doubling), which is how a database looks after a restart.
await db.snapshot(join(dir, "opened.vdb"));
const opened = await vectlite.open(join(dir, "opened.vdb"), { sync: "normal", annThreshold: 2 ** 32 - 1 });
const hugeAfterOpen = anonHugeKB();
console.log(
  `huge pages backing this process: ${hugeAfterIngest} kB after ingest, ${hugeAfterOpen} kB after opening the ` +
    `snapshot (the vectors are ${mb(BYTES_PER_QUERY)} per database)`,
);

// Cross-check before timing: every scan must find the same top 10 for query 0.
const options: vectlite.SearchOptions = { k: K };
const probe = await db.searchWithStats(row(queries, DIM, 0), options);
if (probe.stats.usedAnn) {
  options.exact = true; // a later version may route this to the ANN index: keep the scan exact
  console.log("note: search used the ANN index; measuring with { exact: true }");
}
t = performance.now();
const first = rustBaseline(0.2); // a short run, for the cross-check only
console.log(
  `rust baseline check run: ${fmt((performance.now() - t) / 1000)} s (data generation ${fmt(first.generateMs)} ms; ` +
    `huge pages backing it: ${first.anonHugeKB} kB for ${mb(2 * BYTES_PER_QUERY)} of data)`,
);
const expected = first.simd.top0.join(",");
const vectliteTop = (await db.search(row(queries, DIM, 0), options)).map((r) => r.id).join(",");
const openedTop = (await opened.search(row(queries, DIM, 0), options)).map((r) => r.id).join(",");
const jsTop = Array.from(jsScan(data, invNorms, row(queries, DIM, 0), K)).join(",");
for (
  const [name, got] of [["vectlite", vectliteTop], ["vectlite opened", openedTop], ["js", jsTop], [
    "rust portable",
    first.portable.top0.join(","),
  ], [
    "rust naive",
    first.naive.top0.join(","),
  ]]
) {
  if (got !== expected) {
    console.log(`WARNING: ${name} top-10 of query 0 differs from rust simd:\n  ${got}\n  ${expected}`);
  }
}
console.log(`top-10 of query 0 checked (${expected})${probe.stats.visited === N ? `, ${N} vectors visited` : ""}`);

interface Round {
  vectlite: number;
  opened: number;
  js: number;
  rust: RustReport;
}
const rounds: Round[] = [];
for (let r = 0; r < ROUNDS; r++) {
  // vectlite right before the Rust process (whose first variant is simd), so the figures of
  // the headline ratios are taken seconds apart.
  const j = await timed(SECONDS, (i) => jsScan(data, invNorms, row(queries, DIM, i), K));
  const v = await timed(SECONDS, (i) => db.search(row(queries, DIM, i), options));
  const o = await timed(SECONDS, (i) => opened.search(row(queries, DIM, i), options));
  const rust = rustBaseline(Math.max(0.5, SECONDS * 0.75));
  rounds.push({ vectlite: v, opened: o, js: j, rust });
  console.log(
    `round ${r + 1}: js ${fmt(j)} q/s, vectlite ${fmt(v)} q/s (opened ${fmt(o)}), rust simd ${fmt(rust.simd.qps)} ` +
      `(4k pages ${fmt(rust.simd4k.qps)}), portable ${fmt(rust.portable.qps)}, naive ${fmt(rust.naive.qps)}, ` +
      `bandwidth ${fmt(rust.bandwidth.gbPerSec)} GB/s (4k pages ${fmt(rust.bandwidth4k.gbPerSec)}), ` +
      `vectlite/rust ${fmt(v / rust.simd.qps)} (opened ${fmt(o / rust.simd.qps)})`,
  );
}
await db.close();
await opened.close();
removeDir(dir);

const m = (f: (r: Round) => number) => median(rounds.map(f));
const summary = {
  runtime: runtimeName(),
  n: N,
  dim: DIM,
  k: K,
  rounds: ROUNDS,
  avx2fma: first.avx2fma,
  hugePagesKB: { afterIngest: hugeAfterIngest, afterOpen: hugeAfterOpen, rustBaseline: first.anonHugeKB },
  ingestRecordsPerSec: N / ingestS,
  qps: {
    vectlite: m((r) => r.vectlite),
    vectliteOpened: m((r) => r.opened),
    js: m((r) => r.js),
    rustSimd: m((r) => r.rust.simd.qps),
    rustSimd4k: m((r) => r.rust.simd4k.qps),
    rustPortable: m((r) => r.rust.portable.qps),
    rustNaive: m((r) => r.rust.naive.qps),
  },
  bandwidthGBs: m((r) => r.rust.bandwidth.gbPerSec),
  bandwidth4kGBs: m((r) => r.rust.bandwidth4k.gbPerSec),
  // Ratios: the median of the per-round ratios (each taken side by side).
  ratio: {
    vectliteOverRustSimd: m((r) => r.vectlite / r.rust.simd.qps),
    vectliteOpenedOverRustSimd: m((r) => r.opened / r.rust.simd.qps),
    vectliteOverRustSimd4k: m((r) => r.vectlite / r.rust.simd4k.qps),
    vectliteOverRustPortable: m((r) => r.vectlite / r.rust.portable.qps),
    vectliteOverJs: m((r) => r.vectlite / r.js),
    vectliteOverBandwidth: m((r) => gb(r.vectlite) / r.rust.bandwidth.gbPerSec),
    vectliteOpenedOverBandwidth: m((r) => gb(r.opened) / r.rust.bandwidth.gbPerSec),
  },
};

console.log("\n| scan (median of rounds) | queries/s | ms/query | GB/s effective |");
console.log("| --- | ---: | ---: | ---: |");
for (
  const [name, qps] of [
    ["vectlite db.search, freshly ingested", summary.qps.vectlite],
    ["vectlite db.search, opened from a .vdb", summary.qps.vectliteOpened],
    [`plain JS loop (${runtimeName()})`, summary.qps.js],
    ["Rust, distance::dot (AVX2+FMA)", summary.qps.rustSimd],
    ["Rust, distance::dot, 4 KiB pages", summary.qps.rustSimd4k],
    ["Rust, dot_portable (8 accumulators)", summary.qps.rustPortable],
    ["Rust, naive iter().zip().sum()", summary.qps.rustNaive],
  ] as const
) {
  console.log(`| ${name} | ${fmt(qps)} | ${fmt(1000 / qps)} | ${fmt(gb(qps))} |`);
}
console.log(`| memory streaming (Rust sum) | | | ${fmt(summary.bandwidthGBs)} |`);
console.log(`| memory streaming, 4 KiB pages | | | ${fmt(summary.bandwidth4kGBs)} |`);
console.log(
  `\nvectlite / Rust simd = ${fmt(summary.ratio.vectliteOverRustSimd)} ingested, ` +
    `${fmt(summary.ratio.vectliteOpenedOverRustSimd)} opened (goal >= 0.8), ` +
    `vectlite / Rust simd on 4 KiB pages = ${fmt(summary.ratio.vectliteOverRustSimd4k)}, ` +
    `vectlite / Rust portable = ${fmt(summary.ratio.vectliteOverRustPortable)}, ` +
    `vectlite / JS = ${fmt(summary.ratio.vectliteOverJs)}, ` +
    `vectlite GB/s / memory bandwidth = ${fmt(summary.ratio.vectliteOverBandwidth)} ingested, ` +
    `${fmt(summary.ratio.vectliteOpenedOverBandwidth)} opened`,
);
console.log(`RESULT ${JSON.stringify(summary)}`);
