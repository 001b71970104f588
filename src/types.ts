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
  /** HNSW graph parameters: links per node, build effort, and the default search effort. */
  hnsw?: { m?: number; efConstruction?: number; efSearch?: number };
  /** A namespace gets an HNSW graph once it holds more than this many records (default 128). */
  annThreshold?: number;
}

/** A record to write. */
export interface RecordInput {
  /** The record's id, unique within its namespace. */
  id: string;
  /** The main vector; its length must be the database's dimension. */
  vector: Vector;
  /** Plain JSON metadata, for filters and for the results. */
  metadata?: Metadata;
  /** Sparse terms for keyword (BM25) and hybrid search, e.g. `sparseTerms(text)`. */
  sparse?: SparseVector;
  /** Named vectors, each with its own dimension, fixed on first use. */
  vectors?: Record<string, Vector>;
  /** The record's namespace; defaults to the call's `namespace` option, then `""`. */
  namespace?: string;
}

/** Extra fields of a single `upsert`/`insert`. */
export interface WriteOptions {
  /** Sparse terms for keyword (BM25) and hybrid search, e.g. `sparseTerms(text)`. */
  sparse?: SparseVector;
  /** Named vectors, each with its own dimension, fixed on first use. */
  vectors?: Record<string, Vector>;
  /** The record's namespace (default `""`). */
  namespace?: string;
}

/** A stored record as `get` and `list` return it. */
export interface StoredRecord {
  /** The record's id. */
  id: string;
  /** The namespace holding it (`""` is the default one). */
  namespace: string;
  /** Its metadata (`{}` when it has none). */
  metadata: Metadata;
  /** Its sparse terms, when it has any. */
  sparse?: SparseVector;
  /** Only with `includeVectors`. */
  vector?: Float32Array;
  /** Only with `includeVectors`, when the record has named vectors. */
  vectors?: Record<string, Float32Array>;
}

/** How a result's score was made (filled in by hybrid search; see `explain`). */
export interface Explain {
  /** The dense side's raw score (absent when the record was not among its candidates). */
  denseScore?: number;
  /** The sparse side's raw BM25 score (absent when the record was not among its candidates). */
  sparseScore?: number;
  /** 1-based rank among the dense candidates. */
  denseRank?: number;
  /** 1-based rank among the sparse candidates. */
  sparseRank?: number;
  /** How the two sides were combined. */
  fusion: "linear" | "rrf";
  /** Each query term's share of the BM25 score. */
  termScores?: Record<string, number>;
  /** Each vector space's score, for a multi-vector query (`""` is the main vector). */
  vectorScores?: Record<string, number>;
  /** The score a reranker gave. */
  rerankScore?: number;
  /** What MMR subtracted for similarity to the results picked before. */
  mmrPenalty?: number;
}

/** One search hit, best first. */
export interface SearchResult {
  /** The record's id. */
  id: string;
  /** Higher is better: cosine similarity, dot product, negated L2 distance, or the fused/reranked score. */
  score: number;
  /** The namespace holding the record. */
  namespace: string;
  /** The record's metadata. */
  metadata: Metadata;
  /** The stored vector, only with `includeVectors`. */
  vector?: Float32Array;
  /** How the score was made, only with `explain: true`. */
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
  /** Force an exact scan instead of the HNSW graph. */
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
  /** Microseconds spent in each stage of the search. */
  timings: { totalUs: number; denseUs: number; sparseUs: number; fusionUs: number; filterUs: number; rerankUs: number };
  /** Whether any namespace was searched through its HNSW graph. */
  usedAnn: boolean;
  /** The plan that ran: `"exact"`, `"filtered-exact"` (a selective filter) or `"hnsw"`. */
  plan: "exact" | "filtered-exact" | "hnsw";
  /** Results the native search produced (a reranker or MMR may cut them further). */
  candidates: number;
  /** Records (or graph nodes) whose vector was scored. */
  visited: number;
  /** Records the filter rejected. */
  filtered: number;
  /** Per query term: how many records hold it (`df`) and its BM25 idf. */
  termStats?: Record<string, { df: number; idf: number }>;
}

/** Options of `count`. */
export interface CountOptions {
  /** One namespace (default `""`) or `"*"` for all. */
  namespace?: string;
  /** Several namespaces, or `"*"` for all. */
  namespaces?: string[] | "*";
  /** Only records matching this filter. */
  filter?: Filter;
}

/** Options of `list`. */
export interface ListOptions extends CountOptions {
  /** At most this many records (0 = all). */
  limit?: number;
  /** Records to skip first, in storage order (default 0). */
  offset?: number;
  /** Return the stored vectors. */
  includeVectors?: boolean;
}

/** Options of `get`. */
export interface GetOptions {
  /** The record's namespace (default `""`). */
  namespace?: string;
  /** Return the stored vectors. */
  includeVectors?: boolean;
}

/** Options of `bulkIngest`. */
export interface BulkIngestOptions {
  /** The namespace of records that name none (default `""`). */
  namespace?: string;
  /** Records per transaction (default 10,000). */
  batchSize?: number;
  /** Called after each committed batch with the records written so far. */
  onProgress?: (progress: { done: number; total?: number }) => void;
}

/** What `db.stats()` reports. */
export interface DatabaseStats {
  /** The `.vdb` file's path. */
  path: string;
  /** The main vectors' dimension. */
  dimension: number;
  /** The metric fixed at creation. */
  metric: Metric;
  /** Whether this handle was opened read-only. */
  readOnly: boolean;
  /** Live records over all namespaces. */
  records: number;
  /** The WAL's size in bytes (0 right after a compaction). */
  walBytes: number;
  /** HNSW graphs built from scratch since this handle opened. */
  indexBuilds: number;
  /** HNSW graphs loaded from the file at open (no rebuild). */
  indexesLoaded: number;
  /** Per namespace: live records, slots of deleted records awaiting compaction, and its HNSW graph (null without one). */
  namespaces: Record<string, { records: number; deadSlots: number; index: { nodes: number; live: number; bytes: number } | null }>;
}
