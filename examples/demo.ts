/**
 * The demo: the main job of vectlite, end to end, printing what it does.
 * Creates a database, ingests 50,000 seeded 384-dimensional vectors with metadata, reopens
 * it, runs filtered searches, counts and lists, and shows timings.
 *
 *   bun examples/demo.ts [dir]        deno run -A examples/demo.ts [dir]
 */
import * as vectlite from "../mod.ts";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seededRandom } from "../src/seeded-random.ts";

const N = 50_000;
const DIM = 384;
const BATCH = 5_000;
const runtime = "Bun" in globalThis ? "Bun" : "Deno";

const rand = seededRandom(42);
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());

// 64 topic centres; each document is a noisy copy of one, so searches have real neighbours.
const centres = Array.from({ length: 64 }, () => Float32Array.from({ length: DIM }, gauss));
function docVector(topic: number): Float32Array {
  const c = centres[topic];
  return Float32Array.from({ length: DIM }, (_, i) => c[i] + 0.6 * gauss());
}
const sources = ["blog", "docs", "forum", "news"];
const authors = ["Ada", "Grace", "Linus", "Barbara", "Ken", "Margaret"];
const tags = ["auth", "sso", "rust", "deno", "bun", "search", "vectors", "security"];

const ms = (t0: number) => `${(performance.now() - t0).toFixed(1)} ms`;
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

const dir = Deno_or_arg() ?? mkdtempSync(join(tmpdir(), "vectlite-demo-"));
function Deno_or_arg(): string | undefined {
  const g = globalThis as { Deno?: { args: string[] } };
  return (g.Deno ? g.Deno.args : process.argv.slice(2))[0];
}
mkdirSync(dir, { recursive: true });
const path = join(dir, "knowledge.vdb");
rmSync(path, { force: true });
rmSync(path + "-wal", { force: true });

console.log(`vectlite ${vectlite.version} demo on ${runtime}: ${N.toLocaleString()} x ${DIM} vectors in ${path}`);
{
  await using db = await vectlite.open(path, { dimension: DIM, metric: "cosine" });
  let t0 = performance.now();
  let written = 0;
  for (let start = 0; start < N; start += BATCH) {
    const batch = [];
    for (let i = start; i < Math.min(N, start + BATCH); i++) {
      const topic = i % 64;
      batch.push({
        id: `doc-${i}`,
        vector: docVector(topic),
        metadata: {
          title: `Document ${i} about topic ${topic}`,
          source: sources[i % sources.length],
          year: 2015 + (i % 10),
          topic,
          tags: [tags[i % tags.length], tags[(i * 7) % tags.length]],
          author: { name: authors[i % authors.length], followers: (i * 37) % 5000 },
        },
      });
    }
    written += await db.upsertMany(batch);
  }
  const ingestMs = performance.now() - t0;
  console.log(`ingest: ${written.toLocaleString()} records with upsertMany (batches of ${BATCH}, each fsynced) in ${ingestMs.toFixed(0)} ms = ${Math.round(written / (ingestMs / 1000)).toLocaleString()} records/s`);
  console.log(`  WAL now ${mb(statSync(path + "-wal").size)}`);
  t0 = performance.now();
  await db.compact();
  console.log(`compact: ${ms(t0)}; ${path} is ${mb(statSync(path).size)}, WAL ${statSync(path + "-wal").size} bytes`);
  await db.upsert("late-note", docVector(3), { title: "Written after compaction", source: "blog", year: 2025, topic: 3, tags: ["auth"], author: { name: "Ada", followers: 1 } });
  console.log(`one more upsert after compaction lives in the WAL until the next compact`);
}

let t0 = performance.now();
await using db = await vectlite.open(path);
console.log(`reopen: ${ms(t0)} (snapshot loaded, WAL replayed): ${(await db.count()).toLocaleString()} records, dimension ${db.dimension}, metric ${db.metric}`);

const query = docVector(3);
const searches: [string, vectlite.SearchOptions][] = [
  ["no filter", { k: 5 }],
  ["source = blog", { k: 5, filter: { source: "blog" } }],
  ["year >= 2022 and a tag", { k: 5, filter: { year: { $gte: 2022 }, tags: { $contains: "auth" } } }],
  ["author.name in [Ada, Ken], not news", { k: 5, filter: { "author.name": { $in: ["Ada", "Ken"] }, source: { $ne: "news" } } }],
  ["$or with $elemMatch", { k: 5, filter: { $or: [{ topic: 3 }, { tags: { $elemMatch: { $eq: "sso" } } }] } }],
];
for (const [label, options] of searches) {
  const { results, stats } = await db.searchWithStats(query, options);
  const t1 = performance.now();
  for (let i = 0; i < 20; i++) await db.search(query, options);
  const each = (performance.now() - t1) / 20;
  console.log(`search [${label}]: ${each.toFixed(2)} ms/query, scanned ${stats.visited.toLocaleString()}, filtered out ${stats.filtered.toLocaleString()}`);
  for (const r of results.slice(0, 3)) {
    console.log(`   ${r.score.toFixed(4)}  ${r.id.padEnd(10)} ${JSON.stringify(r.metadata.title)} ${r.metadata.source} ${r.metadata.year}`);
  }
}

t0 = performance.now();
const blogCount = await db.count({ filter: { source: "blog" } });
console.log(`count source=blog: ${blogCount.toLocaleString()} (${ms(t0)})`);
t0 = performance.now();
const page = await db.list({ filter: { "author.followers": { $gt: 4990 } }, limit: 3, offset: 1 });
console.log(`list followers > 4990, offset 1, limit 3 (${ms(t0)}): ${page.map((r) => r.id).join(", ")}`);
const got = await db.get("late-note", { includeVectors: true });
console.log(`get late-note: ${JSON.stringify(got?.metadata)} vector[0..3] = ${Array.from(got!.vector!.slice(0, 3)).map((x) => x.toFixed(3))}`);
console.log(`deleteByFilter year=2015: ${await db.deleteByFilter({ year: 2015 })} removed; ${(await db.count()).toLocaleString()} left`);
console.log("done");
