import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as vectlite from "../mod.ts";
import { rng, tempDb } from "./helpers.ts";

const DIM = 128;
const N = 20_000;
const CLUSTERS = 64;
/** Real embeddings have a low intrinsic dimension: points live near a 16-dimensional subspace. */
const LATENT = 16;

/** The fixed part of the data model: a random map from the latent space, and cluster centres in it. */
function model(seed: number) {
  const rand = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const map = Array.from({ length: DIM }, () => Float32Array.from({ length: LATENT }, gauss));
  const centres = Array.from({ length: CLUSTERS }, () => Float32Array.from({ length: LATENT }, gauss));
  return { map, centres };
}

/**
 * Seeded clustered data: a Gaussian mixture in the latent space, mapped to DIM dimensions,
 * with a little isotropic noise, L2-normalised.
 */
function clustered(seed: number, count: number, m: ReturnType<typeof model>): Float32Array[] {
  const rand = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const out: Float32Array[] = [];
  for (let i = 0; i < count; i++) {
    const c = m.centres[Math.floor(rand() * CLUSTERS)];
    const z = c.map((x) => x + gauss());
    const v = new Float32Array(DIM);
    let norm = 0;
    for (let d = 0; d < DIM; d++) {
      let s = 0.05 * gauss();
      for (let j = 0; j < LATENT; j++) s += m.map[d][j] * z[j];
      v[d] = s;
      norm += s * s;
    }
    norm = Math.sqrt(norm);
    for (let d = 0; d < DIM; d++) v[d] /= norm;
    out.push(v);
  }
  return out;
}

const CENTRES = model(7);
const QUERIES = clustered(99, 100, CENTRES);

let shared: Promise<{ path: string; db: vectlite.Database }> | undefined;
/** One 20,000 x 128 database with an HNSW graph, shared by the tests of this file. */
function database() {
  shared ??= (async () => {
    const path = tempDb("ann.vdb");
    const db = await vectlite.open(path, { dimension: DIM });
    const vectors = clustered(1, N, CENTRES);
    await db.upsertMany(vectors.map((vector, i) => ({ id: `v${i}`, vector, metadata: { bucket: i % 1000 } })));
    return { path, db };
  })();
  return shared;
}

async function recall(db: vectlite.Database, options: vectlite.SearchOptions, queries = QUERIES): Promise<number> {
  let hits = 0, wanted = 0;
  for (const q of queries) {
    const exact = await db.search(q, { ...options, exact: true });
    const approx = await db.search(q, options);
    const truth = new Set(exact.map((r) => r.id));
    hits += approx.filter((r) => truth.has(r.id)).length;
    wanted += exact.length;
  }
  return hits / wanted;
}

