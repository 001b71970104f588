/**
 * Out to Arrow and Parquet and back. Each file is read by a reader independent of the code
 * that wrote it: the Parquet file by arrow-rs (parquet-wasm) into Apache Arrow's JS reader,
 * the Arrow file by Apache Arrow's JS reader; values are checked exactly, and the round trip
 * gives back the same database.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tableFromIPC } from "apache-arrow";
import * as vectlite from "../mod.ts";
import { exportArrow, exportParquet, importArrow, importParquet } from "../columnar.ts";
import { randomVector, rejectsWith, rng, runtimeCommand, tempDb, tempDir } from "./helpers.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const CLI = join(ROOT, "cli/vectlite.ts");
const DIM = 12;
const FUTURE = 4_102_444_800_000;

async function source(): Promise<vectlite.Database> {
  const db = await vectlite.open(tempDb(), { dimension: DIM, metric: "dot" });
  const rand = rng(5);
  for (const namespace of ["", "docs"]) {
    await db.upsertMany(
      Array.from({ length: 120 }, (_, i) => ({
        id: `${namespace}-${i}`,
        vector: randomVector(DIM, rand),
        metadata: { i, tag: ["x", "y"][i % 2], nested: { list: [i, "é", null, true] }, ...(i % 7 === 0 ? { big: 1e300, tiny: -5e-324 } : {}) },
        ...(i % 3 === 0 ? { sparse: { word: 1 + i, other: 0.5 } } : {}),
        ...(i % 4 === 0 ? { vectors: { title: randomVector(3, rand) } } : {}),
        ...(i % 5 === 0 ? { expiresAt: FUTURE + i } : {}),
        ...(i % 6 === 0 ? { multiVectors: { colbert: [randomVector(4, rand), randomVector(4, rand), randomVector(4, rand)] } } : {}),
      })),
      { namespace },
    );
  }
  await db.upsert("gone", randomVector(DIM, rand), {}, { expiresAt: 1000 }); // expired: not exported
  return db;
}

/** Every record, in a stable order, comparable with deepStrictEqual. */
async function contents(path: string) {
  await using db = await vectlite.open(path, { readOnly: true });
  const all = await db.list({ namespace: "*", includeVectors: true });
  return { metric: db.metric, dimension: db.dimension, records: all.sort((a, b) => `${a.namespace}/${a.id}`.localeCompare(`${b.namespace}/${b.id}`)) };
}

/** parquet-wasm (arrow-rs): its Node build loads its WebAssembly itself, its ES module build (Deno's) is handed it. */
async function arrowRs(): Promise<{ readParquet(bytes: Uint8Array): { intoIPCStream(): Uint8Array } }> {
  const pw = await import("parquet-wasm") as unknown as { default?: unknown; readParquet(bytes: Uint8Array): { intoIPCStream(): Uint8Array } };
  if (typeof pw.default === "function") {
    await (pw.default as (init: unknown) => Promise<unknown>)({ module_or_path: readFileSync(join(ROOT, "node_modules/parquet-wasm/esm/parquet_wasm_bg.wasm")) });
  }
  return pw;
}

