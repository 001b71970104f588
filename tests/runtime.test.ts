/**
 * The runtime backend: the loader picks the one for the running runtime (Bun, Deno or Node
 * through koffi), and background jobs awaited all at once each come back with their own
 * result, past the Node backend's cap on thread-pool waits (there, the later ones poll).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { native } from "../ffi/native.ts";
import * as vectlite from "../mod.ts";
import { randomVector, rng, tempDb } from "./helpers.ts";

/** The runtime as the global objects tell it, independently of the loader's own check. */
function runningRuntime(): string {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Bun === "object") return "bun";
  if (typeof g.Deno === "object") return "deno";
  return typeof process.versions.node === "string" ? "node" : "unknown";
}

describe("runtime backend", () => {
  it("loads the backend of the running runtime", async () => {
    const lib = await native();
    assert.equal(lib.runtime, runningRuntime());
    assert.equal(typeof lib.fns.vl_abi_version(), "number");
  });

  it("twelve databases opened and bulk-written at once each get their own records", async () => {
    const DIM = 8;
    const COUNT = 12;
    const PER_DB = 300; // past the 256 records from which a write runs as a background job
    const paths = Array.from({ length: COUNT }, () => tempDb());
    // Twelve vl_open_async jobs in flight together, then twelve vl_write_async jobs.
    const dbs = await Promise.all(paths.map((p) => vectlite.open(p, { dimension: DIM })));
    try {
      const written = await Promise.all(
        dbs.map((db, d) => {
          const rand = rng(d + 1);
          return db.upsertMany(
            Array.from({ length: PER_DB }, (_, i) => ({
              id: `db${d}-r${i}`,
              vector: randomVector(DIM, rand),
              metadata: { db: d, i },
            })),
          );
        }),
      );
      assert.deepEqual(written, Array(COUNT).fill(PER_DB));
      for (const [d, db] of dbs.entries()) {
        assert.equal(await db.count(), PER_DB);
        assert.deepEqual((await db.get(`db${d}-r${PER_DB - 1}`))?.metadata, { db: d, i: PER_DB - 1 });
        assert.equal(await db.get(`db${(d + 1) % COUNT}-r0`), null, "no record of another database");
      }
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });
});
