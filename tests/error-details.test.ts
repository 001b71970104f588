/**
 * Errors carry what their message names as data (`path`, `offset`, `id`) and the error they
 * wrap (`cause`); `console.log(db)` shows what the database is.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import * as vectlite from "../mod.ts";
import { rejectsWith, tempDb, tempDir } from "./helpers.ts";

describe("error details and inspection", () => {
  it("DUPLICATE_ID names the record, CORRUPT the file and offset, IO the file and its cause", async () => {
    const path = tempDb();
    {
      await using db = await vectlite.open(path, { dimension: 2 });
      await db.upsert("taken", [1, 0]);
      const dup = await rejectsWith(() => db.insert("taken", [0, 1]), "DUPLICATE_ID");
      assert.equal(dup.id, "taken");
      const inTx = await rejectsWith(() => db.insertMany([{ id: "new", vector: [1, 1] }, { id: "taken", vector: [1, 1] }]), "DUPLICATE_ID");
      assert.equal(inTx.id, "taken");
      await db.compact();
    }
    const bytes = readFileSync(path);
    bytes[200] ^= 0xff;
    writeFileSync(path, bytes);
    const corrupt = await rejectsWith(() => vectlite.open(path), "CORRUPT");
    assert.equal(corrupt.path, path);
    assert.equal(typeof corrupt.offset, "number");
    const dir = tempDir();
    writeFileSync(join(dir, "file"), "");
    const io = await rejectsWith(() => vectlite.openStore(join(dir, "file", "sub")), "IO");
    assert.ok(io.cause instanceof Error, "the file system error is kept as the cause");
    assert.equal(io.path, join(dir, "file", "sub"));
    const missing = await rejectsWith(() => vectlite.open(join(dir, "no", "such.vdb"), { readOnly: true }), "NOT_FOUND");
    assert.equal(missing.id, undefined);
  });

  it("console.log(db) shows path, dimension, metric, record count and state", async () => {
    const path = tempDb();
    const db = await vectlite.open(path, { dimension: 3, metric: "l2" });
    await db.upsertMany([{ id: "a", vector: [1, 2, 3] }, { id: "b", vector: [3, 2, 1], namespace: "other" }]);
    assert.equal(inspect(db), `Database { path: ${JSON.stringify(path)}, dimension: 3, metric: "l2", records: 2, state: "open" }`);
    await db.close();
    assert.match(inspect(db), /records: -, state: "closed"/);
  });
});
