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
