/**
 * importPython: databases of the Python vectlite package (snapshot versions 1 to 7, their
 * WAL in three upsert layouts) converted into databases of this project. The inputs come from
 * tests/python-vdb-writer.ts, a writer made from the format's description; no file written by
 * the Python package itself was available. Each import is compared with a plain model
 * (tests/python-fixtures.ts).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import * as vectlite from "../mod.ts";
import { PyRecords } from "../src/python-import/apply.ts";
import { readSnapshot } from "../src/python-import/snapshot.ts";
import { readWal } from "../src/python-import/wal.ts";
import { childProgram, fixture, rejectsWith, runtimeCommand, tempDir } from "./helpers.ts";
import {
  type ExpectedRecord,
  expectedRecords,
  FIXTURE_DIMENSION,
  fixtureFiles,
  fixtureModel,
  fixtureSpec,
  FUTURE,
  modelJson,
  PAST,
  replayModel,
} from "./python-fixtures.ts";
import { byteOrder, Bytes, type Dialect, F64, Raw, type WOp, type WRecord, type WValue, walFile, walFrame, writeSnapshot } from "./python-vdb-writer.ts";

/** A Python database in a fresh directory: `old.vdb`, and its WAL and `.quant` when given. */
function pyDb(vdb: Uint8Array, wal?: Uint8Array, quant?: Uint8Array): { source: string; dest: string; dir: string } {
  const dir = tempDir();
  const source = join(dir, "old.vdb");
  writeFileSync(source, vdb);
  if (wal) writeFileSync(`${source}.wal`, wal);
  if (quant) writeFileSync(`${source}.quant`, quant);
  return { source, dest: join(dir, "new.vdb"), dir };
}

const bits = (v: Float32Array) => Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));
const nsKey = (namespace: string, id: string) => JSON.stringify([namespace, id]);

/** Asserts that the database at `dest` holds exactly `expected`, vectors bit for bit. */
async function assertHolds(dest: string, expected: ExpectedRecord[]): Promise<void> {
  await using db = await vectlite.open(dest, { readOnly: true });
  assert.equal(await db.size(), expected.length, "record count");
  assert.deepStrictEqual(await db.namespaces(), [...new Set(expected.map((e) => e.namespace))].sort(byteOrder), "namespaces, in UTF-8 byte order");
  for (const e of expected) {
    const got = await db.get(e.id, { namespace: e.namespace, includeVectors: true }) as vectlite.StoredRecord & Record<string, unknown>;
    const where = `${e.namespace}/${e.id}`;
    assert.ok(got, `${where} is missing`);
    assert.deepStrictEqual(got.metadata, e.metadata, `${where} metadata`);
    assert.deepStrictEqual(bits(got.vector!), bits(e.vector), `${where} vector`);
    assert.deepStrictEqual(got.sparse, e.sparse, `${where} sparse`);
    assert.deepStrictEqual(Object.keys(got.vectors ?? {}).sort(), Object.keys(e.vectors ?? {}).sort(), `${where} named vectors`);
    for (const [name, v] of Object.entries(e.vectors ?? {})) assert.deepStrictEqual(bits(got.vectors![name]), bits(v), `${where} ${name}`);
    // Compared where the stored record reports them.
    if ("expiresAt" in got) assert.equal(got.expiresAt ?? undefined, e.expiresAtMs, `${where} expiresAt`);
    if ("multiVectors" in got && got.multiVectors !== undefined) {
      const mv = got.multiVectors as Record<string, Float32Array[]>;
      assert.deepStrictEqual(Object.fromEntries(Object.entries(mv).map(([n, ts]) => [n, ts.map(bits)])), Object.fromEntries(Object.entries(e.multiVectors ?? {}).map(([n, ts]) => [n, ts.map(bits)])), `${where} multiVectors`);
    }
  }
}

/** Imports fixture `version` and compares it with its model. */
async function importFixture(version: number): Promise<void> {
  const dir = tempDir();
  for (const f of ["old.vdb", "old.vdb.wal"]) copyFileSync(fixture(`python/v${version}/${f}`), join(dir, f));
  const spec = fixtureSpec(version);
  const result = await vectlite.importPython(join(dir, "old.vdb"), join(dir, "new.vdb"));
  const { records, expired } = expectedRecords(fixtureModel(spec), Date.now());
  assert.deepStrictEqual(
    { ...result, namespaces: result.namespaces.length },
    {
      records: records.length,
      namespaces: new Set(records.map((r) => r.namespace)).size,
      expired,
      walFrames: spec.frames.length,
      walOps: spec.frames.flat().length,
      tornTail: true,
      snapshotVersion: version,
      dimension: FIXTURE_DIMENSION,
      metric: version < 6 ? "cosine" : version === 6 ? "l2" : "manhattan",
      quantization: null,
    },
  );
  await assertHolds(join(dir, "new.vdb"), records);
  await using db = await vectlite.open(join(dir, "new.vdb"));
  for (const r of records) {
    const hits = await db.search(r.vector, { k: 1, namespace: r.namespace });
    assert.equal(hits[0]?.id, r.id, `a search for ${r.id}'s own vector finds it first (${db.metric})`);
  }
}

