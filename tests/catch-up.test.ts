/**
 * No surprise rebuilds on open: a read-only handle never builds a graph (vectors without one
 * are scored exactly), and a writer with many vectors waiting for a graph opens at once and
 * builds it in the background while searches (exact for the vectors not in it yet) and writes
 * go on; the graph reaches the file at the next compaction.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as vectlite from "../mod.ts";
import type { Database } from "../mod.ts";
import { randomVector, rng, tempDb } from "./helpers.ts";

const DIM = 16, N = 6_000;

/** A database of N records and no graph (its threshold was above N when they were written). */
async function withoutGraph(): Promise<{ path: string; vectors: Float32Array[] }> {
  const path = tempDb();
  const rand = rng(3);
  const vectors = Array.from({ length: N }, () => randomVector(DIM, rand));
  await using db = await vectlite.open(path, { dimension: DIM, annThreshold: 1_000_000 });
  await db.upsertMany(vectors.map((vector, i) => ({ id: `r${i}`, vector })));
  return { path, vectors };
}

const ids = (rs: { id: string }[]) => rs.map((r) => r.id);

async function sameAsExact(db: Database, queries: Float32Array[]): Promise<void> {
  for (const q of queries) {
    const exact = ids(await db.search(q, { k: 5, exact: true }));
    const got = await db.searchWithStats(q, { k: 5 });
    if (got.stats.plan === "exact") assert.deepStrictEqual(ids(got.results), exact);
    else assert.equal(ids(got.results)[0], exact[0], "a record's own vector is its nearest neighbour");
  }
}

describe("graphs at open", () => {
  it("a read-only open never builds one: searches score the vectors exactly", async () => {
    const { path, vectors } = await withoutGraph();
    await using db = await vectlite.open(path, { readOnly: true, annThreshold: 100 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stats = await db.stats();
    assert.equal(stats.indexBuilds, 0);
    assert.equal(stats.namespaces[""].index, null, "a read-only handle built a graph");
    await sameAsExact(db, vectors.slice(0, 20));
    assert.equal((await db.searchWithStats(vectors[0], { k: 5 })).stats.plan, "exact");
  });

  it("a writer opens at once and builds the graph in the background while reads and writes go on", { timeout: 120_000 }, async () => {
    const { path, vectors } = await withoutGraph();
    const db = await vectlite.open(path, { annThreshold: 100 });
    try {
      // The open did not wait for the graph: about 100 slices of 64 vectors, 1 ms apart, remain.
      const atOpen = (await db.stats()).namespaces[""].index;
      assert.ok(atOpen === null || atOpen.nodes < N, `the open built the whole graph (${atOpen?.nodes} nodes)`);
      // Searches and writes while the graph fills, each exact for what is not in it yet.
      const rand = rng(9);
      let written = 0;
      for (let round = 0; ; round++) {
        await sameAsExact(db, vectors.slice(round * 5, round * 5 + 5));
        await db.upsert(`new${written++}`, randomVector(DIM, rand));
        const index = (await db.stats()).namespaces[""].index;
        if (index && index.nodes === N + written) break;
        assert.ok(round < 20_000, "the background catch-up never finished");
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      assert.equal((await db.stats()).indexBuilds, 1);
      assert.equal((await db.searchWithStats(vectors[1], { k: 5 })).stats.plan, "hnsw");
      await sameAsExact(db, vectors.slice(100, 120));
      await db.compact();
    } finally {
      await db.close();
    }
    // Compacted with its graph: the next open loads it, builds nothing.
    await using again = await vectlite.open(path, { annThreshold: 100 });
    const stats = await again.stats();
    assert.equal(stats.indexBuilds, 0);
    assert.equal(stats.indexesLoaded, 1);
  });
});
