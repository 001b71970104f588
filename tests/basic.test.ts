import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as vectlite from "../mod.ts";
import { rejectsWith, tempDb } from "./helpers.ts";

describe("open and basic round trip", () => {
  it("creates, writes, searches and reopens", async () => {
    const path = tempDb();
    {
      await using db = await vectlite.open(path, { dimension: 3 });
      assert.equal(db.dimension, 3);
      assert.equal(db.metric, "cosine");
      assert.equal(db.readOnly, false);
      assert.equal(db.path, path);
      await db.upsert("doc1", [1, 0, 0], { source: "blog", title: "Auth Guide", tags: ["auth"] });
      await db.upsert("doc2", new Float32Array([0, 1, 0]), { source: "news" });
      const hits = await db.search([1, 0.1, 0], { k: 5, filter: { source: "blog", "author.name": { $ne: "x" } } });
      assert.deepEqual(hits.map((h) => h.id), ["doc1"]);
    }
    await using db = await vectlite.open(path);
    assert.equal(await db.count(), 2);
    const rec = await db.get("doc1");
    assert.deepEqual(rec?.metadata, { source: "blog", title: "Auth Guide", tags: ["auth"] });
  });

  it("rejects a missing file without dimension", async () => {
    await rejectsWith(() => vectlite.open(tempDb()), "INVALID_ARGUMENT", /dimension/);
  });
});
