/**
 * `vectlite compact <db>`: folds the WAL into the .vdb file.
 *
 * @module
 */
import * as vectlite from "../../mod.ts";
import { type Parsed, positionals } from "../args.ts";
import { bytes, println } from "../output.ts";

export const flags = {} as const;

const show = (s: vectlite.DatabaseStats["files"]) => `.vdb ${bytes(s.vdb.bytes ?? 0)} + WAL ${bytes(s.wal.bytes ?? 0)}`;

export async function run(parsed: Parsed): Promise<number> {
  const [dbPath] = positionals("compact", parsed, ["db"]);
  // Without a dimension, open never creates: a missing file is an error, not a new database.
  await using db = await vectlite.open(dbPath);
  const before = (await db.stats()).files;
  const started = performance.now();
  await db.compact();
  const after = (await db.stats()).files;
  println(`compacted ${dbPath} in ${((performance.now() - started) / 1000).toFixed(2)} s: ${show(before)} -> ${show(after)}`);
  return 0;
}
