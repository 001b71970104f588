/**
 * Event-loop stall during bulkIngest: 100,000 x 384 records with metadata are ingested while
 * a 5 ms interval timer records the longest gap between its ticks.
 *
 *   bun bench/stall.ts        deno run -A bench/stall.ts        node --import tsx bench/stall.ts
 */
import * as vectlite from "../mod.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GapMeter } from "./common.ts";

const DIM = 384, N = 100_000;
const dir = mkdtempSync(join(tmpdir(), "vectlite-stall-"));
const db = await vectlite.open(join(dir, "stall.vdb"), { dimension: DIM });

function* records() {
  for (let i = 0; i < N; i++) {
    const v = new Float32Array(DIM);
    for (let j = 0; j < DIM; j += 17) v[j] = Math.sin(i + j);
    v[0] = 1;
    yield { id: `r${i}`, vector: v, metadata: { i, source: i % 2 ? "a" : "b", tags: ["x", "y"] } };
  }
}

const gaps = new GapMeter(5);
const t0 = performance.now();
const n = await db.bulkIngest(records(), { batchSize: 10_000 });
const elapsed = performance.now() - t0;
gaps.stop();
const { longestMs: longest, ticks } = gaps;
await db.close();
rmSync(dir, { recursive: true, force: true });
const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
console.log(JSON.stringify({ runtime, records: n, ms: Math.round(elapsed), recordsPerSec: Math.round(n / (elapsed / 1000)), ticks, longestGapMs: +longest.toFixed(1) }));
