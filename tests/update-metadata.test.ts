import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as vectlite from "../mod.ts";
import { randomVector, rejectsWith, rng, tempDb } from "./helpers.ts";

const DIM = 8;

function records(n: number): vectlite.RecordInput[] {
  const rand = rng(3);
  return Array.from({ length: n }, (_, i) => ({
    id: `r${i}`,
    vector: randomVector(DIM, rand),
    metadata: { i, tag: i % 2 === 0 ? "even" : "odd", nested: { a: 1, b: 2 } },
    text: `record ${i} about ${i % 2 === 0 ? "cats" : "dogs"}`,
  }));
}

describe("updateMetadata", () => {
  it("merges the patch's keys into the metadata and leaves vectors, terms and the graph as they were", async () => {
    const path = tempDb();
    const q = records(1)[0].vector;
    {
      await using db = await vectlite.open(path, { dimension: DIM, annThreshold: 100 });
      await db.upsertMany(records(300));
      const before = await db.get("r7", { includeVectors: true });
      const search = await db.search(q, { k: 10 });
      const index = (await db.stats()).namespaces[""].index!;
      assert.equal(await db.updateMetadata("r7", { tag: "new", extra: [1, "x"], nested: { c: 3 }, i: null }), true);
      const after = await db.get("r7", { includeVectors: true });
      assert.deepEqual(after?.metadata, { i: null, tag: "new", nested: { c: 3 }, extra: [1, "x"] }, "keys replaced in place, new ones last");
      assert.deepEqual(Array.from(after!.vector!), Array.from(before!.vector!));
      assert.deepEqual(after?.sparse, before?.sparse, "keyword terms unchanged");
      const stats = (await db.stats()).namespaces[""];
      assert.deepEqual({ nodes: stats.index!.nodes, dead: stats.deadSlots }, { nodes: index.nodes, dead: 0 }, "no graph node and no slot was rewritten");
      const again = await db.search(q, { k: 10 });
      assert.deepEqual(again.map((h) => [h.id, h.score]), search.map((h) => [h.id, h.score]));
      // Filters see the new value at once, also through the column a filter built before.
      assert.equal(await db.count({ filter: { tag: "even" } }), 150);
      assert.equal(await db.updateMetadata("r8", { tag: "odd" }), true);
      assert.equal(await db.count({ filter: { tag: "even" } }), 149);
      assert.deepEqual((await db.search(q, { k: 5, filter: { tag: "new" } })).map((h) => h.id), ["r7"]);
      assert.equal(await db.updateMetadata("r8", {}), true, "an empty patch changes nothing and still says the record exists");
      assert.equal(await db.updateMetadata("nobody", { tag: "x" }), false);
      assert.equal(await db.count(), 300, "nothing was created for an absent id");
      assert.equal(await db.updateMetadata("r1", { ns: true }, { namespace: "other" }), false, "another namespace");
    }
    // From the WAL (no compaction in between), then from a compacted file.
    for (const compact of [false, true]) {
      await using db = await vectlite.open(path);
      assert.deepEqual((await db.get("r7"))?.metadata, { i: null, tag: "new", nested: { c: 3 }, extra: [1, "x"] });
      assert.equal((await db.get("r8"))?.metadata.tag, "odd");
      if (compact) await db.compact();
    }
  });

  it("takes its place in the call order when not awaited", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: DIM });
    const [rec] = records(1);
    const calls = [
      db.upsert("a", rec.vector, { n: 1 }),
      db.updateMetadata("a", { n: 2 }),
      db.get("a"),
      db.delete("a"),
      db.updateMetadata("a", { n: 3 }),
      db.get("a"),
    ];
    const [, updated, read, deleted, late, gone] = await Promise.all(calls);
    assert.deepEqual([updated, (read as vectlite.StoredRecord).metadata, deleted, late, gone], [true, { n: 2 }, true, false, null]);
  });

  it("works in transactions: reads see the merge, the commit applies it, a rollback drops it", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: DIM });
    await db.upsertMany(records(4));
    await db.transaction(async (tx) => {
      assert.equal(await tx.updateMetadata("r1", { tag: "tx" }), true);
      assert.equal((await tx.get("r1"))?.metadata.tag, "tx");
      assert.equal((await db.get("r1"))?.metadata.tag, "odd", "not before the commit");
      await tx.upsert("fresh", records(1)[0].vector, { v: 1 });
      assert.equal(await tx.updateMetadata("fresh", { w: 2 }), true, "a record the transaction wrote");
      assert.deepEqual((await tx.get("fresh"))?.metadata, { v: 1, w: 2 });
      await tx.delete("r2");
      assert.equal(await tx.updateMetadata("r2", { tag: "late" }), false, "deleted in the transaction");
      assert.equal(await tx.updateMetadata("ghost", { tag: "x" }), false);
    });
    assert.equal((await db.get("r1"))?.metadata.tag, "tx");
    assert.deepEqual((await db.get("fresh"))?.metadata, { v: 1, w: 2 });
    assert.equal(await db.get("r2"), null);
    assert.equal(await db.get("ghost"), null);
    {
      await using tx = db.begin();
      await tx.updateMetadata("r3", { tag: "never" });
      await tx.rollback();
    }
    assert.equal((await db.get("r3"))?.metadata.tag, "odd");
    // Written outside the transaction after its call: the commit merges into the record as it is then.
    const tx = db.begin();
    await tx.updateMetadata("r0", { a: 1 });
    await db.upsert("r0", records(1)[0].vector, { b: 2 });
    assert.deepEqual((await tx.get("r0"))?.metadata, { b: 2, a: 1 }, "reads merge into the record as it is now");
    assert.equal(await tx.commit(), 1);
    assert.deepEqual((await db.get("r0"))?.metadata, { b: 2, a: 1 });
    // A patch decides nothing about existence: the database's own writes still count.
    const later = db.begin();
    assert.equal(await later.updateMetadata("r3", { p: 1 }), true);
    await db.delete("r3");
    assert.equal(await later.get("r3"), null);
    await later.insert("r3", records(1)[0].vector, { fresh: true }); // no DUPLICATE_ID: r3 is gone
    assert.deepEqual((await later.get("r3"))?.metadata, { fresh: true }, "the insert decides, the earlier patch is not applied");
    assert.equal(await later.commit(), 1, "the patch of a record gone at commit counts nothing");
    assert.deepEqual((await db.get("r3"))?.metadata, { fresh: true });
  });

  it("refuses a patch that is not an object, a bad id or namespace, and a read-only handle", async () => {
    const path = tempDb();
    {
      await using db = await vectlite.open(path, { dimension: DIM });
      await db.upsertMany(records(2));
      for (const bad of [null, undefined, [1], "x", 3]) {
        await rejectsWith(() => db.updateMetadata("r0", bad as never), "INVALID_ARGUMENT", /patch must be an object/);
      }
      await rejectsWith(() => db.updateMetadata("r0", { f: () => 1 } as never), "INVALID_ARGUMENT", /patch/);
      await rejectsWith(() => db.updateMetadata("", {}), "INVALID_ARGUMENT", /id/);
      await rejectsWith(() => db.updateMetadata("r0", {}, { namespace: "*" }), "INVALID_ARGUMENT", /namespace/);
      await db.transaction(async (tx) => {
        await rejectsWith(() => tx.updateMetadata("r0", [] as never), "INVALID_ARGUMENT", /patch must be an object/);
      });
      assert.deepEqual((await db.get("r0"))?.metadata, records(1)[0].metadata);
    }
    await using reader = await vectlite.open(path, { readOnly: true });
    await rejectsWith(() => reader.updateMetadata("r0", { x: 1 }), "READ_ONLY");
  });
});
