/**
 * Bad input of every kind: each is refused with the right VectLiteError code and a message
 * that names what is wrong, and the data committed before it is still there afterwards.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import * as vectlite from "../mod.ts";
import type { Database, Metadata, OpenOptions, SearchOptions } from "../mod.ts";
import { rejectsWith, tempDb, tempDir } from "./helpers.ts";

/** Reinterprets a deliberately ill-typed value, to get past the type checker. */
function bad<T>(value: unknown): T {
  return value as T;
}

const DIM = 3;

/** Three committed records in two namespaces. */
async function seed(db: Database): Promise<void> {
  await db.upsert("a", [1, 0, 0], { n: 1, tag: "first" }, { sparse: { alpha: 1 }, vectors: { title: [1, 2] } });
  await db.upsert("b", [0, 1, 0], { n: 2 });
  await db.upsert("c", [0, 0, 1], { n: 3 }, { namespace: "ns" });
}

/** Checks that the seeded records are exactly as written. */
async function assertIntact(db: Database): Promise<void> {
  assert.equal(await db.count(), 2);
  assert.equal(await db.count({ namespace: "*" }), 3);
  const a = await db.get("a", { includeVectors: true });
  assert.deepEqual(a?.metadata, { n: 1, tag: "first" });
  assert.deepEqual(a?.sparse, { alpha: 1 });
  assert.deepEqual(Array.from(a?.vector ?? []), [1, 0, 0]);
  assert.deepEqual(Array.from(a?.vectors?.title ?? []), [1, 2]);
  assert.deepEqual((await db.get("b"))?.metadata, { n: 2 });
  assert.deepEqual((await db.get("c", { namespace: "ns" }))?.metadata, { n: 3 });
  assert.deepEqual((await db.search([0, 1, 0], { k: 5 })).map((h) => h.id), ["b", "a"]);
  assert.deepEqual(await db.namespaces(), ["", "ns"]);
}

/** Opens a fresh seeded database; the caller disposes it. */
async function seeded(options: OpenOptions = {}): Promise<Database> {
  const db = await vectlite.open(tempDb(), { dimension: DIM, ...options });
  await seed(db);
  return db;
}

/** Checks the seeded data both in the open handle and after a reopen from disk. */
async function assertIntactOnDisk(db: Database): Promise<void> {
  await assertIntact(db);
  const path = db.path;
  await db.close();
  await using again = await vectlite.open(path);
  await assertIntact(again);
}

