/**
 * vectlite: an embedded vector database for Bun and Deno. One `.vdb` file per database,
 * exact search with MongoDB-style filters, namespaces, named vectors, a crash-safe WAL.
 *
 * ```ts
 * import * as vectlite from "./mod.ts";
 * await using db = await vectlite.open("knowledge.vdb", { dimension: 384 });
 * await db.upsert("doc1", embedding, { source: "blog" });
 * const hits = await db.search(query, { k: 5, filter: { source: "blog" } });
 * ```
 *
 * @module
 */
export { open, restore, Database } from "./src/database.ts";
export { openStore, Store } from "./src/store.ts";
export { Transaction } from "./src/transaction.ts";
export * as rerankers from "./src/rerankers.ts";
export { searchText, upsertText, type Embed, type TextOptions } from "./src/text.ts";
export type { RerankContext, Reranker } from "./src/rerankers.ts";
export { VectLiteError, type ErrorCode, type VectLiteErrorDetails } from "./src/errors.ts";
export { version } from "./src/version.ts";
export { sparseTerms } from "./src/analyzers.ts";
export * as analyzers from "./src/analyzers.ts";
export { Analyzer, type AnalyzerConfig, type AnalyzerStep } from "./src/analyzers.ts";
export type {
  BulkIngestOptions,
  CountOptions,
  DatabaseStats,
  IndexStats,
  NamespaceStats,
  Bm25Explain,
  Explain,
  Filter,
  GetOptions,
  ListOptions,
  Metadata,
  MetadataValue,
  Metric,
  OpenOptions,
  RestoreOptions,
  RecordInput,
  SearchOptions,
  SearchResult,
  SearchStats,
  SparseVector,
  StoredRecord,
  Vector,
  WriteOptions,
} from "./src/types.ts";
