import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vectlite from "../mod.ts";
import { childProgram, rejectsWith, rng, runtimeCommand, tempDb, tempDir } from "./helpers.ts";

const DIM = 8;
function vectorOf(n: number): Float32Array {
  const v = new Float32Array(DIM);
  for (let i = 0; i < DIM; i++) v[i] = Math.sin(n * 0.37 + i);
  return v;
}

/** Runs the writer child until it has acknowledged at least `minAcks` writes and then for a random moment, then SIGKILLs it. */
function runAndKill(path: string, start: number, waitMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const { cmd, args } = runtimeCommand(childProgram("writer.ts"), path, String(start), String(DIM));
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    const acked: number[] = [];
    let buffered = "";
    let stderr = "";
    let timer: ReturnType<typeof setTimeout> | undefined;
    child.stdout!.on("data", (chunk: Uint8Array) => {
      buffered += new TextDecoder().decode(chunk);
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === "ready" && !timer) timer = setTimeout(() => child.kill("SIGKILL"), waitMs);
        else if (line.startsWith("ack ")) acked.push(Number(line.slice(4)));
      }
    });
    child.stderr!.on("data", (chunk: Uint8Array) => (stderr += new TextDecoder().decode(chunk)));
    child.on("error", reject);
    child.on("exit", (_code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`writer exited on its own (code ${_code}, signal ${signal}): ${stderr}`));
      else resolve(acked);
    });
  });
}

