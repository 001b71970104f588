/**
 * vectlite: an embedded vector database for Bun, Deno and Node.js. One `.vdb` file per
 * database, no server: dense search (exact, or an HNSW graph per namespace), BM25 keyword and
 * hybrid search, MongoDB-style filters evaluated inside the search, namespaces, named vectors,
 * and a crash-safe write-ahead log. A Rust library does the work behind one async API.
 *
 * ```ts
 * import * as vectlite from "jsr:@vectlite/vectlite";
 * await using db = await vectlite.open("knowledge.vdb", { dimension: 384 });
 * await db.upsert("doc1", embedding, { source: "blog" });
 * const hits = await db.search(query, { k: 5, filter: { source: "blog" } });
 * ```
 *
 * Every write resolves once it is durable; calls on a database keep their issue order, awaited
 * or not. Imported from JSR, Deno cannot load the packaged native library where it is (over
 * HTTPS): set `VECTLITE_LIB` to a local copy of it, or call `useLibrary` from `compiled.ts`.
 * The manual is in the repository's `docs/` (api.md, filters.md, durability.md).
 *
 * @module
 */
export { open, restore, Database } from "./src/database.ts";
export { openStore, Store } from "./src/store.ts";
export { dropDatabase } from "./src/maintenance.ts";
export { Transaction } from "./src/transaction.ts";
export * as rerankers from "./src/rerankers.ts";
export { searchText, upsertText, upsertTexts, type Embed, type Embedded, type EmbedMany, type TextOptions, type TextRecord } from "./src/text.ts";
export type { RerankContext, Reranker } from "./src/rerankers.ts";
export {
  importPython,
  type ImportPythonOptions,
  type ImportPythonProgress,
  type ImportPythonResult,
} from "./src/python-import/import.ts";
export { VectLiteError, type ErrorCode, type VectLiteErrorDetails } from "./src/errors.ts";
export { version } from "./src/version.ts";
export { setReadThreads } from "./src/threads.ts";
export { sparseTerms } from "./src/analyzers.ts";
export * as analyzers from "./src/analyzers.ts";
export { Analyzer, type AnalyzerConfig, type AnalyzerStep } from "./src/analyzers.ts";
export type {
  BulkIngestOptions,
  CodeStats,
  CompactOptions,
  CountOptions,
  DatabaseStats,
  IndexStats,
  NamespaceStats,
  Bm25Explain,
  Explain,
  Filter,
  AbortSignalLike,
  CopyOptions,
  LongCallOptions,
  ProgressEvent,
  SearchBatchOptions,
  GetOptions,
  IterateOptions,
  ListOptions,
  ListPage,
  Metadata,
  MetadataValue,
  Metric,
  OpenOptions,
  Quantization,
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
