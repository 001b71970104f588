/**
 * Which file a database is. Every path to one file (a symbolic link, a hard link, a relative
 * path) reaches the same writer; a WAL is replayed only onto the snapshot it belongs with;
 * temporary files are never written through a planted link; snapshot, backup and restore
 * never write over a database's own files. Each case opens to exactly a committed state or
 * is refused with a code naming the files.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  copyFileSync,
  cpSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import process from "node:process";
import * as vectlite from "../mod.ts";
import { fixture, rejectsWith, tempDir } from "./helpers.ts";

const isWindows = process.platform === "win32";

async function ids(path: string): Promise<string[]> {
  await using db = await vectlite.open(path, { readOnly: true });
  return (await db.list({ namespace: "*" })).map((r) => `${r.namespace}/${r.id}`).sort();
}

async function writeIds(path: string, ...names: string[]): Promise<void> {
  await using db = await vectlite.open(path, { dimension: 2 });
  for (const id of names) await db.upsert(id, [1, 2], { id });
}

describe("file identity", () => {
  it("an older .vdb put back beside a newer WAL is refused, naming both files", async () => {
    const dir = tempDir();
    const app = join(dir, "app.vdb");
    {
      await using db = await vectlite.open(app, { dimension: 2 });
      await db.upsert("x1", [1, 0]);
      await db.compact();
      copyFileSync(app, join(dir, "old.vdb"));
      await db.upsert("x2", [1, 0]);
      await db.upsert("x3", [1, 0]);
      await db.compact();
      await db.upsert("z1", [1, 0]);
    }
    copyFileSync(join(dir, "old.vdb"), app);
    const e = await rejectsWith(() => vectlite.open(app), "CORRUPT", /older/);
    assert.ok(e.message.includes("app.vdb-wal") && e.message.includes("app.vdb "), e.message);
    // Nothing was changed by the refusal: the newer state is still there to recover by hand.
    assert.ok(readFileSync(app + "-wal").length > 48);
  });

  it("a WAL from another database, or two databases' WALs swapped, is refused", async () => {
    const dir = tempDir();
    const a = join(dir, "a.vdb"), b = join(dir, "b.vdb");
    await writeIds(a, "a1", "a2");
    await writeIds(b, "b1");
    // Close compacted nothing (no graph), so each log holds its writes.
    const walA = readFileSync(a + "-wal"), walB = readFileSync(b + "-wal");
    writeFileSync(a + "-wal", walB);
    writeFileSync(b + "-wal", walA);
    for (const [path, other] of [[a, "a.vdb-wal"], [b, "b.vdb-wal"]]) {
      const e = await rejectsWith(() => vectlite.open(path), "CORRUPT", /another database/);
      assert.ok(e.message.includes(other), e.message);
    }
    await rejectsWith(() => vectlite.open(a, { readOnly: true }), "CORRUPT", /another database/);
    // Put back, each opens to exactly its own writes.
    writeFileSync(a + "-wal", walA);
    writeFileSync(b + "-wal", walB);
    assert.deepEqual(await ids(a), ["/a1", "/a2"]);
    assert.deepEqual(await ids(b), ["/b1"]);
  });

  it("a WAL whose frames the snapshot already holds opens, takes writes and reopens", async () => {
    const dir = tempDir();
    const app = join(dir, "app.vdb");
    let log: Uint8Array;
    {
      await using db = await vectlite.open(app, { dimension: 2 });
      await db.upsert("a", [1, 0]);
      await db.upsert("b", [1, 0]);
      log = readFileSync(app + "-wal");
      await db.compact();
    }
    writeFileSync(app + "-wal", log);
    for (const id of ["c", "d"]) await writeIds(app, id);
    assert.deepEqual(await ids(app), ["/a", "/b", "/c", "/d"]);
  });

  it("a symbolic link, a relative path and (on unix) a hard link reach the same single writer", async () => {
    const dir = tempDir();
    const real = join(dir, "real.vdb");
    await using writer = await vectlite.open(real, { dimension: 2 });
    await writer.upsert("x", [1, 0]);
    const others = [relative(process.cwd(), real), join(dir, "sub", "..", "real.vdb")];
    mkdirSync(join(dir, "sub"));
    if (!isWindows) {
      symlinkSync(real, join(dir, "link.vdb"));
      linkSync(real, join(dir, "hard.vdb"));
      others.push(join(dir, "link.vdb"), join(dir, "hard.vdb"));
    }
    for (const other of others) {
      await rejectsWith(() => vectlite.open(other), "LOCKED");
    }
    assert.ok(!existsSync(join(dir, "link.vdb-wal")) && !existsSync(join(dir, "hard.vdb-wal")), "no second WAL was started");
    await writer.close();
    if (isWindows) return;
    // Through the link, writes land in the real database, and the link stays a link.
    await writeIds(join(dir, "link.vdb"), "y");
    assert.ok(lstatSync(join(dir, "link.vdb")).isSymbolicLink());
    assert.deepEqual(await ids(real), ["/x", "/y"]);
  });

  it("temporary files are never written through a planted symbolic link, and stale ones are removed", async () => {
    if (isWindows) return;
    const dir = tempDir();
    const app = join(dir, "app.vdb");
    const outside = join(dir, "outside.txt");
    writeFileSync(outside, "keep me");
    symlinkSync(outside, app + ".tmp");
    writeFileSync(app + ".89abcdef.tmp", ""); // what a kill during compact leaves
    {
      await using db = await vectlite.open(app, { dimension: 2 });
      await db.upsert("a", [1, 0]);
      await db.compact();
      await db.snapshot(join(dir, "snap.vdb"));
    }
    assert.equal(readFileSync(outside, "utf8"), "keep me");
    assert.ok(lstatSync(app).isFile() && !lstatSync(app).isSymbolicLink());
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".tmp")), []);
    assert.deepEqual(await ids(app), ["/a"]);
  });

  it("snapshot, backup and restore refuse the database's own files under any name", async () => {
    const dir = tempDir();
    const app = join(dir, "app.vdb");
    await using db = await vectlite.open(app, { dimension: 2 });
    await db.upsert("a", [1, 0]);
    await db.upsert("b", [0, 1]);
    const owned = [app, app + "-wal", app + ".lock", join(dir, "sub", "..", "app.vdb-wal")];
    mkdirSync(join(dir, "sub"));
    if (!isWindows) {
      symlinkSync(app + "-wal", join(dir, "wal-link"));
      linkSync(app + "-wal", join(dir, "wal-hard"));
      owned.push(join(dir, "wal-link"), join(dir, "wal-hard"));
    }
    for (const dest of owned) {
      await rejectsWith(() => db.snapshot(dest), "INVALID_ARGUMENT", /the database/);
    }
    await rejectsWith(() => db.backup(app), "INVALID_ARGUMENT");
    await rejectsWith(() => db.backup(dir), "INVALID_ARGUMENT", /not empty/);
    // Nothing was lost: both writes are there after a reopen.
    await db.upsert("c", [1, 1]);
    await db.close();
    assert.deepEqual(await ids(app), ["/a", "/b", "/c"]);
  });

  it("an existing destination is refused; restore never writes over a database", async () => {
    const dir = tempDir();
    const app = join(dir, "app.vdb");
    await writeIds(app, "a");
    const taken = join(dir, "taken.vdb");
    writeFileSync(taken, "precious");
    {
      await using db = await vectlite.open(app);
      await rejectsWith(() => db.snapshot(taken), "INVALID_ARGUMENT", /already exists/);
      await db.backup(join(dir, "bk"));
      await rejectsWith(() => db.backup(join(dir, "bk")), "INVALID_ARGUMENT", /not empty/);
    }
    assert.equal(readFileSync(taken, "utf8"), "precious");
    await rejectsWith(() => vectlite.restore(join(dir, "bk"), taken), "INVALID_ARGUMENT", /already exists/);
    await rejectsWith(() => vectlite.restore(join(dir, "bk"), app), "INVALID_ARGUMENT", /already exists/);
    await rejectsWith(() => vectlite.restore(join(dir, "bk"), join(dir, "bk", "data.vdb")), "INVALID_ARGUMENT");
    assert.equal(readFileSync(taken, "utf8"), "precious");
    assert.deepEqual(await ids(app), ["/a"]);
  });

  it("a snapshot and a restored backup are databases of their own: the original's WAL never replays onto them", async () => {
    const dir = tempDir();
    const app = join(dir, "app.vdb");
    const snap = join(dir, "snap.vdb");
    {
      await using db = await vectlite.open(app, { dimension: 2 });
      await db.upsert("a", [1, 0]);
      await db.snapshot(snap);
      await db.backup(join(dir, "bk"));
      await db.upsert("b", [1, 0]);
    }
    copyFileSync(app + "-wal", snap + "-wal");
    await rejectsWith(() => vectlite.open(snap), "CORRUPT", /another database/);
    const restored = join(dir, "restored.vdb");
    await (await vectlite.restore(join(dir, "bk"), restored)).close();
    copyFileSync(app + "-wal", restored + "-wal");
    await rejectsWith(() => vectlite.open(restored), "CORRUPT", /another database/);
  });

  for (const version of [1, 2]) {
    it(`a database of file format version ${version} opens read-only as it was, and as the writer`, async () => {
      const dir = tempDir();
      cpSync(fixture(`format-v${version}`), dir, { recursive: true });
      const path = join(dir, "app.vdb");
      const expected = [
        ...Array.from({ length: 20 }, (_, i) => `/doc${i}`).filter((id) => id !== "/doc3" && id !== "/doc4"),
        "/wal1",
        "other/named",
        "other/wal2",
      ].sort();
      const check = async (db: vectlite.Database, extra: string[] = []) => {
        assert.deepEqual((await db.list({ namespace: "*" })).map((r) => `${r.namespace}/${r.id}`).sort(), [...expected, ...extra].sort());
        assert.deepEqual((await db.get("doc7"))?.metadata, { n: 7, tag: "odd", nested: { k: [7, "x"] } });
        assert.deepEqual((await db.get("wal2", { namespace: "other" }))?.metadata, { from: "tx" });
        const named = await db.get("named", { namespace: "other", includeVectors: true });
        assert.deepEqual(named?.sparse, { alpha: 1.5, beta: 0.5 });
        assert.deepEqual(Array.from(named?.vectors?.title ?? []), [1, 2]);
        const hits = await db.search(null, { sparse: { cat: 1 }, k: 3 });
        assert.ok(hits.length === 3 && hits.every((h) => (h.metadata.tag as string) === "odd"), JSON.stringify(hits));
        assert.equal((await db.search([9, 9, 9, 9], { k: 1 }))[0].id, "wal1");
      };
      {
        await using db = await vectlite.open(path, { readOnly: true });
        await check(db);
      }
      assert.equal(readFileSync(path).readUInt32LE(8), version, "a read-only open changes nothing");
      {
        await using db = await vectlite.open(path);
        await check(db);
        await db.upsert("after", [0, 0, -1, 0]);
      }
      assert.equal(readFileSync(path).readUInt32LE(8), 4, "a writer leaves it in the current format");
      await using again = await vectlite.open(path);
      await check(again, ["/after"]);
    });
  }

  it("overwrite: true replaces a snapshot, a backup and a restored database, never one open for writing", async () => {
    const dir = tempDir();
    const app = join(dir, "app.vdb");
    const snap = join(dir, "snap.vdb");
    await using db = await vectlite.open(app, { dimension: 2 });
    await db.upsert("a", [1, 0]);
    await db.snapshot(snap);
    await db.backup(join(dir, "bk"));
    await db.upsert("b", [1, 0]);
    // A WAL beside the old copy (as if it had been opened and written) goes with it.
    await writeIds(snap, "stale");
    await db.snapshot(snap, { overwrite: true });
    assert.ok(!existsSync(snap + "-wal"), "the replaced copy's WAL is gone");
    assert.deepEqual(await ids(snap), ["/a", "/b"]);
    await db.backup(join(dir, "bk"), { overwrite: true });
    // A directory holding anything but a backup is not replaced.
    mkdirSync(join(dir, "mixed"));
    writeFileSync(join(dir, "mixed", "notes.txt"), "mine");
    await rejectsWith(() => db.backup(join(dir, "mixed"), { overwrite: true }), "INVALID_ARGUMENT", /notes\.txt/);
    assert.equal(readFileSync(join(dir, "mixed", "notes.txt"), "utf8"), "mine");
    // Restore over a database: refused while a writer has it, done once it is closed.
    {
      await using holder = await vectlite.open(snap);
      await rejectsWith(() => vectlite.restore(join(dir, "bk"), snap, { overwrite: true }), "LOCKED");
      assert.ok(await holder.get("b"), "the database that was open is untouched");
    }
    await (await vectlite.restore(join(dir, "bk"), snap, { overwrite: true })).close();
    assert.deepEqual(await ids(snap), ["/a", "/b"]);
    await rejectsWith(() => db.snapshot(app, { overwrite: true }), "INVALID_ARGUMENT", /the database file itself/);
    await rejectsWith(() => db.snapshot(snap, { overwrite: "yes" as unknown as boolean }), "INVALID_ARGUMENT", /overwrite/);
  });

  it("dropCollection deletes under the writer lock: refused while another handle has it open", async () => {
    const dir = tempDir();
    await using store = await vectlite.openStore(dir);
    await (await store.createCollection("docs", { dimension: 2 })).upsert("a", [1, 0]);
    await store.close();
    await using again = await vectlite.openStore(dir);
    {
      // Opened around the store, as another process would.
      await using other = await vectlite.open(join(dir, "docs.vdb"));
      await rejectsWith(() => again.dropCollection("docs"), "LOCKED");
      assert.ok(await other.get("a"));
    }
    writeFileSync(join(dir, "docs.vdb.89abcdef.tmp"), "");
    assert.equal(await again.dropCollection("docs"), true);
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(await again.dropCollection("docs"), false);
  });

  it("a destination whose own WAL name is taken by another file is refused, never cleared", async () => {
    const dir = tempDir();
    const odd = join(dir, "b-wal"); // a database whose file name ends in -wal
    await using db = await vectlite.open(odd, { dimension: 2 });
    await db.upsert("a", [1, 0]);
    await rejectsWith(() => db.snapshot(join(dir, "b")), "INVALID_ARGUMENT", /WAL name/);
    writeFileSync(join(dir, "c-wal"), "not a log");
    await rejectsWith(() => db.snapshot(join(dir, "c")), "INVALID_ARGUMENT", /not a vectlite WAL/);
    await rejectsWith(() => vectlite.restore(join(dir, "nothing"), odd + "-wal", { overwrite: true }), "NOT_FOUND");
    await db.close();
    assert.deepEqual(await ids(odd), ["/a"]);
    assert.equal(readFileSync(join(dir, "c-wal"), "utf8"), "not a log");
  });

  it("a database moved with its WAL opens where it lands", async () => {
    const dir = tempDir();
    const app = join(dir, "app.vdb");
    await writeIds(app, "a", "b");
    mkdirSync(join(dir, "moved"));
    renameSync(app, join(dir, "moved", "app.vdb"));
    renameSync(app + "-wal", join(dir, "moved", "app.vdb-wal"));
    assert.deepEqual(await ids(join(dir, "moved", "app.vdb")), ["/a", "/b"]);
  });
});
