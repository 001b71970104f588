/**
 * Writes the Python-format fixtures the importer's tests read: tests/fixtures/python/v1..v7,
 * each an `old.vdb` snapshot of that version and an `old.vdb.wal` in the WAL layout of the
 * releases that wrote it (v4 for versions 1 to 4), ending in a torn frame. The files come from
 * tests/python-vdb-writer.ts, a writer made from the format's description: no file written by
 * the Python package itself was available.
 *
 * `deno run -A scripts/make-python-fixtures.ts` (or `bun`, or `node --import tsx`).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fixtureFiles, fixtureSpec } from "../tests/python-fixtures.ts";

const root = decodeURIComponent(new URL("../tests/fixtures/python/", import.meta.url).pathname);
for (let version = 1; version <= 7; version++) {
  const dir = join(root, `v${version}`);
  mkdirSync(dir, { recursive: true });
  const { vdb, wal } = fixtureFiles(fixtureSpec(version));
  writeFileSync(join(dir, "old.vdb"), vdb);
  writeFileSync(join(dir, "old.vdb.wal"), wal);
  console.log(`v${version}: old.vdb ${vdb.length} bytes, old.vdb.wal ${wal.length} bytes`);
}
