/**
 * Reads off the event loop: searches, counts and lists run on the native read pool, from one
 * handle and from several, beside the event loop; `searchBatch` returns what one search per
 * query returns, in query order; `setReadThreads` sizes the pool and refuses bad sizes.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as vectlite from "../mod.ts";
import type { Database, SearchOptions } from "../mod.ts";
import { forgetLoopHistory, readFlags } from "../ffi/native.ts";
import { useReadPolicy } from "../src/threads.ts";
import { randomVector, rejectsWith, rng, tempDb } from "./helpers.ts";

const DIM = 32;

/** A database large enough that its searches, counts and lists are not run inline. */
async function filled(n: number, options: vectlite.OpenOptions = {}): Promise<{ db: Database; vectors: Float32Array[] }> {
  const db = await vectlite.open(tempDb(), { dimension: DIM, ...options });
  const rand = rng(7);
  const vectors = Array.from({ length: n }, () => randomVector(DIM, rand));
  await db.upsertMany(vectors.map((vector, i) => ({ id: `r${i}`, vector, metadata: { tag: `t${i % 5}`, i } })));
  return { db, vectors };
}

const ids = (results: { id: string }[]) => results.map((r) => r.id);

describe("reads on the read pool", () => {
  it("leave the event loop free: a timer fires while many exact searches are in flight", async () => {
    const { db, vectors } = await filled(20_000);
    try {
      let settled = 0;
      const searches = vectors.slice(0, 64).map((q) => db.search(q, { k: 3, exact: true }).then((r) => (settled++, r)));
      await new Promise((resolve) => setTimeout(resolve, 0));
      assert.ok(settled < searches.length, `all ${searches.length} searches settled before a timer of 0 ms could fire`);
      const results = await Promise.all(searches);
      results.forEach((r, i) => assert.equal(r[0].id, `r${i}`));
    } finally {
      await db.close();
    }
  });

  it("match a model when reads and writes of several handles are issued together without awaiting", async () => {
    const before = useReadPolicy("pool");
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.oneof(
              fc.record({ op: fc.constant("upsert" as const), db: fc.nat(1), id: fc.nat(40), tag: fc.nat(3) }),
              fc.record({ op: fc.constant("delete" as const), db: fc.nat(1), id: fc.nat(40) }),
              fc.record({ op: fc.constant("count" as const), db: fc.nat(1), tag: fc.nat(3) }),
              fc.record({ op: fc.constant("get" as const), db: fc.nat(1), id: fc.nat(40) }),
              fc.record({ op: fc.constant("search" as const), db: fc.nat(1), id: fc.nat(40) }),
              fc.record({ op: fc.constant("list" as const), db: fc.nat(1), tag: fc.nat(3) }),
            ),
            { maxLength: 80 },
          ),
          async (ops) => {
            const dbs = [await vectlite.open(tempDb(), { dimension: DIM }), await vectlite.open(tempDb(), { dimension: DIM })];
            const models = [new Map<number, number>(), new Map<number, number>()];
            const vector = (id: number, tag: number) => randomVector(DIM, rng(1000 * id + tag + 1));
            const checks: Promise<void>[] = [];
            const expect = <T>(p: Promise<T>, f: (v: T) => unknown, want: unknown, what: string) =>
              checks.push(p.then((v) => assert.deepStrictEqual(f(v), want, what)));
            try {
              for (const [i, o] of ops.entries()) {
                const db = dbs[o.db], model = models[o.db];
                const what = `op ${i}: ${JSON.stringify(o)}`;
                if (o.op === "upsert") {
                  checks.push(db.upsert(`r${o.id}`, vector(o.id, o.tag), { tag: o.tag }));
                  model.set(o.id, o.tag);
                } else if (o.op === "delete") {
                  expect(db.delete(`r${o.id}`), (v) => v, model.delete(o.id), what);
                } else if (o.op === "count") {
                  expect(db.count({ filter: { tag: o.tag } }), (v) => v, [...model.values()].filter((t) => t === o.tag).length, what);
                } else if (o.op === "get") {
                  expect(db.get(`r${o.id}`), (r) => r?.metadata.tag ?? null, model.get(o.id) ?? null, what);
                } else if (o.op === "list") {
                  const want = [...model].filter(([, t]) => t === o.tag).map(([id]) => `r${id}`).sort();
                  expect(db.list({ filter: { tag: o.tag } }), (rs) => ids(rs).sort(), want, what);
                } else if (model.has(o.id)) {
                  // A record's own vector is its nearest neighbour (random vectors in 32 dimensions).
                  expect(db.search(vector(o.id, model.get(o.id)!), { k: 1, exact: true }), ids, [`r${o.id}`], what);
                }
              }
              await Promise.all(checks);
            } finally {
              await Promise.allSettled(checks);
              for (const db of dbs) await db.close();
            }
          },
        ),
        { numRuns: 30 },
      );
    } finally {
      useReadPolicy(before);
    }
  });
});