describe("durability", () => {
  it("keeps every acknowledged write across 20 SIGKILLs at random moments", { timeout: 120_000 }, async () => {
    const path = tempDb();
    const rand = rng(20261124);
    let next = 0;
    const all: number[] = [];
    for (let cycle = 0; cycle < 20; cycle++) {
      const acked = await runAndKill(path, next, 30 + Math.floor(rand() * 250));
      all.push(...acked);
      if (acked.length) next = Math.max(...acked) + 1;
      next += 1; // the write in flight at the kill may or may not have landed; skip its number
      await using db = await vectlite.open(path);
      for (const n of all) {
        if (n % 5 === 4) {
          const r = await db.get(`w${n}-2`, { includeVectors: true });
          assert.ok(r, `cycle ${cycle}: acknowledged batch ${n} lost`);
          assert.deepEqual(r.metadata, { n, j: 2 });
        } else {
          const r = await db.get(`w${n}`, { includeVectors: true });
          assert.ok(r, `cycle ${cycle}: acknowledged write ${n} lost`);
          assert.deepEqual(r.metadata, { n, text: "x".repeat(n % 50) });
          assert.deepEqual(r.vector, vectorOf(n));
        }
      }
      // Every batch is whole or absent: a transaction is never half there.
      for (const r of await db.list({ filter: { j: { $exists: true } } })) {
        const n = r.metadata.n as number;
        assert.equal(await db.count({ filter: { n } }), 3, `batch ${n} is partial`);
      }
      if (cycle === 9) await db.compact(); // later cycles recover on top of a compacted file
    }
    assert.ok(all.length > 20, `too few writes acknowledged (${all.length}) for the test to mean anything`);
  });

  it("recovers the committed prefix when the WAL is cut at every byte of its last frame", async () => {
    const dir = tempDir();
    const path = join(dir, "torn.vdb");
    const ids = ["a", "b", "c", "d", "e"];
    {
      await using db = await vectlite.open(path, { dimension: DIM });
      for (const [i, id] of ids.slice(0, 4).entries()) await db.upsert(id, vectorOf(i), { i });
    }
    const before = statSync(path + "-wal").size;
    {
      await using db = await vectlite.open(path);
      await db.upsert("e", vectorOf(4), { i: 4 });
    }
    const wal = readFileSync(path + "-wal");
    assert.ok(wal.length > before);
    for (let cut = before; cut <= wal.length; cut++) {
      const copy = join(dir, `cut-${cut}.vdb`);
      copyFileSync(path, copy);
      writeFileSync(copy + "-wal", wal.subarray(0, cut));
      await using db = await vectlite.open(copy);
      const expected = cut === wal.length ? 5 : 4;
      assert.equal(await db.count(), expected, `cut at ${cut}`);
      for (let i = 0; i < expected; i++) assert.deepEqual((await db.get(ids[i]))?.metadata, { i });
      // The torn tail is cut off, so a new write lands cleanly and survives a reopen.
      await db.upsert("z", vectorOf(9), { i: 9 });
      await db.close();
      await using again = await vectlite.open(copy);
      assert.equal(await again.count(), expected + 1, `after rewrite at cut ${cut}`);
    }
  });

  it("reports CORRUPT, never crashes, for a flipped byte anywhere in the snapshot", async () => {
    const dir = tempDir();
    const path = join(dir, "flip.vdb");
    {
      await using db = await vectlite.open(path, { dimension: 4, metric: "l2" });
      await db.upsertMany([0, 1, 2].map((i) => ({ id: `r${i}`, vector: [i, 1, 2, 3], metadata: { i, s: "é" } })));
      await db.compact();
    }
    const original = readFileSync(path);
    for (let at = 0; at < original.length; at++) {
      const damaged = Uint8Array.from(original);
      damaged[at] ^= 0x04;
      const copy = join(dir, `flip-${at}.vdb`);
      writeFileSync(copy, damaged);
      await rejectsWith(() => vectlite.open(copy), "CORRUPT", /flip-\d+\.vdb/);
    }
    // The undamaged file still opens with its data.
    await using db = await vectlite.open(path);
    assert.equal(await db.count(), 3);
  });

  it("reports CORRUPT for truncated snapshots and for damage in the middle of the WAL", async () => {
    const dir = tempDir();
    const path = join(dir, "t.vdb");
    {
      await using db = await vectlite.open(path, { dimension: 4 });
      await db.upsert("a", [1, 2, 3, 4]);
      await db.compact();
      await db.upsert("b", [1, 2, 3, 5]);
      await db.upsert("c", [1, 2, 3, 6]);
    }
    const size = statSync(path).size;
    const cut = join(dir, "cut.vdb");
    copyFileSync(path, cut);
    truncateSync(cut, size - 7);
    await rejectsWith(() => vectlite.open(cut), "CORRUPT", /cut\.vdb/);

    const wal = readFileSync(path + "-wal");
    const mid = join(dir, "mid.vdb");
    copyFileSync(path, mid);
    const damaged = Uint8Array.from(wal);
    damaged[30] ^= 0xff; // inside the first frame, with a good frame after it
    writeFileSync(mid + "-wal", damaged);
    await rejectsWith(() => vectlite.open(mid), "CORRUPT", /mid\.vdb-wal/);
  });
});