describe("importPython: fixtures", () => {
  it("the committed fixtures are what the test writer writes (scripts/make-python-fixtures.ts)", () => {
    for (let v = 1; v <= 7; v++) {
      const { vdb, wal } = fixtureFiles(fixtureSpec(v));
      assert.deepStrictEqual(new Uint8Array(readFileSync(fixture(`python/v${v}/old.vdb`))), vdb, `v${v} old.vdb`);
      assert.deepStrictEqual(new Uint8Array(readFileSync(fixture(`python/v${v}/old.vdb.wal`))), wal, `v${v} old.vdb.wal`);
    }
  });

  it("reads every fixture version's snapshot and WAL, multi-vectors and expiries included, as the model says", () => {
    for (let v = 1; v <= 7; v++) {
      const spec = fixtureSpec(v);
      const snap = readSnapshot(readFileSync(fixture(`python/v${v}/old.vdb`)), "old.vdb");
      const wal = readWal(readFileSync(fixture(`python/v${v}/old.vdb.wal`)), "old.vdb.wal", snap.dimension);
      assert.equal(snap.version, v);
      assert.equal(wal.frames.length, spec.frames.length);
      assert.ok(wal.tornAt !== null);
      const state = new PyRecords();
      for (const r of snap.records) state.upsert(r);
      for (const f of wal.frames) for (const op of f.ops) state.apply(op);
      const model = fixtureModel(spec);
      assert.equal(state.size, model.size, `v${v} count`);
      for (const [k, m] of model) {
        const [ns, id] = JSON.parse(k);
        const r = state.get(ns, id)!;
        assert.ok(r, `v${v} ${k}`);
        assert.deepStrictEqual(bits(r.vector), bits(Float32Array.from(m.vector)));
        assert.equal(r.expiresAt, m.expiresAt ?? 0, `v${v} ${k} expiry`);
        assert.deepStrictEqual(r.metadata, modelJson(m.metadata ?? {}), `v${v} ${k} metadata`);
        assert.deepStrictEqual(r.sparse, Object.fromEntries(Object.entries(m.sparse ?? {}).map(([t, w]) => [t, Math.fround(w)])), `v${v} ${k} sparse`);
        assert.deepStrictEqual(Object.fromEntries(Object.entries(r.vectors).map(([n, x]) => [n, bits(x)])), Object.fromEntries(Object.entries(m.vectors ?? {}).map(([n, x]) => [n, bits(Float32Array.from(x))])), `v${v} ${k} named`);
        const multi = Object.fromEntries(Object.entries(m.multiVectors ?? {}).map(([n, ts]) => [n, ts.map((t) => bits(Float32Array.from(t)))]));
        assert.deepStrictEqual(Object.fromEntries(Object.entries(r.multiVectors).map(([n, ts]) => [n, ts.map(bits)])), multi, `v${v} ${k} multi`);
      }
    }
  });

  for (const v of [1, 2, 3, 4]) {
    it(`imports fixture v${v}: records, namespaces, sparse, named vectors, WAL replay, torn tail; search works`, () => importFixture(v));
  }
  it("imports fixture v5", () => importFixture(5));
  it("imports fixture v6", () => importFixture(6));
  it("imports fixture v7", () => importFixture(7));
});

/** Imports `records` + `frames` written as version `version` and compares with the model. */
async function roundTrip(version: number, records: WRecord[], frames: { dialect: Dialect; ops: WOp[] }[], options: { metric?: number; largeIntegers?: "error" | "string" } = {}) {
  const vdb = writeSnapshot({ version, dimension: FIXTURE_DIMENSION, metric: options.metric, records }).bytes;
  const wal = frames.length ? walFile(frames.map((f) => walFrame(f.dialect, f.ops))) : undefined;
  const { source, dest } = pyDb(vdb, wal);
  const result = await vectlite.importPython(source, dest, options.largeIntegers ? { largeIntegers: options.largeIntegers } : {});
  let state = replayModel(version, records, []);
  // Version 7 keeps every field of the records replayed so far.
  for (const f of frames) state = replayModel(7, [...state.values()], f.ops, f.dialect);
  const expected = expectedRecords(state, Date.now(), options.largeIntegers);
  assert.equal(result.records, expected.records.length);
  assert.equal(result.expired, expected.expired);
  await assertHolds(dest, expected.records);
  return { result, dest };
}

const rec = (id: string, vector: number[], extra: Partial<WRecord> = {}): WRecord => ({ id, vector, ...extra });

