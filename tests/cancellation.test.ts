/**
 * Long calls followed and stopped: `compact`, `snapshot`, `backup`, `restore` and
 * `bulkIngest` report their phases (`onProgress`) in order, and an abort at any reported
 * step (from the progress callback itself, so at a known place) rejects with `ABORTED` and
 * leaves the database and the destination as they were: same bytes, same records, no
 * temporary file left. So does an `onProgress` that throws, an abort before the call and an
 * abort while the call waits for its turn; `searchBatch` stops too.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import * as vectlite from "../mod.ts";
import type { Database, ProgressEvent, StoredRecord } from "../mod.ts";
import { randomVector, rejectsWith, rng, tempDb, tempDir } from "./helpers.ts";

const PHASES = ["verify", "index", "write"];

/** Checks the events of one call: phases in order, each counting up, ending at its total. */
function checkEvents(events: ProgressEvent[], phases: string[], what: string): void {
  const seen = events.map((e) => e.phase).filter((p, i, all) => i === 0 || all[i - 1] !== p);
  assert.deepEqual(seen, phases, `${what}: phases ${JSON.stringify(seen)}`);
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    assert.ok(PHASES.includes(e.phase), `${what}: phase ${e.phase}`);
    assert.ok(Number.isInteger(e.done) && e.done >= 0, `${what}: done ${e.done}`);
    if (e.total !== undefined) assert.ok(e.done <= e.total, `${what}: ${e.done} of ${e.total}`);
    const next = events[i + 1];
    if (next?.phase === e.phase) assert.ok(next.done >= e.done, `${what}: ${e.phase} went back from ${e.done} to ${next.done}`);
    if (next?.phase !== e.phase) assert.equal(e.done, e.total, `${what}: phase ${e.phase} ends at its total`);
  }
}

/** Every file under `dir` with its bytes: the state an aborted call must leave. */
function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      // A lock file's bytes are the holder's business; its presence is compared.
      else out.set(p.slice(dir.length), name.endsWith(".lock") ? "" : createHash("sha256").update(readFileSync(p)).digest("hex"));
    }
  };
  walk(dir);
  return out;
}

async function records(db: Database): Promise<StoredRecord[]> {
  const all = await db.list({ namespace: "*", includeVectors: true });
  return all.sort((a, b) => (a.namespace + "\0" + a.id < b.namespace + "\0" + b.id ? -1 : 1));
}

async function bigDatabase(): Promise<Database> {
  // About 9 MB of vectors: a write reports at 8 MiB and at its end. No graph: fast to write.
  const db = await vectlite.open(tempDb(), { dimension: 32, annThreshold: 1 << 30 });
  const rand = rng(3);
  await db.bulkIngest(Array.from({ length: 72_000 }, (_, i) => ({ id: `r${i}`, vector: randomVector(32, rand), metadata: { i } })));
  return db;
}

/**
 * Runs `call` once to learn its events, then once per event, aborting from `onProgress` at
 * that event: each must reject with ABORTED and leave `dir` (unless null: an undone ingest
 * leaves its writes and their undo in the WAL) and the records as they were.
 */
async function abortAtEachEvent(
  db: Database,
  dir: string | null,
  phases: string[],
  call: (options: { signal?: AbortSignal; onProgress: (e: ProgressEvent) => void }, attempt: number) => Promise<unknown>,
  what: string,
): Promise<void> {
  const events: ProgressEvent[] = [];
  await call({ onProgress: (e) => events.push(e) }, 0);
  checkEvents(events, phases, what);
  for (let at = 0; at < events.length; at++) {
    const before = dir === null ? null : files(dir);
    const stored = await records(db);
    const controller = new AbortController();
    let n = 0;
    const error = await rejectsWith(
      () => call({ signal: controller.signal, onProgress: () => n++ === at && controller.abort(new Error(`stop at ${at}`)) }, at + 1),
      "ABORTED",
      new RegExp(`${what} was aborted: stop at ${at}`),
    );
    assert.equal((error.cause as Error).message, `stop at ${at}`);
    if (dir !== null) assert.deepEqual(files(dir), before, `${what} aborted at event ${at} (${JSON.stringify(events[at])}) changed the files`);
    assert.deepEqual(await records(db), stored, `${what} aborted at event ${at} changed the records`);
  }
}

