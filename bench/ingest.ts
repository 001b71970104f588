/**
 * Write-path costs, each in its own temp database, in two configurations: the default one
 * (an HNSW graph per namespace past `annThreshold`, 128 records, kept up to date by every
 * write) and "no graph" (`annThreshold` at its maximum, so only the storage path runs):
 * 1. `upsertMany` of 100,000 x 384 with metadata in batches of 10,000 (records/s; default
 *    config with sync "full", no-graph config with sync "full" and "normal");
 * 2. `compact()` time and the file size of the 100,000-record database;
 * 3. reopen time of the compacted 100,000-record database;
 * 4. reopen time of the same records when they are only in the WAL (see `WAL_ONLY_N`);
 * 5. single `upsert` latency p50/p99 (2,000 upserts into a fresh database), sync "full" and
 *    "normal", both configurations.
 *
 *   bun bench/ingest.ts
 *   deno run -A bench/ingest.ts
 *
 * Options: `--n 100000 --single 2000`. Takes a few minutes, mostly graph building.
 *
 * @module
 */
import { closeSync, fdatasyncSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import * as vectlite from "../mod.ts";
import {
  fileSize,
  fmt,
  machine,
  mb,
  median,
  percentile,
  randomVectors,
  removeDir,
  row,
  runtimeName,
  tempDir,
} from "./common.ts";

const argv = process.argv.slice(2);
function arg(name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}

const N = arg("n", 100_000);
const SINGLE = arg("single", 2_000);
const DIM = 384;
const BATCH = 10_000;
/** lib-rs/src/db.rs AUTO_COMPACT_MIN_WAL_BYTES: a larger WAL is folded into the .vdb. */
const AUTO_COMPACT_WAL_BYTES = 64 << 20;
/**
 * Auto-compaction keeps the WAL under 64 MiB, so 100,000 of these records (163 MB) can never
 * be in the WAL alone: 40,000 (about 66 MB of frames) is the most. The WAL-only reopen is
 * measured there, against the same 40,000 compacted, and scaled to N.
 */
const WAL_ONLY_N = Math.min(N, 40_000);

/** Open options of the two configurations. */
const CONFIGS = {
  default: {},
  "no graph": { annThreshold: 2 ** 32 - 1 },
} satisfies Record<string, vectlite.OpenOptions>;
type Config = keyof typeof CONFIGS;

const SOURCES = ["blog", "docs", "forum", "wiki"];
function record(i: number, data: Float32Array): vectlite.RecordInput {
  return {
    id: `doc-${i}`,
    vector: row(data, DIM, i % (data.length / DIM)),
    metadata: { source: SOURCES[i % 4], n: i, title: `Document number ${i}`, tags: ["bench", `t${i % 10}`] },
  };
}

const ms = (t0: number) => performance.now() - t0;
const results: Record<string, unknown> = { runtime: runtimeName(), n: N, dim: DIM };
const dir = tempDir();
const data = randomVectors(N, DIM, 42);

console.log(`vectlite ingest, ${runtimeName()}: ${N} x ${DIM}, batches of ${BATCH}, temp dir ${dir}`);
console.log(`machine: ${machine()}`);

function open(path: string, config: Config, sync: "full" | "normal"): Promise<vectlite.Database> {
  return vectlite.open(path, { dimension: DIM, sync, ...CONFIGS[config] });
}

/** Upserts records [0, n) in batches; records/s and the longest batch in ms. */
async function ingest(db: vectlite.Database, n: number) {
  let maxBatchMs = 0;
  const t0 = performance.now();
  for (let start = 0; start < n; start += BATCH) {
    const batch: vectlite.RecordInput[] = [];
    for (let i = start; i < Math.min(n, start + BATCH); i++) batch.push(record(i, data));
    const tb = performance.now();
    await db.upsertMany(batch);
    maxBatchMs = Math.max(maxBatchMs, ms(tb));
  }
  const seconds = ms(t0) / 1000;
  return { recordsPerSec: n / seconds, seconds, maxBatchMs };
}

/** Median time of `times` opens (each closed again) of `path`, checking the count. */
async function reopen(path: string, config: Config, expected: number, times: number): Promise<number> {
  const all: number[] = [];
  for (let r = 0; r < times; r++) {
    const t0 = performance.now();
    const db = await vectlite.open(path, CONFIGS[config]);
    all.push(ms(t0));
    const c = await db.count();
    if (c !== expected) throw new Error(`${path} reopened with ${c} records, expected ${expected}`);
    await db.close();
  }
  return median(all);
}

const files = (path: string) => ({ vdb: fileSize(path), wal: fileSize(`${path}-wal`) });

/** 1-3: bulk ingest of N, compact, reopen. */
async function bulk(config: Config, sync: "full" | "normal", measureCompact: boolean) {
  const path = join(dir, `bulk-${config.replace(" ", "-")}-${sync}.vdb`);
  const db = await open(path, config, sync);
  const r = await ingest(db, N);
  const afterIngest = files(path);
  console.log(
    `upsertMany [${config}, sync ${sync}]: ${fmt(r.recordsPerSec)} records/s (${fmt(r.seconds)} s; ` +
      `longest batch ${fmt(r.maxBatchMs)} ms); after ingest .vdb ${mb(afterIngest.vdb)}, WAL ${mb(afterIngest.wal)}`,
  );
  const out: Record<string, unknown> = { ...r, afterIngest };
  if (measureCompact) {
    const t0 = performance.now();
    await db.compact();
    const compactMs = ms(t0);
    const after = files(path);
    await db.close();
    const reopenMs = await reopen(path, config, N, 3);
    Object.assign(out, { compactMs, afterCompact: after, bytesPerRecord: after.vdb / N, reopenCompactedMs: reopenMs });
    console.log(
      `  compact: ${fmt(compactMs)} ms -> .vdb ${mb(after.vdb)} (${fmt(after.vdb / N)} bytes/record); ` +
        `reopen compacted ${N}: ${fmt(reopenMs)} ms (median of 3)`,
    );
  } else {
    await db.close();
  }
  results[`bulk [${config}, ${sync}]`] = out;
}

/** 4: WAL_ONLY_N records only in the WAL, reopened; then compacted and reopened. */
async function walOnly(config: Config, times: number) {
  const path = join(dir, `wal-${config.replace(" ", "-")}.vdb`);
  let db = await open(path, config, "normal");
  await ingest(db, WAL_ONLY_N);
  await db.close();
  const state = files(path);
  if (state.wal > AUTO_COMPACT_WAL_BYTES || state.wal === 0 || state.vdb > 1 << 20) {
    console.log(`WARNING: .vdb ${mb(state.vdb)}, WAL ${mb(state.wal)}: not the WAL-only case this claims to measure`);
  }
  const walMs = await reopen(path, config, WAL_ONLY_N, times);
  db = await vectlite.open(path, CONFIGS[config]);
  await db.compact();
  await db.close();
  const compactedMs = await reopen(path, config, WAL_ONLY_N, 3);
  const scaled = (walMs * N) / WAL_ONLY_N;
  results[`walOnly [${config}]`] = { n: WAL_ONLY_N, ...state, reopenWalMs: walMs, reopenCompactedMs: compactedMs };
  console.log(
    `reopen ${WAL_ONLY_N} [${config}] from the WAL only (WAL ${mb(state.wal)}): ${fmt(walMs)} ms ` +
      `(${times === 1 ? "1 run" : `median of ${times}`}; x${N / WAL_ONLY_N} = ${fmt(scaled)} ms for ${N}); ` +
      `compacted: ${fmt(compactedMs)} ms; WAL/compacted ${fmt(walMs / compactedMs)}`,
  );
}

/**
 * The peer of a sync "full" upsert: appending a WAL-frame-sized block (1.7 kB) to a file
 * and fdatasync-ing it, `count` times, in the same directory. This VM's fsync latency
 * swings by two orders of magnitude over minutes, so it is measured next to each run.
 */
function rawFdatasync(count = 300): { p50Us: number; p99Us: number } {
  const fd = openSync(join(dir, "fdatasync.probe"), "w");
  const block = new Uint8Array(1700).fill(42);
  const lat: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    writeSync(fd, block);
    fdatasyncSync(fd);
    lat.push(ms(t) * 1000);
  }
  closeSync(fd);
  lat.sort((a, b) => a - b);
  return { p50Us: percentile(lat, 50), p99Us: percentile(lat, 99) };
}

