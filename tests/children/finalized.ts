/**
 * Child process for the finalizer test: writes to a database with an HNSW graph (so closing
 * it compacts), drops the handle without closing it, and forces garbage collection until
 * its finalizer has closed it (a new writer can open the database). Prints one JSON line:
 * whether it was collected, the records found, the wait, and the WAL's size (closing
 * compacts, on a native thread: the finalizer must not do that work on the JavaScript one).
 */
import process from "node:process";
import * as vectlite from "../../mod.ts";

const [path] = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);
const g = globalThis as { Bun?: { gc(full: boolean): void }; gc?: () => void };
const collect = () => (g.Bun ? g.Bun.gc(true) : g.gc!());

let collected = false;
const watch = new FinalizationRegistry(() => {
  collected = true;
});

async function writeAndDrop(): Promise<void> {
  const db = await vectlite.open(path, { dimension: 16, annThreshold: 64 });
  const records = Array.from({ length: 20_000 }, (_, i) => ({
    id: `r${i}`,
    vector: Array.from({ length: 16 }, (_, j) => Math.sin(i * 0.37 + j)),
    metadata: { i },
  }));
  await db.upsertMany(records);
  watch.register(db, "db");
  // `db` goes out of reach here, open, with every write in its WAL.
}

await writeAndDrop();
// Collect until the library's finalizer has closed the handle: a new writer then gets the lock.
const started = performance.now();
let reopened: vectlite.Database | undefined;
for (let i = 0; i < 1_000 && !reopened; i++) {
  collect();
  await new Promise((r) => setTimeout(r, 10));
  try {
    reopened = await vectlite.open(path);
  } catch (e) {
    if (!(e instanceof vectlite.VectLiteError) || e.code !== "LOCKED") throw e;
  }
}
if (!reopened) throw new Error("the handle was never closed by its finalizer");
const waitedMs = performance.now() - started;
const count = await reopened.count();
const stats = await reopened.stats();
await reopened.close();
console.log(JSON.stringify({ collected, count, waitedMs, walBytes: stats.files.wal.bytes }));
process.exit(0);
