/**
 * `vectlite compact <db> [--quantization none|int8|binary]`: folds the WAL into the .vdb file,
 * converting every vector space when asked.
 *
 * @module
 */
import * as vectlite from "../../mod.ts";
import { type Parsed, positionals, UsageError } from "../args.ts";
import { bytes, eprintln, phaseLine, Progress } from "../output.ts";
import { existsSync } from "node:fs";

export const flags = { quantization: "string" } as const;

const QUANTIZATIONS = ["none", "int8", "binary"];

const show = (s: vectlite.DatabaseStats["files"]) => `.vdb ${bytes(s.vdb.bytes ?? 0)} + WAL ${bytes(s.wal.bytes ?? 0)}`;

export async function run(parsed: Parsed): Promise<number> {
  const [dbPath] = positionals("compact", parsed, ["db"]);
  const quantization = parsed.flags.quantization as string | undefined;
  if (quantization !== undefined && !QUANTIZATIONS.includes(quantization)) {
    throw new UsageError(`--quantization must be none, int8 or binary, found ${JSON.stringify(quantization)}`, "compact");
  }
  if (!existsSync(dbPath)) throw new vectlite.VectLiteError("NOT_FOUND", `${dbPath} does not exist: nothing to compact`, { path: dbPath });
  await using db = await vectlite.open(dbPath);
  const before = (await db.stats()).files;
  const started = performance.now();
  const progress = new Progress();
  try {
    await db.compact({
      ...(quantization ? { quantization: quantization as vectlite.Quantization } : {}),
      onProgress: (p) => progress.update(`compact: ${phaseLine(p)}`),
    });
  } finally {
    progress.done();
  }
  const after = (await db.stats()).files;
  const converted = quantization ? `, quantization ${quantization}` : "";
  eprintln(`compacted ${dbPath} in ${((performance.now() - started) / 1000).toFixed(2)} s: ${show(before)} -> ${show(after)}${converted}`);
  return 0;
}