/** 5: single-upsert latency into a fresh database. */
async function single(config: Config, sync: "full" | "normal") {
  const path = join(dir, `single-${config.replace(" ", "-")}-${sync}.vdb`);
  const db = await open(path, config, sync);
  for (let i = 0; i < 200; i++) await db.upsert(`warm-${i}`, row(data, DIM, N - 1 - i), { warm: true }); // JIT; past annThreshold
  const disk = sync === "full" ? rawFdatasync() : undefined;
  const lat: number[] = new Array(SINGLE);
  const t0 = performance.now();
  for (let i = 0; i < SINGLE; i++) {
    const r = record(i, data);
    const t = performance.now();
    await db.upsert(r.id, r.vector, r.metadata);
    lat[i] = ms(t) * 1000;
  }
  const total = ms(t0) / 1000;
  await db.close();
  lat.sort((a, b) => a - b);
  const s = {
    p50Us: percentile(lat, 50),
    p99Us: percentile(lat, 99),
    maxUs: lat[lat.length - 1],
    perSec: SINGLE / total,
    rawFdatasync: disk,
  };
  results[`single [${config}, ${sync}]`] = s;
  console.log(
    `single upsert [${config}, sync ${sync}]: p50 ${fmt(s.p50Us)} us, p99 ${fmt(s.p99Us)} us, max ${fmt(s.maxUs)} us ` +
      `(${fmt(s.perSec)} upserts/s over ${SINGLE}, after 200 warm-up upserts)` +
      (disk ? `; raw write+fdatasync just before: p50 ${fmt(disk.p50Us)} us, p99 ${fmt(disk.p99Us)} us` : ""),
  );
}

await bulk("default", "full", true);
await bulk("no graph", "full", true);
await bulk("no graph", "normal", false);
await walOnly("default", 1); // each reopen rebuilds the graph from scratch: one is enough
await walOnly("no graph", 3);
for (const config of ["default", "no graph"] as const) {
  for (const sync of ["full", "normal"] as const) await single(config, sync);
}

removeDir(dir);
console.log(`RESULT ${JSON.stringify(results)}`);
