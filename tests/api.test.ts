/**
 * The Database API, method by method (life cycle and maintenance are in lifecycle.test.ts):
 * maintenance (compact/flush/snapshot), life cycle (close, dispose, reopen), namespaces,
 * read-only handles and `sync: "normal"`.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as vectlite from "../mod.ts";
import type { RecordInput } from "../mod.ts";
import { randomVector, rejectsWith, rng, tempDb } from "./helpers.ts";
import { arr, assertClose, expectedScore, hitSummary } from "./api-helpers.ts";

describe("open, metrics and getters", () => {
  it("exposes dimension, path, readOnly, metric and closed", async () => {
    const path = tempDb();
    const db = await vectlite.open(path, { dimension: 5, metric: "dot" });
    assert.equal(db.dimension, 5);
    assert.equal(db.path, path);
    assert.equal(db.readOnly, false);
    assert.equal(db.metric, "dot");
    assert.equal(db.closed, false);
    await db.close();
    assert.equal(db.closed, true);
    // The file remembers dimension and metric: reopen without options.
    await using again = await vectlite.open(path);
    assert.equal(again.dimension, 5);
    assert.equal(again.metric, "dot");
  });

  it("defaults to the cosine metric", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    assert.equal(db.metric, "cosine");
  });

  for (const metric of ["cosine", "dot", "l2", "manhattan"] as const) {
    it(`scores with ${metric} numerically, higher is better, best first`, async () => {
      await using db = await vectlite.open(tempDb(), { dimension: 4, metric });
      assert.equal(db.metric, metric);
      const rand = rng(42);
      const vectors = new Map<string, Float32Array>();
      for (let i = 0; i < 12; i++) {
        const v = randomVector(4, rand);
        // Vary the norms so that cosine, dot and l2 rank differently.
        for (let j = 0; j < 4; j++) v[j] *= 1 + i / 3;
        vectors.set(`v${i}`, v);
        await db.upsert(`v${i}`, v);
      }
      const q = randomVector(4, rand);
      const hits = await db.search(q, { k: 12 });
      assert.equal(hits.length, 12);
      const expected = [...vectors].map(([id, v]) => ({ id, score: expectedScore(metric, q, v) }))
        .sort((a, b) => b.score - a.score);
      assert.deepEqual(hits.map((h) => h.id), expected.map((e) => e.id));
      for (const h of hits) assertClose(h.score, expectedScore(metric, q, vectors.get(h.id)!), `${metric} score of ${h.id}`);
      for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].score >= hits[i].score, "scores descend");
    });
  }

  it("gives exact known values for each metric", async () => {
    const q = [1, 2, 3];
    const v = [4, 6, 3];
    const want = { cosine: 25 / (Math.sqrt(14) * Math.sqrt(61)), dot: 25, l2: -5, manhattan: -7 };
    for (const metric of ["cosine", "dot", "l2", "manhattan"] as const) {
      await using db = await vectlite.open(tempDb(), { dimension: 3, metric });
      await db.upsert("v", v);
      const [hit] = await db.search(q, { k: 1 });
      assertClose(hit.score, want[metric], metric, 1e-6);
    }
  });

  it("l2 ranks the nearest point first even when another has a larger dot product", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2, metric: "l2" });
    await db.upsert("near", [1, 1]);
    await db.upsert("far", [10, 10]);
    const hits = await db.search([1.2, 1.2], { k: 2 });
    assert.deepEqual(hits.map((h) => h.id), ["near", "far"]);
    assert.ok(hits[0].score < 0 && hits[1].score < hits[0].score);
  });
});

describe("writes", () => {
  it("upsert inserts, then replaces vector and metadata", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2, metric: "dot" });
    await db.upsert("a", [1, 0], { v: 1, keep: "x" });
    assert.equal(await db.count(), 1);
    assert.deepEqual((await db.get("a"))?.metadata, { v: 1, keep: "x" });
    await db.upsert("a", [0, 2], { v: 2 });
    assert.equal(await db.count(), 1);
    const rec = await db.get("a", { includeVectors: true });
    assert.deepEqual(rec?.metadata, { v: 2 });
    assert.deepEqual(arr(rec?.vector), [0, 2]);
    const [hit] = await db.search([0, 1], { k: 1 });
    assert.equal(hit.id, "a");
    assertClose(hit.score, 2, "replaced vector's score");
  });

  it("stores a copy: mutating the caller's Float32Array afterwards changes nothing", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 3 });
    const v = new Float32Array([1, 2, 3]);
    await db.upsert("a", v);
    v[0] = 100;
    assert.deepEqual(arr((await db.get("a", { includeVectors: true }))?.vector), [1, 2, 3]);
  });

  it("round-trips non-ASCII ids, namespaces and metadata, also after reopening", async () => {
    const path = tempDb();
    const meta = { "ключ": "値", emoji: "🙂", "with space": "a\u0000b\n\"q\"" };
    {
      await using db = await vectlite.open(path, { dimension: 2 });
      await db.upsert("é🙂 id", [1, 0], meta, { namespace: "名前" });
      assert.deepEqual(await db.namespaces(), ["名前"]);
    }
    await using db = await vectlite.open(path);
    const rec = await db.get("é🙂 id", { namespace: "名前" });
    assert.equal(rec?.id, "é🙂 id");
    assert.equal(rec?.namespace, "名前");
    assert.deepEqual(rec?.metadata, meta);
    assert.deepEqual((await db.search([1, 0], { namespace: "名前", filter: { emoji: "🙂" } })).map((h) => h.id), ["é🙂 id"]);
  });

  it("upsert without metadata stores an empty object", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsert("a", [1, 0]);
    const rec = await db.get("a");
    assert.deepEqual(rec?.metadata, {});
    assert.equal(rec?.id, "a");
    assert.equal(rec?.namespace, "");
  });

  it("insert refuses an existing id with DUPLICATE_ID and keeps the original", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.insert("a", [1, 0], { v: 1 });
    await rejectsWith(() => db.insert("a", [0, 1], { v: 2 }), "DUPLICATE_ID", /"?a"?/);
    assert.equal(await db.count(), 1);
    const rec = await db.get("a", { includeVectors: true });
    assert.deepEqual(rec?.metadata, { v: 1 });
    assert.deepEqual(arr(rec?.vector), [1, 0]);
    // The same id in another namespace is a different record.
    await db.insert("a", [0, 1], { v: 3 }, { namespace: "ns" });
    assert.deepEqual((await db.get("a", { namespace: "ns" }))?.metadata, { v: 3 });
  });

  it("upsertMany writes a batch, replaces existing ids and returns the count", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsert("a", [1, 0], { old: true });
    const n = await db.upsertMany([
      { id: "a", vector: [0, 1], metadata: { old: false } },
      { id: "b", vector: new Float32Array([1, 1]) },
      { id: "c", vector: [1, 2], metadata: { x: 1 }, namespace: "other" },
    ]);
    assert.equal(n, 3);
    assert.equal(await db.count(), 2);
    assert.equal(await db.count({ namespace: "other" }), 1);
    assert.deepEqual((await db.get("a"))?.metadata, { old: false });
    assert.deepEqual((await db.get("c", { namespace: "other" }))?.metadata, { x: 1 });
  });

  it("upsertMany applies the call's namespace to records without one", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsertMany([{ id: "a", vector: [1, 0] }, { id: "b", vector: [0, 1], namespace: "own" }], { namespace: "call" });
    assert.equal(await db.get("a"), null);
    assert.equal((await db.get("a", { namespace: "call" }))?.namespace, "call");
    assert.equal((await db.get("b", { namespace: "own" }))?.namespace, "own");
    assert.deepEqual(await db.namespaces(), ["call", "own"]);
  });

  it("insertMany inserts a batch of new ids", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    assert.equal(await db.insertMany([{ id: "a", vector: [1, 0] }, { id: "b", vector: [0, 1] }]), 2);
    assert.equal(await db.count(), 2);
  });

  it("insertMany is all or nothing when an id already exists", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsert("b", [1, 1], { original: true });
    await rejectsWith(
      () =>
        db.insertMany([
          { id: "a", vector: [1, 0] },
          { id: "b", vector: [0, 1], metadata: { original: false } },
          { id: "c", vector: [0, 1] },
        ]),
      "DUPLICATE_ID",
      /b/,
    );
    assert.equal(await db.count(), 1);
    assert.equal(await db.get("a"), null);
    assert.equal(await db.get("c"), null);
    assert.deepEqual((await db.get("b"))?.metadata, { original: true });
  });

  it("insertMany is all or nothing on a duplicate within the batch", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await rejectsWith(
      () =>
        db.insertMany([
          { id: "x", vector: [1, 0] },
          { id: "dup", vector: [0, 1] },
          { id: "dup", vector: [1, 1] },
        ]),
      "DUPLICATE_ID",
      /dup/,
    );
    assert.equal(await db.count(), 0);
    assert.deepEqual(await db.namespaces(), []);
    // The same id twice in different namespaces is not a duplicate.
    assert.equal(
      await db.insertMany([{ id: "dup", vector: [1, 0] }, { id: "dup", vector: [0, 1], namespace: "n2" }]),
      2,
    );
  });

  it("bulkIngest takes an array, reports progress per batch and honours batchSize", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 3 });
    const rand = rng(1);
    const records = Array.from({ length: 10 }, (_, i) => ({ id: `b${i}`, vector: randomVector(3, rand), metadata: { i } }));
    const progress: { done: number; total?: number }[] = [];
    const n = await db.bulkIngest(records, { batchSize: 3, onProgress: (p) => p.phase === "write" && progress.push({ ...p }) });
    assert.equal(n, 10);
    assert.deepEqual(progress.map((p) => p.done), [3, 6, 9, 10]);
    for (const p of progress) assert.ok(p.total === undefined || p.total === 10, `total ${p.total}`);
    assert.equal(await db.count(), 10);
    assert.deepEqual((await db.get("b7"))?.metadata, { i: 7 });
  });

  it("bulkIngest takes a sync iterable", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    function* gen(): Generator<RecordInput> {
      for (let i = 0; i < 7; i++) yield { id: `s${i}`, vector: [i + 1, 1], metadata: { i } };
    }
    const done: number[] = [];
    const n = await db.bulkIngest(gen(), { batchSize: 2, onProgress: (p) => p.phase === "write" && done.push(p.done) });
    assert.equal(n, 7);
    assert.deepEqual(done, [2, 4, 6, 7]);
    assert.equal(await db.count(), 7);
    assert.deepEqual((await db.get("s6"))?.metadata, { i: 6 });
  });

  it("bulkIngest takes an async generator and a namespace", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    async function* gen(): AsyncGenerator<RecordInput> {
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        yield { id: `a${i}`, vector: [1, i] };
      }
    }
    const done: number[] = [];
    const n = await db.bulkIngest(gen(), { namespace: "bulk", onProgress: (p) => p.phase === "write" && done.push(p.done) });
    assert.equal(n, 5);
    // Default batchSize (10,000) holds everything: one progress call.
    assert.deepEqual(done, [5]);
    assert.equal(await db.count({ namespace: "bulk" }), 5);
    assert.equal(await db.count(), 0);
  });

  it("bulkIngest of nothing writes nothing", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    assert.equal(await db.bulkIngest([]), 0);
    assert.equal(await db.count(), 0);
  });

  it("delete returns whether the record existed", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsert("a", [1, 0]);
    await db.upsert("b", [0, 1]);
    assert.equal(await db.delete("a"), true);
    assert.equal(await db.delete("a"), false);
    assert.equal(await db.delete("never"), false);
    assert.equal(await db.get("a"), null);
    assert.equal(await db.count(), 1);
    assert.deepEqual((await db.search([1, 0])).map((h) => h.id), ["b"]);
  });

  it("deleteMany returns how many existed", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsertMany(["a", "b", "c", "d"].map((id) => ({ id, vector: [1, 0] })));
    assert.equal(await db.deleteMany(["a", "c", "zzz"]), 2);
    assert.equal(await db.deleteMany([]), 0);
    assert.deepEqual((await db.list()).map((r) => r.id).sort(), ["b", "d"]);
  });

  it("deleteByFilter deletes matching records of one namespace", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsertMany([
      { id: "a", vector: [1, 0], metadata: { kind: "x", n: 1 } },
      { id: "b", vector: [1, 0], metadata: { kind: "y", n: 2 } },
      { id: "c", vector: [1, 0], metadata: { kind: "x", n: 3 } },
      { id: "a", vector: [1, 0], metadata: { kind: "x", n: 4 }, namespace: "other" },
    ]);
    assert.equal(await db.deleteByFilter({ kind: "x" }), 2);
    assert.deepEqual((await db.list()).map((r) => r.id), ["b"]);
    assert.equal(await db.count({ namespace: "other" }), 1, "other namespace untouched");
    assert.equal(await db.deleteByFilter({ n: { $gt: 100 } }), 0);
    assert.equal(await db.deleteByFilter({ kind: "x" }, { namespace: "other" }), 1);
    assert.equal(await db.count({ namespace: "other" }), 0);
    assert.equal(await db.deleteByFilter({}), 1, "{} deletes everything");
    assert.equal(await db.count({ namespace: "*" }), 0);
  });
});

describe("reads", () => {
  it("get returns null for a missing id or namespace", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsert("a", [1, 0]);
    assert.equal(await db.get("missing"), null);
    assert.equal(await db.get("a", { namespace: "nope" }), null);
  });

  it("get returns metadata and sparse, and vectors only with includeVectors", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 3 });
    const meta = { title: "T", n: 1.5, ok: true, none: null, list: [1, "two", { three: 3 }], obj: { deep: { x: [] } } };
    await db.upsert("a", [0.25, -1, 3], meta, { sparse: { auth: 2, sso: 0.5 }, vectors: { title: [1, 2], body: [3, 4, 5, 6] } });
    const plain = await db.get("a");
    assert.ok(plain);
    assert.equal(plain.id, "a");
    assert.equal(plain.namespace, "");
    assert.deepEqual(plain.metadata, meta);
    assert.deepEqual(plain.sparse, { auth: 2, sso: 0.5 });
    assert.equal(plain.vector, undefined);
    assert.equal(plain.vectors, undefined);

    const full = await db.get("a", { includeVectors: true });
    assert.ok(full?.vector instanceof Float32Array, "vector is a Float32Array");
    assert.deepEqual(arr(full.vector), [0.25, -1, 3]);
    assert.ok(full.vectors, "named vectors returned");
    assert.deepEqual(Object.keys(full.vectors).sort(), ["body", "title"]);
    assert.ok(full.vectors.title instanceof Float32Array);
    assert.ok(full.vectors.body instanceof Float32Array);
    assert.deepEqual(arr(full.vectors.title), [1, 2]);
    assert.deepEqual(arr(full.vectors.body), [3, 4, 5, 6]);
  });

  it("a record without sparse terms has no sparse field", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsert("a", [1, 0], { x: 1 });
    const rec = await db.get("a", { includeVectors: true });
    assert.equal(rec?.sparse, undefined);
    assert.equal(rec?.vectors, undefined);
  });

  it("list returns every record, and honours limit, offset and filter", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsertMany(Array.from({ length: 10 }, (_, i) => ({ id: `id${i}`, vector: [1, i], metadata: { i } })));
    const all = await db.list();
    assert.equal(all.length, 10);
    assert.deepEqual(all.map((r) => r.id).sort(), Array.from({ length: 10 }, (_, i) => `id${i}`).sort());
    for (const r of all) assert.equal(r.vector, undefined);
    const ids = all.map((r) => r.id);
    assert.deepEqual((await db.list({ limit: 3 })).map((r) => r.id), ids.slice(0, 3));
    assert.deepEqual((await db.list({ offset: 4 })).map((r) => r.id), ids.slice(4));
    assert.deepEqual((await db.list({ limit: 3, offset: 8 })).map((r) => r.id), ids.slice(8));
    assert.deepEqual(await db.list({ offset: 10 }), []);
    assert.equal((await db.list({ limit: 0 })).length, 10, "limit 0 = all");

    const odd = await db.list({ filter: { i: { $in: [1, 3, 5, 7, 9] } } });
    assert.deepEqual(odd.map((r) => r.metadata.i).sort(), [1, 3, 5, 7, 9]);
    const oddIds = odd.map((r) => r.id);
    // limit and offset apply after the filter.
    assert.deepEqual(
      (await db.list({ filter: { i: { $in: [1, 3, 5, 7, 9] } }, offset: 1, limit: 2 })).map((r) => r.id),
      oddIds.slice(1, 3),
    );
    const withVectors = await db.list({ filter: { i: 4 }, includeVectors: true });
    assert.equal(withVectors.length, 1);
    assert.deepEqual(arr(withVectors[0].vector), [1, 4]);
  });

  it("list covers one namespace, or all with '*'", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsert("a", [1, 0]);
    await db.upsert("b", [1, 0], {}, { namespace: "n1" });
    await db.upsert("c", [1, 0], {}, { namespace: "n2" });
    assert.deepEqual((await db.list()).map((r) => r.id), ["a"]);
    assert.deepEqual((await db.list({ namespace: "n1" })).map((r) => [r.namespace, r.id]), [["n1", "b"]]);
    const all = await db.list({ namespace: "*" });
    assert.deepEqual(all.map((r) => `${r.namespace}/${r.id}`).sort(), ["/a", "n1/b", "n2/c"]);
    const two = await db.list({ namespaces: ["n1", "n2"] });
    assert.deepEqual(two.map((r) => r.id).sort(), ["b", "c"]);
  });

  it("count with filter, namespace, namespaces list and '*'", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsertMany([
      { id: "a", vector: [1, 0], metadata: { k: 1 } },
      { id: "b", vector: [1, 0], metadata: { k: 2 } },
      { id: "a", vector: [1, 0], metadata: { k: 1 }, namespace: "x" },
      { id: "c", vector: [1, 0], metadata: { k: 1 }, namespace: "y" },
      { id: "d", vector: [1, 0], metadata: { k: 3 }, namespace: "y" },
    ]);
    assert.equal(await db.count(), 2);
    assert.equal(await db.count({ filter: { k: 1 } }), 1);
    assert.equal(await db.count({ namespace: "x" }), 1);
    assert.equal(await db.count({ namespace: "y" }), 2);
    assert.equal(await db.count({ namespace: "missing" }), 0);
    assert.equal(await db.count({ namespace: "*" }), 5);
    assert.equal(await db.count({ namespaces: "*" }), 5);
    assert.equal(await db.count({ namespaces: ["x", "y"] }), 3);
    assert.equal(await db.count({ namespaces: "*", filter: { k: 1 } }), 3);
    assert.equal(await db.count({ namespace: "y", filter: { k: { $gt: 1 } } }), 1);
  });

  it("namespaces() lists the namespaces holding records, sorted", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    assert.deepEqual(await db.namespaces(), []);
    await db.upsert("a", [1, 0], {}, { namespace: "zeta" });
    await db.upsert("a", [1, 0]);
    await db.upsert("a", [1, 0], {}, { namespace: "Alpha" });
    await db.upsert("a", [1, 0], {}, { namespace: "beta" });
    assert.deepEqual(await db.namespaces(), ["", "Alpha", "beta", "zeta"]);
    await db.delete("a", { namespace: "beta" });
    assert.deepEqual(await db.namespaces(), ["", "Alpha", "zeta"]);
  });
});

describe("search", () => {
  it("returns at most k results (default 10), best first", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 4 });
    const rand = rng(3);
    for (let i = 0; i < 25; i++) await db.upsert(`v${i}`, randomVector(4, rand), { i });
    const q = randomVector(4, rand);
    assert.equal((await db.search(q)).length, 10);
    assert.equal((await db.search(q, { k: 3 })).length, 3);
    assert.equal((await db.search(q, { k: 100 })).length, 25);
    const top3 = await db.search(q, { k: 3 });
    const top10 = await db.search(q, { k: 10 });
    assert.deepEqual(top3.map((h) => h.id), top10.slice(0, 3).map((h) => h.id));
    for (const h of top10) {
      assert.equal(h.namespace, "");
      assert.equal(typeof h.metadata.i, "number");
      assert.equal(h.id, `v${h.metadata.i}`);
      assert.equal(h.vector, undefined);
    }
  });

  it("searches an empty database and an empty namespace", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    assert.deepEqual(await db.search([1, 0]), []);
    await db.upsert("a", [1, 0]);
    assert.deepEqual(await db.search([1, 0], { namespace: "nothing" }), []);
  });

  it("applies a filter", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsertMany([
      { id: "best", vector: [1, 0], metadata: { src: "news" } },
      { id: "mid", vector: [1, 0.5], metadata: { src: "blog" } },
      { id: "low", vector: [0, 1], metadata: { src: "blog" } },
    ]);
    const hits = await db.search([1, 0], { k: 5, filter: { src: "blog" } });
    assert.deepEqual(hits.map((h) => h.id), ["mid", "low"]);
    assert.deepEqual(hits[0].metadata, { src: "blog" });
  });

  it("covers one namespace, a list, or '*'", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsert("d", [1, 0]);
    await db.upsert("x1", [1, 0.1], {}, { namespace: "x" });
    await db.upsert("y1", [1, 0.2], {}, { namespace: "y" });
    await db.upsert("z1", [1, 0.3], {}, { namespace: "z" });
    const q = [1, 0];
    assert.deepEqual((await db.search(q)).map((h) => h.id), ["d"]);
    assert.deepEqual((await db.search(q, { namespace: "y" })).map((h) => [h.namespace, h.id]), [["y", "y1"]]);
    assert.deepEqual((await db.search(q, { namespaces: ["z", "x"] })).map((h) => h.id), ["x1", "z1"]);
    assert.deepEqual((await db.search(q, { namespaces: "*" })).map((h) => h.id), ["d", "x1", "y1", "z1"]);
    assert.deepEqual((await db.search(q, { namespace: "*" })).map((h) => h.id), ["d", "x1", "y1", "z1"]);
    assert.deepEqual(
      (await db.search(q, { namespace: "*" })).map((h) => h.namespace),
      ["", "x", "y", "z"],
    );
  });

  it("orders ties by namespace, then id", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2, metric: "dot" });
    // Inserted in scrambled order; "b*" score 2, "a*" score 1 (exactly representable).
    const rows: [string, string, number[]][] = [
      ["n2", "b2", [2, 0]],
      ["", "a9", [1, 0]],
      ["n1", "b1", [2, 0]],
      ["n2", "a1", [1, 0]],
      ["", "b3", [2, 0]],
      ["n1", "a2", [1, 0]],
      ["", "b0", [2, 0]],
      ["n1", "b0", [2, 0]],
      ["", "a0", [1, 0]],
    ];
    for (const [namespace, id, v] of rows) await db.upsert(id, v, { namespace }, { namespace });
    const hits = await db.search([1, 0], { k: 20, namespaces: "*" });
    assert.deepEqual(
      hits.map((h) => `${h.score}:${h.namespace}/${h.id}`),
      ["2:/b0", "2:/b3", "2:n1/b0", "2:n1/b1", "2:n2/b2", "1:/a0", "1:/a9", "1:n1/a2", "1:n2/a1"],
    );
    for (const h of hits) assert.deepEqual(h.metadata, { namespace: h.namespace });
    // k cuts the ordered list at the same place.
    const top4 = await db.search([1, 0], { k: 4, namespaces: "*" });
    assert.deepEqual(top4.map((h) => `${h.namespace}/${h.id}`), ["/b0", "/b3", "n1/b0", "n1/b1"]);
    // Within one namespace, ties go by id.
    const one = await db.search([1, 0], { k: 3, namespace: "" });
    assert.deepEqual(one.map((h) => h.id), ["b0", "b3", "a0"]);
  });

  it("returns stored vectors with includeVectors", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 3 });
    await db.upsert("a", [0.5, 0.25, -2]);
    await db.upsert("b", [1, 1, 1]);
    const hits = await db.search([0.5, 0.25, -2], { k: 2, includeVectors: true });
    assert.equal(hits[0].id, "a");
    assert.ok(hits[0].vector instanceof Float32Array);
    assert.deepEqual(arr(hits[0].vector), [0.5, 0.25, -2]);
    assert.deepEqual(arr(hits[1].vector), [1, 1, 1]);
  });

  it("accepts a Float32Array or a number[] query with the same result", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 3 });
    const rand = rng(11);
    for (let i = 0; i < 8; i++) await db.upsert(`v${i}`, randomVector(3, rand));
    const q = randomVector(3, rand);
    assert.deepEqual(hitSummary(await db.search(q)), hitSummary(await db.search(Array.from(q))));
  });

  it("searchWithStats returns the same results and consistent stats", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 3 });
    const rand = rng(5);
    for (let i = 0; i < 30; i++) await db.upsert(`v${i}`, randomVector(3, rand), { even: i % 2 === 0, i });
    await db.upsert("other", randomVector(3, rand), { even: true }, { namespace: "elsewhere" });
    const q = randomVector(3, rand);

    const plain = await db.searchWithStats(q, { k: 5 });
    assert.deepEqual(hitSummary(plain.results), hitSummary(await db.search(q, { k: 5 })));
    const s = plain.stats;
    for (const key of ["totalUs", "denseUs", "sparseUs", "fusionUs", "rerankUs"] as const) {
      assert.equal(typeof s.timings[key], "number", key);
      assert.ok(s.timings[key] >= 0, key);
    }
    assert.equal(typeof s.usedAnn, "boolean");
    assert.equal(s.usedAnn, false, "30 records are below annThreshold: exact search");
    assert.equal(s.visited, 30, "an exact scan scores every record of the namespace");
    assert.equal(s.filtered, 0);
    assert.ok(s.candidates >= plain.results.length);

    const filtered = await db.searchWithStats(q, { k: 50, filter: { even: true } });
    assert.equal(filtered.results.length, 15);
    assert.ok(filtered.results.every((r) => r.metadata.even === true));
    assert.equal(filtered.stats.visited, 15, "records passing the filter");
    assert.equal(filtered.stats.filtered, 15, "records rejected by the filter");
    assert.equal(filtered.stats.visited + filtered.stats.filtered, await db.count());
    assert.ok(filtered.stats.candidates >= filtered.results.length);

    const all = await db.searchWithStats(q, { k: 50, filter: { even: true }, namespace: "*" });
    assert.equal(all.results.length, 16);
    assert.equal(all.stats.visited, 16);
    assert.equal(all.stats.filtered, 15);
  });

  it("a search with neither a query vector nor sparse terms, or a misspelt option, is INVALID_ARGUMENT", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsert("a", [1, 0], {}, { sparse: { x: 1 } });
    await rejectsWith(() => db.search(null), "INVALID_ARGUMENT", /query vector, sparse terms, or both/);
    await rejectsWith(() => db.search([1, 0], { kk: 3 } as vectlite.SearchOptions), "INVALID_ARGUMENT", /unknown search option "kk"/);
    await rejectsWith(() => db.search([1, 0], { vectorName: "nope" }), "INVALID_ARGUMENT", /no named vector space "nope"/);
    await rejectsWith(() => db.search([1, 0], { mmrLambda: 2 }), "INVALID_ARGUMENT", /mmrLambda/);
    await rejectsWith(() => db.search([1, 0], { fusion: "max" as "rrf" }), "INVALID_ARGUMENT", /fusion/);
    assert.equal(await db.count(), 1);
  });
});