describe("importPython: versions, metrics and replay", () => {
  it("versions 5 to 7 without multi-vectors or future expiries: sparse, named vectors, metric, a past expiry skipped", async () => {
    for (const version of [5, 6, 7]) {
      const records = [
        rec("a", [1, 2, 3, 4], { namespace: "x", metadata: { k: "v" }, sparse: { t: 1.5 }, vectors: { title: [0, 1, 0, 1] } }),
        rec("b", [4, 3, 2, 1], { metadata: { n: new F64(3) }, multiVectors: { empty: [] } }),
        rec("gone", [1, 1, 1, 1], { expiresAt: PAST }),
      ];
      const { result } = await roundTrip(version, records, [], { metric: 2 });
      assert.equal(result.metric, version >= 6 ? "dot" : "cosine");
      assert.equal(result.expired, version >= 7 ? 1 : 0);
    }
  });

  it("a record expiring in the future is written with expiresAt in epoch milliseconds", async () => {
    const records = [rec("later", [1, 2, 3, 4], { expiresAt: FUTURE }), rec("frac", [4, 3, 2, 1], { expiresAt: FUTURE + 0.0005 }), rec("never", [1, 1, 1, 1])];
    const { result, dest } = await roundTrip(7, records, [{ dialect: "v7", ops: [{ op: "set-ttl", namespace: "", id: "never", expiresAt: FUTURE }] }]);
    assert.deepStrictEqual([result.records, result.expired], [3, 0]);
    await using db = await vectlite.open(dest, { readOnly: true });
    const expiry = async (id: string) => ((await db.get(id)) as { expiresAt?: number } | null)?.expiresAt;
    assert.deepStrictEqual([await expiry("later"), await expiry("frac"), await expiry("never")], [FUTURE * 1000, Math.round((FUTURE + 0.0005) * 1000), FUTURE * 1000]);
  });

  it("multi-vectors are written, spaces without tokens left out", async () => {
    const records = [rec("m", [1, 2, 3, 4], { multiVectors: { colbert: [[1, 2], [3, 4], [5, 6]], empty: [] } }), rec("plain", [1, 1, 1, 1])];
    const { dest } = await roundTrip(6, records, [{ dialect: "v5", ops: [{ op: "upsert", record: rec("w", [2, 2, 2, 2], { multiVectors: { other: [[1, 0, 0, 1, 0]] } }) }] }]);
    await using db = await vectlite.open(dest, { readOnly: true });
    const multi = async (id: string) => {
      const got = (await db.get(id, { includeVectors: true })) as { multiVectors?: Record<string, Float32Array[]> } | null;
      return got?.multiVectors && Object.fromEntries(Object.entries(got.multiVectors).map(([n, ts]) => [n, ts.map((t) => Array.from(t))]));
    };
    assert.deepStrictEqual([await multi("m"), await multi("w"), await multi("plain")], [{ colbert: [[1, 2], [3, 4], [5, 6]] }, { other: [[1, 0, 0, 1, 0]] }, undefined]);
  });

  it("maps the metric byte: 0 cosine, 1 euclidean -> l2, 2 dotproduct -> dot, 3 manhattan", async () => {
    for (const [byte, metric] of [[0, "cosine"], [1, "l2"], [2, "dot"], [3, "manhattan"]] as const) {
      const { source, dest } = pyDb(writeSnapshot({ version: 6, dimension: 2, metric: byte, records: [rec("a", [1, 2])] }).bytes);
      assert.equal((await vectlite.importPython(source, dest)).metric, metric);
      await using db = await vectlite.open(dest, { readOnly: true });
      assert.equal(db.metric, metric);
    }
  });

  it("replays each WAL operation with upstream's semantics", async () => {
    const records = [
      rec("keep", [1, 0, 0, 0], { metadata: { a: 1, b: { c: 2 } }, sparse: { s: 1 }, vectors: { t: [1, 1, 1, 1] } }),
      rec("replace", [0, 1, 0, 0], { metadata: { old: true }, sparse: { gone: 1 }, vectors: { t: [2, 2, 2, 2] } }),
      rec("del", [0, 0, 1, 0]),
      rec("revive", [0, 0, 0, 1], { expiresAt: PAST }),
      rec("expire", [1, 1, 0, 0]),
    ];
    const ops: WOp[] = [
      { op: "upsert", record: rec("replace", [5, 5, 5, 5], { metadata: { fresh: 1 } }) }, // whole record replaced
      { op: "delete", namespace: "", id: "del" },
      { op: "delete", namespace: "", id: "del" }, // absent: nothing
      { op: "update-metadata", namespace: "", id: "keep", metadata: { b: { d: 3 }, z: null } }, // keys merged, maps replaced whole
      { op: "update-metadata", namespace: "", id: "nobody", metadata: { x: 1 } }, // ignored, creates nothing
      { op: "set-ttl", namespace: "", id: "revive", expiresAt: 0 }, // cleared: visible again
      { op: "set-ttl", namespace: "", id: "expire", expiresAt: PAST },
      { op: "set-ttl", namespace: "", id: "nobody", expiresAt: PAST }, // ignored
      { op: "upsert", record: rec("new", [2, 2, 2, 2], { namespace: "other" }) },
    ];
    const { result, dest } = await roundTrip(7, records, [{ dialect: "v7", ops: ops.slice(0, 4) }, { dialect: "v7", ops: ops.slice(4) }]);
    assert.deepStrictEqual({ frames: result.walFrames, ops: result.walOps, expired: result.expired, torn: result.tornTail }, { frames: 2, ops: 9, expired: 1, torn: false });
    await using db = await vectlite.open(dest, { readOnly: true });
    assert.deepStrictEqual((await db.get("keep"))?.metadata, { a: 1, b: { d: 3 }, z: null });
    assert.equal((await db.get("replace"))?.sparse, undefined);
    assert.equal(await db.get("nobody"), null);
    assert.deepStrictEqual((await db.list({ namespace: "*" })).map((r) => r.id), ["keep", "replace", "revive", "new"]);
  });

  it("drops a torn last frame: an end of file inside the length, inside the body, inside the magic", async () => {
    const vdb = writeSnapshot({ version: 4, dimension: 4, records: [rec("a", [1, 2, 3, 4])] }).bytes;
    const frame = walFrame("v4", [{ op: "upsert", record: rec("b", [4, 3, 2, 1]) }]);
    const cases: [Uint8Array | undefined, number, boolean][] = [
      [undefined, 1, false], // no WAL
      [new Uint8Array(0), 1, false],
      [new TextEncoder().encode("VW"), 1, true],
      [walFile([]), 1, false],
      [walFile([frame]), 2, false],
      [walFile([frame], frame.subarray(0, 2)), 2, true],
      [walFile([frame], frame.subarray(0, frame.length - 1)), 2, true],
      [walFile([], new Bytes().u32(0xffffffff).u32(1).toBytes()), 1, true], // a length past the end: never allocated
    ];
    for (const [wal, count, torn] of cases) {
      const { source, dest } = pyDb(vdb, wal);
      const result = await vectlite.importPython(source, dest);
      assert.deepStrictEqual([result.records, result.tornTail], [count, torn], `WAL ${wal?.length} bytes`);
    }
  });

  it("detects each frame's upsert layout, whatever the snapshot's version", async () => {
    const v7rec = rec("seven", [1, 0, 0, 1], { namespace: "n", sparse: { w: 2 }, vectors: { t: [1, 2, 3, 4] }, expiresAt: 0 });
    const frames: { dialect: Dialect; ops: WOp[] }[] = [
      { dialect: "v4", ops: [{ op: "upsert", record: rec("four", [1, 2, 3, 4], { metadata: { x: "y" }, vectors: { t: [0, 0, 0, 1] } }) }] },
      { dialect: "v7", ops: [{ op: "upsert", record: v7rec }, { op: "delete", namespace: "", id: "base" }] },
      { dialect: "v5", ops: [{ op: "upsert", record: rec("five", [0, 1, 1, 0], { multiVectors: { m: [] } }) }] },
    ];
    for (const version of [4, 7]) {
      const records = [rec("base", [1, 1, 1, 1])];
      await roundTrip(version, records, frames);
      const wal = readWal(walFile(frames.map((f) => walFrame(f.dialect, f.ops))), "old.vdb.wal", 4);
      assert.deepStrictEqual(wal.frames.map((f) => f.dialect), ["v4", "v7", "v5"]);
    }
  });
});

