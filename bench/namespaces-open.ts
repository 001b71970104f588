/**
 * Opening a database of many namespaces: N records, each in a namespace of its own, written
 * in batches, compacted, closed; then the file is opened (read-only and as the writer) and
 * the time each open takes is printed. Open must be linear in the file: the index
 * sections find their namespace by binary search.
 *
 *   bun bench/namespaces-open.ts [--namespaces 100000] [--rounds 3]
 *   deno run -A bench/namespaces-open.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import * as vectlite from "../mod.ts";
import { fileSize, machine, runtimeName } from "./common.ts";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const namespaces = arg("namespaces", 100_000);
const rounds = arg("rounds", 3);
const dir = mkdtempSync(join(tmpdir(), "vectlite-namespaces-"));
const path = join(dir, "many.vdb");
console.log(`vectlite open with ${namespaces} namespaces, ${runtimeName()}; machine: ${machine()}`);

let started = performance.now();
{
  await using db = await vectlite.open(path, { dimension: 4 });
  for (let start = 0; start < namespaces; start += 10_000) {
    const n = Math.min(10_000, namespaces - start);
    // One record per namespace: upsertMany takes one namespace per record through its items.
    await db.upsertMany(Array.from({ length: n }, (_, i) => ({
      id: "r",
      namespace: `ns-${start + i}`,
      vector: [start + i, 1, 2, 3],
      metadata: { i: start + i },
      text: `record ${start + i}`,
    })));
  }
  const write = performance.now() - started;
  started = performance.now();
  await db.compact();
  console.log(`write ${(write / 1000).toFixed(2)} s, compact ${((performance.now() - started) / 1000).toFixed(2)} s, file ${(fileSize(path) / 1e6).toFixed(1)} MB`);
}
for (const readOnly of [true, false]) {
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    started = performance.now();
    const db = await vectlite.open(path, { readOnly });
    times.push(performance.now() - started);
    const found = (await db.namespaces()).length;
    await db.close();
    if (found !== namespaces) throw new Error(`expected ${namespaces} namespaces, found ${found}`);
  }
  times.sort((a, b) => a - b);
  console.log(`open ${readOnly ? "read-only" : "as writer"}: median ${(times[times.length >> 1] / 1000).toFixed(3)} s (${times.map((t) => (t / 1000).toFixed(3)).join(", ")})`);
}
rmSync(dir, { recursive: true, force: true });
