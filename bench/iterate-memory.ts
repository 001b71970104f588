/**
 * Resident memory while `iterate` walks 1,000,000 records (dimension 16, with metadata, no
 * graph), sampled every 50,000 records: the largest growth over the resident memory before
 * the walk; then, for contrast, the growth of one `list()` of every record.
 *
 *   bun bench/iterate-memory.ts      deno run -A --v8-flags=--expose-gc bench/iterate-memory.ts
 *   node --expose-gc --import tsx bench/iterate-memory.ts
 *
 * Options: `--n 1000000 --batch 1000`.
 *
 * @module
 */
import process from "node:process";
import * as vectlite from "../mod.ts";
import { machine, mb, removeDir, runtimeName, tempDir } from "./common.ts";

const argv = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const N = arg("n", 1_000_000), BATCH = arg("batch", 1_000), DIM = 16;

const gc = () => {
  const g = globalThis as { gc?: () => void; Bun?: { gc(sync: boolean): void } };
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
};
const rss = () => process.memoryUsage().rss;

const dir = tempDir();
try {
  const path = `${dir}/walk.vdb`;
  {
    const db = await vectlite.open(path, { dimension: DIM, annThreshold: 1_000_000_000 });
    await db.bulkIngest(
      (function* () {
        const v = new Float32Array(DIM);
        for (let i = 0; i < N; i++) {
          v[i % DIM] = i;
          yield { id: `record-${i}`, vector: v, metadata: { i, tag: `t${i % 10}`, title: `title of record ${i}` } };
        }
      })(),
    );
    await db.compact();
    await db.close();
  }
  const db = await vectlite.open(path, { readOnly: true });
  gc();
  const before = rss();
  let seen = 0, peak = before;
  const t = performance.now();
  for await (const _ of db.iterate({ namespace: "*", batchSize: BATCH })) {
    if (++seen % 50_000 === 0) {
      gc();
      peak = Math.max(peak, rss());
    }
  }
  const seconds = (performance.now() - t) / 1000;
  gc();
  const beforeList = rss();
  const all = await db.list({ namespace: "*" });
  const afterList = rss();
  if (seen !== N || all.length !== N) throw new Error(`walked ${seen}, listed ${all.length}, expected ${N}`);
  console.log(`iterate over ${N.toLocaleString("en-US")} records (dimension ${DIM}, metadata), pages of ${BATCH}; ${runtimeName()}`);
  console.log(`machine: ${machine()}`);
  console.log(`resident before the walk ${mb(before)}, largest during it ${mb(peak)}: +${mb(peak - before)}; ${Math.round(N / seconds).toLocaleString("en-US")} records/s`);
  console.log(`one list() of every record: +${mb(afterList - beforeList)}`);
  await db.close();
} finally {
  removeDir(dir);
}
