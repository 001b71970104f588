/**
 * What a keyword database costs in memory once open: builds (once) a database of the
 * /usr/share/doc paragraphs of bench/corpus.ts, each record with `text` (its terms made by
 * the database's analyzer) and `{ text, source, n }` metadata, compacts it, then opens it in
 * fresh processes and prints how much the resident set grew over the open.
 *
 *   bun bench/open-memory.ts [--db PATH] [--rounds 2]
 *   deno run -A bench/open-memory.ts
 *
 * The database is built by this runtime; each open runs in a child of the same runtime, so
 * the runtime's own start-up is not counted.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import process from "node:process";
import * as vectlite from "../mod.ts";
import { buildCorpus } from "./corpus.ts";
import { fileSize, machine, runtimeName } from "./common.ts";

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const residentMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? NaN) / 1024;

if (arg("child-open")) {
  // The library is loaded first, so the open alone is measured.
  vectlite.sparseTerms("load the library");
  const before = residentMiB();
  const db = await vectlite.open(arg("child-open")!, { readOnly: true });
  const grew = residentMiB() - before;
  const count = await db.count();
  await db.close();
  console.log(JSON.stringify({ grewMiB: grew, count }));
} else {
  const path = arg("db") ?? "/tmp/vectlite-open-memory.vdb";
  const rounds = Number(arg("rounds") ?? 2);
  console.log(`vectlite open memory, ${runtimeName()}; machine: ${machine()}`);
  if (!existsSync(path)) {
    const docs = buildCorpus().docs;
    const db = await vectlite.open(path, { dimension: 8, sync: "normal", annThreshold: 2 ** 32 - 1 });
    for (let s = 0; s < docs.length; s += 5000) {
      await db.upsertMany(docs.slice(s, s + 5000).map((text, j) => ({
        id: String(s + j),
        vector: new Float32Array(8).fill(0.1),
        metadata: { text, source: "doc", n: j },
        text,
      })));
    }
    await db.compact();
    await db.close();
    console.log(`built ${path}: ${docs.length} paragraphs`);
  }
  const self = runtimeName().startsWith("deno") ? [process.execPath, "run", "-A"] : [process.execPath];
  const script = new URL(import.meta.url).pathname;
  for (let r = 0; r < rounds; r++) {
    const child = spawnSync(self[0], [...self.slice(1), script, "--child-open", path], { encoding: "utf8" });
    if (child.status !== 0) throw new Error(`the open child failed: ${child.stderr}`);
    const { grewMiB, count } = JSON.parse(child.stdout.trim().split("\n").pop()!);
    console.log(`round ${r + 1}: open of ${count} records (${(fileSize(path) / 1e6).toFixed(1)} MB file) grew the resident set by ${grewMiB.toFixed(1)} MiB`);
  }
}
