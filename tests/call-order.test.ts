/**
 * Calls issued without awaiting run in issue order, whether they run inline or as background
 * jobs; arguments are read when a method is called; close() is idempotent.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import * as vectlite from "../mod.ts";
import type { RecordInput } from "../mod.ts";
import { rejectsWith, tempDb, tempDir } from "./helpers.ts";

/** Enough records for a write to run as a background job. */
const JOB = 300;

/** Attaches a handler at once (a rejection nobody handles yet fails the test run), to check later with rejectsWith. */
function later<T>(promise: Promise<T>): () => Promise<T> {
  const settled = promise.then((value) => ({ value }), (error) => ({ error }));
  return async () => {
    const s = await settled;
    if ("error" in s) throw s.error;
    return s.value;
  };
}

const batch = (prefix: string, tag: string, n = JOB): RecordInput[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, vector: [1, 2, 3, i], metadata: { tag } }));

describe("call order", () => {
  it("the last of several writes issued without awaiting wins, and a snapshot between them sees the writes before it", async () => {
    const dir = tempDir();
    await using db = await vectlite.open(join(dir, "db.vdb"), { dimension: 4 });
    await db.upsertMany(Array.from({ length: 5_000 }, (_, i) => ({ id: `p${i}`, vector: [i, 1, 2, 3] })));
    const snap = join(dir, "snap.vdb");
    await Promise.all([
      db.upsertMany(batch("r", "big0")),
      db.upsertMany(batch("r", "big1")),
      db.upsert("r0", [0, 0, 0, 1], { tag: "second-to-last" }),
      db.snapshot(snap),
      db.upsert("r0", [0, 0, 0, 1], { tag: "last" }),
    ]);
    assert.equal((await db.get("r0"))?.metadata.tag, "last");
    assert.equal((await db.get("r1"))?.metadata.tag, "big1");
    await using copy = await vectlite.open(snap, { readOnly: true });
    assert.equal((await copy.get("r0"))?.metadata.tag, "second-to-last");
    assert.equal(await copy.count(), 5_000 + JOB);
  });

  it("a read issued after background writes sees them; a delete issued after them deletes what they wrote", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 4 });
    const a = db.upsertMany(batch("a", "a"));
    const b = db.upsertMany(batch("b", "b"));
    const counted = db.count();
    const deleted = db.deleteMany(batch("b", "b").map((r) => r.id));
    const after = db.count();
    assert.deepEqual(await Promise.all([a, b, counted, deleted, after]), [JOB, JOB, 2 * JOB, JOB, JOB]);
  });

  it("reads and writes behind compact, snapshot and backup keep their order", async () => {
    const dir = tempDir();
    await using db = await vectlite.open(join(dir, "db.vdb"), { dimension: 4 });
    const results = await Promise.all([
      db.upsert("x", [1, 0, 0, 0], { v: 1 }),
      db.compact(),
      db.upsert("x", [1, 0, 0, 0], { v: 2 }),
      db.backup(join(dir, "backup")),
      db.get("x").then((r) => r?.metadata.v),
      db.delete("x"),
      db.snapshot(join(dir, "snap.vdb")),
      db.get("x"),
      db.upsert("x", [1, 0, 0, 0], { v: 3 }),
      db.stats().then((s) => s.records),
    ]);
    assert.deepEqual(results, [undefined, undefined, undefined, undefined, 2, true, undefined, null, undefined, 1]);
    await using restored = await vectlite.restore(join(dir, "backup"), join(dir, "restored.vdb"));
    assert.equal((await restored.get("x"))?.metadata.v, 2);
    await using snapshot = await vectlite.open(join(dir, "snap.vdb"), { readOnly: true });
    assert.equal(await snapshot.count(), 0);
  });

  it("transactions take their place in the order: reads, existence checks and the commit", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 4 });
    const tx = db.begin();
    const written = db.upsertMany(batch("r", "db")); // a job, still running when the tx calls are issued
    const seen = tx.get("r5");
    const insert = later(tx.insert("r6", [0, 0, 0, 6])); // r6 exists by then: DUPLICATE_ID
    const del = tx.delete("r7");
    const upsert = tx.upsert("r8", [0, 0, 0, 8], { tag: "tx" });
    const commit = tx.commit();
    const read = db.get("r8");
    assert.equal(await written, JOB);
    assert.equal((await seen)?.metadata.tag, "db");
    await rejectsWith(insert, "DUPLICATE_ID", /"r6"/);
    assert.equal(await del, true);
    await upsert;
    assert.equal(await commit, 2);
    assert.equal((await read)?.metadata.tag, "tx");
    assert.equal(await db.get("r7"), null);
  });

  it("a transaction's commit as a background job keeps its place too", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 4 });
    const tx = db.begin();
    const buffered = tx.upsertMany(batch("t", "tx"));
    const commit = tx.commit(); // 300 operations: a job
    const after = db.upsert("t0", [0, 0, 0, 0], { tag: "after" });
    const counted = db.count();
    assert.equal(await buffered, JOB);
    assert.equal(await commit, JOB);
    await after;
    assert.equal(await counted, JOB);
    assert.equal((await db.get("t0"))?.metadata.tag, "after");
  });

  it("bulkIngest holds its place until it resolves: calls issued after it, also from its iterable, see all of it", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 4 });
    const fromInside: Promise<number>[] = [];
    async function* records() {
      for (let i = 0; i < 700; i++) {
        if (i === 350) fromInside.push(db.count()); // issued during the ingest: runs after it
        if (i % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
        yield { id: `g${i}`, vector: [i, 0, 0, 1] };
      }
    }
    const ingest = db.bulkIngest(records(), { batchSize: 200 });
    const counted = db.count();
    const replaced = db.upsert("g0", [0, 0, 0, 0], { tag: "after" });
    assert.equal(await ingest, 700);
    assert.equal(await counted, 700);
    assert.equal(await fromInside[0], 700);
    await replaced;
    assert.equal((await db.get("g0"))?.metadata.tag, "after");
  });

  it("a refused call rejects alone: the calls around it run, in order, also behind a failed job", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 4 });
    await db.upsert("dup", [1, 0, 0, 0]);
    const first = db.upsertMany(batch("q", "one"));
    const badVector = later(db.upsert("bad", [1, 2])); // refused before it is queued
    const badFilter = later(db.count({ filter: { n: { $nope: 1 } } })); // refused by the native side, in the queue
    const failedJob = later(db.insertMany([...batch("q", "two").slice(1), { id: "dup", vector: [0, 0, 0, 1] }])); // a job that fails
    const afterwards = db.upsert("q0", [0, 0, 0, 0], { tag: "three" });
    const counted = db.count();
    assert.equal(await first, JOB);
    await rejectsWith(badVector, "DIMENSION_MISMATCH");
    await rejectsWith(badFilter, "INVALID_FILTER");
    await rejectsWith(failedJob, "DUPLICATE_ID");
    await afterwards;
    assert.equal(await counted, JOB + 1);
    assert.equal((await db.get("q0"))?.metadata.tag, "three");
    assert.equal((await db.get("q1"))?.metadata.tag, "one", "the failed insertMany wrote nothing");
  });

  it("reads arguments when called: changing them afterwards changes nothing, also for a call that waits", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 4, metric: "dot" });
    const big = batch("r", "big");
    const job = db.upsertMany(big); // the calls below wait for it
    big[0].metadata!.tag = "changed"; // after the call: not written
    (big[0].vector as number[])[0] = 99;
    const vector = new Float32Array([1, 1, 1, 1]);
    const metadata = { tag: "as called", list: [1, 2] };
    const records = [{ id: "m", vector, metadata }];
    const written = db.upsertMany(records);
    vector.fill(-5);
    metadata.tag = "changed";
    metadata.list.push(3);
    records.push({ id: "extra", vector, metadata });
    const query = new Float32Array([0, 0, 0, 1]);
    const hits = db.search(query, { k: 1 });
    query.fill(-1); // the search still looks for [0, 0, 0, 1]: r299 scores highest
    const tx = db.begin();
    const txVector = new Float32Array([2, 2, 2, 2]);
    const txMeta = { tag: "tx as called" };
    const txWrite = tx.upsert("t", txVector, txMeta);
    txVector.fill(0);
    txMeta.tag = "changed";
    const txRead = tx.get("t", { includeVectors: true });
    const committed = tx.commit();
    await Promise.all([job, written, txWrite, committed]);
    assert.deepEqual((await hits).map((h) => h.id), ["r299"]);
    const m = await db.get("m", { includeVectors: true });
    assert.deepEqual(m?.metadata, { tag: "as called", list: [1, 2] });
    assert.deepEqual(Array.from(m!.vector!), [1, 1, 1, 1]);
    assert.equal(await db.get("extra"), null);
    const r0 = await db.get("r0", { includeVectors: true });
    assert.equal(r0?.metadata.tag, "big");
    assert.deepEqual(Array.from(r0!.vector!), [1, 2, 3, 0]);
    const fromTx = await txRead;
    assert.deepEqual(fromTx?.metadata, { tag: "tx as called" });
    assert.deepEqual(Array.from(fromTx!.vector!), [2, 2, 2, 2]);
    const t = await db.get("t", { includeVectors: true });
    assert.deepEqual(t?.metadata, { tag: "tx as called" });
    assert.deepEqual(Array.from(t!.vector!), [2, 2, 2, 2]);
  });

  it("a call on an idle handle runs inside the call: the WAL grows before its promise is awaited", async () => {
    const path = tempDb();
    await using db = await vectlite.open(path, { dimension: 4 });
    const wal = `${path}-wal`;
    const size = () => {
      try {
        return statSync(wal).size;
      } catch {
        return 0;
      }
    };
    const before = size();
    const p = db.upsert("now", [1, 2, 3, 4]);
    assert.ok(size() > before, "the write was not made inside the call");
    await p;
  });
});

describe("close", () => {
  it("is idempotent: concurrent and later calls resolve once the handle is closed, after the calls issued before", async () => {
    const path = tempDb();
    const db = await vectlite.open(path, { dimension: 4 });
    const written = db.upsertMany(batch("c", "closing")); // a job in flight
    const read = db.count();
    const closes = [db.close(), db.close()];
    assert.equal(db.closed, true, "closed as soon as close() is called");
    const late = later(db.count());
    const settled: string[] = [];
    await Promise.all([
      written.then(() => settled.push("write")),
      read.then(() => settled.push("read")),
      ...closes.map((c) => c.then(() => settled.push("close"))),
    ]);
    assert.deepEqual(settled.slice(2), ["close", "close"], `settled in the order ${settled}`);
    assert.equal(await read, JOB);
    await rejectsWith(late, "CLOSED");
    await db.close(); // long after: resolves too
    // The handle is really closed: the lock is free.
    await using again = await vectlite.open(path);
    assert.equal(await again.count(), JOB);
  });
});
