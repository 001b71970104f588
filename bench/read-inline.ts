/**
 * What a read costs inline and on the pool: the latency of one exact search, awaited alone,
 * run on the calling thread and run on the native read pool, for growing databases. The
 * pool adds a round trip (hand the read to a thread, wake the JavaScript thread when it is
 * done); inline, the read holds the event loop for its whole duration. The figures set
 * `INLINE_WORK` of lib-rs/src/search/cost.rs (work = records x (dimension + 16)): the
 * scoring rate in work per µs, and the round trip that inline reads save.
 *
 *   bun bench/read-inline.ts      deno run -A bench/read-inline.ts      node --import tsx bench/read-inline.ts
 *
 * @module
 */
import * as vectlite from "../mod.ts";
import { useReadPolicy } from "../src/threads.ts";
import { machine, median, randomVectors, removeDir, row, runtimeName, tempDir } from "./common.ts";

const DIM = 128;
const SIZES = [125, 250, 500, 1_000, 2_000, 4_000, 8_000];
const RUNS = 400;

const dir = tempDir();
const all = randomVectors(SIZES[SIZES.length - 1] + 64, DIM, 11);
const queries = Array.from({ length: 64 }, (_, i) => row(all, DIM, SIZES[SIZES.length - 1] + i));

/** Median latency in µs of one awaited exact search. */
async function latency(db: vectlite.Database): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await db.search(queries[i % queries.length], { k: 10, exact: true });
    times.push((performance.now() - t) * 1000);
  }
  return median(times);
}

console.log(`one exact search (k 10, dimension ${DIM}), awaited alone; median of ${RUNS}; ${runtimeName()}`);
console.log(`machine: ${machine()}`);
console.log("records    work      inline µs   pool µs   pool - inline µs");
try {
  for (const n of SIZES) {
    const db = await vectlite.open(`${dir}/n${n}.vdb`, { dimension: DIM, annThreshold: 1_000_000 });
    await db.upsertMany(Array.from({ length: n }, (_, i) => ({ id: `r${i}`, vector: row(all, DIM, i) })));
    useReadPolicy("inline");
    await latency(db); // warm
    const inline = await latency(db);
    useReadPolicy("pool");
    await latency(db);
    const pool = await latency(db);
    const work = n * (DIM + 16);
    console.log(
      `${String(n).padStart(7)} ${String(work).padStart(9)} ${inline.toFixed(1).padStart(11)} ${pool.toFixed(1).padStart(9)} ${(pool - inline).toFixed(1).padStart(12)}`,
    );
    await db.close();
  }
} finally {
  useReadPolicy("auto");
  removeDir(dir);
}