/** Expects `CORRUPT` naming `file` at byte `offset` with `pattern` in the message. */
async function corrupt(vdb: Uint8Array, wal: Uint8Array | undefined, file: "old.vdb" | "old.vdb.wal", offset: number, pattern: RegExp) {
  const { source, dest, dir } = pyDb(vdb, wal);
  const e = await rejectsWith(() => vectlite.importPython(source, dest), "CORRUPT", pattern);
  assert.equal(e.path, join(dir, file));
  assert.equal(e.offset, offset, e.message);
  assert.ok(e.message.startsWith(`${join(dir, file)}: at byte ${offset}`), e.message);
  assert.ok(!existsSync(dest), "nothing was created");
}

describe("importPython: damaged input", () => {
  // Record "a" is padded so that a cut inside record "b" leaves more than the least two records take.
  const good = () => writeSnapshot({ version: 7, dimension: 4, records: [rec("a", [1, 2, 3, 4], { metadata: { pad: "x".repeat(60) } }), rec("b", [1, 2, 3, 4], { namespace: "ns" })] });
  const patched = (bytes: Uint8Array, at: number, values: number[]) => {
    const out = bytes.slice();
    out.set(values, at);
    return out;
  };

  it("refuses a bad header: magic, version 0 and 8, dimension 0, unknown metric, a record count past the file", async () => {
    const { bytes } = good();
    await corrupt(patched(bytes, 0, [0x56, 0x44, 0x42, 0x32]), undefined, "old.vdb", 0, /does not start with "VDB1"/);
    await corrupt(new Uint8Array([0x56, 0x44]), undefined, "old.vdb", 0, /does not start with "VDB1"/);
    await corrupt(patched(bytes, 4, [0, 0]), undefined, "old.vdb", 4, /unsupported snapshot version 0/);
    await corrupt(patched(bytes, 4, [8, 0]), undefined, "old.vdb", 4, /unsupported snapshot version 8 \(versions 1 to 7/);
    await corrupt(patched(bytes, 6, [0, 0, 0, 0]), undefined, "old.vdb", 6, /dimension is 0/);
    await corrupt(patched(bytes, 10, [4]), undefined, "old.vdb", 10, /unknown metric 4/);
    await corrupt(patched(bytes, 11, [255, 255, 255, 255, 255, 255, 255, 255]), undefined, "old.vdb", 11, /18446744073709551615 records need at least/);
    await corrupt(bytes.subarray(0, 15), undefined, "old.vdb", 11, /truncated: the record count needs 8 bytes/);
  });

  it("refuses damaged records, naming the record, its id and namespace once read", async () => {
    const { bytes, recordOffsets } = good();
    const at = recordOffsets[1];
    await corrupt(bytes.subarray(0, at + 10), undefined, "old.vdb", at + 10, /\(record 1\): truncated: an id needs 1 bytes, but the file ends here$/);
    const cut = bytes.subarray(0, bytes.length - 3);
    await corrupt(cut, undefined, "old.vdb", bytes.length - 8, /\(record 1: record "b" in namespace "ns"\): truncated: the expiry needs 8 bytes, but the file ends after 5$/);
    const badId = writeSnapshot({ version: 7, dimension: 4, records: [rec("a", [1, 2, 3, 4], { id: new Raw(new Uint8Array([2, 0, 0, 0, 0xc3, 0x28])) })] });
    await corrupt(badId.bytes, undefined, "old.vdb", badId.recordOffsets[0] + 8, /\(record 0\): an id is not valid UTF-8$/);
    const wrongLen = writeSnapshot({ version: 3, dimension: 4, records: [rec("a", [1, 2, 3, 4, 5])] });
    await corrupt(wrongLen.bytes, undefined, "old.vdb", wrongLen.recordOffsets[0] + 13, /\(record 0: record "a" in namespace ""\): the vector has 5 values, the database's dimension is 4$/);
    const named = writeSnapshot({ version: 4, dimension: 4, records: [rec("a", [1, 2, 3, 4], { vectors: { t: [1, 2, 3, 4, 5, 6] } })] });
    await corrupt(named.bytes, undefined, "old.vdb", named.bytes.length - 32, /\): named vector "t" has 6 values, the database's dimension is 4$/);
    const tag = writeSnapshot({ version: 2, dimension: 4, records: [rec("a", [1, 2, 3, 4], { metadata: { x: { y: [1, new Raw(new Uint8Array([9]))] } } })] });
    await corrupt(tag.bytes, undefined, "old.vdb", tag.recordOffsets[0] + 42, /unknown metadata value tag 9 \(metadata x\.y\[1\]\)/);
    const huge = writeSnapshot({ version: 2, dimension: 4, records: [rec("a", [1, 2, 3, 4], { metadata: { x: new Raw(new Uint8Array([6, 255, 255, 255, 255])) } })] });
    await corrupt(huge.bytes, undefined, "old.vdb", huge.recordOffsets[0] + 19, /4294967295 list items need at least 4294967295 bytes/);
    const emptyName = writeSnapshot({ version: 4, dimension: 4, records: [rec("a", [1, 2, 3, 4], { vectors: { "": [1, 2, 3, 4] } })] });
    await corrupt(emptyName.bytes, undefined, "old.vdb", emptyName.bytes.length - 28, /a named vector has an empty name/);
    const multi = writeSnapshot({ version: 5, dimension: 4, records: [rec("a", [1, 2, 3, 4], { multiVectors: { m: [] } })] });
    const m = patched(multi.bytes, multi.bytes.length - 4, [5, 0, 0, 0]);
    await corrupt(m, undefined, "old.vdb", multi.bytes.length - 8, /multi-vector space "m" has 5 tokens of dimension 0/);
  });

  it("refuses a bad WAL: its magic, a complete frame no upsert layout fits, an unknown operation", async () => {
    const { bytes } = good();
    const up = { op: "upsert" as const, record: rec("c", [1, 2, 3, 4]) };
    await corrupt(bytes, new TextEncoder().encode("VWL2"), "old.vdb.wal", 0, /does not start with "VWL1"/);
    const ok = walFrame("v7", [up]);
    const extra = walFrame("v7", [up], { extra: new Uint8Array(3) });
    await corrupt(bytes, walFile([ok, extra]), "old.vdb.wal", 4 + ok.length, /the WAL frame of \d+ bytes fits none of the upsert layouts \(as v7.*3 bytes are left over/);
    await corrupt(bytes, walFile([walFrame("v4", [{ op: "raw", bytes: new Uint8Array([7, 0, 0, 0, 0, 0, 0, 0, 0]) }])]), "old.vdb.wal", 4, /fits none.*unknown operation tag 7/);
    await corrupt(bytes, walFile([new Uint8Array(4)]), "old.vdb.wal", 4, /frame of 0 bytes fits none/);
    await corrupt(bytes, walFile([walFrame("v4", [], { opCount: 1_000_000 })]), "old.vdb.wal", 4, /1000000 operations need at least 9000000 bytes/);
  });

  it("refuses any random damage with CORRUPT or INVALID_ARGUMENT, never a crash or a hang", async () => {
    const { vdb: bytes, wal } = fixtureFiles(fixtureSpec(7));
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.boolean(), (inWal, at, noise, cut) => {
        const target = (inWal ? wal : bytes).slice();
        const pos = at % target.length;
        target.set(noise.subarray(0, target.length - pos), pos);
        const damaged = cut ? target.subarray(0, pos) : target;
        try {
          const snap = readSnapshot(inWal ? bytes : damaged, "old.vdb");
          readWal(inWal ? damaged : wal, "old.vdb.wal", snap.dimension);
        } catch (e) {
          assert.ok(e instanceof vectlite.VectLiteError && (e.code === "CORRUPT" || e.code === "INVALID_ARGUMENT"), String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("importPython: metadata values", () => {
  const BIG = 2n ** 63n - 1n;

  it("refuses an integer beyond ±(2^53 - 1) naming the record and key path, or imports it as a string when asked", async () => {
    const records = [
      rec("a", [1, 2, 3, 4], { namespace: "ns", metadata: { edge: Number.MAX_SAFE_INTEGER, low: -Number.MAX_SAFE_INTEGER, deep: { list: [1, BIG] } } }),
      rec("b", [1, 2, 3, 4], { metadata: { small: -(2n ** 63n) } }),
    ];
    const { source, dest } = pyDb(writeSnapshot({ version: 7, dimension: 4, records }).bytes);
    const e = await rejectsWith(
      () => vectlite.importPython(source, dest),
      "INVALID_ARGUMENT",
      /^record "b" in namespace "": metadata\.small is the integer -9223372036854775808, beyond .*largeIntegers: "string"/,
    );
    assert.equal(e.id, "b");
    assert.ok(!existsSync(dest), "nothing was created");
    const converted = await roundTrip(7, records, [], { largeIntegers: "string" });
    await using db = await vectlite.open(converted.dest, { readOnly: true });
    assert.deepStrictEqual((await db.get("a", { namespace: "ns" }))?.metadata, { edge: 9007199254740991, low: -9007199254740991, deep: { list: [1, "9223372036854775807"] } });
  });

  it("refuses a large integer merged in by the WAL, and names the path of one nested in the record", async () => {
    const frames = [{ dialect: "v4" as const, ops: [{ op: "update-metadata" as const, namespace: "t", id: "a", metadata: { n: [{ v: 2n ** 60n }] } }] }];
    const vdb = writeSnapshot({ version: 4, dimension: 4, records: [rec("a", [1, 2, 3, 4], { namespace: "t" })] }).bytes;
    const { source, dest } = pyDb(vdb, walFile(frames.map((f) => walFrame(f.dialect, f.ops))));
    await rejectsWith(() => vectlite.importPython(source, dest), "INVALID_ARGUMENT", /^record "a" in namespace "t": metadata\.n\[0\]\.v is the integer 1152921504606846976/);
    await roundTrip(4, [rec("a", [1, 2, 3, 4], { namespace: "t" })], frames, { largeIntegers: "string" });
  });

  it("refuses NaN and infinities as a write here does, naming the place; an expired record is not checked", async () => {
    await using own = await vectlite.open(join(tempDir(), "own.vdb"), { dimension: 4 });
    await rejectsWith(() => own.upsert("x", [1, 2, 3, 4], { score: NaN }), "INVALID_ARGUMENT", /metadata\.score is NaN, which JSON cannot hold/);
    const cases: [Partial<WRecord>, RegExp][] = [
      [{ metadata: { score: new F64(NaN) } }, /^record "a" in namespace "n": metadata\.score is NaN, which JSON cannot hold/],
      [{ metadata: { l: [new F64(-Infinity)] } }, /^record "a" in namespace "n": metadata\.l\[0\] is -Infinity, which JSON cannot hold/],
      [{ vector: [1, NaN, 3, 4] }, /^record "a" in namespace "n": the vector has a non-finite value \(NaN\) at index 1/],
      [{ vectors: { t: [1, 2, Infinity, 4] } }, /^record "a" in namespace "n": named vector "t" has a non-finite value \(Infinity\) at index 2/],
      [{ sparse: { w: NaN } }, /^record "a" in namespace "n": sparse term "w" has the weight NaN/],
      [{ id: "" }, /^record "" in namespace "n": the id is empty/],
      [{ namespace: "*" }, /^record "a" in namespace "\*": the namespace "\*" means every namespace/],
    ];
    for (const [change, pattern] of cases) {
      const r = { ...rec("a", [1, 2, 3, 4], { namespace: "n" }), ...change };
      const { source, dest } = pyDb(writeSnapshot({ version: 7, dimension: 4, records: [r] }).bytes);
      await rejectsWith(() => vectlite.importPython(source, dest), "INVALID_ARGUMENT", pattern);
      assert.ok(!existsSync(dest));
    }
    const expired = rec("gone", [1, 2, 3, 4], { metadata: { score: new F64(NaN) }, expiresAt: PAST });
    const { result } = await roundTrip(7, [expired, rec("ok", [1, 1, 1, 1])], []);
    assert.deepStrictEqual([result.records, result.expired], [1, 1]);
  });

  it("keeps keys such as __proto__ and the empty key as keys; metadata 60 levels deep imports, 100 is refused", async () => {
    const nested = (levels: number) => {
      let v: WValue = { leaf: 1 };
      for (let i = 0; i < levels; i++) v = i % 2 ? { d: v } : [v];
      return v;
    };
    await roundTrip(7, [rec("a", [1, 2, 3, 4], { metadata: { ["__proto__"]: { x: 1 }, "": "empty", deep: nested(58) } })], []);
    const { source, dest } = pyDb(writeSnapshot({ version: 7, dimension: 4, records: [rec("a", [1, 2, 3, 4], { metadata: { deep: nested(100) } })] }).bytes);
    await rejectsWith(() => vectlite.importPython(source, dest), "INVALID_ARGUMENT", /\(record 0: record "a" in namespace ""\): metadata deep\.d\[0\]\.d.* is nested more than 64 levels deep/);
  });
});

describe("importPython: destination, source and lock", () => {
  const small = () => writeSnapshot({ version: 4, dimension: 4, records: [rec("a", [1, 2, 3, 4]), rec("b", [4, 3, 2, 1], { namespace: "x" })] }).bytes;
  const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.startsWith("new.vdb") || f.includes(".import-"));

  it("refuses an existing destination unless overwrite, and then only a vectlite database; never the source", async () => {
    const { source, dest, dir } = pyDb(small());
    writeFileSync(dest, "not a database");
    await rejectsWith(() => vectlite.importPython(source, dest), "INVALID_ARGUMENT", /import destination .*new\.vdb already exists \(pass \{ overwrite: true \} to replace it\)/);
    await rejectsWith(() => vectlite.importPython(source, dest, { overwrite: true }), "INVALID_ARGUMENT", /exists and is not a vectlite database: not replaced/);
    assert.equal(readFileSync(dest, "utf8"), "not a database");
    await rejectsWith(() => vectlite.importPython(source, source, { overwrite: true }), "INVALID_ARGUMENT", /is the Python database itself/);
    await rejectsWith(() => vectlite.importPython(source, dir), "INVALID_ARGUMENT", /is a directory/);
    await rejectsWith(() => vectlite.importPython(join(dir, "missing.vdb"), join(dir, "other.vdb")), "NOT_FOUND", /no Python vectlite database at .*missing\.vdb/);
    await rejectsWith(() => vectlite.importPython(source, join(dir, "o.vdb"), { overwrite: 1 } as never), "INVALID_ARGUMENT", /overwrite must be a boolean/);
    await rejectsWith(() => vectlite.importPython(source, join(dir, "o.vdb"), { largeIntegers: "bigint" } as never), "INVALID_ARGUMENT", /largeIntegers must be "error" or "string"/);
    await rejectsWith(() => vectlite.importPython(source, join(dir, "o.vdb"), { overwite: true } as never), "INVALID_ARGUMENT", /unknown importPython option "overwite"/);
    assert.ok(!existsSync(join(dir, "missing.vdb.lock")), "no lock file made beside a missing source");
  });

  it("replaces an existing vectlite database with overwrite: true, leaving no temporary file", async () => {
    const { source, dest, dir } = pyDb(small());
    {
      await using db = await vectlite.open(dest, { dimension: 2 });
      await db.upsert("old", [1, 2]);
    }
    const result = await vectlite.importPython(source, dest, { overwrite: true });
    assert.deepStrictEqual([result.records, result.namespaces], [2, ["", "x"]]);
    await using db = await vectlite.open(dest, { readOnly: true });
    assert.deepStrictEqual([db.dimension, await db.size(), await db.get("old")], [4, 2, null]);
    assert.deepStrictEqual(readdirSync(dir).filter((f) => f.includes(".import-")), []);
  });

  it("leaves nothing behind when the import fails after creating the destination; an existing one stays as it was", async () => {
    const { source, dest, dir } = pyDb(small());
    const stop = new Error("stopped by onProgress");
    const throwing = { onProgress: (p: vectlite.ImportPythonProgress) => { if (p.phase === "write") throw stop; } };
    await assert.rejects(() => vectlite.importPython(source, dest, throwing), (e) => e === stop);
    assert.deepStrictEqual(leftovers(dir), []);
    {
      await using db = await vectlite.open(dest, { dimension: 2 });
      await db.upsert("old", [1, 2]);
    }
    await assert.rejects(() => vectlite.importPython(source, dest, { overwrite: true, ...throwing }), (e) => e === stop);
    assert.deepStrictEqual(readdirSync(dir).filter((f) => f.includes(".import-")), []);
    {
      await using db = await vectlite.open(dest);
      assert.deepStrictEqual([db.dimension, (await db.list()).map((r) => r.id)], [2, ["old"]]);
      // Open for writing: replacing it is LOCKED, and it stays.
      await rejectsWith(() => vectlite.importPython(source, dest, { overwrite: true }), "LOCKED", /open for writing/);
      assert.deepStrictEqual(readdirSync(dir).filter((f) => f.includes(".import-")), []);
    }
  });

  it("takes the Python package's shared lock: LOCKED while a Python writer holds <source>.lock", async (t) => {
    const root = decodeURIComponent(new URL("..", import.meta.url).pathname);
    const deno = "Deno" in globalThis ? (globalThis as unknown as { Deno: { execPath(): string } }).Deno.execPath() : join(root, "node_modules", ".bin", "deno");
    if (!existsSync(deno)) {
      t.skip?.("no Deno to hold an flock in a child process (Bun and Node have no file-lock API)");
      return;
    }
    const { source, dest } = pyDb(small());
    const child = spawn(deno, ["run", "-A", childProgram("exclusive-lock.ts"), `${source}.lock`], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (c: Uint8Array) => new TextDecoder().decode(c).includes("locked") && resolve());
        child.on("exit", (code) => reject(new Error(`the lock holder exited (${code})`)));
      });
      await rejectsWith(() => vectlite.importPython(source, dest), "LOCKED", /open for writing in the Python vectlite package .*close the Python database/);
      assert.ok(!existsSync(dest));
    } finally {
      child.kill("SIGKILL");
      await new Promise((resolve) => child.on("exit", resolve));
    }
    assert.equal((await vectlite.importPython(source, dest)).records, 2);
  });

  it("creates the destination with the quantization of the source's .quant file (1 int8, 2 binary; anything else ignored)", async () => {
    const cases: [number[], vectlite.Quantization | null][] = [[[1, 0, 0], "int8"], [[2], "binary"], [[3], null], [[], null]];
    for (const [quant, expected] of cases) {
      const { source, dest } = pyDb(small(), undefined, new Uint8Array(quant));
      const result = await vectlite.importPython(source, dest);
      assert.equal(result.quantization, expected);
      if (expected === "binary") await rejectsWith(() => vectlite.open(dest, { quantization: "int8" }), "INVALID_ARGUMENT");
      await using db = await vectlite.open(dest, expected ? { quantization: expected } : {});
      assert.equal(await db.size(), 2);
    }
  });

  it("reports progress: read, then write, index and compact", async () => {
    const { source, dest } = pyDb(small());
    const seen: vectlite.ImportPythonProgress[] = [];
    await vectlite.importPython(source, dest, { onProgress: (p) => seen.push(p) });
    assert.equal(seen[0].phase, "read");
    const writes = seen.filter((p) => p.phase === "write");
    assert.deepStrictEqual(writes.at(-1), { phase: "write", done: 2, total: 2 });
    assert.ok(seen.some((p) => p.phase === "compact"));
    const order = ["read", "write", "index", "compact"];
    const firstOf = (phase: string) => seen.findIndex((p) => p.phase === phase);
    assert.ok(order.filter((p) => firstOf(p) >= 0).every((p, i, a) => i === 0 || firstOf(a[i - 1]) < firstOf(p)), JSON.stringify(seen));
  });

  it("vectlite import-python prints a one-line summary; --overwrite and --large-integers pass through", () => {
    const CLI = decodeURIComponent(new URL("../cli/vectlite.ts", import.meta.url).pathname);
    const cli = (...args: string[]) => {
      const { cmd, args: full } = runtimeCommand(CLI, ...args);
      return spawnSync(cmd, full, { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    };
    const spec = fixtureSpec(4);
    const { vdb, wal } = fixtureFiles(spec);
    const { source, dest } = pyDb(vdb, wal);
    const ok = cli("import-python", source, dest);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /imported 3 records in 2 namespaces from .*old\.vdb \(snapshot v4, dimension 4, cosine\) into .*new\.vdb: 1 expired record skipped, 4 WAL frames replayed, torn WAL tail dropped\n$/);
    assert.equal(ok.stdout, "", "the summary goes to stderr, with the other summaries");
    const again = cli("import-python", source, dest);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /^vectlite: INVALID_ARGUMENT: .*already exists/);
    assert.equal(cli("import-python", source, dest, "--overwrite", "--large-integers", "string").status, 0);
    const bad = cli("import-python", source, dest, "--large-integers", "bigint");
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--large-integers must be error or string/);
  });
});

/** Arbitraries for the property tests: small alphabets, so that ids and namespaces collide. */
const vectorArb = fc.array(fc.float({ min: -1000, max: 1000, noNaN: true }), { minLength: 4, maxLength: 4 });
const keyArb = fc.constantFrom("k", "n", "\u00e9", "__proto__", "", "a.b", "\u{1F600}");
const { value: valueArb } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string({ maxLength: 6, unit: "grapheme" }),
    fc.integer(),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => new F64(x)),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(keyArb, tie("value"), { maxKeys: 3 }),
  ),
}));
const metadataArb = fc.dictionary(keyArb, valueArb as fc.Arbitrary<never>, { maxKeys: 4 });
const nsArb = fc.constantFrom("", "x", "\u{1F600}", "\uE000");
const idArb = fc.constantFrom("a", "b", "c", "\u{10400}", "\uFFFD");

