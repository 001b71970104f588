/**
 * `bulkIngest` of bench/ann.ts's data set (100,000 x 384, L2-normalised Gaussian mixture)
 * with metadata, against hnswlib-node building the same index (M 16, efConstruction 200) in
 * the same run (the goal: ingest at least as fast, with durability).
 *
 * vectlite: `bulkIngest` of `{ id, vector, metadata: { bucket } }` from a generator, batches
 * of 10,000, default options (sync "full": every batch fsynced before the next), in this
 * runtime. Its graph is updated once, at the end: "ingest" is the time to the last
 * `onProgress`, "index" the rest of the call. A second run with `annThreshold` past the size
 * gives the ingest without any graph. The longest gap between the ticks of a 5 ms timer is
 * recorded too (the event-loop stall). hnswlib-node: `bench/ann-peers.mjs --child build`
 * under Node (one thread; `addPoint` is synchronous).
 *
 *   bun bench/bulk-ingest.ts --data /tmp/ann-data       deno run -A bench/bulk-ingest.ts --data /tmp/ann-data
 *
 * `--data DIR` must hold the data set (`bun bench/ann.ts --data DIR` writes it), or is
 * generated into.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import * as vectlite from "../mod.ts";
import { type AnnMeta, ensureData, readF32 } from "./ann-data.ts";
import { fmt, GapMeter, machine, removeDir, row, runtimeName, tempDir } from "./common.ts";

const argv = process.argv.slice(2);
const i = argv.indexOf("--data");
const dir = i >= 0 ? argv[i + 1] : tempDir("vectlite-bulk-data-");
const want: Omit<AnnMeta, "generateSeconds" | "truthSeconds"> = {
  n: 100_000,
  dim: 384,
  queries: 1_000,
  k: 10,
  clusters: 100,
  rank: 64,
  noise: 0.2,
};
const meta = ensureData(dir, want, (s) => console.error(s));
const base = readF32(join(dir, "base.f32"));

async function ingest(graph: boolean) {
  const work = tempDir("vectlite-bulk-");
  const options: vectlite.OpenOptions = { dimension: meta.dim, hnsw: { m: 16, efConstruction: 200 } };
  if (!graph) options.annThreshold = 2 ** 32 - 1;
  const db = await vectlite.open(join(work, "b.vdb"), options);
  function* records() {
    for (let r = 0; r < meta.n; r++) yield { id: String(r), vector: row(base, meta.dim, r), metadata: { bucket: r % 100 } };
  }
  const gaps = new GapMeter(5);
  const t0 = performance.now();
  let lastProgress = t0;
  const n = await db.bulkIngest(records(), { batchSize: 10_000, onProgress: (p) => { if (p.phase === "write") lastProgress = performance.now(); } });
  const total = (performance.now() - t0) / 1000;
  gaps.stop();
  const longest = gaps.longestMs;
  const stats = await db.stats();
  const nodes = stats.namespaces[""].index?.nodes ?? 0;
  if (n !== meta.n || (graph && nodes !== meta.n)) throw new Error(`ingested ${n}, graph nodes ${nodes}`);
  await db.close();
  removeDir(work);
  // The index phase: from the last batch's progress to the end of the call.
  const ingested = (lastProgress - t0) / 1000;
  return { total, ingest: ingested, index: total - ingested, longest };
}

const withGraph = await ingest(true);
const noGraph = await ingest(false);
const peers = join(new URL(".", import.meta.url).pathname, "ann-peers.mjs");
const out = spawnSync("node", ["--expose-gc", peers, "--lib", "hnswlib", "--child", "build", "--data", dir, "--out", join(dir, "hnswlib-bulk.bin")], {
  encoding: "utf8",
  maxBuffer: 1 << 24,
});
if (out.status !== 0) throw new Error(`hnswlib-node build failed: ${out.stderr}`);
const hnsw = JSON.parse(out.stdout.trim().split("\n").pop()!);

const rate = (s: number) => fmt(meta.n / s);
console.log(`${runtimeName()}, ${machine()}; ${meta.n} x ${meta.dim}, batches of 10,000, sync "full"`);
console.log(
  `vectlite bulkIngest with graph: ${fmt(withGraph.total)} s (${rate(withGraph.total)} records/s): ingest ${fmt(withGraph.ingest)} s, ` +
    `index at the end ${fmt(withGraph.index)} s; longest timer gap ${fmt(withGraph.longest)} ms`,
);
console.log(`vectlite bulkIngest, no graph: ${fmt(noGraph.total)} s (${rate(noGraph.total)} records/s); longest timer gap ${fmt(noGraph.longest)} ms`);
console.log(`hnswlib-node build (1 thread, in memory, nothing on disk): ${fmt(hnsw.buildSeconds)} s (${rate(hnsw.buildSeconds)} records/s)`);
console.log(`hnswlib-node time / vectlite time (graph included): ${fmt(hnsw.buildSeconds / withGraph.total)}`);
console.log("RESULT " + JSON.stringify({ runtime: runtimeName(), withGraph, noGraph, hnswlibBuildSeconds: hnsw.buildSeconds }));