describe("searchBatch", () => {
  it("returns what one search per query returns, in query order, on a graph and exact, with filters", async () => {
    const { db, vectors } = await filled(3_000, { annThreshold: 500 });
    try {
      const queries = vectors.slice(0, 300).map((v, i) => (i % 2 ? Array.from(v) : v));
      const optionSets: SearchOptions[] = [
        { k: 5 },
        { k: 7, exact: true },
        { k: 4, filter: { tag: "t2" } },
        { k: 3, efSearch: 32, includeVectors: true },
      ];
      for (const options of optionSets) {
        const batch = await db.searchBatch(queries, options);
        assert.equal(batch.length, queries.length);
        for (let i = 0; i < queries.length; i++) {
          assert.deepStrictEqual(batch[i], await db.search(queries[i], options), `query ${i} with ${JSON.stringify(options)}`);
        }
      }
      assert.deepStrictEqual(await db.searchBatch([]), []);
    } finally {
      await db.close();
    }
  });

  it("runs rerankers per query, and sees every write issued before it", async () => {
    const { db, vectors } = await filled(1_000);
    try {
      const write = db.upsert("new", vectors[0], { tag: "new" });
      const batch = db.searchBatch([vectors[0], vectors[1]], { k: 2, rerank: (_ctx, rs) => rs.map((r) => (r.id === "new" ? 2 : r.score)) });
      await write;
      const [first, second] = await batch;
      assert.deepStrictEqual(ids(first), ["new", "r0"], "the reranker put the new record first");
      assert.equal(second.length, 2);
    } finally {
      await db.close();
    }
  });

  it("refuses bad queries naming the first, and bad options, before anything runs", async () => {
    const { db, vectors } = await filled(100);
    try {
      await rejectsWith(() => db.searchBatch("x" as never), "INVALID_ARGUMENT", /queries must be an array/);
      await rejectsWith(() => db.searchBatch([vectors[0], [1, 2, 3]]), "DIMENSION_MISMATCH", /queries\[1\] has 3 values/);
      await rejectsWith(() => db.searchBatch([vectors[0], ["a"] as never]), "INVALID_ARGUMENT", /queries\[1\]: element 0/);
      const nan = Float32Array.from(vectors[1]);
      nan[3] = NaN;
      await rejectsWith(() => db.searchBatch([vectors[0], nan]), "INVALID_ARGUMENT", /NaN|finite/);
      await rejectsWith(() => db.searchBatch([vectors[0]], { k: 0 }), "INVALID_ARGUMENT", /k/);
      await rejectsWith(() => db.searchBatch([vectors[0]], { filter: { $bad: 1 } as never }), "INVALID_FILTER");
      assert.equal((await db.searchBatch([vectors[2]], { k: 1 }))[0][0].id, "r2", "the database still answers");
    } finally {
      await db.close();
    }
  });
});

describe("setReadThreads", () => {
  it("sizes the pool for every database, 0 restoring one thread per core, and refuses bad sizes", async () => {
    const { db, vectors } = await filled(5_000);
    try {
      const cores = vectlite.setReadThreads(0);
      assert.ok(cores >= 1);
      assert.equal(vectlite.setReadThreads(1), 1);
      const one = await Promise.all(vectors.slice(0, 16).map((q) => db.search(q, { k: 1, exact: true })));
      one.forEach((r, i) => assert.equal(r[0].id, `r${i}`));
      assert.equal(vectlite.setReadThreads(3), 3);
      assert.deepStrictEqual(await db.searchBatch(vectors.slice(0, 16), { k: 1, exact: true }), one);
      for (const bad of [-1, 1.5, 1025, NaN, "2" as never]) {
        assert.throws(() => vectlite.setReadThreads(bad), (e: unknown) => e instanceof vectlite.VectLiteError && e.code === "INVALID_ARGUMENT");
      }
    } finally {
      vectlite.setReadThreads(0);
      await db.close();
    }
  });
});

describe("where a read runs", () => {
  /** Holds the thread, as other work (or a garbage collection) would. */
  const hold = (ms: number) => {
    for (const end = performance.now() + ms; performance.now() < end;);
  };
  /** Lets the event loop turn (and a pending probe fire). */
  const turn = () => new Promise((resolve) => setTimeout(resolve, 10));
  const mayRunInline = () => (readFlags() & 1) === 1;

  it("keeps reads on the pool for half a second after two overlapped", async () => {
    const before = useReadPolicy("auto");
    const { db, vectors } = await filled(100);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      for (let i = 0; i < 200 && !mayRunInline(); i++) await turn();
      assert.ok(mayRunInline(), "reads never came back inline");
      await turn();
      await Promise.all([db.search(vectors[0], { k: 1 }), db.search(vectors[1], { k: 1 })]);
      assert.ok(!mayRunInline(), "a read right after two overlapping ones may run inline");
      await new Promise((resolve) => setTimeout(resolve, 700));
      assert.ok(mayRunInline(), "reads stayed on the pool");
    } finally {
      useReadPolicy(before);
      await db.close();
    }
  });

  it("stays inline after one late turn of the event loop, and goes to the pool when the next is late too", async () => {
    const before = useReadPolicy("auto");
    try {
      // Any probe still pending fires; then no late turn is remembered, not even one that a
      // garbage collection or another process caused a moment ago.
      await turn();
      forgetLoopHistory();
      // One late turn: a pause that sending reads to the pool would not have shortened.
      readFlags();
      hold(5);
      await turn();
      assert.ok(mayRunInline(), "one late turn of the loop sent reads to the pool");
      // A second late turn soon after: the loop is held by other work, which the pool lets run.
      hold(5);
      await turn();
      assert.ok(!mayRunInline(), "two late turns 10 ms apart left reads inline");
    } finally {
      useReadPolicy(before);
    }
  });

  it("stays inline when late turns of the event loop have an on-time one between them", async () => {
    const before = useReadPolicy("auto");
    try {
      await turn();
      forgetLoopHistory();
      // Pauses now and then (garbage collections, other processes), each followed by a turn
      // on time: a server at one connection sees several a second on a loaded machine.
      for (let i = 0; i < 3; i++) {
        readFlags();
        hold(5);
        await turn();
        assert.ok(mayRunInline(), `late turn ${i + 1} sent reads to the pool`);
        await turn();
      }
    } finally {
      useReadPolicy(before);
    }
  });
});