describe("bad vectors", () => {
  it("NaN and Infinity in an upserted vector are INVALID_ARGUMENT", async () => {
    const db = await seeded();
    for (const v of [[1, NaN, 0], [Infinity, 0, 0], new Float32Array([0, 0, -Infinity]), new Float32Array([NaN, 1, 1])]) {
      await rejectsWith(() => db.upsert("x", v), "INVALID_ARGUMENT", /NaN|Infinity|finite/);
      await rejectsWith(() => db.insert("x", v), "INVALID_ARGUMENT", /NaN|Infinity|finite/);
      // Replacing an existing record with a bad vector leaves the old one.
      await rejectsWith(() => db.upsert("a", v, { n: 99 }), "INVALID_ARGUMENT", /\ba\b/);
    }
    assert.equal(await db.get("x"), null);
    await assertIntactOnDisk(db);
  });

  it("a bad vector anywhere in a batch rejects the whole batch", async () => {
    const db = await seeded();
    await rejectsWith(
      () =>
        db.upsertMany([
          { id: "good1", vector: [1, 1, 1] },
          { id: "badone", vector: [1, NaN, 1] },
          { id: "good2", vector: [1, 1, 1] },
        ]),
      "INVALID_ARGUMENT",
      /badone/,
    );
    await rejectsWith(
      () => db.insertMany([{ id: "good1", vector: [1, 1, 1] }, { id: "inf", vector: new Float32Array([Infinity, 1, 1]) }]),
      "INVALID_ARGUMENT",
      /inf/,
    );
    await rejectsWith(
      () => db.bulkIngest([{ id: "good1", vector: [1, 1, 1] }, { id: "nan2", vector: [NaN, 1, 1] }]),
      "INVALID_ARGUMENT",
      /nan2/,
    );
    assert.equal(await db.get("good1"), null);
    assert.equal(await db.get("good2"), null);
    await assertIntactOnDisk(db);
  });

  it("NaN and Infinity in a query are INVALID_ARGUMENT", async () => {
    const db = await seeded();
    for (const q of [[NaN, 0, 0], [0, Infinity, 0], new Float32Array([0, 0, -Infinity])]) {
      await rejectsWith(() => db.search(q), "INVALID_ARGUMENT", /query/);
      await rejectsWith(() => db.searchWithStats(q), "INVALID_ARGUMENT", /query/);
    }
    await assertIntactOnDisk(db);
  });

  it("a wrong dimension is DIMENSION_MISMATCH for upsert, insert, upsertMany and search", async () => {
    const db = await seeded();
    for (const v of [[1, 0], [1, 0, 0, 0], new Float32Array(0), new Float32Array(4)]) {
      await rejectsWith(() => db.upsert("x", v), "DIMENSION_MISMATCH", /dimension/);
      await rejectsWith(() => db.insert("x", v), "DIMENSION_MISMATCH", /dimension/);
      await rejectsWith(
        () => db.upsertMany([{ id: "ok", vector: [1, 1, 1] }, { id: "x", vector: v }]),
        "DIMENSION_MISMATCH",
        /dimension/,
      );
      await rejectsWith(() => db.search(v), "DIMENSION_MISMATCH", /dimension/);
    }
    await rejectsWith(() => db.upsert("a", [1, 2]), "DIMENSION_MISMATCH", /\ba\b/);
    assert.equal(await db.get("x"), null);
    assert.equal(await db.get("ok"), null);
    await assertIntactOnDisk(db);
  });

  it("a vector that is not an array of numbers is INVALID_ARGUMENT", async () => {
    const db = await seeded();
    for (const v of ["1,0,0", null, undefined, { 0: 1, 1: 0, 2: 0 }, [1, "0", 0], [1, null, 0]]) {
      await rejectsWith(() => db.upsert("x", bad(v)), "INVALID_ARGUMENT", /vector/);
    }
    await rejectsWith(() => db.search(bad("1,0,0")), "INVALID_ARGUMENT", /query/);
    await rejectsWith(() => db.search(bad([1, "0", 0])), "INVALID_ARGUMENT", /query/);
    await assertIntactOnDisk(db);
  });
});

describe("bad ids", () => {
  it("an empty or non-string id is INVALID_ARGUMENT on every call that takes one", async () => {
    const db = await seeded();
    for (const id of ["", 42, undefined, null, { id: "a" }, ["a"]]) {
      const x = bad<string>(id);
      await rejectsWith(() => db.upsert(x, [1, 0, 0]), "INVALID_ARGUMENT", /id/);
      await rejectsWith(() => db.insert(x, [1, 0, 0]), "INVALID_ARGUMENT", /id/);
      await rejectsWith(() => db.upsertMany([{ id: "fine", vector: [1, 0, 0] }, { id: x, vector: [1, 0, 0] }]), "INVALID_ARGUMENT", /id/);
      await rejectsWith(() => db.insertMany([{ id: x, vector: [1, 0, 0] }]), "INVALID_ARGUMENT", /id/);
      await rejectsWith(() => db.get(x), "INVALID_ARGUMENT", /id/);
      await rejectsWith(() => db.delete(x), "INVALID_ARGUMENT", /id/);
      await rejectsWith(() => db.deleteMany(["a", x]), "INVALID_ARGUMENT", /id/);
    }
    assert.equal(await db.get("fine"), null);
    await assertIntactOnDisk(db);
  });
});

