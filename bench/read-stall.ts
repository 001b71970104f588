/**
 * Event-loop stall during reads: on 100,000 x 384 records with metadata, 64 exact searches
 * and a `list` of all 100,000 records are issued together while a 1 ms interval timer records
 * the longest gap between its ticks; then the same with every read run inline on the
 * JavaScript thread (the inline limit raised so that nothing goes to the read pool), the
 * path reads took before the pool. Three rounds each; the longest gap of each round. First,
 * the same timer over the same time with nothing to do: the machine's own floor (a shared
 * virtual machine misses 1 ms ticks by several ms now and then, whatever runs).
 *
 *   bun bench/read-stall.ts      deno run -A bench/read-stall.ts      node --import tsx bench/read-stall.ts
 *
 * @module
 */
import * as vectlite from "../mod.ts";
import { useReadPolicy } from "../src/threads.ts";
import { machine, randomVectors, removeDir, row, runtimeName, tempDir } from "./common.ts";

const DIM = 384, N = 100_000, SEARCHES = 64, ROUNDS = 3;
const dir = tempDir();
const data = randomVectors(N + SEARCHES, DIM, 5);
// No graph: the searches are exact scans of every vector, the costliest read there is.
const db = await vectlite.open(`${dir}/stall.vdb`, { dimension: DIM, annThreshold: 1_000_000 });
await db.bulkIngest(
  (function* () {
    for (let i = 0; i < N; i++) yield { id: `r${i}`, vector: row(data, DIM, i), metadata: { i, source: i % 2 ? "a" : "b", tags: ["x", "y"] } };
  })(),
);

/** The longest gap between ticks of a 1 ms timer while the reads run (or, idle, for `idleMs`), and their wall time. */
async function round(idleMs = 0): Promise<{ longestMs: number; ms: number }> {
  let last = performance.now(), longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  await new Promise((resolve) => setTimeout(resolve, 20));
  last = performance.now();
  longest = 0;
  const t0 = performance.now();
  if (idleMs > 0) {
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    clearInterval(timer);
    return { longestMs: longest, ms: performance.now() - t0 };
  }
  const reads: Promise<unknown>[] = [];
  for (let i = 0; i < SEARCHES; i++) reads.push(db.search(row(data, DIM, N + i), { k: 10, exact: true }));
  const listed = db.list();
  reads.push(listed);
  await Promise.all(reads);
  const ms = performance.now() - t0;
  await new Promise((resolve) => setTimeout(resolve, 5));
  clearInterval(timer);
  if ((await listed).length !== N) throw new Error("the list did not return every record");
  return { longestMs: longest, ms };
}

const modes: ["auto" | "inline", string][] = [["auto", "default"], ["inline", "inline"]];
console.log(`event-loop stall: ${SEARCHES} exact searches of ${N} x ${DIM} + a list of ${N}, issued together; ${runtimeName()}`);
console.log(`machine: ${machine()}`);
try {
  const idle = [];
  for (let r = 0; r < ROUNDS; r++) idle.push(await round(500));
  console.log(`${"idle".padEnd(10)} longest gap ${idle.map((r) => r.longestMs.toFixed(1)).join(" / ")} ms over ${idle.map((r) => r.ms.toFixed(0)).join(" / ")} ms`);
  for (const [policy, label] of modes) {
    useReadPolicy(policy);
    await round(); // warm
    const rounds = [];
    for (let r = 0; r < ROUNDS; r++) rounds.push(await round());
    console.log(
      `${label.padEnd(10)} longest gap ${rounds.map((r) => r.longestMs.toFixed(1)).join(" / ")} ms; all reads done in ${rounds.map((r) => r.ms.toFixed(0)).join(" / ")} ms`,
    );
  }
} finally {
  useReadPolicy("auto");
  await db.close();
  removeDir(dir);
}
