import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vectlite from "../mod.ts";
import { rejectsWith, rng, tempDb, tempDir } from "./helpers.ts";

describe("transactions", () => {
  it("commits when the function resolves and returns its value", async () => {
    const path = tempDb();
    await using db = await vectlite.open(path, { dimension: 2 });
    await db.upsert("old", [1, 0], { v: 1 });
    const out = await db.transaction(async (tx) => {
      assert.equal(await tx.delete("old"), true);
      await tx.insert("new", [0, 1], { v: 2 });
      await tx.upsertMany([{ id: "a", vector: [1, 1] }, { id: "b", vector: [1, 2] }]);
      return "done";
    });
    assert.equal(out, "done");
    assert.equal(await db.get("old"), null);
    assert.deepEqual((await db.get("new"))?.metadata, { v: 2 });
    assert.equal(await db.count(), 3);
    await db.close();
    await using again = await vectlite.open(path);
    assert.equal(await again.count(), 3);
  });

  it("rolls back when the function throws", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsert("keep", [1, 0]);
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.delete("keep");
        await tx.upsert("gone", [0, 1]);
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.ok(await db.get("keep"));
    assert.equal(await db.get("gone"), null);
  });

  it("lets reads through tx see its own writes, and insert fail at the call", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsert("x", [1, 0], { v: 0 });
    await using tx = db.begin();
    await tx.upsert("y", [0, 1], { v: 1 }, { sparse: { hello: 1 } });
    assert.deepEqual((await tx.get("y"))?.metadata, { v: 1 });
    assert.deepEqual((await tx.get("y", { includeVectors: true }))?.vector, new Float32Array([0, 1]));
    assert.equal(await db.get("y"), null, "uncommitted writes are invisible outside the transaction");
    await rejectsWith(() => tx.insert("x", [1, 1]), "DUPLICATE_ID", /"x"/);
    await rejectsWith(() => tx.insert("y", [1, 1]), "DUPLICATE_ID", /"y"/);
    assert.equal(await tx.delete("x"), true);
    assert.equal(await tx.get("x"), null);
    await tx.insert("x", [1, 1], { v: 2 }); // deleted earlier in the same transaction
    assert.equal(await tx.commit(), 3); // upsert y, delete x, insert x (the refused inserts were never buffered)
    assert.deepEqual((await db.get("x"))?.metadata, { v: 2 });
    assert.deepEqual((await db.get("y"))?.sparse, { hello: 1 });
  });

  it("rolls back an uncommitted explicit transaction on disposal", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    {
      await using tx = db.begin();
      await tx.upsert("a", [1, 0]);
    }
    assert.equal(await db.count(), 0);
  });

  it("rejects misuse after commit or rollback with TRANSACTION", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    const tx = db.begin();
    await tx.upsert("a", [1, 0]);
    await tx.commit();
    await rejectsWith(() => tx.upsert("b", [1, 0]), "TRANSACTION", /committed/);
    await rejectsWith(() => tx.commit(), "TRANSACTION");
    const tx2 = db.begin();
    await tx2.rollback();
    await rejectsWith(() => tx2.delete("a"), "TRANSACTION", /rolled back/);
    await rejectsWith(() => tx2.rollback(), "TRANSACTION");
  });

  it("checks bad input at the call and leaves committed data alone", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsert("a", [1, 0]);
    await using tx = db.begin();
    await rejectsWith(() => tx.upsert("b", [NaN, 0]), "INVALID_ARGUMENT", /non-finite/);
    await rejectsWith(() => tx.upsert("b", [1, 2, 3]), "DIMENSION_MISMATCH", /"b"/);
    await rejectsWith(() => tx.upsert("", [1, 2]), "INVALID_ARGUMENT", /id/);
    assert.equal(await db.count(), 1);
  });

  it("fails to commit on a closed database", async () => {
    const db = await vectlite.open(tempDb(), { dimension: 2 });
    const tx = db.begin();
    await tx.upsert("a", [1, 0]);
    await db.close();
    await rejectsWith(() => tx.commit(), "CLOSED");
    assert.equal(tx.active, true, "a commit refused for CLOSED leaves the transaction open");
    await tx.rollback();
    const late = db.begin(); // on a closed database: a transaction whose calls reject
    await rejectsWith(() => late.upsert("b", [0, 1]), "CLOSED");
    await rejectsWith(() => late.commit(), "CLOSED");
  });
});