describe("bad metadata", () => {
  it("cyclic metadata is INVALID_ARGUMENT", async () => {
    const db = await seeded();
    const cyclic: Record<string, unknown> = { n: 1 };
    cyclic.self = cyclic;
    const viaArray: Record<string, unknown> = { list: [] };
    (viaArray.list as unknown[]).push({ back: viaArray });
    for (const m of [cyclic, viaArray]) {
      await rejectsWith(() => db.upsert("x", [1, 0, 0], bad(m)), "INVALID_ARGUMENT", /cycl/);
      await rejectsWith(() => db.upsert("a", [1, 0, 0], bad(m)), "INVALID_ARGUMENT", /cycl/);
    }
    assert.equal(await db.get("x"), null);
    await assertIntactOnDisk(db);
  });

  it("metadata holding values JSON cannot hold is INVALID_ARGUMENT, naming the key", async () => {
    const db = await seeded();
    class Point {
      x = 1;
    }
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ fn: () => 1 }, /fn/],
      [{ undef: undefined }, /undef/],
      [{ big: 10n }, /big/],
      [{ sym: Symbol("s") }, /sym/],
      [{ when: new Date(0) }, /when/],
      [{ point: new Point() }, /point/],
      [{ nan: NaN }, /nan/],
      [{ inf: -Infinity }, /inf/],
      [{ map: new Map([["a", 1]]) }, /map/],
      [{ deep: { list: [1, { inner: () => 2 }] } }, /deep.*list.*inner|inner/],
      [{ arr: [1, undefined] }, /arr/],
    ];
    for (const [m, pattern] of cases) {
      await rejectsWith(() => db.upsert("x", [1, 0, 0], bad<Metadata>(m)), "INVALID_ARGUMENT", pattern);
      await rejectsWith(() => db.upsertMany([{ id: "x", vector: [1, 0, 0], metadata: bad<Metadata>(m) }]), "INVALID_ARGUMENT", pattern);
      await rejectsWith(() => db.upsert("b", [0, 1, 0], bad<Metadata>(m)), "INVALID_ARGUMENT", pattern);
    }
    assert.equal(await db.get("x"), null);
    await assertIntactOnDisk(db);
  });

  it("metadata nests up to 62 levels; deeper is INVALID_ARGUMENT naming its path, in every write", async () => {
    const db = await seeded();
    // `levels` objects, each the only field `a` of the one above; the innermost holds `leaf`.
    const nested = (levels: number): Metadata => {
      let m: Metadata = { leaf: levels };
      for (let i = 1; i < levels; i++) m = { a: m };
      return m;
    };
    const deepest = nested(62);
    await db.upsert("x", [1, 0, 0], deepest);
    await db.upsertMany([{ id: "y", vector: [1, 0, 0], metadata: deepest }]);
    assert.deepEqual((await db.get("x"))?.metadata, deepest);
    assert.deepEqual((await db.get("y"))?.metadata, deepest);
    // A 63rd level that holds nothing is still readable by the native parser: accepted.
    for (const empty of [{}, []]) {
      let m: Metadata = { a: empty };
      for (let i = 2; i < 63; i++) m = { a: m };
      await db.upsert("x", [1, 0, 0], m);
      assert.deepEqual((await db.get("x"))?.metadata, m);
    }
    const path = new RegExp(`^record "z": metadata(\\.a){62} is nested more than 62 levels deep$`);
    for (const levels of [63, 64, 65, 200]) {
      const m = nested(levels);
      await rejectsWith(() => db.upsert("z", [1, 0, 0], m), "INVALID_ARGUMENT", path);
      await rejectsWith(() => db.upsertMany([{ id: "z", vector: [1, 0, 0], metadata: m }]), "INVALID_ARGUMENT", path);
      await rejectsWith(async () => {
        await using tx = db.begin();
        await tx.upsert("z", [1, 0, 0], m);
        await tx.commit();
      }, "INVALID_ARGUMENT", path);
    }
    assert.equal(await db.get("z"), null);
    await db.deleteMany(["x", "y"]);
    await assertIntactOnDisk(db);
  });

  it("a filter nests up to 63 levels; deeper is INVALID_FILTER naming its path", async () => {
    const db = await seeded();
    // Each { $and: [...] } around a filter adds two levels (the object and its array).
    const wrapped = (inner: Record<string, unknown>) => {
      let f = inner;
      for (let i = 0; i < 31; i++) f = { $and: [f] };
      return f;
    };
    const deepest = wrapped({ n: 1 }); // 1 + 62 levels
    assert.deepEqual((await db.search([1, 0, 0], { filter: bad(deepest) })).map((h) => h.id), ["a"]);
    const deeper = wrapped({ n: { $eq: 1 } }); // 2 + 62 levels
    const path = /^filter(\.\$and\[0\]){31}\.n is nested more than 63 levels deep$/;
    await rejectsWith(() => db.search([1, 0, 0], { filter: bad(deeper) }), "INVALID_FILTER", path);
    await rejectsWith(() => db.deleteByFilter(bad(deeper)), "INVALID_FILTER", /is nested more than 63 levels deep$/);
    await assertIntactOnDisk(db);
  });

  it("metadata that is not an object is INVALID_ARGUMENT", async () => {
    const db = await seeded();
    for (const m of [["a", "b"], "text", 5, true, new Date(0)]) {
      await rejectsWith(() => db.upsert("x", [1, 0, 0], bad<Metadata>(m)), "INVALID_ARGUMENT", /metadata/);
      await rejectsWith(() => db.insertMany([{ id: "x", vector: [1, 0, 0], metadata: bad<Metadata>(m) }]), "INVALID_ARGUMENT", /metadata/);
    }
    assert.equal(await db.get("x"), null);
    await assertIntactOnDisk(db);
  });

  it("sparse weights that are not finite numbers are INVALID_ARGUMENT", async () => {
    const db = await seeded();
    for (const sparse of [{ term: "x" }, { term: NaN }, { term: Infinity }, { term: null }, { term: [1] }, ["a"], "text"]) {
      await rejectsWith(() => db.upsert("x", [1, 0, 0], {}, { sparse: bad(sparse) }), "INVALID_ARGUMENT", /sparse/);
      await rejectsWith(() => db.upsert("a", [1, 0, 0], {}, { sparse: bad(sparse) }), "INVALID_ARGUMENT", /sparse/);
    }
    await rejectsWith(() => db.upsert("x", [1, 0, 0], {}, { sparse: bad({ ok: 1, broken: "2" }) }), "INVALID_ARGUMENT", /broken/);
    assert.equal(await db.get("x"), null);
    await assertIntactOnDisk(db);
  });

  it("a named vector with NaN or Infinity is INVALID_ARGUMENT", async () => {
    const db = await seeded();
    for (const v of [[1, NaN], new Float32Array([Infinity, 0]), [1, "2"]]) {
      await rejectsWith(() => db.upsert("x", [1, 0, 0], {}, { vectors: { title: bad(v) } }), "INVALID_ARGUMENT", /title/);
      await rejectsWith(() => db.upsert("a", [1, 0, 0], {}, { vectors: { title: bad(v) } }), "INVALID_ARGUMENT", /title/);
    }
    await rejectsWith(() => db.upsert("x", [1, 0, 0], {}, { vectors: bad([[1, 2]]) }), "INVALID_ARGUMENT", /vectors/);
    assert.equal(await db.get("x"), null);
    await assertIntactOnDisk(db);
  });

  it("a named vector whose dimension differs from its first use is DIMENSION_MISMATCH", async () => {
    const db = await seeded(); // "title" was first used with 2 values
    await rejectsWith(() => db.upsert("x", [1, 0, 0], {}, { vectors: { title: [1, 2, 3] } }), "DIMENSION_MISMATCH", /title/);
    await rejectsWith(() => db.upsert("a", [1, 0, 0], {}, { vectors: { title: [1] } }), "DIMENSION_MISMATCH", /title/);
    // Within one batch: the first use in the batch fixes it.
    await rejectsWith(
      () =>
        db.upsertMany([
          { id: "y", vector: [1, 0, 0], vectors: { body: [1, 2, 3, 4] } },
          { id: "z", vector: [1, 0, 0], vectors: { body: [1, 2] } },
        ]),
      "DIMENSION_MISMATCH",
      /body/,
    );
    assert.equal(await db.get("y"), null);
    // A new name takes any dimension; the original stays fixed after a reopen.
    await db.upsert("w", [1, 1, 1], {}, { vectors: { body: [1, 2, 3, 4, 5] } });
    const path = db.path;
    await db.delete("w");
    await db.close();
    {
      await using again = await vectlite.open(path);
      await rejectsWith(() => again.upsert("x", [1, 0, 0], {}, { vectors: { title: [1, 2, 3] } }), "DIMENSION_MISMATCH", /title/);
      await assertIntact(again);
    }
  });
});

