/**
 * `vectlite export <db> [file]`: every record of every namespace, vectors included, as JSONL
 * that `vectlite import` reads back, or with `--to pgvector` as a SQL script that loads them
 * into Postgres with pgvector (a table per namespace).
 *
 * @module
 */
import * as vectlite from "../../mod.ts";
import type { StoredRecord } from "../../mod.ts";
import { type Parsed, positionals, UsageError } from "../args.ts";
import { exportToPostgres, sqlScriptClient } from "../../src/pgvector/mod.ts";
import { exportArrow, exportParquet } from "../../src/columnar/mod.ts";
import { withPostgres } from "../postgres.ts";
import { eprintln, plural, TextOut } from "../output.ts";
import { walkRecords } from "../walk.ts";

export const flags = { to: "string", "table-prefix": "string", url: "string", "statement-bytes": "integer" } as const;

/**
 * The shortest decimal that reads back as the float32 `x` (at most 9 significant digits):
 * `0.1` rather than its float64 expansion `0.10000000149011612`, so files stay the size of
 * the input and every value still round-trips exactly.
 */
export function float32Text(x: number): string {
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  // Most float32s need 7 to 9 digits: start at 6, look lower only when 6 already reads back.
  let p = 6;
  if (Math.fround(Number(x.toPrecision(p))) === x) {
    while (p > 1 && Math.fround(Number(x.toPrecision(p - 1))) === x) p--;
  } else {
    while (p < 9 && Math.fround(Number(x.toPrecision(p))) !== x) p++;
  }
  return String(Number(x.toPrecision(p)));
}

function vectorText(v: ArrayLike<number>): string {
  return `[${Array.from(v, float32Text).join(",")}]`;
}

/** One record as a JSONL line, each float32 in its shortest exact form. */
export function recordLine(r: StoredRecord): string {
  let line = `{"id":${JSON.stringify(r.id)},"namespace":${JSON.stringify(r.namespace)},"vector":${vectorText(r.vector ?? [])},"metadata":${JSON.stringify(r.metadata)}`;
  if (r.sparse && Object.keys(r.sparse).length > 0) line += `,"sparse":${JSON.stringify(r.sparse)}`;
  if (r.vectors && Object.keys(r.vectors).length > 0) {
    line += `,"vectors":{${Object.entries(r.vectors).map(([name, v]) => `${JSON.stringify(name)}:${vectorText(v)}`).join(",")}}`;
  }
  if (r.multiVectors && Object.keys(r.multiVectors).length > 0) {
    line += `,"multiVectors":{${Object.entries(r.multiVectors).map(([name, list]) => `${JSON.stringify(name)}:[${list.map(vectorText).join(",")}]`).join(",")}}`;
  }
  if (r.expiresAt !== undefined) line += `,"expiresAt":${r.expiresAt}`;
  return `${line}}`;
}

export async function run(parsed: Parsed): Promise<number> {
  const [dbPath, file] = positionals("export", parsed, ["db"], ["file"]);
  const to = (parsed.flags.to as string | undefined) ?? "jsonl";
  if (!["jsonl", "pgvector", "arrow", "parquet"].includes(to)) {
    throw new UsageError(`--to must be jsonl, pgvector, arrow or parquet, found ${JSON.stringify(to)}`, "export");
  }
  if ((to === "arrow" || to === "parquet") && !file) throw new UsageError(`--to ${to} writes a binary file: name it`, "export");
  if (parsed.flags["table-prefix"] !== undefined && to !== "pgvector") throw new UsageError("--table-prefix goes with --to pgvector", "export");
  const url = parsed.flags.url as string | undefined;
  if (url !== undefined && (to !== "pgvector" || file !== undefined)) throw new UsageError("--url (a Postgres server to write to) goes with --to pgvector and no file", "export");
  await using db = await vectlite.open(dbPath, { readOnly: true });
  if (url !== undefined) {
    const tables = await withPostgres(url, (client) =>
      exportToPostgres(db, client, {
        tablePrefix: parsed.flags["table-prefix"] as string | undefined,
        maxStatementBytes: parsed.flags["statement-bytes"] as number | undefined,
      })
    );
    eprintln(`exported ${plural(tables.reduce((n, t) => n + t.records, 0), "record")} from ${dbPath} to ${plural(tables.length, "table")} of the Postgres server`);
    return 0;
  }
  if (to === "arrow" || to === "parquet") {
    const n = await (to === "arrow" ? exportArrow : exportParquet)(db, file);
    eprintln(`exported ${plural(n, "record")} from ${dbPath} to ${file} (${to})`);
    return 0;
  }
  const out = file ? await TextOut.file(file) : TextOut.stdout();
  let n = 0;
  try {
    if (to === "pgvector") {
      const script = sqlScriptClient((text) => out.write(text));
      await script.begin();
      const tables = await exportToPostgres(db, script, { tablePrefix: parsed.flags["table-prefix"] as string | undefined });
      await script.end();
      n = tables.reduce((sum, t) => sum + t.records, 0);
    } else {
      for await (const page of walkRecords(db)) {
        await out.write(page.map((r) => recordLine(r) + "\n").join(""));
        n += page.length;
      }
    }
  } finally {
    await out.close();
  }
  eprintln(`exported ${plural(n, "record")} from ${dbPath} to ${file ?? "standard output"}`);
  return 0;
}