describe("out to Arrow and Parquet, and back", () => {
  it("a Parquet file arrow-rs reads exactly, and that imports back into the same database", async () => {
    await using db = await source();
    const dir = tempDir();
    const file = join(dir, "out.parquet");
    assert.equal(await exportParquet(db, file), 240);
    const pw = await arrowRs();
    const table = tableFromIPC(pw.readParquet(readFileSync(file)).intoIPCStream());
    assert.equal(table.numRows, 240);
    assert.deepEqual(table.schema.fields.map((f) => [f.name, String(f.type)]), [
      ["namespace", "Utf8"], ["id", "Utf8"], ["vector", "List<Float32>"], ["metadata", "Utf8"], ["sparse", "Utf8"], ["vectors", "Utf8"], ["multi_vectors", "Utf8"], ["expires_at", "Timestamp<MILLISECOND, UTC>"],
    ]);
    assert.deepEqual(JSON.parse(table.schema.metadata.get("vectlite")!), { dimension: DIM, metric: "dot", format: 1 });
    const expected = (await contents(db.path)).records;
    const byKey = new Map(expected.map((r) => [`${r.namespace}/${r.id}`, r]));
    for (let i = 0; i < table.numRows; i++) {
      const row = table.get(i)!.toJSON() as Record<string, unknown>;
      const want = byKey.get(`${row.namespace}/${row.id}`)!;
      assert.ok(want, `row ${i}: ${row.namespace}/${row.id}`);
      assert.deepEqual(Float32Array.from((row.vector as { toArray(): Float32Array }).toArray()), want.vector, "every float32 exactly");
      assert.deepStrictEqual(JSON.parse(row.metadata as string), want.metadata);
      assert.deepStrictEqual(row.sparse === null ? undefined : JSON.parse(row.sparse as string), want.sparse);
      assert.equal(row.expires_at === null ? undefined : Number(row.expires_at), want.expiresAt);
    }
    const back = join(dir, "back.vdb");
    assert.equal(await importParquet(file, back), 240);
    assert.deepStrictEqual(await contents(back), await contents(db.path).then((c) => ({ ...c })));
  });

  it("an Arrow file with FixedSizeList vectors, read exactly, that imports back into the same database", async () => {
    await using db = await source();
    const dir = tempDir();
    const file = join(dir, "out.arrow");
    assert.equal(await exportArrow(db, file), 240);
    const table = tableFromIPC(readFileSync(file));
    assert.equal(String(table.schema.fields[2].type), `FixedSizeList[${DIM}]<Float32>`);
    const expected = new Map((await contents(db.path)).records.map((r) => [`${r.namespace}/${r.id}`, r]));
    for (let i = 0; i < table.numRows; i++) {
      const row = table.get(i)!.toJSON() as Record<string, unknown>;
      const want = expected.get(`${row.namespace}/${row.id}`)!;
      assert.deepEqual(Float32Array.from((row.vector as { toArray(): Float32Array }).toArray()), want.vector);
      assert.equal(row.expires_at === null ? undefined : Number(row.expires_at), want.expiresAt);
    }
    const back = join(dir, "back.vdb");
    assert.equal(await importArrow(file, back), 240);
    assert.deepStrictEqual(await contents(back), await contents(db.path));
    await rejectsWith(() => importArrow(file, back), "INVALID_ARGUMENT", /already exists/);
  });

  it("the CLI exports and imports both formats; a file that is not one is CORRUPT and leaves nothing", async () => {
    const db = await source();
    const path = db.path;
    await db.close();
    const dir = tempDir();
    const run = (...args: string[]) => {
      const { cmd, args: full } = runtimeCommand(CLI, ...args);
      return spawnSync(cmd, full, { encoding: "utf8" });
    };
    for (const format of ["arrow", "parquet"]) {
      const file = join(dir, `x.${format}`);
      const out = run("export", path, file, "--to", format);
      assert.equal(out.status, 0, out.stderr);
      assert.match(out.stderr, new RegExp(`exported 240 records .* \\(${format}\\)`));
      const back = join(dir, `${format}.vdb`);
      const imported = run("import", back, file);
      assert.equal(imported.status, 0, imported.stderr);
      assert.deepStrictEqual(await contents(back), await contents(path));
    }
    assert.equal(run("export", path, "--to", "parquet").status, 2, "a binary format needs a file name");
    const junk = join(dir, "junk.parquet");
    writeFileSync(junk, "not parquet at all");
    const bad = run("import", join(dir, "junk.vdb"), junk);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /CORRUPT: .*junk\.parquet: not a readable Parquet file/);
    await rejectsWith(() => importArrow(junk, join(dir, "junk2.vdb")), "CORRUPT", /not an Arrow IPC file/);
  });
});
