/**
 * Per-call cost across the FFI boundary, on a 1,000-record database of dimension 384:
 * the bare call (`vl_abi_version`, no arguments, no work), `db.get(id)` of a small record,
 * `db.search(q, { k: 10 })` with the default plan (1,000 records is past the default
 * `annThreshold` of 128, so an HNSW search; the line printed at the top says which), and
 * `db.search(q, { k: 10, exact: true })` (a scan of the 1,000 vectors). For get and search, the
 * same native call is also timed bare (`call(lib, "vl_get", ...)` with arguments encoded
 * once, on a second handle to a snapshot of the same data), so the difference is the
 * TypeScript layer's own cost: argument checks, JSON encoding, result decoding, the Promise.
 *
 *   bun bench/ffi.bench.ts
 *   deno run -A bench/ffi.bench.ts
 *
 * @module
 */
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { call, native } from "../ffi/native.ts";
import * as vectlite from "../mod.ts";
import { machine, randomVectors, removeDir, row, runtimeName, tempDir } from "./common.ts";

const N = 1_000;
const DIM = 384;
const QUERIES = 64;

const dir = tempDir();
const lib = await native();
const data = randomVectors(N, DIM, 42);
const queries = randomVectors(QUERIES, DIM, 7);
{
  const loader = await vectlite.open(`${dir}/load.vdb`, { dimension: DIM, sync: "normal" });
  await loader.upsertMany(
    Array.from({ length: N }, (_, i) => ({ id: `doc${i}`, vector: row(data, DIM, i), metadata: { n: i, tag: "t" } })),
  );
  // Two identical files, opened the same way: one through the API, one as a raw handle for
  // the bare native calls, so the API-vs-bare difference is the TypeScript layer alone.
  await loader.snapshot(`${dir}/api.vdb`);
  await loader.snapshot(`${dir}/raw.vdb`);
  await loader.close();
}
const db = await vectlite.open(`${dir}/api.vdb`);
const enc = new TextEncoder();
const rawPath = enc.encode(`${dir}/raw.vdb`);
const rawOpts = enc.encode("{}");
const raw = call(lib, "vl_open", rawPath, rawPath.length, rawOpts, rawOpts.length).scalar;
const getArgs = Array.from({ length: N }, (_, i) => enc.encode(JSON.stringify({ id: `doc${i}` })));
const searchOpts = enc.encode(JSON.stringify({ k: 10 }));
const exactOpts = enc.encode(JSON.stringify({ k: 10, exact: true }));

// Sanity: each benchmarked call does the work it claims to.
if ((await db.get("doc500"))?.metadata.n !== 500) throw new Error("get returned the wrong record");
const probe = await db.searchWithStats(row(queries, DIM, 0), { k: 10 });
if (probe.results.length !== 10) throw new Error("search returned fewer than 10");

console.log(`vectlite FFI per-call cost, ${runtimeName()}, ${N} records x ${DIM} dims (cosine)`);
console.log(`machine: ${machine()}`);
console.log(`db.search path: ${probe.stats.usedAnn ? "HNSW" : "exact scan"}, ${probe.stats.visited} vectors scored`);

let g = 0;
let q = 0;
summary(() => {
  group("per call", () => {
    bench("raw FFI: lib.fns.vl_abi_version()", () => do_not_optimize(lib.fns.vl_abi_version()));
    bench("db.get(id) (small record, no vectors)", async () => {
      g = (g + 7) % N;
      do_not_optimize(await db.get(`doc${g}`));
    });
    bench("bare vl_get (args pre-encoded, bytes not decoded)", () => {
      g = (g + 7) % N;
      const a = getArgs[g];
      do_not_optimize(call(lib, "vl_get", raw, a, a.length).bytes);
    });
    bench("db.search(q, { k: 10 }) over 1,000", async () => {
      q = (q + 1) % QUERIES;
      do_not_optimize(await db.search(row(queries, DIM, q), { k: 10 }));
    });
    bench("bare vl_search (k 10, options pre-encoded)", () => {
      q = (q + 1) % QUERIES;
      const v = row(queries, DIM, q);
      do_not_optimize(call(lib, "vl_search", raw, v, v.length, searchOpts, searchOpts.length).bytes);
    });
    bench("db.search(q, { k: 10, exact: true }) over 1,000", async () => {
      q = (q + 1) % QUERIES;
      do_not_optimize(await db.search(row(queries, DIM, q), { k: 10, exact: true }));
    });
    bench("bare vl_search (k 10, exact, options pre-encoded)", () => {
      q = (q + 1) % QUERIES;
      const v = row(queries, DIM, q);
      do_not_optimize(call(lib, "vl_search", raw, v, v.length, exactOpts, exactOpts.length).bytes);
    });
  });
});

await run({ colors: false });
await db.close();
call(lib, "vl_close", raw);
removeDir(dir);
