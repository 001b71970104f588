import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as vectlite from "../mod.ts";
import type { Database } from "../mod.ts";
import { randomVector, rejectsWith, rng, tempDb } from "./helpers.ts";

const DIM = 4;
/** An instant no test run reaches (2100-01-01) and one long gone. */
const FUTURE = 4_102_444_800_000;
const PAST = 1_000;

const vec = (i: number) => randomVector(DIM, rng(i + 1));

/** Every read's view of namespace "" (or `namespace`): ids, sorted, from each read path. */
async function visible(db: Database, ids: string[], namespace = ""): Promise<Record<string, string[]>> {
  const sorted = (xs: { id: string }[]) => xs.map((x) => x.id).sort();
  const got = [];
  for (const id of ids) if (await db.get(id, { namespace })) got.push(id);
  const iterated = [];
  for await (const r of db.iterate({ namespace, batchSize: 3 })) iterated.push(r);
  const q = vec(0);
  return {
    get: got.sort(),
    count: [String(await db.count({ namespace }))],
    countFiltered: [String(await db.count({ namespace, filter: { kind: "doc" } }))],
    list: sorted(await db.list({ namespace })),
    iterate: sorted(iterated),
    exact: sorted(await db.search(q, { namespace, k: 100, exact: true })),
    graph: sorted(await db.search(q, { namespace, k: 100, efSearch: 200 })),
    filtered: sorted(await db.search(q, { namespace, k: 100, filter: { kind: "doc" } })),
    keyword: sorted(await db.search(null, { namespace, k: 100, sparse: { word: 1 } })),
    hybrid: sorted(await db.search(q, { namespace, k: 100, sparse: { word: 1 } })),
    named: sorted(await db.search(vec(1), { namespace, k: 100, vectorName: "title" })),
  };
}

function expectVisible(seen: Record<string, string[]>, ids: string[]): void {
  const want = [...ids].sort();
  for (const [path, got] of Object.entries(seen)) {
    if (path === "count" || path === "countFiltered") assert.deepEqual(got, [String(want.length)], path);
    else assert.deepEqual(got, want, path);
  }
}

const rec = (i: number, extra: Partial<vectlite.RecordInput> = {}): vectlite.RecordInput => ({
  id: `r${i}`,
  vector: vec(i),
  metadata: { kind: "doc", i },
  sparse: { word: 1 + (i % 3) },
  vectors: { title: vec(i + 100) },
  ...extra,
});

