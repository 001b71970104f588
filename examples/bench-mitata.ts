/**
 * A small benchmark to run on your own machine (mitata): search and insert on a database of
 * 10,000 x 128 vectors (cosine, seeded random data, HNSW past 128 records).
 *
 *   bun examples/bench-mitata.ts
 *   deno run -A examples/bench-mitata.ts
 *
 * Prints the time to load the 10,000 records first, then mitata's table: search with k 10
 * through the HNSW graph, as an exact scan, and with a filter matching 10% of the records;
 * one `upsert`, and an `upsertMany` of 1,000 records (one WAL transaction). Writes use
 * `sync: "normal"` (fsync at most every 200 ms) so the disk's fsync latency does not hide the
 * database's own cost. Takes 10 to 20 seconds; the files go to a temporary directory removed
 * at the end.
 *
 * @module
 */
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vectlite from "../mod.ts";

const N = 10_000;
const DIM = 128;
const QUERIES = 256;

/** Seeded random vectors in [-1, 1) (xorshift32), row after row. */
function randomVectors(count: number, dim: number, seed: number): Float32Array {
  const out = new Float32Array(count * dim);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) / 2 ** 31 - 1;
  }
  return out;
}
const row = (data: Float32Array, i: number) => data.subarray(i * DIM, (i + 1) * DIM);

const dir = mkdtempSync(join(tmpdir(), "vectlite-bench-"));
const data = randomVectors(N, DIM, 42);
const queries = randomVectors(QUERIES, DIM, 7);
const records = Array.from({ length: N }, (_, i) => ({ id: `doc${i}`, vector: row(data, i), metadata: { group: i % 10 } }));

const db = await vectlite.open(join(dir, "bench.vdb"), { dimension: DIM, sync: "normal" });
let started = performance.now();
await db.upsertMany(records);
const loadMs = performance.now() - started;
started = performance.now();
await db.compact();
const compactMs = performance.now() - started;
console.log(`vectlite ${vectlite.version}, ${"Bun" in globalThis ? "Bun" : "Deno"}: ${N.toLocaleString("en-US")} x ${DIM} loaded with upsertMany in ${loadMs.toFixed(0)} ms ` +
  `(${Math.round(N / (loadMs / 1000)).toLocaleString("en-US")} records/s, HNSW graph included), compacted in ${compactMs.toFixed(0)} ms\n`);

// Inserts go to a copy, so the searches always see the same 10,000 records.
await db.snapshot(join(dir, "writes.vdb"));
const writes = await vectlite.open(join(dir, "writes.vdb"), { sync: "normal" });
const fresh = randomVectors(1_000, DIM, 99);
let q = 0, next = 0;

summary(() => {
  group(`search, ${N.toLocaleString("en-US")} x ${DIM}, k 10`, () => {
    bench("db.search (HNSW)", async () => {
      q = (q + 1) % QUERIES;
      do_not_optimize(await db.search(row(queries, q), { k: 10 }));
    });
    bench("db.search (exact scan)", async () => {
      q = (q + 1) % QUERIES;
      do_not_optimize(await db.search(row(queries, q), { k: 10, exact: true }));
    });
    bench("db.search, filter { group: 3 } (10%)", async () => {
      q = (q + 1) % QUERIES;
      do_not_optimize(await db.search(row(queries, q), { k: 10, filter: { group: 3 } }));
    });
  });
});

group(`insert into ${N.toLocaleString("en-US")} x ${DIM}`, () => {
  bench("db.upsert, 1 new record", async () => {
    await writes.upsert(`new${next++}`, row(fresh, next % 1_000), { group: 1 });
  });
  bench("db.upsertMany, 1,000 new records", async () => {
    const base = next;
    next += 1_000;
    await writes.upsertMany(Array.from({ length: 1_000 }, (_, i) => ({ id: `new${base + i}`, vector: row(fresh, i), metadata: { group: 2 } })));
  });
});

await run({ colors: false });
await db.close();
await writes.close();
rmSync(dir, { recursive: true, force: true });