function recordArb(withNewFeatures: boolean): fc.Arbitrary<WRecord> {
  return fc.record({
    namespace: nsArb,
    id: idArb,
    metadata: metadataArb,
    vector: vectorArb,
    vectors: fc.dictionary(fc.constantFrom("t", "u"), vectorArb, { maxKeys: 2 }),
    sparse: fc.dictionary(fc.constantFrom("w", "v", "\u00e9t\u00e9"), fc.float({ min: -100, max: 100, noNaN: true }), { maxKeys: 3 }),
    multiVectors: withNewFeatures ? fc.dictionary(fc.constantFrom("m", "n"), fc.array(fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: 3, maxLength: 3 }), { maxLength: 2 }), { maxKeys: 2 }) : fc.constant({}),
    expiresAt: fc.constantFrom(...(withNewFeatures ? [0, PAST, FUTURE] : [0, PAST])),
  });
}

function opArb(withNewFeatures: boolean): fc.Arbitrary<WOp> {
  return fc.oneof(
    fc.record({ op: fc.constant("upsert" as const), record: recordArb(withNewFeatures) }),
    fc.record({ op: fc.constant("delete" as const), namespace: nsArb, id: idArb }),
    fc.record({ op: fc.constant("update-metadata" as const), namespace: nsArb, id: idArb, metadata: metadataArb }),
    fc.record({ op: fc.constant("set-ttl" as const), namespace: nsArb, id: idArb, expiresAt: fc.constantFrom(...(withNewFeatures ? [0, PAST, FUTURE] : [0, PAST])) }),
  );
}

