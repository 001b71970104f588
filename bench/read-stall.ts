/**
 * Event-loop stall during reads: on 100,000 x 384 records with metadata, 64 exact searches
 * and a `list` of all 100,000 records are issued together while a 1 ms interval timer records
 * the longest gap between its ticks; then the same with every read run inline on the
 * JavaScript thread (the inline limit raised so that nothing goes to the read pool), the
 * path reads took before the pool (three rounds: it is slow). Nine rounds of each, with the
 * searches alone, the list alone and an `iterate` over the same records (pages of 1,000, not
 * kept) too; the longest gap of each round, sorted, and their
 * median. First, the same timer over the same time with nothing to do: the machine's own
 * floor (a shared virtual machine misses 1 ms ticks by several ms now and then, whatever runs).
 *
 *   bun bench/read-stall.ts      deno run -A bench/read-stall.ts      node --import tsx bench/read-stall.ts
 *
 * @module
 */
import * as vectlite from "../mod.ts";
import { useReadPolicy } from "../src/threads.ts";
import { GapMeter, machine, randomVectors, removeDir, row, runtimeName, tempDir } from "./common.ts";

const DIM = 384, N = 100_000, SEARCHES = 64, ROUNDS = 9;
const dir = tempDir();
const data = randomVectors(N + SEARCHES, DIM, 5);
// No graph: the searches are exact scans of every vector, the costliest read there is.
const db = await vectlite.open(`${dir}/stall.vdb`, { dimension: DIM, annThreshold: 1_000_000 });
await db.bulkIngest(
  (function* () {
    for (let i = 0; i < N; i++) yield { id: `r${i}`, vector: row(data, DIM, i), metadata: { i, source: i % 2 ? "a" : "b", tags: ["x", "y"] } };
  })(),
);

type Work = "both" | "searches" | "list" | "iterate";

/** The longest gap between ticks of a 1 ms timer while `work` runs (or, idle, for `idleMs`), and its wall time. */
async function round(work: Work, idleMs = 0): Promise<{ longestMs: number; ms: number }> {
  const gaps = new GapMeter(1);
  await new Promise((resolve) => setTimeout(resolve, 20));
  gaps.reset();
  const t0 = performance.now();
  if (idleMs > 0) {
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    gaps.stop();
    return { longestMs: gaps.longestMs, ms: performance.now() - t0 };
  }
  const reads: Promise<unknown>[] = [];
  if (work !== "list") {
    for (let i = 0; i < SEARCHES; i++) reads.push(db.search(row(data, DIM, N + i), { k: 10, exact: true }));
  }
  const listed = work === "both" || work === "list" ? db.list() : undefined;
  if (listed) reads.push(listed);
  if (work === "iterate") {
    reads.push((async () => {
      let n = 0;
      for await (const _ of db.iterate()) n++;
      if (n !== N) throw new Error("the iteration did not return every record");
    })());
  }
  await Promise.all(reads);
  const ms = performance.now() - t0;
  await new Promise((resolve) => setTimeout(resolve, 5));
  gaps.stop();
  if (listed && (await listed).length !== N) throw new Error("the list did not return every record");
  return { longestMs: gaps.longestMs, ms };
}

/** Sorted longest gaps of the rounds, and their median. */
function show(label: string, rounds: { longestMs: number; ms: number }[], withTime = true): void {
  const gaps = rounds.map((r) => r.longestMs).sort((a, b) => a - b);
  const times = rounds.map((r) => r.ms).sort((a, b) => a - b);
  const time = withTime ? `; all reads done in ${times[times.length >> 1].toFixed(0)} ms (median)` : "";
  console.log(`${label.padEnd(22)} median ${gaps[gaps.length >> 1].toFixed(1)} ms, rounds ${gaps.map((g) => g.toFixed(1)).join(" ")} ms${time}`);
}

const modes: ["auto" | "inline", Work, string][] = [
  ["auto", "both", "default"],
  ["auto", "searches", "default, searches only"],
  ["auto", "list", "default, list only"],
  ["auto", "iterate", "default, iterate only"],
  ["inline", "both", "inline"],
];
console.log(`event-loop stall: ${SEARCHES} exact searches of ${N} x ${DIM} + a list of ${N}, issued together; ${runtimeName()}`);
console.log(`machine: ${machine()}; longest gap between 1 ms ticks, ${ROUNDS} rounds`);
try {
  const idle = [];
  for (let r = 0; r < ROUNDS; r++) idle.push(await round("both", 500));
  show("idle, 500 ms", idle, false);
  for (const [policy, work, label] of modes) {
    useReadPolicy(policy);
    await round(work); // warm
    const rounds = [];
    for (let r = 0; r < (policy === "inline" ? 3 : ROUNDS); r++) rounds.push(await round(work));
    show(label, rounds);
  }
} finally {
  useReadPolicy("auto");
  await db.close();
  removeDir(dir);
}