describe("backup and restore", () => {
  it("round-trips every record through a verified backup", async () => {
    const dir = tempDir();
    await using db = await vectlite.open(join(dir, "src.vdb"), { dimension: 3, metric: "dot" });
    await db.upsertMany([
      { id: "a", vector: [1, 2, 3], metadata: { t: "x" }, sparse: { w: 2 }, vectors: { title: [1, 0] } },
      { id: "b", vector: [3, 2, 1], namespace: "other" },
    ]);
    await db.backup(join(dir, "bk"));
    const manifest = JSON.parse(readFileSync(join(dir, "bk", "manifest.json"), "utf8"));
    assert.equal(manifest.records, 2);
    assert.equal(manifest.files[0].name, "data.vdb");
    await using restored = await vectlite.restore(join(dir, "bk"), join(dir, "restored.vdb"));
    assert.equal(restored.metric, "dot");
    assert.equal(await restored.count({ namespace: "*" }), 2);
    assert.deepEqual(await restored.get("a", { includeVectors: true }), await db.get("a", { includeVectors: true }));
    const q = [1, 1, 1];
    assert.deepEqual(await restored.search(q, { namespace: "*" }), await db.search(q, { namespace: "*" }));
  });

  it("refuses a tampered backup and writes nothing at the destination", async () => {
    const dir = tempDir();
    await using db = await vectlite.open(join(dir, "src.vdb"), { dimension: 2 });
    await db.upsert("a", [1, 2]);
    await db.backup(join(dir, "bk"));
    const data = readFileSync(join(dir, "bk", "data.vdb"));
    data[70] ^= 0x01;
    writeFileSync(join(dir, "bk", "data.vdb"), data);
    await rejectsWith(() => vectlite.restore(join(dir, "bk"), join(dir, "r.vdb")), "CORRUPT", /data\.vdb/);
    assert.equal(existsSync(join(dir, "r.vdb")), false);
  });

  it("rejects a folder that is not a backup, a missing folder, and an existing destination", async () => {
    const dir = tempDir();
    await rejectsWith(() => vectlite.restore(dir, join(dir, "r.vdb")), "CORRUPT", /not a vectlite backup/);
    await rejectsWith(() => vectlite.restore(join(dir, "nope"), join(dir, "r.vdb")), "NOT_FOUND");
    await using db = await vectlite.open(join(dir, "src.vdb"), { dimension: 2 });
    await db.backup(join(dir, "bk"));
    await rejectsWith(() => db.backup(join(dir, "bk")), "INVALID_ARGUMENT", /not empty/);
    await rejectsWith(() => vectlite.restore(join(dir, "bk"), join(dir, "src.vdb")), "INVALID_ARGUMENT", /exists/);
  });
});

describe("collections", () => {
  it("creates, lists, opens and drops collections", async () => {
    const dir = tempDir();
    await using store = await vectlite.openStore(join(dir, "store"));
    const docs = await store.createCollection("docs", { dimension: 2 });
    await docs.upsert("a", [1, 0]);
    await store.createCollection("images", { dimension: 3, metric: "l2" });
    await rejectsWith(() => store.createCollection("docs", { dimension: 2 }), "INVALID_ARGUMENT", /exists/);
    assert.deepEqual(await store.collections(), ["docs", "images"]);
    assert.equal(await store.openCollection("docs"), docs, "an open collection is returned, not opened twice");
    const again = await store.openOrCreateCollection("new-one", { dimension: 4 });
    assert.equal(again.dimension, 4);
    assert.equal(await store.dropCollection("images"), true);
    assert.equal(await store.dropCollection("images"), false);
    assert.deepEqual(await store.collections(), ["docs", "new-one"]);
    await rejectsWith(() => store.openCollection("images"), "NOT_FOUND");
    await store.close();
    assert.equal(docs.closed, true, "closing the store closes its collections");
    await rejectsWith(() => store.collections(), "CLOSED");
    await using reopened = await vectlite.openStore(join(dir, "store"));
    assert.equal(await (await reopened.openCollection("docs")).count(), 1);
  });

  it("rejects unsafe collection names", async () => {
    await using store = await vectlite.openStore(tempDir());
    for (const bad of ["../evil", "a/b", "a\\b", "", ".hidden", "..", "x".repeat(200), "a..b", 42 as unknown as string]) {
      await rejectsWith(() => store.createCollection(bad, { dimension: 2 }), "INVALID_ARGUMENT", /collection name/);
    }
    await rejectsWith(() => store.createCollection("ok", {} as vectlite.OpenOptions), "INVALID_ARGUMENT", /dimension/);
  });
});