describe("bad search and filter arguments", () => {
  it("k of 0, negative, fractional or a string is INVALID_ARGUMENT", async () => {
    const db = await seeded();
    for (const k of [0, -1, 1.5, "5", true]) {
      await rejectsWith(() => db.search([1, 0, 0], { k: bad<number>(k) }), "INVALID_ARGUMENT", /\bk\b/);
      await rejectsWith(() => db.searchWithStats([1, 0, 0], { k: bad<number>(k) }), "INVALID_ARGUMENT", /\bk\b/);
    }
    await assertIntactOnDisk(db);
  });

  it("k of NaN or Infinity is INVALID_ARGUMENT, not silently the default", async () => {
    const db = await seeded();
    for (const k of [NaN, Infinity, -Infinity]) {
      await rejectsWith(() => db.search([1, 0, 0], { k }), "INVALID_ARGUMENT", /\bk\b/);
    }
    await assertIntactOnDisk(db);
  });

  it("an unknown search option is INVALID_ARGUMENT naming it", async () => {
    const db = await seeded();
    await rejectsWith(() => db.search([1, 0, 0], bad<SearchOptions>({ topK: 3 })), "INVALID_ARGUMENT", /topK/);
    await rejectsWith(() => db.search([1, 0, 0], bad<SearchOptions>({ k: 3, filters: { n: 1 } })), "INVALID_ARGUMENT", /filters/);
    await rejectsWith(() => db.count(bad({ limit: 3 })), "INVALID_ARGUMENT", /limit/);
    await rejectsWith(() => db.list(bad({ k: 3 })), "INVALID_ARGUMENT", /\bk\b/);
    await assertIntactOnDisk(db);
  });

  it("an unknown filter operator is INVALID_FILTER, and deleteByFilter deletes nothing", async () => {
    const db = await seeded();
    await rejectsWith(() => db.search([1, 0, 0], { filter: { n: { $gtt: 1 } } }), "INVALID_FILTER", /n\.\$gtt/);
    await rejectsWith(() => db.deleteByFilter({ n: { $regex: "." } }), "INVALID_FILTER", /n\.\$regex/);
    await rejectsWith(() => db.deleteByFilter({ $or: [{ n: 1 }, { n: { $foo: 1 } }] }), "INVALID_FILTER", /\$or\[1\]\.n\.\$foo/);
    await assertIntactOnDisk(db);
  });
});