/** Random snapshots and WAL frames of every version and layout, imported and compared with the model. */
async function property(withNewFeatures: boolean, numRuns: number): Promise<void> {
  const frameArb = fc.record({ dialect: fc.constantFrom<Dialect>("v4", "v5", "v7"), ops: fc.array(opArb(withNewFeatures), { maxLength: 4 }) });
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 7 }), fc.array(recordArb(withNewFeatures), { maxLength: 6 }), fc.array(frameArb, { maxLength: 4 }), fc.boolean(), async (version, records, frames, torn) => {
      const wal = walFile(frames.map((f) => walFrame(f.dialect, f.ops)), torn ? new Uint8Array([5, 0]) : undefined);
      const { source, dest } = pyDb(writeSnapshot({ version, dimension: 4, records }).bytes, wal);
      const result = await vectlite.importPython(source, dest, { largeIntegers: "string" });
      let state = replayModel(version, records, []);
      for (const f of frames) state = replayModel(7, [...state.values()], f.ops, f.dialect);
      const expected = expectedRecords(state, Date.now(), "string");
      assert.deepStrictEqual([result.records, result.expired, result.walFrames, result.tornTail], [expected.records.length, expected.expired, frames.length, torn]);
      await assertHolds(dest, expected.records);
      await using db = await vectlite.open(dest, { readOnly: true });
      const listed = (await db.list({ namespace: "*" })).map((r) => nsKey(r.namespace, r.id));
      const byBytes = (a: ExpectedRecord, b: ExpectedRecord) => byteOrder(a.namespace, b.namespace) || byteOrder(a.id, b.id);
      assert.deepStrictEqual(listed, [...expected.records].sort(byBytes).map((r) => nsKey(r.namespace, r.id)), "list returns upstream's order");
    }),
    { numRuns },
  );
}

describe("importPython: property (fast-check, against a Map model)", () => {
  it("random records and operations of every version and WAL layout import as the model says", () => property(false, 40));
  it("the same with multi-vectors and future expiries", () => property(true, 15));
});
