/**
 * The long crash test: N kill-and-recover cycles (default 1,000) of the seeded workload of
 * tests/children/ops.ts, compacting now and then, printing the tally.
 *
 *   bash scripts/torture.sh [cycles]        (Bun; RUNTIME=deno for Deno)
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vectlite from "../mod.ts";
import { crashCycle } from "../tests/crash-cycle.ts";

const args = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);
const cycles = Number(args[0] ?? 1000);
const path = join(mkdtempSync(join(tmpdir(), "vectlite-torture-")), "torture.vdb");
await (await vectlite.open(path, { dimension: 8 })).close();
let acked = 0, landed = 0;
const started = performance.now();
for (let cycle = 0; cycle < cycles; cycle++) {
  const result = await crashCycle(path, cycle + 1, 10 + ((cycle * 7919) % 200));
  acked += result.acked;
  landed += Number(result.inFlightLanded);
  if (cycle % 100 === 99) {
    await using db = await vectlite.open(path);
    await db.compact();
    console.log(`${cycle + 1} cycles, ${acked} acknowledged operations, all present`);
  }
}
const runtime = "Bun" in globalThis ? "bun" : "deno";
console.log(`torture (${runtime}): ${cycles} SIGKILL cycles in ${((performance.now() - started) / 1000).toFixed(0)} s; ${acked} acknowledged operations all survived; the operation in flight landed whole in ${landed} cycles and was absent in ${cycles - landed}; 0 half transactions`);