describe("closed handles", () => {
  it("every method on a closed handle rejects with CLOSED", async () => {
    const path = tempDb();
    const db = await vectlite.open(path, { dimension: DIM });
    await seed(db);
    await db.close();
    const v = [1, 0, 0];
    const calls: [string, () => Promise<unknown>][] = [
      ["upsert", () => db.upsert("x", v)],
      ["insert", () => db.insert("x", v)],
      ["upsertMany", () => db.upsertMany([{ id: "x", vector: v }])],
      ["insertMany", () => db.insertMany([{ id: "x", vector: v }])],
      ["bulkIngest", () => db.bulkIngest([{ id: "x", vector: v }])],
      ["delete", () => db.delete("a")],
      ["deleteMany", () => db.deleteMany(["a"])],
      ["deleteByFilter", () => db.deleteByFilter({ n: 1 })],
      ["get", () => db.get("a")],
      ["search", () => db.search(v)],
      ["searchWithStats", () => db.searchWithStats(v)],
      ["count", () => db.count()],
      ["list", () => db.list()],
      ["namespaces", () => db.namespaces()],
      ["compact", () => db.compact()],
      ["flush", () => db.flush()],
      ["snapshot", () => db.snapshot(join(tempDir(), "snap.vdb"))],
      ["backup", () => db.backup(join(tempDir(), "backup"))],
      ["stats", () => db.stats()],
      ["transaction", () => db.transaction(() => "never run")],
      ["tx.upsert", () => db.begin().upsert("x", v)],
      ["tx.insert", () => db.begin().insert("x", v)],
      ["tx.upsertMany", () => db.begin().upsertMany([{ id: "x", vector: v }])],
      ["tx.delete", () => db.begin().delete("a")],
      ["tx.get", () => db.begin().get("a")],
      ["tx.commit", () => db.begin().commit()],
    ];
    for (const [name, call] of calls) {
      let promise: Promise<unknown>;
      try {
        promise = call();
      } catch (e) {
        assert.fail(`${name} threw synchronously (${e}) instead of rejecting`);
      }
      const e = await rejectsWith(() => promise, "CLOSED", /closed/i);
      assert.ok(e.message.length > 0, name);
    }
    // Discarding a transaction needs no database.
    const tx = db.begin();
    await tx.rollback();
    assert.equal(tx.active, false);
    await db.begin()[Symbol.asyncDispose]();
    assert.equal(db.closed, true);
    await using again = await vectlite.open(path);
    await assertIntact(again);
  });

  it("bulkIngest of an empty input on a closed handle still rejects with CLOSED", async () => {
    const db = await vectlite.open(tempDb(), { dimension: DIM });
    await db.close();
    await rejectsWith(() => db.bulkIngest([]), "CLOSED", /closed/i);
  });

  it("closing twice resolves; disposal after an explicit close does not throw", async () => {
    const path = tempDb();
    {
      await using db = await vectlite.open(path, { dimension: DIM });
      await seed(db);
      await db.close();
      await db.close();
      assert.equal(db.closed, true);
    } // disposal here must not throw
    await using again = await vectlite.open(path);
    await assertIntact(again);
  });
});

