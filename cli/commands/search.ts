/**
 * `vectlite search <db>`: dense (--vector), keyword (--text) or hybrid (both) search.
 *
 * @module
 */
import * as vectlite from "../../mod.ts";
import { type Filter, VectLiteError } from "../../mod.ts";
import { jsonFlag, type Parsed, positionals, UsageError } from "../args.ts";
import { println } from "../output.ts";

export const flags = { vector: "string", text: "string", k: "integer", filter: "string", namespace: "string" } as const;

export async function run(parsed: Parsed): Promise<number> {
  const [dbPath] = positionals("search", parsed, ["db"]);
  const f = parsed.flags;
  if (f.vector === undefined && f.text === undefined) throw new UsageError("give --vector '[...]' or --text \"words\" (or both)", "search");
  let vector: Float32Array | null = null;
  if (f.vector !== undefined) {
    const v = jsonFlag("search", "vector", f.vector as string);
    if (!Array.isArray(v) || v.some((x) => typeof x !== "number")) throw new UsageError("--vector must be a JSON array of numbers", "search");
    vector = Float32Array.from(v as number[]);
  }
  const filter = f.filter === undefined ? undefined : (jsonFlag("search", "filter", f.filter as string) as Filter);
  await using db = await vectlite.open(dbPath, { readOnly: true });
  let sparse: Record<string, number> | undefined;
  if (f.text !== undefined) {
    // The database's own analyzer: the one its records' text was analyzed with.
    sparse = db.analyzer.sparseTerms(f.text as string);
    if (Object.keys(sparse).length === 0) {
      throw new VectLiteError("INVALID_ARGUMENT", `--text ${JSON.stringify(f.text)} has no searchable words (only stopwords or punctuation)`);
    }
  }
  const results = await db.search(vector, {
    k: (f.k as number | undefined) ?? 10,
    filter,
    namespace: f.namespace as string | undefined,
    sparse,
  });
  for (const r of results) println(JSON.stringify({ id: r.id, score: r.score, namespace: r.namespace, metadata: r.metadata }));
  return 0;
}
