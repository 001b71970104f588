/**
 * Text helpers: an embedding and sparse terms from the same text in one call.
 *
 * ```ts
 * const embed = async (text: string) => (await model.embed(text)) as Float32Array;
 * await upsertText(db, "doc1", "How to reset your password", embed, { source: "docs" });
 * const hits = await searchText(db, "password reset", embed, { k: 5 });
 * ```
 *
 * An embed function may also resolve with the Vercel AI SDK's results as they are:
 * `{ embedding }` from `embed`, `{ embeddings }` from `embedMany` (for `upsertTexts`):
 *
 * ```ts
 * import { embed, embedMany } from "ai";
 * const model = openai.embedding("text-embedding-3-small");
 * await upsertTexts(db, docs, (values) => embedMany({ model, values }));
 * const hits = await searchText(db, "password reset", (value) => embed({ model, value }));
 * ```
 *
 * @module
 */
import type { Analyzer } from "./analyzers.ts";
import type { Database } from "./database.ts";
import { VectLiteError } from "./errors.ts";
import type { Metadata, SearchOptions, SearchResult, SparseVector, Vector } from "./types.ts";

/** What an embed function gives: a vector, or an object holding it as `embedding` (the AI SDK's `embed` result). */
export type Embedded = Vector | { embedding: Vector };

/** Turns text into a dense vector: your embedding model, sync or async. */
export type Embed = (text: string) => Embedded | Promise<Embedded>;

/**
 * Turns many texts into their vectors, in order, in one call: an array of vectors, or an
 * object holding them as `embeddings` (the AI SDK's `embedMany` result).
 */
export type EmbedMany = (texts: string[]) => Vector[] | { embeddings: Vector[] } | Promise<Vector[] | { embeddings: Vector[] }>;

/** One text for `upsertTexts`. */
export interface TextRecord {
  /** The record's id. */
  id: string;
  /** The text to embed, analyze into keyword terms and keep as `metadata.text`. */
  text: string;
  /** Metadata besides the text. */
  metadata?: Metadata;
}

/** The vector of an embed function's result. */
function vectorOf(result: Embedded): Vector {
  if (result !== null && typeof result === "object" && !Array.isArray(result) && !ArrayBuffer.isView(result) && "embedding" in result) {
    return result.embedding;
  }
  return result as Vector;
}

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
  const vector = vectorOf(await embed(text));
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
  const vector = vectorOf(await embed(text));
  return await db.search(vector, { ...search, sparse: search.sparse ?? termsOf(text, analyzer, db), queryText: text });
}

/**
 * `upsertText` for many records with one embedding call (`embedMany`) and one write: each
 * record's text is embedded, analyzed into its keyword terms and kept as `metadata.text`.
 * Resolves with how many were written.
 */
export async function upsertTexts(db: Database, records: TextRecord[], embedMany: EmbedMany, options: TextOptions = {}): Promise<number> {
  if (!Array.isArray(records)) throw new VectLiteError("INVALID_ARGUMENT", "records must be an array of { id, text, metadata? }");
  if (typeof embedMany !== "function") throw new VectLiteError("INVALID_ARGUMENT", "embedMany must be a function (texts) => vectors");
  records.forEach((r, i) => {
    if (typeof r?.text !== "string") throw new VectLiteError("INVALID_ARGUMENT", `records[${i}].text must be a string`);
  });
  if (records.length === 0) return 0;
  const result = await embedMany(records.map((r) => r.text));
  const vectors = Array.isArray(result) ? result : result?.embeddings;
  if (!Array.isArray(vectors) || vectors.length !== records.length) {
    throw new VectLiteError("INVALID_ARGUMENT", `embedMany gave ${Array.isArray(vectors) ? vectors.length : "no"} vectors for ${records.length} texts`);
  }
  return await db.upsertMany(
    records.map((r, i) => {
      const metadata = r.metadata ?? {};
      const terms = options.analyzer ? { sparse: options.analyzer.sparseTerms(r.text) } : { text: r.text };
      return { id: r.id, vector: vectors[i], metadata: "text" in metadata ? metadata : { text: r.text, ...metadata }, ...terms };
    }),
    { namespace: options.namespace },
  );
}
