/**
 * Text helpers: an embedding and sparse terms from the same text in one call.
 *
 * ```ts
 * const embed = async (text: string) => (await model.embed(text)) as Float32Array;
 * await upsertText(db, "doc1", "How to reset your password", embed, { source: "docs" });
 * const hits = await searchText(db, "password reset", embed, { k: 5 });
 * ```
 *
 * @module
 */
import type { Analyzer } from "./analyzers.ts";
import type { Database } from "./database.ts";
import { VectLiteError } from "./errors.ts";
import type { Metadata, SearchOptions, SearchResult, SparseVector, Vector } from "./types.ts";

/** Turns text into a dense vector: your embedding model, sync or async. */
export type Embed = (text: string) => Vector | Promise<Vector>;

/** Options of the text helpers. */
export interface TextOptions {
  /** The analyzer for the sparse terms (default: the database's own, `db.analyzer`). Use the same one to index and to query. */
  analyzer?: Analyzer;
  /** The record's (or search's) namespace. */
  namespace?: string;
}

/** The terms of `text` under `analyzer`, else the database's own analyzer. */
function termsOf(text: string, analyzer: Analyzer | undefined, db: Database): SparseVector {
  if (analyzer) return analyzer.sparseTerms(text);
  return db.analyzer.sparseTerms(text);
}

function checkText(text: unknown, embed: unknown): asserts text is string {
  if (typeof text !== "string") throw new VectLiteError("INVALID_ARGUMENT", `text must be a string, found ${typeof text}`);
  if (typeof embed !== "function") throw new VectLiteError("INVALID_ARGUMENT", "embed must be a function (text) => vector");
}

/**
 * Embeds `text`, analyses it into sparse terms, and upserts the record. The text is stored
 * as `metadata.text` (unless the metadata already has a `text` field), where the `textMatch`,
 * `crossEncoder` and `biEncoder` rerankers read it.
 */
export async function upsertText(
  db: Database,
  id: string,
  text: string,
  embed: Embed,
  metadata: Metadata = {},
  options: TextOptions = {},
): Promise<void> {
  checkText(text, embed);
  const vector = await embed(text);
  const meta: Metadata = "text" in (metadata ?? {}) ? metadata : { text, ...metadata };
  // With the database's own analyzer the native write analyzes the text.
  const terms = options.analyzer ? { sparse: options.analyzer.sparseTerms(text) } : { text };
  await db.upsert(id, vector, meta, { ...terms, namespace: options.namespace });
}

/**
 * Hybrid search for `text`: its embedding on the dense side, its terms on the sparse side,
 * and the text itself for rerankers (`queryText`). Other options are `search`'s.
 */
export async function searchText(
  db: Database,
  text: string,
  embed: Embed,
  options: SearchOptions & { analyzer?: Analyzer } = {},
): Promise<SearchResult[]> {
  checkText(text, embed);
  const { analyzer, ...search } = options;
  const vector = await embed(text);
  return await db.search(vector, { ...search, sparse: search.sparse ?? termsOf(text, analyzer, db), queryText: text });
}