describe("background work", () => {
  it("keeps timers firing while bulkIngest writes 20,000 records", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 64 });
    function* records() {
      for (let i = 0; i < 20_000; i++) {
        const v = new Float32Array(64);
        v[i % 64] = 1;
        v[(i * 7) % 64] += 0.5;
        yield { id: `r${i}`, vector: v, metadata: { i, even: i % 2 === 0 } };
      }
    }
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const progress: number[] = [];
    const n = await db.bulkIngest(records(), { batchSize: 5_000, onProgress: ({ phase, done }) => phase === "write" && progress.push(done) });
    clearInterval(timer);
    assert.equal(n, 20_000);
    assert.deepEqual(progress, [5_000, 10_000, 15_000, 20_000]);
    assert.ok(ticks >= 5, `the event loop was blocked: only ${ticks} timer ticks during the ingest`);
    assert.equal(await db.count({ filter: { even: true } }), 10_000);
  });

  it("bulkIngest holds its place in the call order: calls issued from onProgress see the whole ingest, graphs included", async () => {
    const DIM = 16;
    await using db = await vectlite.open(tempDb(), { dimension: DIM, annThreshold: 100 });
    const random = rng(5);
    const vec = () => Float32Array.from({ length: DIM }, () => random() - 0.5);
    const record = (id: string) => ({ id, vector: vec(), vectors: { title: vec() } });
    await db.upsertMany(Array.from({ length: 1_000 }, (_, i) => record(`a${i}`)));
    const before = await db.stats();
    assert.equal(before.namespaces[""].index!.nodes, 1_000);
    assert.equal(before.namespaces[""].named.title.index!.nodes, 1_000);
    const later = Array.from({ length: 2_000 }, (_, i) => record(`b${i}`));
    const seen: { done: number; count: number; nodes: number; titleNodes: number; plan: string; first: string; titleFirst: string }[] = [];
    const checks: Promise<void>[] = [];
    await db.bulkIngest(later, {
      batchSize: 500,
      onProgress: ({ phase, done }) => {
        if (phase !== "write") return;
        // Issued between batches, run after the ingest: they see all of it, indexed.
        const newest = later[done - 1];
        checks.push((async () => {
          const count = await db.count();
          const stats = await db.stats();
          const { results, stats: s } = await db.searchWithStats(newest.vector, { k: 1, efSearch: 16 });
          const title = await db.search(newest.vectors.title, { k: 1, efSearch: 16, vectorName: "title" });
          seen.push({
            done,
            count,
            nodes: stats.namespaces[""].index!.nodes,
            titleNodes: stats.namespaces[""].named.title.index!.nodes,
            plan: s.plan,
            first: results[0].id,
            titleFirst: title[0].id,
          });
        })());
      },
    });
    await Promise.all(checks);
    assert.equal(seen.length, 4);
    for (const v of seen) {
      const newest = later[v.done - 1].id;
      assert.deepEqual(v, { done: v.done, count: 3_000, nodes: 3_000, titleNodes: 3_000, plan: "hnsw", first: newest, titleFirst: newest });
    }
    assert.equal((await db.search(later[0].vector, { k: 1, efSearch: 16 }))[0].id, "b0");
  });

  it("queues reads and close behind a large write in flight", async () => {
    const path = tempDb();
    const db = await vectlite.open(path, { dimension: 8 });
    const records = Array.from({ length: 3_000 }, (_, i) => ({ id: `r${i}`, vector: Array.from({ length: 8 }, (_, j) => (i + j) % 5) }));
    const writing = db.upsertMany(records);
    const counting = db.count(); // issued while the write runs on a Rust thread
    const closing = db.close();
    assert.equal(await writing, 3_000);
    assert.equal(await counting, 3_000);
    await closing;
    assert.equal(db.closed, true);
    await using again = await vectlite.open(path);
    assert.equal(await again.count(), 3_000);
  });
});
