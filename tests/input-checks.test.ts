/**
 * Input the file system or UTF-8 cannot hold is refused before it reaches either: NUL bytes
 * in paths, lone UTF-16 surrogates anywhere a string crosses to the native side; and the
 * namespace "*" in writes.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import * as vectlite from "../mod.ts";
import type { Database, Metadata, RecordInput } from "../mod.ts";
import { rejectsWith, tempDb, tempDir } from "./helpers.ts";

const DIM = 2;
const V = [1, 0];

/** A database with one record "a" in namespace "". */
async function seeded(): Promise<Database> {
  const db = await vectlite.open(tempDb(), { dimension: DIM });
  await db.upsert("a", V, { tag: "keep" });
  return db;
}

/** Nothing was written: only the seeded record is there. */
async function assertUntouched(db: Database): Promise<void> {
  assert.equal(await db.count({ namespace: "*" }), 1);
  assert.deepEqual((await db.get("a"))?.metadata, { tag: "keep" });
}

describe("paths", () => {
  it("a NUL byte in any path is INVALID_ARGUMENT", async () => {
    const dir = tempDir();
    const nul = join(dir, "a\u0000b");
    await rejectsWith(() => vectlite.open(`${nul}.vdb`, { dimension: DIM }), "INVALID_ARGUMENT", /NUL/);
    await rejectsWith(() => vectlite.openStore(nul), "INVALID_ARGUMENT", /NUL/);
    await using db = await seeded();
    await rejectsWith(() => db.snapshot(`${nul}.vdb`), "INVALID_ARGUMENT", /snapshot destination .*NUL/);
    await rejectsWith(() => db.backup(nul), "INVALID_ARGUMENT", /backup destination .*NUL/);
    const backup = join(dir, "backup");
    await db.backup(backup);
    await rejectsWith(() => vectlite.restore(nul, join(dir, "r.vdb")), "INVALID_ARGUMENT", /backupDir .*NUL/);
    await rejectsWith(() => vectlite.restore(backup, `${nul}.vdb`), "INVALID_ARGUMENT", /destPath .*NUL/);
    await assertUntouched(db);
  });

  it("a lone surrogate in a path is INVALID_ARGUMENT (UTF-8 would name another file)", async () => {
    // Concatenated, not path.join: Bun's join turns a lone surrogate into U+FFFD itself.
    const dir = tempDir();
    await rejectsWith(() => vectlite.open(`${dir}/x\uD800.vdb`, { dimension: DIM }), "INVALID_ARGUMENT", /surrogate/);
    await rejectsWith(() => vectlite.openStore(`${dir}/s\uDC00`), "INVALID_ARGUMENT", /surrogate/);
    await using db = await seeded();
    await rejectsWith(() => db.snapshot(`${dir}/snap\uDBFF.vdb`), "INVALID_ARGUMENT", /surrogate/);
  });
});

