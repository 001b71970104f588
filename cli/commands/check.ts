/**
 * `vectlite check <db>`: a read-only open and `check()` (every checksum verified, the WAL
 * replayed) and a walk of every record.
 *
 * @module
 */
import * as vectlite from "../../mod.ts";
import { VectLiteError } from "../../mod.ts";
import { type Parsed, positionals } from "../args.ts";
import { bytes, count, plural, println } from "../output.ts";
import { walkRecords } from "../walk.ts";

export const flags = {} as const;

export async function run(parsed: Parsed): Promise<number> {
  const [dbPath] = positionals("check", parsed, ["db"]);
  // Opening verifies the header, every section's and every WAL frame's CRC32C (but that of a
  // large section used in place, which `check()` verifies) and replays the WAL.
  await using db = await vectlite.open(dbPath, { readOnly: true });
  await db.check();
  const stats = await db.stats();
  const { files } = stats;
  println(`${dbPath}: checksums verified (.vdb ${bytes(files.vdb.bytes ?? 0)}), WAL replayed (${files.wal.bytes === null ? "none" : bytes(files.wal.bytes)})`);

  const corrupt = (what: string) => new VectLiteError("CORRUPT", `${dbPath}: ${what}`);
  const seen = new Map<string, Set<string>>();
  let walked = 0;
  for await (const page of walkRecords(db)) {
    for (const r of page) {
      const ids = seen.get(r.namespace) ?? new Set<string>();
      seen.set(r.namespace, ids);
      if (ids.has(r.id)) throw corrupt(`record ${JSON.stringify(r.id)} appears twice in namespace ${JSON.stringify(r.namespace)}`);
      ids.add(r.id);
      const v = r.vector;
      if (!v || v.length !== stats.dimension) {
        throw corrupt(`record ${JSON.stringify(r.id)} has ${v?.length ?? 0} values, the database has dimension ${stats.dimension}`);
      }
      for (let i = 0; i < v.length; i++) {
        if (!Number.isFinite(v[i])) throw corrupt(`record ${JSON.stringify(r.id)} has ${v[i]} at vector[${i}]`);
      }
      walked++;
    }
  }
  if (walked !== stats.records) throw corrupt(`walked ${walked} records, the index counts ${stats.records}`);
  println(`records: ${plural(walked, "record")} walked, each id once, every vector ${stats.dimension} finite values`);
  for (const name of Object.keys(stats.namespaces).sort()) {
    const ns = stats.namespaces[name];
    const got = seen.get(name)?.size ?? 0;
    if (got !== ns.records) throw corrupt(`namespace ${JSON.stringify(name)}: walked ${got} records, the index counts ${ns.records}`);
    const graph = ns.index ? `graph: loaded, ${plural(ns.index.nodes, "node")} (${count(ns.index.live)} live)` : "graph: none (exact scan)";
    println(`namespace ${JSON.stringify(name)}: ${plural(ns.records, "record")}; ${graph}`);
  }
  println(`graphs: ${stats.indexesLoaded} loaded from the file, ${stats.indexBuilds} built at open (graph structure: no check yet)`);
  println("ok");
  return 0;
}