describe("approximate search (HNSW)", () => {
  it("builds a graph past annThreshold and reaches recall@10 >= 0.95 by default, 0.99 at efSearch 256", { timeout: 300_000 }, async () => {
    const { db } = await database();
    const stats = await db.stats();
    assert.ok(stats.namespaces[""].index, "no graph was built");
    assert.equal(stats.namespaces[""].index!.live, N);
    const { stats: s } = await db.searchWithStats(QUERIES[0], { k: 10 });
    assert.equal(s.usedAnn, true);
    assert.equal(s.plan, "hnsw");
    assert.ok(s.visited < N / 2, `the graph search visited ${s.visited} of ${N}`);
    const r = await recall(db, { k: 10 });
    assert.ok(r >= 0.95, `recall@10 at the default efSearch is ${r}`);
    const high = await recall(db, { k: 10, efSearch: 256 });
    assert.ok(high >= 0.99, `recall@10 at efSearch 256 is ${high}`);
  });

  it("keeps recall >= 0.95 with filters matching 50%, 10%, 1% and 0.1% of the records", { timeout: 300_000 }, async () => {
    const { db } = await database();
    for (const [below, fraction] of [[500, "50%"], [100, "10%"], [10, "1%"], [1, "0.1%"]] as const) {
      const filter = { bucket: { $lt: below } };
      const r = await recall(db, { k: 10, filter });
      assert.ok(r >= 0.95, `recall@10 with a ${fraction} filter is ${r}`);
      for (const q of QUERIES.slice(0, 20)) {
        const results = await db.search(q, { k: 10, filter });
        assert.equal(results.length, 10, `a ${fraction} filter returned ${results.length} results`);
        for (const hit of results) assert.ok((hit.metadata.bucket as number) < below);
      }
      const { stats } = await db.searchWithStats(QUERIES[0], { k: 10, filter });
      if (below === 1) assert.equal(stats.plan, "filtered-exact", "a 0.1% filter should scan the few matches");
      if (below >= 500) assert.equal(stats.plan, "hnsw", `a ${fraction} filter should use the graph`);
    }
  });

  it("keeps recall after replacing and deleting a third of the records, never returning a deleted id", { timeout: 300_000 }, async () => {
    const path = tempDb("churn.vdb");
    await using db = await vectlite.open(path, { dimension: DIM });
    const n = 6_000;
    const vectors = clustered(3, n, CENTRES);
    await db.upsertMany(vectors.map((vector, i) => ({ id: `v${i}`, vector })));
    const rand = rng(5);
    const order = Array.from({ length: n }, (_, i) => i).sort(() => rand() - 0.5);
    const replaced = order.slice(0, n / 3);
    const deleted = new Set(order.slice(n / 3, (2 * n) / 3).map((i) => `v${i}`));
    const fresh = clustered(4, replaced.length, CENTRES);
    // Interleave single writes and batches, in random order.
    for (let i = 0; i < replaced.length; i += 50) {
      await db.upsertMany(replaced.slice(i, i + 50).map((id, j) => ({ id: `v${id}`, vector: fresh[i + j] })));
    }
    for (const id of [...deleted].slice(0, 200)) await db.delete(id);
    await db.deleteMany([...deleted].slice(200));
    assert.equal(await db.count(), n - deleted.size);
    const r = await recall(db, { k: 10 });
    assert.ok(r >= 0.95, `recall@10 after churn is ${r}`);
    for (const q of QUERIES) {
      for (const hit of await db.search(q, { k: 10, efSearch: 128 })) assert.ok(!deleted.has(hit.id), `deleted ${hit.id} returned`);
    }
    const before = await db.stats();
    assert.ok(before.namespaces[""].deadSlots > 0);
    await db.compact();
    const after = await db.stats();
    assert.equal(after.namespaces[""].deadSlots, 0, "compaction drops deleted nodes");
    assert.equal(after.namespaces[""].index!.nodes, n - deleted.size);
    assert.ok((await recall(db, { k: 10 })) >= 0.95);
  });

  it("gives each named vector space its own graph: recall, filters, churn, and reload without a rebuild", { timeout: 300_000 }, async () => {
    const path = tempDb("named.vdb");
    const n = 9_000; // after the churn below 3,000 titles remain: past the planner's scan size
    const titles = clustered(11, n, CENTRES);
    const rand = rng(12);
    const small = () => Float32Array.from({ length: 4 }, () => rand() - 0.5);
    let db = await vectlite.open(path, { dimension: 4 });
    // Every third record has no "title" vector: the space numbers its own vectors.
    await db.upsertMany(titles.map((t, i) => ({
      id: `d${i}`,
      vector: small(),
      vectors: (i % 3 === 2 ? { body: small() } : { title: t, body: small() }) as Record<string, Float32Array>,
      metadata: { bucket: i % 10 },
    })));
    const withTitle = titles.filter((_, i) => i % 3 !== 2).length;
    let stats = await db.stats();
    assert.equal(stats.namespaces[""].named.title.vectors, withTitle);
    assert.equal(stats.namespaces[""].named.title.index?.live, withTitle, "no graph for the named space");
    const named = (_q: Float32Array, extra: vectlite.SearchOptions = {}): vectlite.SearchOptions => ({ k: 10, vectorName: "title", ...extra });
    const recallNamed = async (extra: vectlite.SearchOptions = {}) => {
      let hits = 0, wanted = 0;
      for (const q of QUERIES.slice(0, 50)) {
        const exact = await db.search(q, { ...named(q, extra), exact: true });
        const approx = await db.search(q, named(q, extra));
        const truth = new Set(exact.map((r) => r.id));
        hits += approx.filter((r) => truth.has(r.id)).length;
        wanted += exact.length;
      }
      return hits / wanted;
    };
    const { stats: s } = await db.searchWithStats(QUERIES[0], named(QUERIES[0]));
    assert.equal(s.plan, "hnsw");
    assert.ok(s.visited < withTitle / 2, `visited ${s.visited}`);
    assert.ok((await recallNamed()) >= 0.95, "named-space recall@10");
    assert.ok((await recallNamed({ filter: { bucket: { $lt: 5 } } })) >= 0.95, "named-space recall@10 with a 50% filter");
    for (const hit of await db.search(QUERIES[1], named(QUERIES[1], { filter: { bucket: { $lt: 5 } } }))) {
      assert.ok((hit.metadata.bucket as number) < 5);
    }
    // Replace a third of the title vectors, delete another third of the records.
    const fresh = clustered(13, n, CENTRES);
    await db.upsertMany(titles.map((_, i) => i).filter((i) => i % 3 === 0).map((i) => ({ id: `d${i}`, vector: small(), vectors: { title: fresh[i] } })));
    const deleted = new Set(titles.map((_, i) => `d${i}`).filter((_, i) => i % 3 === 1));
    await db.deleteMany([...deleted]);
    stats = await db.stats();
    assert.ok(stats.namespaces[""].named.title.deadSlots > 0);
    for (const q of QUERIES.slice(0, 30)) {
      for (const hit of await db.search(q, named(q))) assert.ok(!deleted.has(hit.id), `deleted ${hit.id} returned`);
    }
    assert.equal((await db.searchWithStats(QUERIES[0], named(QUERIES[0]))).stats.plan, "hnsw");
    assert.ok((await recallNamed()) >= 0.95, "named-space recall@10 after churn");
    await db.compact();
    stats = await db.stats();
    assert.equal(stats.namespaces[""].named.title.deadSlots, 0);
    assert.equal(stats.namespaces[""].named.title.index?.nodes, n / 3);
    const before = [];
    for (const q of QUERIES.slice(0, 20)) before.push(await db.search(q, named(q)));
    await db.close();
    db = await vectlite.open(path);
    stats = await db.stats();
    assert.equal(stats.indexBuilds, 0, "a graph was rebuilt at open");
    assert.ok(stats.namespaces[""].named.title.index, "the named graph was not loaded");
    assert.equal((await db.searchWithStats(QUERIES[0], named(QUERIES[0]))).stats.plan, "hnsw");
    for (const [i, q] of QUERIES.slice(0, 20).entries()) assert.deepEqual(await db.search(q, named(q)), before[i]);
    // A weighted multi-vector query over two graphs agrees with its exact version.
    let hits = 0;
    for (const q of QUERIES.slice(0, 20)) {
      const opts = { k: 10, vectors: { title: q, body: Float32Array.from([0.1, 0.2, 0.3, 0.4]) }, vectorWeights: { title: 1, body: 0.01 } };
      const exact = new Set((await db.search(null, { ...opts, exact: true })).map((r) => r.id));
      hits += (await db.search(null, opts)).filter((r) => exact.has(r.id)).length;
    }
    assert.ok(hits / 200 >= 0.9, `multi-vector recall@10 is ${hits / 200}`);
    await db.close();
  });

  it("close compacts when the next open would otherwise insert many WAL records into the graph", async () => {
    const path = tempDb("close-compacts.vdb");
    const vectors = clustered(21, 1_000, CENTRES);
    {
      await using db = await vectlite.open(path, { dimension: DIM });
      await db.upsertMany(vectors.map((vector, i) => ({ id: `c${i}`, vector })));
      assert.ok((await db.stats()).walBytes > 100_000, "the writes are in the WAL before close");
    }
    {
      await using db = await vectlite.open(path);
      const stats = await db.stats();
      assert.equal(stats.indexBuilds, 0, "the graph was rebuilt at open instead of loaded");
      assert.equal(stats.indexesLoaded, 1);
      assert.ok(stats.walBytes <= 64, `close left ${stats.walBytes} WAL bytes`);
      // Two more writes are not worth a compaction: they stay in the WAL.
      await db.upsert("late-1", QUERIES[0]);
      await db.upsert("late-2", QUERIES[1]);
    }
    await using db = await vectlite.open(path);
    const stats = await db.stats();
    assert.ok(stats.walBytes > 64, "two writes should not have triggered a compaction");
    assert.equal(stats.indexBuilds, 0);
    assert.equal((await db.search(QUERIES[1], { k: 1 }))[0].id, "late-2");
  });

  it("loads the graph from the file at reopen, with identical results and no rebuild", { timeout: 300_000 }, async () => {
    const { path, db } = await database();
    await db.compact();
    const before = [];
    for (const q of QUERIES.slice(0, 30)) before.push(await db.search(q, { k: 10 }));
    await db.close();
    shared = undefined;
    await using again = await vectlite.open(path);
    const stats = await again.stats();
    assert.equal(stats.indexBuilds, 0, "the graph was rebuilt at open");
    assert.equal(stats.indexesLoaded, 1);
    for (const [i, q] of QUERIES.slice(0, 30).entries()) {
      assert.deepEqual(await again.search(q, { k: 10 }), before[i]);
    }
    // Writes after the compaction are inserted into the loaded graph at the next open.
    await again.upsert("late", QUERIES[0], { bucket: 0 });
    await again.close();
    await using third = await vectlite.open(path);
    assert.equal((await third.stats()).indexBuilds, 0);
    assert.equal((await third.search(QUERIES[0], { k: 1 }))[0].id, "late");
  });
});
