/**
 * `vectlite export <db> [file.jsonl]`: every record of every namespace, vectors included,
 * as JSONL that `vectlite import` reads back.
 *
 * @module
 */
import * as vectlite from "../../mod.ts";
import type { StoredRecord } from "../../mod.ts";
import { type Parsed, positionals } from "../args.ts";
import { eprintln, plural, TextOut } from "../output.ts";
import { walkRecords } from "../walk.ts";

export const flags = {} as const;

/** One record as a JSONL line (a float32 converted to a number is exact, so values round-trip). */
export function recordLine(r: StoredRecord): string {
  const out: Record<string, unknown> = { id: r.id, namespace: r.namespace, vector: Array.from(r.vector ?? []), metadata: r.metadata };
  if (r.sparse && Object.keys(r.sparse).length > 0) out.sparse = r.sparse;
  if (r.vectors && Object.keys(r.vectors).length > 0) {
    out.vectors = Object.fromEntries(Object.entries(r.vectors).map(([name, v]) => [name, Array.from(v)]));
  }
  if (r.expiresAt !== undefined) out.expiresAt = r.expiresAt;
  return JSON.stringify(out);
}

export async function run(parsed: Parsed): Promise<number> {
  const [dbPath, file] = positionals("export", parsed, ["db"], ["file.jsonl"]);
  await using db = await vectlite.open(dbPath, { readOnly: true });
  const out = file ? await TextOut.file(file) : TextOut.stdout();
  let n = 0;
  try {
    for await (const page of walkRecords(db)) {
      await out.write(page.map((r) => recordLine(r) + "\n").join(""));
      n += page.length;
    }
  } finally {
    await out.close();
  }
  if (file) eprintln(`exported ${plural(n, "record")} from ${dbPath} to ${file}`);
  return 0;
}
