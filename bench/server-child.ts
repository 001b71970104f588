/**
 * One HTTP search server of `bench/server.ts`, on Bun: finds the efSearch at which its engine
 * reaches the wanted recall@10 on the data set's queries, starts serving, and prints one JSON
 * line `{ url, ef, recall }` on stdout.
 *
 *   bun bench/server-child.ts --engine vectlite|inline|pool|hnswlib|usearch --data DIR [--recall 0.95]
 *
 * - `vectlite`: `examples/bun-server.ts` itself, on a copy of `DIR/vectlite-int8.vdb`;
 *   searches run on the native read pool (the default).
 * - `inline`: the same server with every search run on the JavaScript thread, as one
 *   synchronous FFI call: the path reads took before the pool.
 * - `pool`: the same server with every search on the pool, however cheap.
 * - `hnswlib` / `usearch`: `DIR/hnswlib.bin` / `DIR/usearch.bin` (as `bench/ann.ts` saved
 *   them) behind the same request handling: POST /search with `{ vector, k, efSearch }`
 *   answers `{ results: [{ id, score }] }`. Their searches are synchronous calls on the
 *   JavaScript thread (neither library's JavaScript API has an asynchronous search).
 *
 * @module
 */
import { copyFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import process from "node:process";
import * as vectlite from "../mod.ts";
import { useReadPolicy } from "../src/threads.ts";
import { K, readF32, readMeta, readU32 } from "./ann-data.ts";
import { tempDir } from "./common.ts";

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const engine = arg("engine") ?? "vectlite";
const dir = arg("data");
if (!dir) throw new Error("--data DIR is required");
const wanted = Number(arg("recall") ?? 0.95);
const EFS = [16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512];

const meta = readMeta(dir);
const queries = readF32(join(dir, "query.f32"));
const truth = readU32(join(dir, "truth.u32"));
const query = (i: number) => queries.subarray(i * meta.dim, (i + 1) * meta.dim);

/** recall@10 of `search` (ids as record numbers) over every query. */
async function recall(search: (q: Float32Array) => number[] | Promise<number[]>): Promise<number> {
  let found = 0;
  for (let i = 0; i < meta.queries; i++) {
    const want = new Set(truth.subarray(i * K, (i + 1) * K));
    for (const id of await search(query(i))) if (want.has(id)) found++;
  }
  return found / (meta.queries * K);
}

/** The smallest efSearch of EFS reaching the wanted recall (or the largest), with its recall. */
async function calibrate(searchAt: (ef: number) => (q: Float32Array) => number[] | Promise<number[]>): Promise<{ ef: number; recall: number }> {
  let last = { ef: EFS[0], recall: 0 };
  for (const ef of EFS) {
    last = { ef, recall: await recall(searchAt(ef)) };
    if (last.recall >= wanted) break;
  }
  return last;
}

function report(url: string, found: { ef: number; recall: number }): void {
  console.log(JSON.stringify({ url, ...found }));
}

if (engine === "vectlite" || engine === "inline" || engine === "pool") {
  const path = join(tempDir("vectlite-server-bench-"), "server.vdb");
  copyFileSync(join(dir, "vectlite-int8.vdb"), path);
  if (engine === "inline") useReadPolicy("inline");
  if (engine === "pool") useReadPolicy("pool");
  const db = await vectlite.open(path);
  const found = await calibrate((ef) => async (q) => (await db.search(q, { k: K, efSearch: ef })).map((r) => Number(r.id)));
  await db.close();
  // The example prints its URL as its first line: reported here with the calibration instead.
  const log = console.log;
  console.log = (url: string) => {
    console.log = log;
    report(url, found);
  };
  process.env.DB = path;
  await import("../examples/bun-server.ts");
} else {
  const require = createRequire(import.meta.url);
  let scored: (q: Float32Array, k: number, ef: number) => { ids: number[]; scores: number[] };
  if (engine === "hnswlib") {
    const { HierarchicalNSW } = require("hnswlib-node");
    const index = new HierarchicalNSW("ip", meta.dim);
    index.readIndexSync(join(dir, "hnswlib.bin"));
    const asArray = (q: Float32Array) => Array.from(q);
    scored = (q, k, ef) => {
      index.setEf(ef);
      const { neighbors, distances } = index.searchKnn(asArray(q), k);
      return { ids: neighbors, scores: distances.map((d: number) => 1 - d) };
    };
  } else if (engine === "usearch") {
    const { Index } = require("usearch");
    // usearch sets expansion_search only in its constructor: one loaded index per efSearch.
    type UsearchIndex = {
      load(path: string): void;
      search(q: Float32Array, k: number, threads: number): { keys: BigUint64Array; distances: Float32Array };
    };
    const indexes = new Map<number, UsearchIndex>();
    const at = (ef: number): UsearchIndex => {
      const loaded = indexes.get(ef);
      if (loaded) return loaded;
      const index: UsearchIndex = new Index({ dimensions: meta.dim, metric: "ip", quantization: "f32", connectivity: 16, expansion_add: 200, expansion_search: ef });
      index.load(join(dir, "usearch.bin"));
      indexes.set(ef, index);
      return index;
    };
    scored = (q, k, ef) => {
      const { keys, distances } = at(ef).search(q, k, 1);
      return { ids: Array.from(keys, Number), scores: Array.from(distances, (d) => 1 - d) };
    };
  } else {
    throw new Error(`--engine vectlite|inline|pool|hnswlib|usearch, found ${engine}`);
  }
  const found = await calibrate((ef) => (q) => scored(q, K, ef).ids);
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      if (new URL(req.url).pathname !== "/search" || req.method !== "POST") return new Response("not found", { status: 404 });
      const { vector, k, efSearch } = await req.json();
      if (!Array.isArray(vector) || vector.length !== meta.dim) return Response.json({ error: "vector" }, { status: 400 });
      const { ids, scores } = scored(Float32Array.from(vector), k ?? 10, efSearch ?? found.ef);
      return Response.json({ results: ids.map((id, i) => ({ id: String(id), score: scores[i] })) });
    },
  });
  report(server.url.href, found);
}
