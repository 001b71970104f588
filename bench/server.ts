/**
 * A load test of `examples/bun-server.ts`: 100,000 x 384 (int8, HNSW), k = 10, POST /search
 * over HTTP from autocannon at 1, 8 and 64 connections, against the same server with every
 * search inline on the JavaScript thread (the path reads took before the pool), with every
 * search on the pool, and against hnswlib-node and USearch behind the same
 * request handling, all in one run. Each server first finds the efSearch at which it reaches
 * recall@10 0.95 on the data set's queries (`--recall`), and is then loaded at that point.
 * Servers run on Bun, the load generator on Node, all on this machine's cores.
 *
 *   bun bench/server.ts --data DIR [--engines vectlite,inline,pool,hnswlib,usearch]
 *                       [--connections 1,8,64] [--seconds 10] [--recall 0.95]
 *
 * DIR is a data directory of `bench/ann.ts` after a run with `--quantization int8` (it holds
 * the vectors, queries, exact neighbours, and the saved vectlite-int8.vdb, hnswlib.bin and
 * usearch.bin), e.g. `bun bench/ann.ts --data /tmp/ann-data` first.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import process from "node:process";
import { machine, repoRoot } from "./common.ts";

const argv = process.argv.slice(2);
const arg = (name: string, fallback?: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const dir = arg("data");
if (!dir) throw new Error("--data DIR is required (see the header of bench/server.ts)");
const engines = arg("engines", "vectlite,inline,pool,hnswlib,usearch")!.split(",");
const connections = arg("connections", "1,8,64")!.split(",").map(Number);
const seconds = arg("seconds", "10")!;
const recall = arg("recall", "0.95")!;

interface Load {
  connections: number;
  rps: number;
  total: number;
  p50: number;
  p99: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** Runs a command; resolves with its stdout's last line, parsed. */
function runJson<T>(cmd: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(" ")} exited with ${code}`));
      resolve(JSON.parse(out.trim().split("\n").pop()!));
    });
  });
}

async function measure(engine: string): Promise<{ engine: string; ef: number; recall: number; loads: Load[] }> {
  const server = spawn(process.execPath, ["bench/server-child.ts", "--engine", engine, "--data", dir!, "--recall", recall], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((resolve) => server.on("exit", resolve));
  try {
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: server.stdout! }).once("line", resolve);
      server.on("exit", (code) => reject(new Error(`the ${engine} server exited with ${code} before serving`)));
    });
    const { url, ef, recall: reached } = JSON.parse(first) as { url: string; ef: number; recall: number };
    console.error(`${engine}: serving at ${url}, efSearch ${ef} (recall@10 ${reached.toFixed(4)})`);
    const load = (c: number, s: string) =>
      runJson<Load>("node", ["bench/server-load.mjs", "--url", url, "--data", dir!, "--ef", String(ef), "--connections", String(c), "--seconds", s]);
    await load(8, "3"); // warm-up
    const loads: Load[] = [];
    for (const c of connections) {
      const r = await load(c, seconds);
      console.error(`  ${c} connections: ${Math.round(r.rps)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors + r.timeouts + r.non2xx}`);
      loads.push(r);
    }
    return { engine, ef, recall: reached, loads };
  } finally {
    server.kill("SIGTERM");
    await exited;
  }
}

const results: Awaited<ReturnType<typeof measure>>[] = [];
for (const engine of engines) results.push(await measure(engine));

const LABELS: Record<string, string> = {
  vectlite: "vectlite (read pool)",
  inline: "vectlite, searches inline",
  pool: "vectlite, every search on the pool",
  hnswlib: "hnswlib-node",
  usearch: "usearch",
};
console.log(`HTTP search load test, ${dir}, k 10, recall@10 >= ${recall}; ${seconds} s per point; servers on Bun, autocannon on Node`);
console.log(`machine: ${machine()}`);
console.log(`| server | efSearch | recall@10 | ${connections.map((c) => `${c} conn: req/s, p50 / p99 ms`).join(" | ")} |`);
console.log(`| --- | ---: | ---: | ${connections.map(() => "---:").join(" | ")} |`);
for (const r of results) {
  const cells = r.loads.map((l) => `${Math.round(l.rps).toLocaleString("en-US")}, ${l.p50} / ${l.p99}${l.errors + l.timeouts + l.non2xx ? ` (${l.errors + l.timeouts + l.non2xx} errors)` : ""}`);
  console.log(`| ${LABELS[r.engine] ?? r.engine} | ${r.ef} | ${r.recall.toFixed(4)} | ${cells.join(" | ")} |`);
}
const at = (engine: string, i: number) => results.find((r) => r.engine === engine)?.loads[i];
connections.forEach((c, i) => {
  const pool = at("vectlite", i);
  if (!pool) return;
  const inline = at("inline", i);
  const peers = ["hnswlib", "usearch"].map((e) => at(e, i)).filter((l): l is Load => l !== undefined);
  const best = peers.sort((a, b) => b.rps - a.rps)[0];
  const parts = [];
  if (inline) parts.push(`${(pool.rps / inline.rps).toFixed(2)}x inline`);
  if (best) parts.push(`${(pool.rps / best.rps).toFixed(2)}x the better peer (p99 ${pool.p99} vs ${best.p99} ms)`);
  console.log(`${c} connections: vectlite ${parts.join(", ")}`);
});