describe("bad paths and files", () => {
  it("a path that is a directory is IO", async () => {
    const dir = tempDir();
    await rejectsWith(() => vectlite.open(dir, { dimension: DIM }), "IO", /directory/);
    await rejectsWith(() => vectlite.open(dir), "IO", /directory/);
  });

  it("a path in a directory that does not exist is IO", async () => {
    const path = join(tempDir(), "no-such-dir", "nested", "db.vdb");
    await rejectsWith(() => vectlite.open(path, { dimension: DIM }), "IO", /no-such-dir/);
  });

  it("a file that is not a vectlite database is CORRUPT, and is left as it was", async () => {
    const random = new Uint8Array(4096);
    let x = 12345;
    for (let i = 0; i < random.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      random[i] = x >>> 24;
    }
    const contents: [string, Uint8Array][] = [
      ["random.vdb", random],
      ["empty.vdb", new Uint8Array(0)],
      ["text.vdb", new TextEncoder().encode("Hello, this is just a text file.\nNothing to see here.\n")],
      ["json.vdb", new TextEncoder().encode(JSON.stringify({ dimension: 3, records: [] }))],
    ];
    for (const [name, bytes] of contents) {
      const path = join(tempDir(), name);
      writeFileSync(path, bytes);
      const pattern = new RegExp(name.replace(".", "\\."));
      await rejectsWith(() => vectlite.open(path), "CORRUPT", pattern);
      await rejectsWith(() => vectlite.open(path, { dimension: DIM }), "CORRUPT", pattern);
      await rejectsWith(() => vectlite.open(path, { readOnly: true }), "CORRUPT", pattern);
      assert.deepEqual(new Uint8Array(readFileSync(path)), bytes, `${name} was modified`);
    }
  });

  it("opening an existing database with a different dimension is DIMENSION_MISMATCH", async () => {
    const db = await seeded();
    const path = db.path;
    await db.close();
    const e = await rejectsWith(() => vectlite.open(path, { dimension: 4 }), "DIMENSION_MISMATCH", /dimension/);
    assert.match(e.message, /\b3\b/);
    assert.match(e.message, /\b4\b/);
    await using again = await vectlite.open(path, { dimension: DIM });
    await assertIntact(again);
  });

  it("opening an existing database with a different metric is INVALID_ARGUMENT", async () => {
    const db = await seeded({ metric: "dot" });
    const path = db.path;
    await db.close();
    await rejectsWith(() => vectlite.open(path, { metric: "l2" }), "INVALID_ARGUMENT", /metric/);
    await rejectsWith(() => vectlite.open(path, { dimension: DIM, metric: "cosine" }), "INVALID_ARGUMENT", /metric/);
    await using again = await vectlite.open(path);
    assert.equal(again.metric, "dot");
    await assertIntact(again);
  });
});

