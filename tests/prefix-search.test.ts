import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as vectlite from "../mod.ts";
import { expectedScore } from "./api-helpers.ts";
import { rejectsWith, rng, tempDb } from "./helpers.ts";

const DIM = 32;
const N = 600;

/**
 * Matryoshka-like vectors: the spread of dimension d falls as d grows, so a prefix carries
 * most of what tells records apart (as in embeddings trained for truncation).
 */
function decaying(n: number, seed: number): Float32Array[] {
  const rand = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  return Array.from({ length: n }, () => Float32Array.from({ length: DIM }, (_, d) => gauss() / (1 + d / 2)));
}

const data = decaying(N, 11);
const queries = decaying(20, 12);

/** The exact top k on the first `d` dimensions, by a brute force in JavaScript. */
function prefixTop(metric: vectlite.Metric, q: Float32Array, d: number, k: number, accept = (_i: number) => true) {
  return data
    .map((v, i) => ({ id: `r${i}`, i, score: expectedScore(metric, q.subarray(0, d), v.subarray(0, d)) }))
    .filter((h) => accept(h.i))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, k);
}

describe("truncateDim (Matryoshka prefix search)", () => {
  for (const metric of ["cosine", "dot", "l2", "manhattan"] as const) {
    it(`${metric}: ranks and scores every record on the prefix, exactly, through filters, quantization and a mapped file`, async () => {
      const path = tempDb();
      await using db = await vectlite.open(path, { dimension: DIM, metric, quantization: "int8", annThreshold: 100 });
      await db.upsertMany(data.map((vector, i) => ({ id: `r${i}`, vector, metadata: { odd: i % 2 === 1 } })));
      for (const round of ["in memory", "after compaction"]) {
        for (const [qi, q] of queries.slice(0, 8).entries()) {
          const d = [2, 5, 16, 32][qi % 4];
          const { results, stats } = await db.searchWithStats(q, { k: 10, truncateDim: d });
          const want = prefixTop(metric, q, d, 10);
          assert.equal(stats.plan, "exact");
          assert.deepEqual(results.map((r) => r.id).slice(0, 5), want.map((w) => w.id).slice(0, 5), `${round}, d ${d}`);
          for (const r of results) {
            const i = Number(r.id.slice(1));
            const exact = expectedScore(metric, q.subarray(0, d), data[i].subarray(0, d));
            assert.ok(Math.abs(r.score - exact) <= 1e-4 * Math.max(1, Math.abs(exact)), `${round}, d ${d}: score of ${r.id}`);
          }
          const filtered = await db.search(q, { k: 5, truncateDim: d, filter: { odd: true } });
          assert.deepEqual(filtered.map((r) => r.id), prefixTop(metric, q, d, 5, (i) => i % 2 === 1).map((w) => w.id), `${round}, filtered`);
        }
        await db.compact();
      }
      const mmr = await db.search(queries[0], { k: 5, truncateDim: 8, mmrLambda: 0.5 });
      assert.equal(new Set(mmr.map((r) => r.id)).size, 5);
      const hybrid = await db.search(queries[0], { k: 5, truncateDim: 8, sparse: { none: 1 } });
      assert.equal(hybrid.length, 5);
    });
  }

  it("keeps most of the full-dimension neighbours at half the dimensions on such vectors", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: DIM, metric: "l2" });
    await db.upsertMany(data.map((vector, i) => ({ id: `r${i}`, vector })));
    let found = 0;
    for (const q of queries) {
      const full = new Set((await db.search(q, { k: 10, exact: true })).map((r) => r.id));
      found += (await db.search(q, { k: 10, truncateDim: 16 })).filter((r) => full.has(r.id)).length;
    }
    // What this data gives (the tail dimensions carry little): measured, with a margin.
    assert.ok(found / (10 * queries.length) >= 0.8, `recall@10 against the full dimensions: ${found / (10 * queries.length)}`);
  });

  it("refuses a truncateDim out of range, not an integer, or without a main query vector", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: DIM });
    await db.upsertMany(data.slice(0, 10).map((vector, i) => ({ id: `r${i}`, vector, vectors: { title: vector.subarray(0, 4) } })));
    for (const bad of [0, -1, 1.5, "8", true]) {
      await rejectsWith(() => db.search(queries[0], { truncateDim: bad as never }), "INVALID_ARGUMENT", /truncateDim/);
    }
    await rejectsWith(() => db.search(queries[0], { truncateDim: DIM + 1 }), "INVALID_ARGUMENT", /truncateDim must be from 1 to the dimension \(32\)/);
    await rejectsWith(() => db.search(queries[0].subarray(0, 4), { vectorName: "title", truncateDim: 2 }), "INVALID_ARGUMENT", /truncateDim/);
    await rejectsWith(() => db.search(null, { sparse: { a: 1 }, truncateDim: 2 }), "INVALID_ARGUMENT", /truncateDim/);
  });
});
