/**
 * Semantics users of vectlite rely on: a record's unknown keys are refused (never dropped), and
 * the options of `upsert`/`insert` cannot carry what the positional arguments carry.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as vectlite from "../mod.ts";
import { rejectsWith, tempDb } from "./helpers.ts";

describe("writes refuse what they would otherwise drop or override", () => {
  it("refuses a record's unknown key with INVALID_ARGUMENT naming the key and the record, on every write path", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    const bad = (key: string) => ({ id: "r1", vector: [1, 0], [key]: 1 }) as unknown as vectlite.RecordInput;
    for (const key of ["namespce", "tll", "multiVector", "score"]) {
      const pattern = new RegExp(`record "r1": unknown key "${key}"`);
      await rejectsWith(() => db.upsertMany([bad(key)]), "INVALID_ARGUMENT", pattern);
      await rejectsWith(() => db.insertMany([bad(key)]), "INVALID_ARGUMENT", pattern);
      await rejectsWith(() => db.bulkIngest([bad(key)]), "INVALID_ARGUMENT", pattern);
      await rejectsWith(() => db.transaction((tx) => tx.upsertMany([bad(key)])), "INVALID_ARGUMENT", pattern);
    }
    assert.equal(await db.count({ namespace: "*" }), 0, "nothing was written");
    // What get and list return can be written back as it is.
    await db.upsert("a", [1, 0], { x: 1 }, { sparse: { t: 1 }, vectors: { title: [0, 1] }, namespace: "n", expiresAt: 4_102_444_800_000 });
    const [stored] = await db.list({ namespace: "n", includeVectors: true });
    assert.equal(await db.upsertMany([{ ...stored, vector: stored.vector! }]), 1);
  });

  it("refuses write options that would replace an argument (id, vector, metadata) or that do not exist", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    const cases: [string, Record<string, unknown>][] = [["id", { id: "zzz" }], ["vector", { vector: [0, 1] }], ["metadata", { metadata: { y: 2 } }], ["expires", { expires: 5 }]];
    for (const [key, options] of cases) {
      await rejectsWith(() => db.upsert("d", [1, 0], {}, options as never), "INVALID_ARGUMENT", new RegExp(`unknown upsert option "${key}"`));
      await rejectsWith(() => db.insert("d", [1, 0], {}, options as never), "INVALID_ARGUMENT", new RegExp(`unknown insert option "${key}"`));
      await rejectsWith(() => db.transaction((tx) => tx.upsert("d", [1, 0], {}, options as never)), "INVALID_ARGUMENT", /unknown upsert option/);
    }
    await rejectsWith(() => db.upsert("d", [1, 0], {}, { id: "zzz" } as never), "INVALID_ARGUMENT", /id is an argument of upsert, not an option/);
    assert.equal(await db.count({ namespace: "*" }), 0);
    await db.upsert("d", [1, 0], { x: 1 }, { namespace: "n" });
    assert.deepEqual((await db.get("d", { namespace: "n" }))?.metadata, { x: 1 });
  });
});

describe("reads as the documentation states them", () => {
  it("$size counts a list's items and an object's keys", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsertMany([
      { id: "list3", vector: [1, 0], metadata: { v: [1, 2, 3] } },
      { id: "obj3", vector: [1, 0], metadata: { v: { a: 1, b: 2, c: 3 } } },
      { id: "obj0", vector: [1, 0], metadata: { v: {} } },
      { id: "str", vector: [1, 0], metadata: { v: "abc" } },
    ]);
    const ids = async (filter: vectlite.Filter) => (await db.list({ filter })).map((r) => r.id).sort();
    assert.deepEqual(await ids({ v: { $size: 3 } }), ["list3", "obj3"]);
    assert.deepEqual(await ids({ v: { $size: 0 } }), ["obj0"]);
    assert.deepEqual(await ids({ v: { $not: { $size: 3 } } }), ["obj0", "str"]);
  });

  it("size() counts every namespace; count() without options counts namespace \"\" only", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsertMany([{ id: "a", vector: [1, 0] }, { id: "b", vector: [0, 1] }]);
    await db.upsertMany([{ id: "a", vector: [1, 0] }], { namespace: "other" });
    assert.equal(await db.size(), 3);
    assert.equal(await db.count(), 2);
    assert.equal(await db.count({ namespace: "*" }), 3);
  });

  it("MMR ranks a dense query by similarity, as the textbook does: the diverse third candidate is picked", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsertMany([{ id: "doc1", vector: [1, 0] }, { id: "doc2", vector: [0.99, 0.01] }, { id: "doc3", vector: [0.7, 0.7] }]);
    const picked = await db.search([1, 0], { k: 2, fetchK: 3, mmrLambda: 0.3 });
    assert.deepEqual(picked.map((r) => r.id), ["doc1", "doc3"]);
    // Pure relevance still ranks by similarity.
    assert.deepEqual((await db.search([1, 0], { k: 2, fetchK: 3, mmrLambda: 1 })).map((r) => r.id), ["doc1", "doc2"]);
  });
});

