/**
 * The public types of vectlite's API.
 *
 * @module
 */

import type { Reranker } from "./rerankers.ts";

/** A dense vector. A Float32Array crosses into the native library without a copy. */
export type Vector = Float32Array | number[];

/** Sparse terms with weights, e.g. from `sparseTerms(text)`. */
export type SparseVector = Record<string, number>;

/** A JSON value stored as metadata. */
export type MetadataValue = string | number | boolean | null | MetadataValue[] | { [key: string]: MetadataValue };

/** A record's metadata: a JSON object. */
export type Metadata = { [key: string]: MetadataValue };

/** How vectors are compared. Scores are always "higher is better". */
export type Metric = "cosine" | "dot" | "l2";

/** A MongoDB-style metadata filter, e.g. `{ source: "blog", year: { $gte: 2020 } }`. */
export type Filter = { [key: string]: unknown };

/** Options of `open`. */
export interface OpenOptions {
  /** Required to create a database; checked against an existing file. */
  dimension?: number;
  /** `"cosine"` (default), `"dot"` or `"l2"`; fixed at creation. */
  metric?: Metric;
  /** Take a shared lock; every write rejects with `READ_ONLY`. */
  readOnly?: boolean;
  /** How long to keep retrying for the file lock before `LOCKED` (default 0). */
  lockTimeoutMs?: number;
  /** `"full"` (default): a write resolves after its WAL frame is fsynced. `"normal"`: fsync in batches. */
  sync?: "full" | "normal";
  /** ANN parameters (used by the HNSW index; accepted and validated today). */
  hnsw?: { m?: number; efConstruction?: number; efSearch?: number };
  /** Below this many records a namespace is searched exactly (default 128). */
  annThreshold?: number;
}

/** A record to write. */
export interface RecordInput {
  id: string;
  vector: Vector;
  metadata?: Metadata;
  sparse?: SparseVector;
  /** Named vectors, each with its own dimension, fixed on first use. */
  vectors?: Record<string, Vector>;
  /** The record's namespace; defaults to the call's `namespace` option, then `""`. */
  namespace?: string;
}

/** Extra fields of a single `upsert`/`insert`. */
export interface WriteOptions {
  sparse?: SparseVector;
  vectors?: Record<string, Vector>;
  namespace?: string;
}

/** A stored record as `get` and `list` return it. */
export interface StoredRecord {
  id: string;
  namespace: string;
  metadata: Metadata;
  sparse?: SparseVector;
  /** Only with `includeVectors`. */
  vector?: Float32Array;
  /** Only with `includeVectors`, when the record has named vectors. */
  vectors?: Record<string, Float32Array>;
}

/** How a result's score was made (filled in by hybrid search; see `explain`). */
export interface Explain {
  denseScore?: number;
  sparseScore?: number;
  denseRank?: number;
  sparseRank?: number;
  fusion: "linear" | "rrf";
  termScores?: Record<string, number>;
  vectorScores?: Record<string, number>;
  rerankScore?: number;
  mmrPenalty?: number;
}

/** One search hit, best first. */
export interface SearchResult {
  id: string;
  score: number;
  namespace: string;
  metadata: Metadata;
  vector?: Float32Array;
  explain?: Explain;
}

/** Options of `search`. */
export interface SearchOptions {
  /** Results wanted (default 10). */
  k?: number;
  /** Applied during the search, so k results come back whenever k records match. */
  filter?: Filter;
  /** One namespace (default `""`) or `"*"` for all. */
  namespace?: string;
  /** Several namespaces, or `"*"` for all. */
  namespaces?: string[] | "*";
  /** Return the stored vectors. */
  includeVectors?: boolean;
  /** Force an exact scan (every search is exact until the HNSW index lands). */
  exact?: boolean;
  /** HNSW search effort for this query. */
  efSearch?: number;
  /** Sparse query terms (e.g. `sparseTerms(text)`): BM25 keyword search, hybrid when a query vector is given too. */
  sparse?: SparseVector;
  /** How dense and sparse results combine: `"linear"` (default) or `"rrf"`. */
  fusion?: "linear" | "rrf";
  /** Linear fusion weight of the dense side's min-max normalised scores (default 1). */
  denseWeight?: number;
  /** Linear fusion weight of the sparse side's min-max normalised scores (default 1). */
  sparseWeight?: number;
  /** RRF constant: each side adds 1 / (rrfK + rank) (default 60). */
  rrfK?: number;
  /** Attach an `explain` payload to each result. */
  explain?: boolean;
  /** Search this named vector space with the query vector. */
  vectorName?: string;
  /** A multi-vector query: a query vector per named space (`""` is the main vector), fused by weighted sum. */
  vectors?: Record<string, Vector>;
  /** Weights of a multi-vector query's spaces (default 1 each). */
  vectorWeights?: Record<string, number>;
  /** MMR diversification over the best `fetchK` candidates: 1 = pure relevance, 0 = pure diversity. */
  mmrLambda?: number;
  /** Candidates MMR or a reranker chooses from (default 4k). */
  fetchK?: number;
  /** A reranker (see `rerankers`), applied to the fused candidates. */
  rerank?: Reranker;
  /** The query's text, for rerankers that read it (set by `searchText`). */
  queryText?: string;
}

/** What `searchWithStats` reports. */
export interface SearchStats {
  timings: { totalUs: number; denseUs: number; sparseUs: number; fusionUs: number; filterUs: number; rerankUs: number };
  usedAnn: boolean;
  /** The plan that ran: `"exact"`, `"filtered-exact"` (a selective filter) or `"hnsw"`. */
  plan: "exact" | "filtered-exact" | "hnsw";
  candidates: number;
  visited: number;
  filtered: number;
  termStats?: Record<string, { df: number; idf: number }>;
}

/** Options of `count`. */
export interface CountOptions {
  namespace?: string;
  namespaces?: string[] | "*";
  filter?: Filter;
}

/** Options of `list`. */
export interface ListOptions extends CountOptions {
  /** At most this many records (0 = all). */
  limit?: number;
  offset?: number;
  includeVectors?: boolean;
}

/** Options of `get`. */
export interface GetOptions {
  namespace?: string;
  includeVectors?: boolean;
}

/** Options of `bulkIngest`. */
export interface BulkIngestOptions {
  namespace?: string;
  batchSize?: number;
  onProgress?: (progress: { done: number; total?: number }) => void;
}

/** What `db.stats()` reports. */
export interface DatabaseStats {
  path: string;
  dimension: number;
  metric: Metric;
  readOnly: boolean;
  records: number;
  walBytes: number;
  /** HNSW graphs built from scratch since this handle opened. */
  indexBuilds: number;
  /** HNSW graphs loaded from the file at open (no rebuild). */
  indexesLoaded: number;
  namespaces: Record<string, NamespaceStats>;
}

/** An HNSW graph's size: nodes (tombstones included), live nodes, bytes of links. */
export interface IndexStats {
  nodes: number;
  live: number;
  bytes: number;
}

/** One namespace in `stats()`: its records, tombstoned slots, and graphs. */
export interface NamespaceStats {
  records: number;
  /** Slots of deleted or replaced records, dropped by `compact`. */
  deadSlots: number;
  /** The main vectors' graph, or null while the namespace is scanned exactly. */
  index: IndexStats | null;
  /** Each named vector space: how many records have a vector there, its dimension, and its own graph. */
  named: Record<string, { vectors: number; dimension: number; deadSlots: number; index: IndexStats | null }>;
}
