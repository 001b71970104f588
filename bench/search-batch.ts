/**
 * `searchBatch` against one search at a time: 10,000 queries (the data set's queries, in
 * turn) on 100,000 x 384 (int8, HNSW, efSearch 64, k 10), as queries/s of one awaited
 * `search` after another, of all 10,000 issued together without awaiting, and of one
 * `searchBatch` call; three rounds each, the median. The batch spreads over the read pool
 * (one thread per core).
 *
 *   bun bench/search-batch.ts --data DIR      deno run -A bench/search-batch.ts --data DIR
 *
 * DIR is a data directory of `bench/ann.ts` run with `--quantization int8` (vectlite-int8.vdb
 * and query.f32), e.g. after `bun bench/ann.ts --data /tmp/ann-data`.
 *
 * @module
 */
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import * as vectlite from "../mod.ts";
import { readF32, readMeta } from "./ann-data.ts";
import { machine, median, removeDir, runtimeName, tempDir } from "./common.ts";

const argv = process.argv.slice(2);
const i = argv.indexOf("--data");
const data = i >= 0 ? argv[i + 1] : undefined;
if (!data) throw new Error("--data DIR is required (see the header of bench/search-batch.ts)");
const QUERIES = 10_000, ROUNDS = 3;
const options = { k: 10, efSearch: 64 };

const meta = readMeta(data);
const all = readF32(join(data, "query.f32"));
const queries = Array.from({ length: QUERIES }, (_, q) => all.subarray((q % meta.queries) * meta.dim, (q % meta.queries + 1) * meta.dim));
const dir = tempDir();
copyFileSync(join(data, "vectlite-int8.vdb"), join(dir, "db.vdb"));
const db = await vectlite.open(join(dir, "db.vdb"), { readOnly: true });

async function qps(run: () => Promise<unknown>): Promise<number> {
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    await run();
    rates.push(QUERIES / ((performance.now() - t) / 1000));
  }
  return median(rates);
}

try {
  await db.searchBatch(queries.slice(0, 1000), options); // warm: pages of the file, pool threads
  const one = await qps(async () => {
    for (const q of queries) await db.search(q, options);
  });
  const together = await qps(() => Promise.all(queries.map((q) => db.search(q, options))));
  const batch = await qps(() => db.searchBatch(queries, options));
  console.log(`${QUERIES} queries, 100,000 x 384 int8, efSearch 64, k 10; ${runtimeName()}; median of ${ROUNDS}`);
  console.log(`machine: ${machine()}`);
  console.log(`one search at a time        ${Math.round(one).toLocaleString("en-US").padStart(8)} q/s`);
  console.log(`all issued without awaiting ${Math.round(together).toLocaleString("en-US").padStart(8)} q/s  ${(together / one).toFixed(2)}x`);
  console.log(`searchBatch                 ${Math.round(batch).toLocaleString("en-US").padStart(8)} q/s  ${(batch / one).toFixed(2)}x`);
} finally {
  await db.close();
  removeDir(dir);
}
