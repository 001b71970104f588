/**
 * Every numeric option has a bound (written in docs/api.md): at the bound it works, past it
 * the call is refused with INVALID_ARGUMENT naming the option. No value makes the native
 * side allocate from it unchecked: a k larger than the records there are returns them all,
 * and the process never aborts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as vectlite from "../mod.ts";
import { randomVector, rejectsWith, rng, tempDb } from "./helpers.ts";

const U32_MAX = 4_294_967_295;
const N = 300; // past the default annThreshold, so the graph path is taken too

async function filled(): Promise<vectlite.Database> {
  const db = await vectlite.open(tempDb(), { dimension: 8 });
  const rand = rng(7);
  await db.upsertMany(Array.from({ length: N }, (_, i) => ({
    id: `r${i}`,
    vector: randomVector(8, rand),
    metadata: { i },
    text: `word${i % 10} common`,
  })));
  return db;
}

describe("limits of numeric options", () => {
  it("k and fetchK larger than the records return them all, on every search path", async () => {
    await using db = await filled();
    const q = randomVector(8, rng(1));
    for (const k of [1e9, U32_MAX]) {
      assert.equal((await db.search(q, { k })).length, N, `dense, k ${k}`);
      assert.equal((await db.search(q, { k, exact: true })).length, N, `exact, k ${k}`);
      assert.equal((await db.search(null, { k, sparse: { common: 1 } })).length, N, `keyword, k ${k}`);
      assert.equal((await db.search(q, { k, sparse: { common: 1 } })).length, N, `hybrid, k ${k}`);
      assert.equal((await db.search(q, { k, sparse: { common: 1 }, fusion: "rrf" })).length, N, `rrf, k ${k}`);
      assert.equal((await db.search(q, { k: 5, mmrLambda: 0.5, fetchK: k })).length, 5, `mmr, fetchK ${k}`);
      assert.equal((await db.search(q, { k, mmrLambda: 0.5 })).length, N, `mmr, k ${k}`);
      assert.equal((await db.search(q, { k, filter: { i: { $lt: 10 } } })).length, 10, `filtered, k ${k}`);
      assert.equal((await db.search(q, { k, namespace: "none" })).length, 0, `empty namespace, k ${k}`);
    }
    // A reranker reorders a pool of 4k: clamped as well.
    for (const k of [1e9, U32_MAX]) {
      const hits = await db.search(q, { k, rerank: (_q, c) => c.map((r) => -(r.metadata.i as number)) });
      assert.equal(hits.length, N);
      assert.equal(hits[0].id, "r0");
    }
  });

  it("k, fetchK, limit and offset past 2^32 - 1, or not positive integers, are refused", async () => {
    await using db = await filled();
    const q = randomVector(8, rng(1));
    for (const k of [U32_MAX + 1, 0, -1, 1.5, Number.MAX_SAFE_INTEGER]) {
      await rejectsWith(() => db.search(q, { k }), "INVALID_ARGUMENT", /\bk\b/);
    }
    await rejectsWith(() => db.search(q, { k: 5, mmrLambda: 0.5, fetchK: U32_MAX + 1 }), "INVALID_ARGUMENT", /fetchK/);
    await rejectsWith(() => db.search(q, { k: 5, mmrLambda: 0.5, fetchK: 4 }), "INVALID_ARGUMENT", /fetchK/);
    // The same bounds with a reranker, where k itself never crosses to the native side.
    const rerank = (_q: unknown, c: readonly vectlite.SearchResult[]) => c.map(() => 1);
    for (const k of [U32_MAX + 1, 0, -1, 1.5]) {
      await rejectsWith(() => db.search(q, { k, rerank }), "INVALID_ARGUMENT", /\bk\b/);
    }
    await rejectsWith(() => db.search(q, { k: 5, fetchK: 4, rerank }), "INVALID_ARGUMENT", /fetchK/);
    assert.equal((await db.list({ limit: U32_MAX })).length, N);
    assert.equal((await db.list({ offset: U32_MAX })).length, 0);
    await rejectsWith(() => db.list({ limit: U32_MAX + 1 }), "INVALID_ARGUMENT", /limit/);
    await rejectsWith(() => db.list({ offset: U32_MAX + 1 }), "INVALID_ARGUMENT", /offset/);
    await rejectsWith(() => db.list({ offset: -1 }), "INVALID_ARGUMENT", /offset/);
  });

  it("efSearch is bounded at 65,536, per query and at open", async () => {
    await using db = await filled();
    const q = randomVector(8, rng(1));
    assert.equal((await db.search(q, { k: 10, efSearch: 65_536 })).length, 10);
    await rejectsWith(() => db.search(q, { k: 10, efSearch: 65_537 }), "INVALID_ARGUMENT", /efSearch/);
    await rejectsWith(() => db.search(q, { k: 10, efSearch: 0 }), "INVALID_ARGUMENT", /efSearch/);
    await (await vectlite.open(tempDb(), { dimension: 2, hnsw: { efSearch: 65_536, efConstruction: 65_536, m: 512 } })).close();
    for (const hnsw of [{ efSearch: 65_537 }, { efConstruction: 65_537 }, { m: 513 }, { m: 1 }]) {
      await rejectsWith(() => vectlite.open(tempDb(), { dimension: 2, hnsw }), "INVALID_ARGUMENT", /hnsw/);
    }
  });

  it("dimension, annThreshold and batchSize at and past their bounds", async () => {
    await using wide = await vectlite.open(tempDb(), { dimension: 65_536 });
    await wide.upsert("a", new Float32Array(65_536).fill(1));
    assert.equal((await wide.search(new Float32Array(65_536).fill(1), { k: 1e9 })).length, 1);
    await rejectsWith(() => vectlite.open(tempDb(), { dimension: 65_537 }), "INVALID_ARGUMENT", /dimension/);
    await rejectsWith(() => vectlite.open(tempDb(), { dimension: 0 }), "INVALID_ARGUMENT", /dimension/);
    await (await vectlite.open(tempDb(), { dimension: 2, annThreshold: U32_MAX })).close();
    await rejectsWith(() => vectlite.open(tempDb(), { dimension: 2, annThreshold: U32_MAX + 1 }), "INVALID_ARGUMENT", /annThreshold/);
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    const records = Array.from({ length: 3 }, (_, i) => ({ id: `b${i}`, vector: [i, 1] }));
    assert.equal(await db.bulkIngest(records, { batchSize: 1e9 }), 3);
    assert.equal(await db.bulkIngest(records, { batchSize: Number.MAX_SAFE_INTEGER }), 3);
    for (const batchSize of [0, -1, 1.5, Infinity, NaN]) {
      await rejectsWith(() => db.bulkIngest(records, { batchSize }), "INVALID_ARGUMENT", /batchSize/);
    }
    for (const lockTimeoutMs of [-1, Infinity, NaN]) {
      await rejectsWith(() => vectlite.open(tempDb(), { dimension: 2, lockTimeoutMs }), "INVALID_ARGUMENT", /lockTimeoutMs/);
    }
  });

  it("n-gram bounds of an analyzer", async () => {
    assert.deepEqual(vectlite.Analyzer.english().ngrams(1, 16) instanceof vectlite.Analyzer, true);
    await (await vectlite.open(tempDb(), { dimension: 2, analyzer: new vectlite.Analyzer().ngrams(1, 16) })).close();
    for (const [min, max] of [[0, 3], [1, 17], [4, 3]]) {
      assert.throws(() => new vectlite.Analyzer().ngrams(min, max), (e: unknown) => e instanceof vectlite.VectLiteError && e.code === "INVALID_ARGUMENT");
    }
  });
});
