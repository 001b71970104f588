/**
 * `vectlite info <db>`: what a database holds and how it is indexed.
 *
 * @module
 */
import * as vectlite from "../../mod.ts";
import { type Parsed, positionals } from "../args.ts";
import { bytes, count, plural, println } from "../output.ts";

export const flags = { json: "boolean" } as const;

export async function run(parsed: Parsed): Promise<number> {
  const [dbPath] = positionals("info", parsed, ["db"]);
  await using db = await vectlite.open(dbPath, { readOnly: true });
  const stats = await db.stats();
  const { files } = stats;
  if (parsed.flags.json) {
    println(JSON.stringify(stats));
    return 0;
  }
  const names = Object.keys(stats.namespaces).sort();
  println(`database   ${dbPath}`);
  println(`files      ${bytes(files.vdb.bytes ?? 0)} (.vdb), ${files.wal.bytes === null ? "no WAL" : `${bytes(files.wal.bytes)} (${files.wal.path})`}`);
  println(`dimension  ${stats.dimension}`);
  println(`metric     ${stats.metric}`);
  println(`quantized  ${typeof stats.quantization === "string" ? stats.quantization : JSON.stringify(stats.quantization)}`);
  println(`records    ${count(stats.records)} in ${plural(names.length, "namespace")}`);
  println(`indexes    ${stats.indexesLoaded} graph${stats.indexesLoaded === 1 ? "" : "s"} loaded from the file, ${stats.indexBuilds} built at open`);
  for (const name of names) {
    const ns = stats.namespaces[name];
    const graph = ns.index
      ? `HNSW graph: ${plural(ns.index.nodes, "node")} (${count(ns.index.live)} live), ${bytes(ns.index.bytes)}`
      : "no graph (exact scan)";
    const dead = ns.deadSlots ? `, ${plural(ns.deadSlots, "deleted slot")} (compact drops them)` : "";
    const codes = ns.codes ? `; ${ns.codes.kind} codes (${ns.codes.kernel})` : "";
    println(`namespace  ${JSON.stringify(name)}: ${plural(ns.records, "record")}${dead}; ${graph}${codes}`);
  }
  return 0;
}
