/**
 * Streaming reads: `listPage` cursors and `iterate`. A walk page by page returns what one
 * `list` returns; under writes and compactions between pages (fast-check, against a model)
 * every record that exists for the whole walk and is not rewritten comes back exactly once;
 * bad cursors and signals are refused; an aborted iteration stops with ABORTED.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as vectlite from "../mod.ts";
import type { StoredRecord } from "../mod.ts";
import { rejectsWith, tempDb } from "./helpers.ts";

const key = (r: StoredRecord) => `${r.namespace}/${r.id}`;

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("listPage and iterate", () => {
  it("walk every record once, in list order, page by page, with filters and namespaces", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    for (const ns of ["a", "", "b"]) {
      await db.upsertMany(Array.from({ length: 23 }, (_, i) => ({ id: `${ns}${i}`, vector: [i, 1], metadata: { even: i % 2 === 0 } })), { namespace: ns });
    }
    await db.deleteMany(["a3", "a4"], { namespace: "a" });
    for (const options of [{ namespace: "*" }, { namespace: "b" }, { namespaces: ["b", "a"] }, { namespace: "*", filter: { even: true } }]) {
      const all = (await db.list(options)).map(key);
      for (const batchSize of [1, 5, 23, 1000]) {
        assert.deepStrictEqual((await collect(db.iterate({ ...options, batchSize }))).map(key), all, `${JSON.stringify(options)} by ${batchSize}`);
      }
      const pages: string[] = [];
      let page = await db.listPage({ ...options, limit: 10 });
      for (;;) {
        pages.push(...page.records.map(key));
        if (page.cursor === null) break;
        assert.equal(typeof page.cursor, "string");
        page = await db.listPage({ ...options, limit: 10, after: page.cursor });
      }
      assert.deepStrictEqual(pages, all);
    }
    assert.deepStrictEqual(await collect(db.iterate({ namespace: "nothing here" })), []);
    const last = await db.listPage({ namespace: "b", limit: 0 });
    assert.equal(last.records.length, 23);
    assert.equal(last.cursor, null, "a page that holds every record has no next page");
  });

  it("return each untouched record exactly once across writes and compactions between pages (model)", async () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant("insert" as const), n: fc.nat(5) }),
      fc.record({ op: fc.constant("rewrite" as const), id: fc.nat(59) }),
      fc.record({ op: fc.constant("delete" as const), id: fc.nat(59) }),
      fc.record({ op: fc.constant("compact" as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 9 }), fc.array(fc.array(op, { maxLength: 3 }), { maxLength: 30 }), async (limit, between) => {
        const db = await vectlite.open(tempDb(), { dimension: 2, annThreshold: 8 });
        try {
          await db.upsertMany(Array.from({ length: 40 }, (_, i) => ({ id: `r${i}`, vector: [i, 1] })));
          await db.upsertMany(Array.from({ length: 20 }, (_, i) => ({ id: `s${i}`, vector: [i, 2] })), { namespace: "second" });
          const ids = (i: number) => (i < 40 ? { id: `r${i}`, namespace: "" } : { id: `s${i - 40}`, namespace: "second" });
          const touched = new Set<string>();
          const start = new Set((await db.list({ namespace: "*" })).map(key));
          const seen: string[] = [];
          let cursor: string | null | undefined;
          let step = 0, fresh = 0;
          do {
            const page = await db.listPage({ namespace: "*", limit, after: cursor ?? undefined });
            seen.push(...page.records.map(key));
            cursor = page.cursor;
            // Writes between the first pages only, so that the walk ends.
            for (const o of between[step++] ?? []) {
              if (o.op === "insert") {
                for (let j = 0; j < o.n; j++) await db.upsert(`new${fresh++}`, [fresh, 3]);
              } else if (o.op === "compact") {
                await db.compact();
              } else {
                const { id, namespace } = ids(o.id);
                touched.add(`${namespace}/${id}`);
                if (o.op === "rewrite") await db.upsert(id, [o.id, 4], {}, { namespace });
                else await db.delete(id, { namespace });
              }
            }
          } while (cursor !== null);
          const counts = new Map<string, number>();
          for (const k of seen) counts.set(k, (counts.get(k) ?? 0) + 1);
          for (const k of start) {
            if (touched.has(k)) continue;
            assert.equal(counts.get(k), 1, `${k} existed throughout, untouched, and came back ${counts.get(k) ?? 0} times`);
          }
          for (const [k, n] of counts) {
            if (!touched.has(k) && !k.startsWith("/new")) assert.equal(n, 1, `${k} came back ${n} times`);
          }
        } finally {
          await db.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it("refuse cursors that are not one, after with offset, and a cursor whose record is gone after 17 compactions", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsertMany(Array.from({ length: 10 }, (_, i) => ({ id: `r${i}`, vector: [i, 1] })));
    for (const bad of ["", "not a cursor!", "bm90IGpzb24", 42, btoa(JSON.stringify(["", "x", 1, "r1"]))]) {
      await rejectsWith(() => db.listPage({ after: bad as never }), "INVALID_ARGUMENT", /after/);
    }
    const { cursor } = await db.listPage({ limit: 3 });
    await rejectsWith(() => db.list({ after: cursor!, offset: 1 }), "INVALID_ARGUMENT", /not both/);
    // Through 16 compactions a cursor finds its place, its record gone or not.
    const next = await db.listPage({ limit: 2 });
    await db.delete(next.records[1].id);
    const compactions = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await db.upsert(`tmp${i}`, [9, 9]);
        await db.delete(`tmp${i}`);
        await db.compact();
      }
    };
    await compactions(16);
    const rest = await db.listPage({ after: next.cursor!, limit: 0 });
    assert.deepStrictEqual(rest.records.map((r) => r.id), (await db.list()).slice(1).map((r) => r.id));
    // r2 ended the first page: gone, and a 17th compaction later its place is lost.
    await db.delete("r2");
    await compactions(1);
    await rejectsWith(() => db.listPage({ after: cursor! }), "INVALID_ARGUMENT", /place is lost/);
  });

  it("iterate stops with ABORTED when its signal aborts, and refuses a bad signal or batchSize", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsertMany(Array.from({ length: 50 }, (_, i) => ({ id: `r${i}`, vector: [i, 1] })));
    const controller = new AbortController();
    const got: string[] = [];
    await rejectsWith(async () => {
      for await (const r of db.iterate({ batchSize: 10, signal: controller.signal })) {
        got.push(r.id);
        if (got.length === 15) controller.abort(new Error("enough"));
      }
    }, "ABORTED", /iterate was aborted: enough/);
    assert.equal(got.length, 15, "no record after the abort");
    await rejectsWith(() => collect(db.iterate({ signal: AbortSignal.abort() })), "ABORTED");
    await rejectsWith(() => collect(db.iterate({ signal: {} as never })), "INVALID_ARGUMENT", /AbortSignal/);
    for (const batchSize of [0, 1.5, -1, NaN]) {
      await rejectsWith(() => collect(db.iterate({ batchSize })), "INVALID_ARGUMENT", /batchSize/);
    }
    assert.equal((await collect(db.iterate())).length, 50);
  });
});
