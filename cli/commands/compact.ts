/**
 * `vectlite compact <db>`: folds the WAL into the .vdb file.
 *
 * @module
 */
import * as vectlite from "../../mod.ts";
import { type Parsed, positionals } from "../args.ts";
import { fileSizes, type FileSizes } from "../files.ts";
import { bytes, println } from "../output.ts";

export const flags = {} as const;

const show = (s: FileSizes) => `.vdb ${bytes(s.vdb ?? 0)} + WAL ${bytes(s.wal ?? 0)}`;

export async function run(parsed: Parsed): Promise<number> {
  const [dbPath] = positionals("compact", parsed, ["db"]);
  // Without a dimension, open never creates: a missing file is an error, not a new database.
  await using db = await vectlite.open(dbPath);
  const before = fileSizes(dbPath);
  const started = performance.now();
  await db.compact();
  const after = fileSizes(dbPath);
  println(`compacted ${dbPath} in ${((performance.now() - started) / 1000).toFixed(2)} s: ${show(before)} -> ${show(after)}`);
  return 0;
}
