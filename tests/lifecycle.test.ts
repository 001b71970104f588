/**
 * The Database API, method by method: open and its getters, every write, every read,
 * maintenance (compact/flush/snapshot), life cycle (close, dispose, reopen), namespaces,
 * read-only handles and `sync: "normal"`.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as vectlite from "../mod.ts";
import type { Database } from "../mod.ts";
import { spawnSync } from "node:child_process";
import { childProgram, randomVector, rejectsWith, rng, runtimeCommandWith, tempDb } from "./helpers.ts";
import { arr, everything, hitSummary, seed } from "./api-helpers.ts";

describe("durability and maintenance", () => {
  it("reopen after close returns the same records and the same scores", async () => {
    const path = tempDb();
    const q = randomVector(4, rng(99));
    let before: unknown[];
    let beforeHits: ReturnType<typeof hitSummary>;
    {
      await using db = await vectlite.open(path, { dimension: 4 });
      await seed(db);
      await db.delete("r03");
      await db.upsert("r04", [1, 2, 3, 4], { replaced: true });
      before = await everything(db);
      beforeHits = hitSummary(await db.search(q, { k: 50, namespace: "*" }));
    }
    await using db = await vectlite.open(path);
    assert.equal(db.dimension, 4);
    assert.deepEqual(await everything(db), before);
    assert.deepEqual(hitSummary(await db.search(q, { k: 50, namespace: "*" })), beforeHits);
    assert.equal(await db.get("r03"), null);
    assert.deepEqual((await db.get("r04"))?.metadata, { replaced: true });
  });

  it("compact and flush, then reopen, give identical records and scores", async () => {
    const path = tempDb();
    const q = randomVector(4, rng(5));
    let before: unknown[];
    let beforeHits: ReturnType<typeof hitSummary>;
    {
      await using db = await vectlite.open(path, { dimension: 4, metric: "l2" });
      await seed(db, 30);
      await db.compact();
      await db.deleteMany(["r00", "r01"]);
      await db.upsert("late", [0, 0, 0, 1], { late: true }, { namespace: "other" });
      await db.flush();
      // Still usable after compaction, with the same content.
      before = await everything(db);
      beforeHits = hitSummary(await db.search(q, { k: 100, namespace: "*" }));
      assert.equal(await db.count({ namespace: "*" }), 29);
      await db.upsert("after", [1, 1, 1, 1]);
      await db.delete("after");
      await db.compact();
    }
    await using db = await vectlite.open(path);
    assert.equal(db.metric, "l2");
    assert.deepEqual(await everything(db), before);
    assert.deepEqual(hitSummary(await db.search(q, { k: 100, namespace: "*" })), beforeHits);
  });

  it("snapshot writes a file that opens with the same records while the source stays open", async () => {
    const path = tempDb();
    const dest = tempDb("copy.vdb");
    await using db = await vectlite.open(path, { dimension: 3, metric: "dot" });
    await seed(db, 12);
    await db.snapshot(dest);
    const expected = await everything(db);
    const q = [0.1, 0.2, 0.3];
    const hits = hitSummary(await db.search(q, { k: 20, namespace: "*" }));
    // The source keeps working and its later writes do not reach the copy.
    await db.upsert("later", [1, 1, 1]);
    assert.equal(await db.count(), 7);
    {
      await using copy = await vectlite.open(dest);
      assert.equal(copy.dimension, 3);
      assert.equal(copy.metric, "dot");
      assert.deepEqual(await everything(copy), expected);
      assert.deepEqual(hitSummary(await copy.search(q, { k: 20, namespace: "*" })), hits);
      assert.equal(await copy.get("later"), null);
    }
  });

  it("sync: 'normal' writes and reads back, also after reopening", async () => {
    const path = tempDb();
    {
      await using db = await vectlite.open(path, { dimension: 2, sync: "normal" });
      for (let i = 0; i < 20; i++) await db.upsert(`n${i}`, [1, i], { i });
      assert.equal(await db.count(), 20);
      assert.equal(await db.delete("n0"), true);
      assert.deepEqual((await db.search([1, 19], { k: 1 }))[0].id, "n19");
    }
    await using db = await vectlite.open(path, { sync: "normal" });
    assert.equal(await db.count(), 19);
    assert.deepEqual((await db.get("n5"))?.metadata, { i: 5 });
    assert.equal(await db.get("n0"), null);
  });
});

describe("life cycle and handles", () => {
  it("a handle collected without close() is closed by its finalizer: lock released, WAL folded, nothing lost", () => {
    const path = tempDb();
    const { cmd, args } = runtimeCommandWith({ exposeGc: true }, childProgram("finalized.ts"), path);
    const out = spawnSync(cmd, args, { encoding: "utf8", timeout: 120_000 });
    assert.equal(out.status, 0, out.stderr);
    const report = JSON.parse(out.stdout.trim().split("\n").pop()!);
    assert.equal(report.collected, true, "the handle was never collected");
    assert.equal(report.count, 20_000);
    // Closing compacted (a graph, and every record written since the snapshot): only the
    // header of a fresh WAL is left.
    assert.equal(report.walBytes, 48);
  });

  it("close invalidates the handle and releases the file", async () => {
    const path = tempDb();
    const db = await vectlite.open(path, { dimension: 2 });
    await db.upsert("a", [1, 0]);
    await db.close();
    assert.equal(db.closed, true);
    await rejectsWith(() => db.count(), "CLOSED");
    // The lock is released: a new writable handle opens at once.
    await using again = await vectlite.open(path);
    assert.equal(await again.count(), 1);
  });

  it("await using closes the handle at the end of the block", async () => {
    const path = tempDb();
    let outer: Database | undefined;
    {
      await using db = await vectlite.open(path, { dimension: 2 });
      outer = db;
      await db.upsert("a", [1, 0], { v: 1 });
      assert.equal(db.closed, false);
    }
    assert.ok(outer);
    assert.equal(outer.closed, true);
    await rejectsWith(() => outer!.get("a"), "CLOSED");
    await using db = await vectlite.open(path);
    assert.deepEqual((await db.get("a"))?.metadata, { v: 1 });
  });

  it("[Symbol.asyncDispose] closes, and is harmless on a closed handle", async () => {
    const db = await vectlite.open(tempDb(), { dimension: 2 });
    await db[Symbol.asyncDispose]();
    assert.equal(db.closed, true);
    await db[Symbol.asyncDispose]();
    assert.equal(db.closed, true);
  });

  it("namespaces isolate identical ids", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2, metric: "dot" });
    await db.upsert("same", [1, 0], { who: "default" });
    await db.upsert("same", [0, 1], { who: "left" }, { namespace: "left" });
    await db.upsert("same", [1, 1], { who: "right" }, { namespace: "right" });
    assert.equal(await db.count(), 1);
    assert.equal(await db.count({ namespace: "*" }), 3);
    assert.deepEqual((await db.get("same"))?.metadata, { who: "default" });
    assert.deepEqual((await db.get("same", { namespace: "left" }))?.metadata, { who: "left" });
    assert.deepEqual((await db.get("same", { namespace: "right" }))?.metadata, { who: "right" });
    assert.deepEqual(arr((await db.get("same", { namespace: "left", includeVectors: true }))?.vector), [0, 1]);

    const left = await db.search([0, 1], { namespace: "left" });
    assert.deepEqual(left.map((h) => [h.namespace, h.id, h.metadata.who]), [["left", "same", "left"]]);
    const all = await db.search([0, 1], { namespace: "*", k: 10 });
    assert.deepEqual(all.map((h) => `${h.namespace}:${h.score}`), ["left:1", "right:1", ":0"]);

    assert.equal(await db.delete("same", { namespace: "left" }), true);
    assert.equal(await db.get("same", { namespace: "left" }), null);
    assert.deepEqual((await db.get("same"))?.metadata, { who: "default" });
    assert.deepEqual((await db.get("same", { namespace: "right" }))?.metadata, { who: "right" });
    assert.equal(await db.deleteMany(["same"], { namespace: "right" }), 1);
    assert.deepEqual(await db.namespaces(), [""]);
    assert.equal(await db.count({ namespace: "*" }), 1);
  });

  it("read-only handles read, and every write rejects with READ_ONLY", async () => {
    const path = tempDb();
    {
      await using db = await vectlite.open(path, { dimension: 2 });
      await db.upsert("a", [1, 0], { v: 1 });
      await db.upsert("b", [0, 1], { v: 2 });
    }
    await using ro = await vectlite.open(path, { readOnly: true });
    assert.equal(ro.readOnly, true);
    assert.equal(ro.dimension, 2);
    assert.equal(await ro.count(), 2);
    assert.deepEqual((await ro.search([1, 0], { k: 1 }))[0].id, "a");
    const writes: [string, () => Promise<unknown>][] = [
      ["upsert", () => ro.upsert("c", [1, 1])],
      ["insert", () => ro.insert("c", [1, 1])],
      ["upsertMany", () => ro.upsertMany([{ id: "c", vector: [1, 1] }])],
      ["insertMany", () => ro.insertMany([{ id: "c", vector: [1, 1] }])],
      ["bulkIngest", () => ro.bulkIngest([{ id: "c", vector: [1, 1] }])],
      ["delete", () => ro.delete("a")],
      ["deleteMany", () => ro.deleteMany(["a", "b"])],
      ["deleteByFilter", () => ro.deleteByFilter({ v: 1 })],
      ["compact", () => ro.compact()],
      ["flush", () => ro.flush()],
    ];
    for (const [name, write] of writes) {
      const e = await rejectsWith(write, "READ_ONLY");
      assert.match(e.message, /read-only|read only|readonly/i, name);
    }
    assert.equal(await ro.count(), 2);
    assert.deepEqual((await ro.get("a"))?.metadata, { v: 1 });
  });

  it("concurrent writes on two handles each store their own vectors (the packing buffer is shared)", async () => {
    await using a = await vectlite.open(tempDb("conc-a.vdb"), { dimension: 8 });
    await using b = await vectlite.open(tempDb("conc-b.vdb"), { dimension: 8 });
    const batch = (tag: string, n: number, base: number) =>
      Array.from({ length: n }, (_, i) => ({ id: `${tag}${i}`, vector: Float32Array.from({ length: 8 }, (_, d) => base + i + d / 10) }));
    // Batches of 300 take the background path, of 10 the direct one; all start before any ends.
    const writes = [
      a.upsertMany(batch("x", 300, 1000)), b.upsertMany(batch("y", 300, 2000)),
      a.upsertMany(batch("z", 10, 3000)), b.upsertMany(batch("w", 300, 4000)), a.upsertMany(batch("v", 300, 5000)),
    ];
    assert.deepEqual(await Promise.all(writes), [300, 300, 10, 300, 300]);
    for (const [db, tag, n, base] of [[a, "x", 300, 1000], [b, "y", 300, 2000], [a, "z", 10, 3000], [b, "w", 300, 4000], [a, "v", 300, 5000]] as const) {
      for (const i of [0, 7, n - 1]) {
        const got = await db.get(`${tag}${i}`, { includeVectors: true });
        assert.deepEqual(Array.from(got!.vector!), Array.from(Float32Array.from({ length: 8 }, (_, d) => base + i + d / 10)), `${tag}${i}`);
      }
    }
    assert.equal(await a.count(), 610);
    assert.equal(await b.count(), 600);
  });

  it("two read-only handles can be open at once", async () => {
    const path = tempDb();
    {
      await using db = await vectlite.open(path, { dimension: 2 });
      await db.upsert("a", [1, 0], { v: 1 });
    }
    await using r1 = await vectlite.open(path, { readOnly: true });
    await using r2 = await vectlite.open(path, { readOnly: true });
    assert.deepEqual((await r1.get("a"))?.metadata, { v: 1 });
    assert.deepEqual((await r2.get("a"))?.metadata, { v: 1 });
    assert.deepEqual(hitSummary(await r1.search([1, 0])), hitSummary(await r2.search([1, 0])));
    await r1.close();
    assert.equal(await r2.count(), 1);
  });

  it("a read-only handle sees committed WAL writes that were never compacted", async () => {
    const path = tempDb();
    {
      await using db = await vectlite.open(path, { dimension: 2 });
      await db.compact();
      await db.upsert("walonly", [1, 0], { w: true });
    }
    await using ro = await vectlite.open(path, { readOnly: true });
    assert.deepEqual((await ro.get("walonly"))?.metadata, { w: true });
  });

  it("reopening with the same dimension and metric given explicitly works", async () => {
    const path = tempDb();
    {
      await using db = await vectlite.open(path, { dimension: 3, metric: "l2" });
      await db.upsert("a", [1, 2, 3]);
    }
    await using db = await vectlite.open(path, { dimension: 3, metric: "l2" });
    assert.equal(await db.count(), 1);
    assert.equal(db.metric, "l2");
  });
});