describe("locking", () => {
  it("gives a second writer LOCKED, after lockTimeoutMs when set", async () => {
    const path = tempDb();
    await using first = await vectlite.open(path, { dimension: 4 });
    await rejectsWith(() => vectlite.open(path), "LOCKED", /locked/);
    const started = Date.now();
    await rejectsWith(() => vectlite.open(path, { lockTimeoutMs: 150 }), "LOCKED");
    assert.ok(Date.now() - started >= 140, "lockTimeoutMs was not waited out");
    // A reader opens beside the writer (it takes no lock).
    await using reader = await vectlite.open(path, { readOnly: true });
    assert.equal(reader.readOnly, true);
    assert.equal(first.closed, false);
  });

  it("waits for a lock that is released within lockTimeoutMs", async () => {
    const path = tempDb();
    const first = await vectlite.open(path, { dimension: 4 });
    await first.upsert("a", [1, 2, 3, 4]);
    setTimeout(() => first.close(), 60);
    await using second = await vectlite.open(path, { lockTimeoutMs: 2000 });
    assert.equal(await second.count(), 1);
  });

  it("opens readers beside each other and beside the writer; each sees what was committed before it opened", async () => {
    const path = tempDb();
    {
      await using db = await vectlite.open(path, { dimension: 4 });
      await db.upsert("a", [1, 2, 3, 4]);
    }
    await using r1 = await vectlite.open(path, { readOnly: true });
    await using writer = await vectlite.open(path);
    await writer.upsert("b", [1, 1, 1, 1]);
    await using r2 = await vectlite.open(path, { readOnly: true });
    assert.equal(await r1.count(), 1, "a reader keeps the state it opened");
    assert.equal(await r2.count(), 2, "a reader opened after a commit sees it");
    await writer.compact();
    await writer.upsert("c", [1, 0, 0, 0]);
    await using r3 = await vectlite.open(path, { readOnly: true });
    assert.equal(await r3.count(), 3, "the compacted file plus the WAL written after it");
    await rejectsWith(() => r1.upsert("b", [1, 1, 1, 1]), "READ_ONLY");
  });

  it("lets several reader processes open and search while a writer process commits and compacts", { timeout: 120_000 }, async () => {
    const path = tempDb();
    const GENS = 240;
    const lines = (child: ReturnType<typeof spawn>, onLine: (l: string) => void) => {
      let buf = "";
      child.stdout!.on("data", (c: Uint8Array) => {
        buf += new TextDecoder().decode(c);
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          onLine(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      });
    };
    const spawnFixture = (...args: string[]) => {
      const { cmd, args: full } = runtimeCommand(childProgram("generations.ts"), ...args);
      return spawn(cmd, full, { stdio: ["pipe", "pipe", "inherit"] });
    };
    // Generation 0 exists before the readers start.
    let acked = -1;
    const writer = spawnFixture("write", path, String(GENS));
    const writerDone = new Promise<number | null>((resolve) => writer.on("exit", resolve));
    lines(writer, (l) => {
      if (l.startsWith("ack ")) acked = Number(l.slice(4));
    });
    while (acked < 0) await new Promise((r) => setTimeout(r, 10));

    const readers = [0, 1, 2].map(() => spawnFixture("read", path));
    const views: number[][] = readers.map(() => []);
    const bad: string[] = [];
    let writing = true;
    let ready = 0;
    const finished = readers.map((child, i) =>
      new Promise<void>((resolve) => {
        const ask = () => child.stdin!.write(`${acked}\n`);
        lines(child, (l) => {
          if (l === "ready") {
            if (++ready === readers.length) writer.stdin!.write("go\n"); // all readers are up
            return ask();
          }
          if (l.startsWith("bad ")) bad.push(`reader ${i}: ${l}`);
          else views[i].push(Number(l.split(" ")[2]));
          if (writing && bad.length === 0) ask();
          else child.stdin!.end();
        });
        child.on("exit", () => resolve());
      })
    );
    assert.equal(await writerDone, 0, "the writer failed");
    writing = false;
    await Promise.all(finished);
    if (process.env.VL_DEBUG) console.log(views.map((v) => v.length), views.map((v) => v.slice(-3)));
    assert.deepEqual(bad, []);
    for (const [i, v] of views.entries()) {
      assert.ok(v.length >= 3, `reader ${i} opened only ${v.length} times`);
      assert.deepEqual(v, [...v].sort((a, b) => a - b), `reader ${i} saw generations go backwards`);
    }
    await using db = await vectlite.open(path, { readOnly: true });
    assert.equal(await db.count(), GENS * 10);
  });

  it("excludes a writer in another process", async () => {
    const path = tempDb();
    const { cmd, args } = runtimeCommand(childProgram("holder.ts"), path, "write");
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (c: Uint8Array) => new TextDecoder().decode(c).includes("holding") && resolve());
        child.on("exit", (code) => reject(new Error(`holder exited (${code})`)));
      });
      await rejectsWith(() => vectlite.open(path, { lockTimeoutMs: 50 }), "LOCKED");
    } finally {
      child.kill("SIGKILL");
      await new Promise((resolve) => child.on("exit", resolve));
    }
    // The kernel releases the lock of a killed process.
    await using db = await vectlite.open(path, { lockTimeoutMs: 1000 });
    assert.equal(await db.count(), 0);
  });
});