describe("progress and cancellation of long calls", () => {
  it("compact, snapshot, backup and restore report their phases, and an abort at any of their steps changes nothing", async () => {
    await using db = await bigDatabase();
    const dir = dirname(db.path);
    const vdb = () => statSync(db.path).size;
    const compactEvents: ProgressEvent[] = [];
    await db.compact({ onProgress: (e) => compactEvents.push(e) });
    assert.equal(compactEvents.at(-1)!.total, vdb(), "the write phase ends at the file's size");
    assert.ok(compactEvents.length >= 2, "a report every 8 MiB and at the end");

    await abortAtEachEvent(db, dir, ["write"], (o) => db.compact(o), "compact");
    await abortAtEachEvent(db, dir, ["write"], (o) => db.compact({ ...o, quantization: "int8" }), "compact");
    assert.equal((await db.stats()).quantization, "int8", "the unaborted conversion took");
    // An aborted conversion keeps the quantization the database had.
    const controller = new AbortController();
    await rejectsWith(() => db.compact({ quantization: "none", signal: controller.signal, onProgress: () => controller.abort() }), "ABORTED");
    assert.equal((await db.stats()).quantization, "int8");
    await abortAtEachEvent(db, dir, ["write"], (o, attempt) => db.snapshot(join(dir, `copy${attempt}.vdb`), o), "snapshot");
    // Over an existing snapshot: the old one stays whole.
    await abortAtEachEvent(db, dir, ["write"], (o) => db.snapshot(join(dir, "copy0.vdb"), { ...o, overwrite: true }), "snapshot");
    await abortAtEachEvent(db, dir, ["write"], (o, attempt) => db.backup(join(dir, `bk${attempt}`), o), "backup");
    await abortAtEachEvent(db, dir, ["write"], (o) => db.backup(join(dir, "bk0"), { ...o, overwrite: true }), "backup");
    assert.ok(!existsSync(join(dir, "bk1")), "an aborted backup removes the directory it created");
    await abortAtEachEvent(db, dir, ["verify", "write"], async (o, attempt) => {
      const restored = await vectlite.restore(join(dir, "bk0"), join(dir, `restored${attempt}.vdb`), o);
      await restored.close();
    }, "restore");
    await abortAtEachEvent(db, dir, ["verify", "write"], async (o) => {
      const restored = await vectlite.restore(join(dir, "bk0"), join(dir, "restored0.vdb"), { ...o, overwrite: true });
      await restored.close();
    }, "restore");
    // What was written whole is sound.
    await using copy = await vectlite.open(join(dir, "copy0.vdb"), { readOnly: true });
    assert.equal(await copy.count(), 72_000);
    await using restored = await vectlite.open(join(dir, "restored0.vdb"), { readOnly: true });
    assert.deepEqual(await records(restored), await records(db));
  });

  it("bulkIngest reports writes then index inserts, and an abort at any step undoes every batch that landed", async () => {
    const DIM = 16;
    await using db = await vectlite.open(tempDb(), { dimension: DIM, annThreshold: 100 });
    const rand = rng(8);
    await db.upsertMany(Array.from({ length: 2_000 }, (_, i) => ({ id: `old${i}`, vector: randomVector(DIM, rand), metadata: { v: 1 } })));
    await db.upsertMany([{ id: "other", vector: randomVector(DIM, rand), metadata: { ns: true } }], { namespace: "ns" });
    // New records, and 500 that replace existing ones (the undo must bring their old versions back).
    const batch = [
      ...Array.from({ length: 9_500 }, (_, i) => ({ id: `new${i}`, vector: randomVector(DIM, rand), metadata: { v: 2 } })),
      ...Array.from({ length: 500 }, (_, i) => ({ id: `old${i}`, vector: randomVector(DIM, rand), metadata: { v: 2 }, text: "replaced" })),
    ];
    const first = await records(db);
    let ingested = 0;
    await abortAtEachEvent(db, null, ["write", "index"], async (o, attempt) => {
      if (attempt > 0) {
        await db.bulkIngest(batch, { ...o, batchSize: 2_500 });
        return;
      }
      // The unaborted run, on a copy of the data (the others must see the original state).
      await using other = await vectlite.open(join(tempDir(), "other.vdb"), { dimension: DIM, annThreshold: 100 });
      await other.upsertMany(first.map((r) => ({ ...r, vector: r.vector! })));
      ingested = await other.bulkIngest(batch, { ...o, batchSize: 2_500 });
    }, "bulkIngest");
    assert.equal(ingested, 10_000);
    // Still searchable through its graph, and an ingest now goes through.
    const stats = await db.stats();
    assert.equal(stats.namespaces[""].records, 2_000);
    assert.equal(await db.bulkIngest(batch, { batchSize: 2_500 }), 10_000);
    assert.equal(await db.count(), 11_500);
    assert.deepEqual((await db.get("old3"))?.metadata, { v: 2 });
    const { stats: s } = await db.searchWithStats(batch[42].vector, { k: 1 });
    assert.equal(s.plan, "hnsw");
  });

  it("an abort before the call or while it waits for its turn rejects at once and does nothing", async () => {
    await using db = await bigDatabase();
    const dir = dirname(db.path);
    const before = files(dir);
    await rejectsWith(() => db.snapshot(join(dir, "s.vdb"), { signal: AbortSignal.abort() }), "ABORTED", /snapshot was aborted/);
    await rejectsWith(() => db.compact({ signal: AbortSignal.abort() }), "ABORTED");
    await rejectsWith(() => db.bulkIngest([{ id: "x", vector: new Float32Array(32) }], { signal: AbortSignal.abort() }), "ABORTED");
    await rejectsWith(() => vectlite.restore(dir, join(dir, "r.vdb"), { signal: AbortSignal.abort() }), "ABORTED");
    assert.deepEqual(files(dir), before);
    // Queued behind a long call: rejected before that call ends, and never run.
    const controller = new AbortController();
    let ingestDone = false;
    const ingest = db.bulkIngest(Array.from({ length: 20_000 }, (_, i) => ({ id: `q${i}`, vector: new Float32Array(32).fill(i) })), { batchSize: 1_000 })
      .then(() => ingestDone = true);
    const snap = db.snapshot(join(dir, "queued.vdb"), { signal: controller.signal });
    controller.abort();
    await rejectsWith(() => snap, "ABORTED");
    assert.equal(ingestDone, false, "the abort did not wait for the call before it");
    await ingest;
    await db.count(); // every call issued so far has run
    assert.ok(!existsSync(join(dir, "queued.vdb")), "the aborted snapshot never ran");
  });

  it("an onProgress that throws stops the call, which rejects with what it threw", async () => {
    await using db = await bigDatabase();
    const dir = dirname(db.path);
    const before = files(dir);
    const boom = new Error("boom");
    await assert.rejects(() => db.compact({ onProgress: () => { throw boom; } }), (e) => e === boom);
    await assert.rejects(() => db.backup(join(dir, "bk"), { onProgress: () => { throw boom; } }), (e) => e === boom);
    assert.deepEqual(files(dir), before);
    const stored = await records(db);
    await assert.rejects(
      () => db.bulkIngest([{ id: "r1", vector: new Float32Array(32), metadata: { changed: true } }], { onProgress: () => { throw boom; } }),
      (e) => e === boom,
    );
    assert.deepEqual(await records(db), stored, "the ingest was undone");
  });

  it("an abort the records' source sees first, or an onProgress promise that rejects, undoes the ingest too", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 4 });
    await db.upsertMany([{ id: "keep", vector: [1, 0, 0, 0], metadata: { v: 1 } }]);
    const stored = await records(db);
    const controller = new AbortController();
    async function* source() {
      for (let i = 0; i < 10_000; i++) {
        if (i === 2_500) controller.abort(new Error("enough"));
        // A source that shares the signal (its own fetch, say) fails first.
        if (controller.signal.aborted) throw new Error("the source was aborted too");
        yield { id: i === 7 ? "keep" : `s${i}`, vector: [i, 1, 0, 0] };
      }
    }
    await rejectsWith(() => db.bulkIngest(source(), { signal: controller.signal, batchSize: 1_000 }), "ABORTED", /bulkIngest was aborted: enough/);
    assert.deepEqual(await records(db), stored);
    const boom = new Error("async boom");
    await assert.rejects(
      () => db.bulkIngest([{ id: "keep", vector: [0, 1, 0, 0] }, { id: "new", vector: [0, 0, 1, 0] }], { batchSize: 1, onProgress: async () => { throw boom; } }),
      (e) => e === boom,
    );
    assert.deepEqual(await records(db), stored);
  });

  it("an aborted backup removes every directory it created; an aborted snapshot adds no lock file beside an existing one", async () => {
    await using db = await bigDatabase();
    const dir = dirname(db.path);
    const controller = new AbortController();
    await rejectsWith(() => db.backup(join(dir, "a", "b", "c"), { signal: controller.signal, onProgress: () => controller.abort() }), "ABORTED");
    assert.ok(!existsSync(join(dir, "a")), "the nested directories created for the backup are gone");
    await db.snapshot(join(dir, "old.vdb"));
    rmSync(join(dir, "old.vdb.lock"));
    const before = files(dir);
    const again = new AbortController();
    await rejectsWith(() => db.snapshot(join(dir, "old.vdb"), { overwrite: true, signal: again.signal, onProgress: () => again.abort() }), "ABORTED");
    assert.deepEqual(files(dir), before);
  });

  it("searchBatch stops with ABORTED", async () => {
    await using db = await bigDatabase();
    const rand = rng(4);
    const queries = Array.from({ length: 3_000 }, () => randomVector(32, rand));
    await rejectsWith(() => db.searchBatch(queries, { k: 5, signal: AbortSignal.abort() }), "ABORTED", /searchBatch was aborted/);
    const controller = new AbortController();
    const batch = db.searchBatch(queries, { k: 5, signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    // 3,000 exact searches of 72,000 vectors take far longer than 5 ms on this machine's cores.
    await rejectsWith(() => batch, "ABORTED");
    assert.equal((await db.searchBatch(queries.slice(0, 3), { k: 5 })).length, 3, "the pool goes on serving");
  });

  it("refuses a bad signal, onProgress or option", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    const dir = dirname(db.path);
    await rejectsWith(() => db.compact({ signal: {} as never }), "INVALID_ARGUMENT", /compact: signal must be an AbortSignal/);
    await rejectsWith(() => db.compact({ onProgress: 5 as never }), "INVALID_ARGUMENT", /compact: onProgress must be a function/);
    await rejectsWith(() => db.backup(join(dir, "b"), { overwite: true } as never), "INVALID_ARGUMENT", /unknown backup option "overwite"/);
    await rejectsWith(() => db.snapshot(join(dir, "s"), { signal: "no" as never }), "INVALID_ARGUMENT", /signal/);
    await rejectsWith(() => db.bulkIngest([], { onProgress: "no" as never }), "INVALID_ARGUMENT", /onProgress/);
    await rejectsWith(() => db.searchBatch([[1, 2]], { signal: 1 as never }), "INVALID_ARGUMENT", /signal/);
  });
});