describe("lone UTF-16 surrogates", () => {
  it('ids: "\\uD800" and "\\uDC00" are refused, not both stored as "\\uFFFD"', async () => {
    await using db = await seeded();
    await rejectsWith(() => db.upsert("\uD800", V), "INVALID_ARGUMENT", /^record .*id .*surrogate|^records\[0\]\.id .*surrogate/);
    await rejectsWith(() => db.upsert("\uDC00", V), "INVALID_ARGUMENT", /surrogate/);
    await rejectsWith(() => db.insert("a\uDC00b", V), "INVALID_ARGUMENT", /surrogate .*index 1/);
    await rejectsWith(() => db.upsertMany([{ id: "ok", vector: V }, { id: "x\uD800", vector: V }]), "INVALID_ARGUMENT", /records\[1\]\.id/);
    await rejectsWith(() => db.get("\uD800"), "INVALID_ARGUMENT", /^id .*surrogate/);
    await rejectsWith(() => db.delete("\uDBFF"), "INVALID_ARGUMENT", /surrogate/);
    await rejectsWith(() => db.deleteMany(["a", "b\uDC00"]), "INVALID_ARGUMENT", /ids\[1\]/);
    await rejectsWith(() => db.bulkIngest([{ id: "\uD800", vector: V }]), "INVALID_ARGUMENT", /surrogate/);
    await assertUntouched(db);
  });

  it("namespaces, in writes and reads", async () => {
    await using db = await seeded();
    const lone = "n\uD800";
    await rejectsWith(() => db.upsert("x", V, {}, { namespace: lone }), "INVALID_ARGUMENT", /namespace .*surrogate/);
    await rejectsWith(() => db.upsertMany([{ id: "x", vector: V }], { namespace: lone }), "INVALID_ARGUMENT", /namespace/);
    await rejectsWith(() => db.upsertMany([{ id: "x", vector: V, namespace: lone }]), "INVALID_ARGUMENT", /record "x": namespace/);
    await rejectsWith(() => db.get("a", { namespace: lone }), "INVALID_ARGUMENT", /namespace/);
    await rejectsWith(() => db.deleteMany(["a"], { namespace: lone }), "INVALID_ARGUMENT", /namespace/);
    await rejectsWith(() => db.deleteByFilter({ tag: "keep" }, { namespace: lone }), "INVALID_ARGUMENT", /namespace/);
    await rejectsWith(() => db.count({ namespace: lone }), "INVALID_ARGUMENT", /count option namespace/);
    await rejectsWith(() => db.list({ namespaces: ["", lone] }), "INVALID_ARGUMENT", /list option namespaces\[1\]/);
    await rejectsWith(() => db.search(V, { namespace: lone }), "INVALID_ARGUMENT", /search option namespace/);
    await assertUntouched(db);
  });

  it("metadata strings and keys, text, sparse terms and vector names, naming the path", async () => {
    await using db = await seeded();
    const meta = (m: unknown) => m as Metadata;
    await rejectsWith(() => db.upsert("x", V, meta({ a: { b: [0, 1, "x\uD800"] } })), "INVALID_ARGUMENT", /metadata\.a\.b\[2\] is a string that has a lone/);
    await rejectsWith(() => db.upsert("x", V, meta({ a: { ["k\uDC00"]: 1 } })), "INVALID_ARGUMENT", /metadata\.a has a key "k\\udc00"/);
    await rejectsWith(() => db.upsert("x", V, meta({ ["\uD800"]: 1 })), "INVALID_ARGUMENT", /record "x": metadata has a key/);
    await rejectsWith(() => db.upsert("x", V, {}, { text: "fine \uD800" }), "INVALID_ARGUMENT", /record "x": text is a string that has a lone/);
    await rejectsWith(() => db.upsert("x", V, {}, { sparse: { ["t\uDC00"]: 1 } }), "INVALID_ARGUMENT", /sparse has a term/);
    await rejectsWith(() => db.upsert("x", V, {}, { vectors: { ["v\uD800"]: [1] } }), "INVALID_ARGUMENT", /vectors has a name/);
    const records: RecordInput[] = [{ id: "x", vector: V }, { id: "y", vector: V, metadata: meta({ deep: [{ s: "\uDFFF" }] }) }];
    await rejectsWith(() => db.upsertMany(records), "INVALID_ARGUMENT", /record "y": metadata\.deep\[0\]\.s/);
    await rejectsWith(() => db.bulkIngest(records), "INVALID_ARGUMENT", /metadata\.deep\[0\]\.s/);
    await assertUntouched(db);
    // Surrogate pairs are fine.
    await db.upsert("🙂", V, { "ключ🙂": "値🙂" }, { namespace: "ns🙂", text: "emoji 🙂" });
    assert.deepEqual((await db.get("🙂", { namespace: "ns🙂" }))?.metadata, { "ключ🙂": "値🙂" });
  });

  it("filters are INVALID_FILTER, search options INVALID_ARGUMENT, naming the path", async () => {
    await using db = await seeded();
    await rejectsWith(() => db.search(V, { filter: { tag: "\uD800" } }), "INVALID_FILTER", /filter\.tag is a string that has a lone/);
    await rejectsWith(() => db.count({ filter: { ["\uDC00"]: 1 } }), "INVALID_FILTER", /filter has a key/);
    await rejectsWith(() => db.deleteByFilter({ tag: { $in: ["keep", "\uD800"] } }), "INVALID_FILTER", /filter\.tag\.\$in\[1\]/);
    await rejectsWith(() => db.list({ filter: { $or: [{ tag: "a\uDBFF" }] } }), "INVALID_FILTER", /filter\.\$or\[0\]\.tag/);
    await rejectsWith(() => db.search(null, { sparse: { ["q\uD800"]: 1 } }), "INVALID_ARGUMENT", /search option sparse has a key/);
    await rejectsWith(() => db.search(null, { vectors: { ["\uD800"]: [1] } }), "INVALID_ARGUMENT", /vectors has a name/);
    await assertUntouched(db);
  });

  it("in transactions", async () => {
    await using db = await seeded();
    const tx = db.begin();
    await rejectsWith(() => tx.upsert("\uD800", V), "INVALID_ARGUMENT", /surrogate/);
    await rejectsWith(() => tx.upsert("x", V, { m: "\uDC00" }), "INVALID_ARGUMENT", /metadata\.m/);
    await rejectsWith(() => tx.delete("a\uD800"), "INVALID_ARGUMENT", /ids\[0\]/);
    await rejectsWith(() => tx.get("a", { namespace: "\uD800" }), "INVALID_ARGUMENT", /namespace/);
    assert.equal(await tx.commit(), 0);
    await assertUntouched(db);
  });
});

describe('the namespace "*"', () => {
  it("is refused for every write (reads take it for all namespaces)", async () => {
    await using db = await seeded();
    const star = { namespace: "*" };
    const recs = [{ id: "x", vector: V }];
    const writes: [string, () => Promise<unknown>][] = [
      ["upsert", () => db.upsert("x", V, {}, star)],
      ["insert", () => db.insert("x", V, {}, star)],
      ["upsertMany option", () => db.upsertMany(recs, star)],
      ["upsertMany record", () => db.upsertMany([{ id: "x", vector: V, namespace: "*" }])],
      ["insertMany", () => db.insertMany(recs, star)],
      ["bulkIngest option", () => db.bulkIngest(recs, star)],
      ["bulkIngest record", () => db.bulkIngest([{ id: "x", vector: V, namespace: "*" }])],
      ["delete", () => db.delete("a", star)],
      ["deleteMany", () => db.deleteMany(["a"], star)],
      ["tx.upsert", () => db.begin().upsert("x", V, {}, star)],
      ["tx.insertMany", () => db.begin().insertMany(recs, star)],
      ["tx.delete", () => db.begin().delete("a", star)],
      ["transaction", () => db.transaction((tx) => tx.upsertMany(recs, star))],
    ];
    for (const [name, write] of writes) {
      const e = await rejectsWith(write, "INVALID_ARGUMENT", /namespace "\*"/);
      assert.ok(e.message.length > 0, name);
    }
    assert.equal(await db.count({ namespace: "*" }), 1, "reads still take it");
    assert.equal((await db.search(V, { namespace: "*" }))[0].id, "a");
    await assertUntouched(db);
  });
});
