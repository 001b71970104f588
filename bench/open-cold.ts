/**
 * Opening a compacted database, cold and warm: the time of `open` (read-only) and the
 * resident memory right after it, against the file's size, each in a fresh process of this
 * runtime (its own start-up not counted).
 *
 *   bun bench/open-cold.ts --db /tmp/ann-data/vectlite-int8.vdb [--rounds 3]
 *   deno run -A bench/open-cold.ts --db ...
 *   bun bench/open-cold.ts --lib hnswlib --db /tmp/ann-data/hnswlib.bin --data /tmp/ann-data
 *
 * `--lib hnswlib|usearch|usearch-i8` opens a peer's index saved by bench/ann.ts instead (`--db`
 * is its file, `--data` the data set's directory), in a Node process of bench/ann-peers.mjs
 * (`--child open`): hnswlib-node's `readIndexSync` and usearch's `load` read the whole file.
 *
 * Cold: before each cold open the file's pages are dropped from the OS page cache without
 * root (`sync`, then `dd if=FILE iflag=nocache count=0`, which asks the kernel to drop the
 * whole file's cached pages; `fincore` confirms how much stayed, printed with each round).
 * Warm: the same open right after a cold one. The child also runs one search after the open,
 * so a lazily loaded structure would show up in "first search".
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import * as vectlite from "../mod.ts";
import { fileSize, machine, mb, runtimeName } from "./common.ts";

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const status = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? NaN) * 1024;

if (arg("child")) {
  vectlite.sparseTerms("load the library first: the open alone is measured");
  const before = status("VmRSS");
  const started = performance.now();
  const db = await vectlite.open(arg("child")!, { readOnly: true });
  const openMs = performance.now() - started;
  const rss = status("VmRSS"), anon = status("RssAnon"), file = status("RssFile");
  const stats = await db.stats();
  const q = new Float32Array(db.dimension).fill(1 / Math.sqrt(db.dimension));
  const t = performance.now();
  await db.search(q, { k: 10 });
  const firstSearchMs = performance.now() - t;
  await db.close();
  console.log(JSON.stringify({ openMs, firstSearchMs, rssBefore: before, rss, anon, file, records: stats.records, indexBuilds: stats.indexBuilds }));
  process.exit(0);
}

const db = arg("db");
const lib = arg("lib");
if (!db || (lib && !["hnswlib", "usearch", "usearch-i8"].includes(lib)) || (lib && !arg("data"))) {
  console.error("usage: bench/open-cold.ts --db FILE.vdb [--rounds 3], or --lib hnswlib|usearch|usearch-i8 --db INDEX --data DIR");
  process.exit(2);
}
const rounds = Number(arg("rounds") ?? 3);
const self = new URL(import.meta.url).pathname;
const runtime = lib ? `node (${lib})` : runtimeName();
const peers = new URL("./ann-peers.mjs", import.meta.url).pathname;
const peerArgs = lib === "usearch-i8" ? ["--lib", "usearch", "--quantization", "i8"] : ["--lib", lib!];
const command = lib
  ? ["node", peers, ...peerArgs, "--data", arg("data")!, "--out", db, "--child", "open"]
  : runtimeName() === "deno"
  ? ["deno", "run", "-A", self, "--child", db]
  : [process.execPath, self, "--child", db];

function dropCache(): string {
  spawnSync("sync");
  spawnSync("dd", [`if=${db}`, "iflag=nocache", "count=0", "status=none"]);
  const out = spawnSync("fincore", ["--noheadings", "--output", "RES", db!], { encoding: "utf8" });
  return out.status === 0 ? out.stdout.trim() : "?";
}

function openOnce(): Record<string, number> {
  const [cmd, ...rest] = command;
  const out = spawnSync(cmd, rest, { encoding: "utf8" });
  if (out.status !== 0) throw new Error(out.stderr);
  return JSON.parse(out.stdout.trim().split("\n").pop()!);
}

const size = fileSize(db);
console.log(`open of ${db} (${mb(size)}), ${runtime}, ${machine()}`);
console.log("| round | open | cached before | open ms | first search ms | RSS above start | of which heap / file pages | / file size |");
console.log("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |");
for (let r = 1; r <= rounds; r++) {
  for (const kind of ["cold", "warm"]) {
    const cached = kind === "cold" ? dropCache() : "all";
    const o = openOnce();
    const grew = o.rss - o.rssBefore;
    console.log(
      `| ${r} | ${kind} | ${cached} | ${o.openMs.toFixed(1)} | ${o.firstSearchMs.toFixed(1)} | ${mb(grew)} | ${mb(o.anon)} / ${mb(o.file)} | ${((100 * grew) / size).toFixed(1)}% |`,
    );
    if (o.indexBuilds !== 0) console.log(`  (the open built ${o.indexBuilds} graph(s): not a compacted file)`);
  }
}