describe("expiry", () => {
  it("hides expired records from every read, keeps them through the WAL and drops them at compaction", async () => {
    const path = tempDb();
    const ids = Array.from({ length: 40 }, (_, i) => `r${i}`);
    // r0..r9 expired already, r10..r19 expire in 2100 (as a Date for some), the rest never.
    const records = Array.from({ length: 40 }, (_, i) =>
      rec(i, i < 10 ? { expiresAt: PAST + i } : i < 15 ? { expiresAt: FUTURE } : i < 20 ? { expiresAt: new Date(FUTURE) } : {})
    );
    const live = ids.slice(10);
    {
      await using db = await vectlite.open(path, { dimension: DIM, annThreshold: 16 });
      await db.upsertMany(records);
      assert.ok((await db.stats()).namespaces[""].index, "the graph path is tested");
      assert.equal((await db.stats()).records, 40, "expired records stay stored until a compaction");
      expectVisible(await visible(db, ids), live);
      assert.equal((await db.get("r12"))?.expiresAt, FUTURE);
      assert.equal((await db.get("r17"))?.expiresAt, FUTURE, "a Date is stored as its epoch milliseconds");
      assert.equal((await db.get("r30"))?.expiresAt, undefined);
      assert.equal((await db.list({ limit: 1 }))[0].expiresAt, FUTURE, "list returns the expiry too");
      // Gone means gone: an insert of an expired id succeeds, a delete of one says it was not there,
      // a deleteByFilter does not count them.
      await db.insert("r0", vec(0), { kind: "doc", i: 0 }, { sparse: { word: 1 }, vectors: { title: vec(100) } });
      assert.equal(await db.delete("r1"), false);
      assert.equal(await db.updateMetadata("r2", { kind: "x" }), false);
      assert.equal(await db.deleteByFilter({ i: { $lt: 5 } }), 1, "only r0, written again, matched");
      assert.equal(await db.count(), 30);
    }
    const after = ids.slice(10);
    {
      await using db = await vectlite.open(path, { readOnly: true });
      expectVisible(await visible(db, ids), after);
    }
    await using db = await vectlite.open(path);
    expectVisible(await visible(db, ids), after);
    await db.compact();
    assert.equal((await db.stats()).records, 30, "the compaction removed the expired records");
    expectVisible(await visible(db, ids), after);
    await db.close();
    await using reopened = await vectlite.open(path);
    expectVisible(await visible(reopened, ids), after);
    assert.equal((await reopened.get("r12"))?.expiresAt, FUTURE, "a pending expiry survives the snapshot");
  });

  it("lets a record expire while the handle is open", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: DIM });
    await db.upsert("soon", vec(1), { kind: "doc" }, { ttl: 0.3, sparse: { word: 1 }, vectors: { title: vec(2) } });
    await db.upsert("stays", vec(2), { kind: "doc" }, { sparse: { word: 1 }, vectors: { title: vec(3) } });
    const expiresAt = (await db.get("soon"))!.expiresAt!;
    assert.ok(Math.abs(expiresAt - (Date.now() + 300)) < 2_000, `ttl counts from the write: ${expiresAt}`);
    expectVisible(await visible(db, ["soon", "stays"]), ["soon", "stays"]);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 50));
    expectVisible(await visible(db, ["soon", "stays"]), ["stays"]);
  });

  it("setTtl sets, replaces and clears an expiry; an upsert replaces it; calls keep their order unawaited", async () => {
    const path = tempDb();
    {
      await using db = await vectlite.open(path, { dimension: DIM });
      const calls = [
        db.upsert("a", vec(1), {}, { expiresAt: FUTURE }),
        db.setTtl("a", 3600),
        db.upsert("b", vec(2), {}, { ttl: 60 }),
        db.upsert("b", vec(2)),
        db.setTtl("c", 10),
        db.setTtl("a", 7200, { namespace: "other" }),
      ];
      const results = await Promise.all(calls);
      assert.deepEqual(results, [undefined, true, undefined, undefined, false, false]);
      const a = (await db.get("a"))!.expiresAt!;
      assert.ok(Math.abs(a - (Date.now() + 3_600_000)) < 10_000, "setTtl counts from now");
      assert.equal((await db.get("b"))!.expiresAt, undefined, "an upsert without ttl clears the earlier one");
      assert.equal(await db.setTtl("a", null), true);
      assert.equal((await db.get("a"))!.expiresAt, undefined);
      await db.upsert("gone", vec(3), {}, { expiresAt: PAST });
      assert.equal(await db.setTtl("gone", 100), false, "an expired record is not there to be given a ttl");
      assert.equal(await db.get("gone"), null);
      await db.setTtl("b", 1000);
    }
    await using db = await vectlite.open(path);
    assert.equal((await db.get("a"))!.expiresAt, undefined, "replayed from the WAL");
    assert.ok((await db.get("b"))!.expiresAt! > Date.now() + 900_000);
  });

  it("works in transactions", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: DIM });
    await db.transaction(async (tx) => {
      await tx.upsert("a", vec(1), { n: 1 }, { expiresAt: FUTURE });
      await tx.upsert("b", vec(2), { n: 2 }, { expiresAt: PAST });
      assert.equal((await tx.get("a"))?.expiresAt, FUTURE);
      assert.equal(await tx.get("b"), null, "a write already expired reads as no record");
      assert.equal(await tx.updateMetadata("b", { n: 3 }), false);
      assert.equal(await tx.updateMetadata("a", { n: 3 }), true);
      assert.equal((await tx.get("a"))?.expiresAt, FUTURE, "a patch keeps the expiry");
    });
    assert.deepEqual(await db.get("a"), { id: "a", namespace: "", metadata: { n: 3 }, expiresAt: FUTURE });
    assert.equal(await db.get("b"), null);
    await db.transaction(async (tx) => {
      await tx.insert("b", vec(2), { n: 4 }); // the expired record's id is free
    });
    assert.deepEqual((await db.get("b"))?.metadata, { n: 4 });
    // Written already expired and inserted again in one transaction: both sides agree it was free.
    await db.transaction(async (tx) => {
      await tx.upsert("c", vec(3), { n: 5 }, { expiresAt: PAST });
      await tx.insert("c", vec(3), { n: 6 });
    });
    assert.deepEqual((await db.get("c"))?.metadata, { n: 6 });
    // A namespace whose records have all expired is not listed, as after deleting them.
    await db.upsert("x", vec(4), {}, { namespace: "gone", expiresAt: PAST });
    await db.upsert("y", vec(4), {}, { namespace: "kept", expiresAt: FUTURE });
    assert.deepEqual((await db.namespaces()).filter((n) => n !== ""), ["kept"]);
  });

  it("refuses bad ttl and expiresAt values, naming the record", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: DIM });
    const bad: [unknown, unknown][] = [
      [0, undefined], [-1, undefined], [Number.NaN, undefined], [Infinity, undefined], ["60", undefined], [1e15, undefined],
      [undefined, 1.5], [undefined, -1], [undefined, 9e15], [undefined, new Date(Number.NaN)], [undefined, "2030-01-01"],
      [60, FUTURE],
    ];
    for (const [ttl, expiresAt] of bad) {
      const options = { ttl, expiresAt } as unknown as vectlite.WriteOptions;
      await rejectsWith(() => db.upsert("a", vec(1), {}, options), "INVALID_ARGUMENT", /ttl|expiresAt/);
      const record = { ...rec(1), ttl, expiresAt } as unknown as vectlite.RecordInput;
      await rejectsWith(() => db.upsertMany([rec(0), record]), "INVALID_ARGUMENT", /record "r1": .*(ttl|expiresAt)/);
    }
    await rejectsWith(() => db.setTtl("a", 0), "INVALID_ARGUMENT", /ttl/);
    await rejectsWith(() => db.setTtl("a", Number.NaN), "INVALID_ARGUMENT", /ttl/);
    assert.equal(await db.count(), 0, "nothing was written");
  });

  it("agrees with a model under random writes, expiries, deletes, compactions and reopens", async () => {
    type Op =
      | { kind: "upsert"; id: number; expiry: "none" | "past" | "future" }
      | { kind: "setTtl"; id: number; ttl: number | null }
      | { kind: "delete"; id: number }
      | { kind: "compact" }
      | { kind: "reopen" };
    const idArb = fc.integer({ min: 0, max: 5 });
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant("upsert" as const), id: idArb, expiry: fc.constantFrom("none" as const, "past" as const, "future" as const) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant("setTtl" as const), id: idArb, ttl: fc.option(fc.constantFrom(600, 86_400), { nil: null }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), id: idArb }) },
      { weight: 1, arbitrary: fc.constant({ kind: "compact" as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: "reopen" as const }) },
    );
    const ids = Array.from({ length: 6 }, (_, i) => `r${i}`);
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), async (ops) => {
        const path = tempDb();
        let db = await vectlite.open(path, { dimension: DIM, annThreshold: 4 });
        // Another namespace's record declares the named space the reads query.
        await db.upsertMany([rec(99, { namespace: "other" })]);
        // id -> expiry (undefined: none) of the records a read must see.
        const model = new Map<string, number | undefined>();
        try {
          for (const op of ops) {
            if (op.kind === "upsert") {
              const expiresAt = op.expiry === "past" ? PAST : op.expiry === "future" ? FUTURE : undefined;
              await db.upsertMany([rec(op.id, expiresAt === undefined ? {} : { expiresAt })]);
              if (op.expiry === "past") model.delete(`r${op.id}`);
              else model.set(`r${op.id}`, expiresAt);
            } else if (op.kind === "setTtl") {
              const before = Date.now();
              assert.equal(await db.setTtl(`r${op.id}`, op.ttl), model.has(`r${op.id}`));
              if (model.has(`r${op.id}`)) model.set(`r${op.id}`, op.ttl === null ? undefined : before + op.ttl * 1000);
            } else if (op.kind === "delete") {
              assert.equal(await db.delete(`r${op.id}`), model.has(`r${op.id}`));
              model.delete(`r${op.id}`);
            } else if (op.kind === "compact") {
              await db.compact();
              assert.equal((await db.stats()).records, model.size + 1, "a compaction keeps exactly the visible records");
            } else {
              await db.close();
              db = await vectlite.open(path);
            }
            expectVisible(await visible(db, ids), [...model.keys()]);
            for (const [id, expiresAt] of model) {
              const got = (await db.get(id))!.expiresAt;
              if (expiresAt === undefined || expiresAt === FUTURE) assert.equal(got, expiresAt, id);
              else assert.ok(got !== undefined && Math.abs(got - expiresAt) < 5_000, `${id}: ${got} vs ${expiresAt}`);
            }
          }
        } finally {
          await db.close();
        }
      }),
      { numRuns: 25 },
    );
  });
});