describe("bad open options", () => {
  it("an unknown open option is INVALID_ARGUMENT naming it", async () => {
    const path = tempDb();
    await rejectsWith(() => vectlite.open(path, bad<OpenOptions>({ dimension: DIM, dimensions: 3 })), "INVALID_ARGUMENT", /dimensions/);
    await rejectsWith(() => vectlite.open(path, bad<OpenOptions>({ dimension: DIM, read_only: true })), "INVALID_ARGUMENT", /read_only/);
    // Nothing was created by the refused calls: opening without dimension still fails.
    await rejectsWith(() => vectlite.open(path), "INVALID_ARGUMENT", /dimension/);
  });

  it("dimension 0, -1, 1.5, '3' (and other non-integers) is INVALID_ARGUMENT", async () => {
    for (const dimension of [0, -1, 1.5, "3", true, NaN, Infinity]) {
      const path = tempDb();
      await rejectsWith(() => vectlite.open(path, { dimension: bad<number>(dimension) }), "INVALID_ARGUMENT", /dimension/);
      await rejectsWith(() => vectlite.open(path), "INVALID_ARGUMENT", /dimension/);
    }
  });

  it("an unknown metric is INVALID_ARGUMENT", async () => {
    for (const metric of ["cosine2", "COSINE", "euclidean", "", 1]) {
      const path = tempDb();
      await rejectsWith(() => vectlite.open(path, { dimension: DIM, metric: bad(metric) }), "INVALID_ARGUMENT", /metric/);
    }
    const e = await rejectsWith(() => vectlite.open(tempDb(), { dimension: DIM, metric: bad("cosine2") }), "INVALID_ARGUMENT");
    assert.match(e.message, /cosine2/);
  });

  it("a negative or non-numeric lockTimeoutMs is INVALID_ARGUMENT", async () => {
    for (const lockTimeoutMs of [-1, -0.5, NaN, "100"]) {
      await rejectsWith(
        () => vectlite.open(tempDb(), { dimension: DIM, lockTimeoutMs: bad<number>(lockTimeoutMs) }),
        "INVALID_ARGUMENT",
        /lockTimeoutMs/,
      );
    }
  });

  it("bad readOnly and sync values are INVALID_ARGUMENT", async () => {
    await rejectsWith(() => vectlite.open(tempDb(), { dimension: DIM, sync: bad("fast") }), "INVALID_ARGUMENT", /sync/);
    await rejectsWith(() => vectlite.open(tempDb(), { dimension: DIM, readOnly: bad("yes") }), "INVALID_ARGUMENT", /readOnly/);
  });

  it("bad options on an existing database leave it intact", async () => {
    const db = await seeded();
    const path = db.path;
    await db.close();
    await rejectsWith(() => vectlite.open(path, bad<OpenOptions>({ dimensions: 3 })), "INVALID_ARGUMENT", /dimensions/);
    await rejectsWith(() => vectlite.open(path, { metric: bad("cosine2") }), "INVALID_ARGUMENT", /metric/);
    await rejectsWith(() => vectlite.open(path, { dimension: 0 }), "INVALID_ARGUMENT", /dimension/);
    await rejectsWith(() => vectlite.open(path, { lockTimeoutMs: -5 }), "INVALID_ARGUMENT", /lockTimeoutMs/);
    await using again = await vectlite.open(path);
    await assertIntact(again);
    assert.equal(basename(again.path), basename(path));
  });
});
