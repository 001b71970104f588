import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { platform } from "node:os";
import * as vectlite from "../mod.ts";
import { randomVector, rng, tempDb } from "./helpers.ts";

const DIM = 24;
// Maps are used on 64-bit unix; on Windows the vectors are read into memory.
const MAPS = platform() !== "win32";

function records(n: number, seed: number, prefix = "r"): vectlite.RecordInput[] {
  const rand = rng(seed);
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, vector: randomVector(DIM, rand), metadata: { i } }));
}

describe("vectors used in place from the file", () => {
  it("an open maps the vectors, writes go to memory, and a compaction moves the handle onto the new file", async () => {
    const path = tempDb();
    {
      await using db = await vectlite.open(path, { dimension: DIM });
      await db.upsertMany(records(1_000, 1));
      const before = (await db.stats()).namespaces[""].vectors;
      assert.equal(before.mapped, 0, "written, not loaded: in memory");
      assert.ok(before.memoryBytes >= 1_000 * DIM * 4);
      await db.compact();
      const after = (await db.stats()).namespaces[""].vectors;
      assert.equal(after.mapped, MAPS ? 1_000 : 0);
      if (MAPS) assert.equal(after.memoryBytes, 0, "the copies in memory were freed");
      // The same answers from the map as from memory.
      const q = records(1, 9)[0].vector;
      assert.deepEqual(await db.search(q, { k: 5, exact: true }), await db.search(q, { k: 5, exact: true, includeVectors: false }));
    }
    await using db = await vectlite.open(path);
    assert.equal((await db.stats()).namespaces[""].vectors.mapped, MAPS ? 1_000 : 0);
    const rand = rng(5);
    // Replacing and deleting mapped records: a replaced vector takes a slot in memory.
    await db.upsertMany([{ id: "r3", vector: randomVector(DIM, rand) }, { id: "new", vector: randomVector(DIM, rand) }]);
    await db.delete("r4");
    const got = await db.get("r3", { includeVectors: true });
    const fresh = await db.get("r5", { includeVectors: true });
    assert.equal(got!.vector!.length, DIM);
    assert.equal(fresh!.vector!.length, DIM);
    assert.equal(await db.count(), 1_000);
    const stats = (await db.stats()).namespaces[""];
    assert.equal(stats.vectors.mapped, MAPS ? 1_000 : 0);
    assert.ok(stats.vectors.memoryBytes >= 2 * DIM * 4);
    await db.compact();
    assert.equal((await db.stats()).namespaces[""].vectors.mapped, MAPS ? 1_000 : 0);
    assert.deepEqual(Array.from((await db.get("r3", { includeVectors: true }))!.vector!), Array.from(got!.vector!));
    assert.equal(await db.get("r4"), null);
  });

  it("records are read from the file as needed after an open and a compaction, and every read sees them", async () => {
    const path = tempDb();
    const words = ["alpha", "beta", "gamma"];
    const input = records(300, 2).map((r, i) => ({ ...r, metadata: { i, tag: `t${i % 3}`, nested: { v: [i, "x"] } }, text: `${words[i % 3]} record ${i}` }));
    const everything = async (db: vectlite.Database) => (await db.list({ includeVectors: true })).map((r) => JSON.stringify(r));
    let before: string[];
    {
      await using db = await vectlite.open(path, { dimension: DIM });
      await db.upsertMany(input);
      assert.equal((await db.stats()).namespaces[""].recordsInPlace, false, "written: held in memory");
      before = await everything(db);
      await db.compact();
      assert.equal((await db.stats()).namespaces[""].recordsInPlace, true, "compacted: read from the new file");
      assert.deepEqual(await everything(db), before);
    }
    await using db = await vectlite.open(path);
    assert.equal((await db.stats()).namespaces[""].recordsInPlace, true);
    assert.deepEqual(await everything(db), before);
    assert.deepEqual((await db.get("r7"))!.metadata, { i: 7, tag: "t1", nested: { v: [7, "x"] } });
    const filter = { tag: { $in: ["t0", "t2"] }, i: { $ne: 9 } };
    const wanted = input.filter((r) => r.metadata.tag !== "t1" && r.metadata.i !== 9).map((r) => r.id).sort();
    assert.equal(await db.count({ filter }), wanted.length);
    assert.deepEqual((await db.list({ filter })).map((r) => r.id).sort(), wanted);
    const q = input[42].vector;
    const hits = await db.search(q, { k: 10, exact: true, filter });
    assert.ok(hits.every((h) => wanted.includes(h.id)));
    assert.equal((await db.search(null, { sparse: db.analyzer.sparseTerms("gamma"), k: 500 })).length, 100);
    // Writes over stored records: the written ones are held, the others still read in place.
    assert.equal(await db.updateMetadata("r7", { tag: "changed" }), true);
    await db.upsert("r8", input[8].vector, { tag: "replaced" });
    await db.delete("r9");
    assert.equal((await db.get("r7"))!.metadata.tag, "changed");
    assert.deepEqual((await db.get("r8"))!.metadata, { tag: "replaced" });
    assert.equal(await db.get("r9"), null);
    assert.equal(await db.count({ filter: { tag: "changed" } }), 1);
    const after = await everything(db);
    await db.compact();
    assert.deepEqual(await everything(db), after, "a compaction copies the untouched records as they are");
    await using reader = await vectlite.open(path, { readOnly: true });
    assert.deepEqual(await everything(reader), after);
  });

  it("quantized codes are used in place too, after an open and after a compaction", async () => {
    const path = tempDb();
    {
      await using db = await vectlite.open(path, { dimension: DIM, quantization: "int8" });
      await db.upsertMany(records(1_000, 4));
      const codes = (await db.stats()).namespaces[""].codes!;
      assert.equal(codes.mapped, 0);
      assert.ok(codes.bytes >= 1_000 * DIM);
      const q = records(1, 8)[0].vector;
      const before = await db.search(q, { k: 10 });
      await db.compact();
      const after = (await db.stats()).namespaces[""].codes!;
      assert.equal(after.mapped, MAPS ? 1_000 : 0);
      if (MAPS) assert.ok(after.bytes < 1_000, `codes left in memory: ${after.bytes} bytes`);
      assert.deepEqual(await db.search(q, { k: 10 }), before);
      // A write after the compaction: its code goes to memory beside the mapped ones.
      await db.upsertMany([{ id: "r0", vector: q }]);
      assert.equal((await db.search(q, { k: 1 }))[0].id, "r0");
    }
    await using db = await vectlite.open(path, { readOnly: true });
    const codes = (await db.stats()).namespaces[""].codes!;
    assert.equal(codes.mapped, MAPS ? 1_000 : 0);
    assert.equal((await db.search(records(1, 8)[0].vector, { k: 1 }))[0].id, "r0");
  });

  it("a reader keeps searching its mapped file while a writer compacts and replaces it, again and again", async () => {
    const path = tempDb();
    await using writer = await vectlite.open(path, { dimension: DIM });
    await writer.upsertMany(records(2_000, 2));
    await writer.compact();
    await using reader = await vectlite.open(path, { readOnly: true });
    const queries = records(20, 3).map((r) => r.vector);
    const expected = await Promise.all(queries.map((q) => reader.search(q, { k: 10 })));
    for (let round = 0; round < 5; round++) {
      // Issued together, none awaited before the next: searches interleave with writes and
      // compactions that rename new files over the one the reader has mapped.
      const writes = [
        writer.upsertMany(records(300, 10 + round, `w${round}-`)),
        writer.deleteMany(Array.from({ length: 50 }, (_, i) => `r${round * 50 + i}`)),
        writer.compact(),
      ];
      const reads = queries.map((q) => reader.search(q, { k: 10 }));
      await Promise.all(writes);
      assert.deepEqual(await Promise.all(reads), expected, `round ${round}`);
    }
    assert.equal(await reader.count(), 2_000, "the reader sees the state at its open");
    assert.equal(await writer.count(), 2_000 - 250 + 1_500);
    // A reader opened now sees the writer's latest file.
    await using later = await vectlite.open(path, { readOnly: true });
    assert.equal(await later.count(), 3_250);
    assert.deepEqual((await later.check()), { verifiedBytes: 0 }, "a small file is verified at open");
  });

  it("a stored graph is searched in place after an open and after a compaction, its answers unchanged", async () => {
    const path = tempDb();
    const q = records(1, 7)[0].vector;
    let answers: vectlite.SearchResult[];
    {
      await using db = await vectlite.open(path, { dimension: DIM, annThreshold: 100 });
      await db.upsertMany(records(2_000, 6));
      answers = await db.search(q, { k: 10 });
      const built = (await db.stats()).namespaces[""].index!;
      assert.equal(built.mapped, false, "built in memory");
      await db.compact();
      const after = (await db.stats()).namespaces[""].index!;
      assert.equal(after.mapped, MAPS);
      if (MAPS) assert.ok(after.bytes < built.bytes / 4, `links left in memory: ${after.bytes} of ${built.bytes} bytes`);
      assert.deepEqual(await db.search(q, { k: 10 }), answers);
    }
    {
      await using reader = await vectlite.open(path, { readOnly: true });
      assert.equal((await reader.stats()).namespaces[""].index!.mapped, MAPS);
      assert.deepEqual(await reader.search(q, { k: 10 }), answers);
    }
    await using db = await vectlite.open(path);
    await db.upsertMany([{ id: "near", vector: q }]);
    await db.delete("r1");
    assert.equal((await db.search(q, { k: 1 }))[0].id, "near");
    await db.compact();
    assert.equal((await db.stats()).namespaces[""].index!.mapped, MAPS);
    const again = await db.search(q, { k: 11 });
    assert.equal(again[0].id, "near");
    assert.ok(!again.some((h) => h.id === "r1"));
  });
});
