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

import type { Analyzer, AnalyzerConfig } from "./analyzers.ts";

/** How vectors are compared. Scores are always "higher is better". */
export type Metric = "cosine" | "dot" | "l2" | "manhattan";

/** A MongoDB-style metadata filter, e.g. `{ source: "blog", year: { $gte: 2020 } }`. */
export type Filter = { [key: string]: unknown };

/** Options of `open`. */
export interface OpenOptions {
  /** Required to create a database (an integer from 1 to 65,536); checked against an existing file. */
  dimension?: number;
  /** `"cosine"` (default), `"dot"`, `"l2"` (Euclidean) or `"manhattan"` (L1); fixed at creation. */
  metric?: Metric;
  /** Open without the writer's lock, beside a writer if there is one, seeing what was committed before the open; every write rejects with `READ_ONLY`. */
  readOnly?: boolean;
  /** Milliseconds to keep retrying for the writer's lock before `LOCKED` (default 0; a finite number, not negative). */
  lockTimeoutMs?: number;
  /** `"full"` (default): a write resolves after its WAL frame is fsynced. `"normal"`: fsync at most every 200 ms. */
  sync?: "full" | "normal";
  /**
   * HNSW graph parameters: `m` links per node (2 to 512, default 16), `efConstruction` (1 to
   * 65,536, default 200, raised to at least `m`), and `efSearch`, the default search effort
   * (1 to 65,536; without it each query uses max(64, 2k)).
   */
  hnsw?: { m?: number; efConstruction?: number; efSearch?: number };
  /**
   * A namespace (and each named vector space) gets an HNSW graph once it holds more than this
   * many records; up to then it is scanned exactly (default 128; 0 to 4,294,967,295).
   */
  annThreshold?: number;
  /**
   * The text analyzer the database is built with: stored in the file at creation and fixed
   * from then on (like `metric`); `db.analyzer` returns it, and `upsertText`/`searchText` use it
   * unless given another. Default: the English analyzer of `sparseTerms`.
   */
  analyzer?: Analyzer | AnalyzerConfig;
  /**
   * Quantized codes for the graph walk and the scan, stored in the file at creation:
   * `"int8"` (the default for a new database: 4x smaller than float32, faster at the same
   * recall), `"none"` (float32 only; files made before quantization existed are read as
   * this) or `"binary"` (32x smaller; for 1,024 dimensions and more). Either one name
   * for every vector space, or an object by space name: `""` the main vectors, `"*"` every
   * named space not listed. Codes rank candidates; the best `k x rescore` are scored again
   * with the float32 vectors, so returned scores are exact. On an existing file it must
   * equal the stored choice; `compact({ quantization })` converts a database.
   */
  quantization?: Quantization | Record<string, Quantization>;
}

/** How a vector space keeps the codes its searches walk. */
export type Quantization = "none" | "int8" | "binary";

/** Options of `compact`. */
export interface CompactOptions extends LongCallOptions {
  /** Convert every vector space to this quantization (same forms as the open option). */
  quantization?: Quantization | Record<string, Quantization>;
}

/** Options of `restore`: the options the restored database is opened with, and `overwrite`. */
export interface RestoreOptions extends OpenOptions, LongCallOptions {
  /** Replace a database at the destination (under its writer lock; its old WAL is removed). */
  overwrite?: boolean;
}

/** A record to write. */
export interface RecordInput {
  /** The record's id, unique within its namespace (1 to 4,096 bytes of UTF-8). */
  id: string;
  /** The main vector, of the database's dimension. */
  vector: Vector;
  /** JSON metadata that filters can test; an object. */
  metadata?: Metadata;
  /** Sparse terms with their weights (term frequencies from `sparseTerms`), for BM25. */
  sparse?: SparseVector;
  /**
   * Text to index for keyword search, instead of `sparse`: the database's analyzer
   * (`db.analyzer`) turns it into the record's sparse terms inside the native write (a large
   * write, by records or by bytes, runs off the JavaScript thread, on every core); the same
   * terms `db.analyzer.sparseTerms(text)` gives.
   * The text itself is not stored (put it in `metadata` to keep it).
   */
  text?: string;
  /** Named vectors, each with its own dimension, fixed on first use. */
  vectors?: Record<string, Vector>;
  /** The record's namespace; defaults to the call's `namespace` option, then `""`. Not `"*"`, which means every namespace to reads. */
  namespace?: string;
  /**
   * Seconds until the record expires (it is invisible to every read from then on, and a
   * compaction removes it). Not with `expiresAt`. Without either, the record never expires
   * (a write replaces an earlier expiry with its own).
   */
  ttl?: number;
  /** When the record expires, as epoch milliseconds or a `Date` (see `ttl`). */
  expiresAt?: number | Date;
  /**
   * Multi-vector spaces (late interaction, ColBERT-style): per space name, 1 to 4,096 vectors
   * of the space's dimension, fixed database-wide by its first write (independent of the
   * database's dimension and of `vectors`). Searched with the `multiVector` search option. A
   * write replaces the record's multi-vectors with its own (none without this key).
   */
  multiVectors?: Record<string, Vector[]>;
}

/** Extra fields of a single `upsert`/`insert`. */
export interface WriteOptions {
  /** Sparse terms with their weights, for BM25. */
  sparse?: SparseVector;
  /** Text the database's analyzer turns into the sparse terms, instead of `sparse` (see `RecordInput.text`). */
  text?: string;
  /** Named vectors, each with its own dimension. */
  vectors?: Record<string, Vector>;
  /** The record's namespace (default `""`). Not `"*"`, which means every namespace to reads. */
  namespace?: string;
  /** Seconds until the record expires (see `RecordInput.ttl`). */
  ttl?: number;
  /** When the record expires, as epoch milliseconds or a `Date`. */
  expiresAt?: number | Date;
  /** Multi-vector spaces of the record (see `RecordInput.multiVectors`). */
  multiVectors?: Record<string, Vector[]>;
}

/** A stored record as `get` and `list` return it. */
export interface StoredRecord {
  /** The record's id. */
  id: string;
  /** The namespace it lives in. */
  namespace: string;
  /** Its metadata (an empty object when it had none). */
  metadata: Metadata;
  /** Its sparse terms, when it has any. */
  sparse?: SparseVector;
  /** Only with `includeVectors`. */
  vector?: Float32Array;
  /** Only with `includeVectors`, when the record has named vectors. */
  vectors?: Record<string, Float32Array>;
  /** When the record expires (epoch milliseconds), if it was given a `ttl` or `expiresAt`. */
  expiresAt?: number;
  /** Only with `includeVectors`, when the record has multi-vectors: per space, its vectors. */
  multiVectors?: Record<string, Float32Array[]>;
}

/** How a result's score was made (filled in by hybrid search; see `explain`). */
export interface Explain {
  /** The dense side's score, when the dense side found the record. */
  denseScore?: number;
  /** The BM25 score, when the sparse side found the record. */
  sparseScore?: number;
  /** 1-based rank on the dense side. */
  denseRank?: number;
  /** 1-based rank on the sparse side. */
  sparseRank?: number;
  /** How the two sides were fused. */
  fusion: "linear" | "rrf";
  /** Each query term's share of the BM25 score. */
  termScores?: Record<string, number>;
  /** Everything the BM25 score is made of, so it can be recomputed by hand (see `Bm25Explain`). */
  bm25?: Bm25Explain;
  /** Each vector space's score, for a named or multi-vector query. */
  vectorScores?: Record<string, number>;
  /** The score the reranker gave. */
  rerankScore?: number;
  /** MMR's redundancy penalty when the record was picked. */
  mmrPenalty?: number;
}

/**
 * The parts of a record's BM25 score (Okapi BM25, as tantivy and Lucene compute it):
 *
 * ```text
 * score    = Σ_t  queryWeight · idf · tf · (k1 + 1) / (tf + k1 · (1 − b + b · length / avgLength))
 * idf      = ln(1 + (docs − df + 0.5) / (df + 0.5))
 * ```
 */
export interface Bm25Explain {
  /** Term-frequency saturation. */
  k1: number;
  /** Length normalisation. */
  b: number;
  /** N: the records of the namespace that have sparse terms. */
  docs: number;
  /** Their mean length (a length is the sum of a record's term frequencies). */
  avgLength: number;
  /** This record's length. */
  length: number;
  /** Per query term the record contains: its weight in the query, tf, df, idf and its share of the score. */
  terms: Record<string, { queryWeight: number; tf: number; df: number; idf: number; score: number }>;
}

/** One search hit, best first. */
export interface SearchResult {
  /** The record's id. */
  id: string;
  /** Higher is better: cosine similarity, dot product, negated L2 distance, BM25 or the fused score. */
  score: number;
  /** The namespace the record lives in. */
  namespace: string;
  /** The record's metadata. */
  metadata: Metadata;
  /** The main vector, with `includeVectors`. */
  vector?: Float32Array;
  /** How the score was made, with `explain: true`. */
  explain?: Explain;
}

/** Options of `search`. */
export interface SearchOptions {
  /** Results wanted (default 10; an integer from 1 to 4,294,967,295). A search returns at most the records there are. */
  k?: number;
  /** Applied during the search, so k results come back whenever k records match. */
  filter?: Filter;
  /** One namespace (default `""`) or `"*"` for all. */
  namespace?: string;
  /** Several namespaces, or `"*"` for all. */
  namespaces?: string[] | "*";
  /** Return the stored vectors. */
  includeVectors?: boolean;
  /** Scan exactly, also a namespace that has an HNSW graph. */
  exact?: boolean;
  /** HNSW search effort for this query (1 to 65,536; default `hnsw.efSearch` of `open`, else max(64, 2k)). */
  efSearch?: number;
  /**
   * On quantized vector spaces: candidates per result scored again with the float32 vectors
   * (1 to 1,024; default 4 for int8, 10 for binary). Higher: better recall, slower.
   */
  rescore?: number;
  /**
   * Matryoshka (prefix) search: score on the first `truncateDim` dimensions of the query and of
   * every stored main vector (1 to the dimension), for embeddings trained so a prefix is itself
   * an embedding. Exact: every record the filter accepts is scored (cosine on each prefix's own
   * norm). Takes a query vector, not `vectorName`/`vectors`; MMR ranks by its normalised scores.
   */
  truncateDim?: number;
  /** Sparse query terms (e.g. `sparseTerms(text)`): BM25 keyword search, hybrid when a query vector is given too. */
  sparse?: SparseVector;
  /** How dense and sparse results combine: `"linear"` (default) or `"rrf"`. */
  fusion?: "linear" | "rrf";
  /** Linear fusion weight of the dense side's min-max normalised scores (default 1; not negative). */
  denseWeight?: number;
  /** Linear fusion weight of the sparse side's min-max normalised scores (default 1; not negative). */
  sparseWeight?: number;
  /** RRF constant: each side adds 1 / (rrfK + rank) (default 60; not negative). */
  rrfK?: number;
  /** Attach an `explain` payload to each result. */
  explain?: boolean;
  /** Search this named vector space with the query vector. */
  vectorName?: string;
  /** A multi-vector query: a query vector per named space (`""` is the main vector), fused by weighted sum. */
  vectors?: Record<string, Vector>;
  /** Weights of a multi-vector query's spaces (default 1 each). */
  vectorWeights?: Record<string, number>;
  /**
   * Late-interaction search of a multi-vector space (records' `multiVectors`): the dense score
   * is MaxSim, the sum over `query`'s vectors of the highest similarity to any of the record's
   * vectors in space `name` (similarity as the database's metric scores a single vector:
   * cosine, dot product, or the negated L2 / L1 distance). Only records with vectors in the
   * space are candidates. Pass `null` as the query vector, and no `vectorName`, `vectors` or
   * `truncateDim`. Unless `exact`, a space holding more than `candidates` records (default
   * max(10 × the pool asked for, 1,000)) is first narrowed to the `candidates` records whose
   * mean vector is nearest the query's mean vector; scores are always exact MaxSim.
   */
  multiVector?: {
    /** The multi-vector space searched. */
    name: string;
    /** The query's vectors (1 to 4,096), of the space's dimension. */
    query: Vector[];
    /** Records kept by the mean-vector stage per namespace (see `multiVector`). */
    candidates?: number;
  };
  /** MMR diversification over the best `fetchK` candidates, from 0 to 1: 1 = pure relevance, 0 = pure diversity. */
  mmrLambda?: number;
  /** Candidates MMR or a reranker chooses from (default 4k; from k to 4,294,967,295, and at most the records there are). */
  fetchK?: number;
  /** A reranker (see `rerankers`), applied to the fused candidates. */
  rerank?: Reranker;
  /** The query's text, for rerankers that read it (set by `searchText`). */
  queryText?: string;
}

/** What `searchWithStats` reports. */
export interface SearchStats {
  /**
   * Microseconds per stage. A filter is evaluated inside the dense and keyword stages (as
   * candidates are met), so its time is part of theirs.
   */
  timings: { totalUs: number; denseUs: number; sparseUs: number; fusionUs: number; rerankUs: number };
  /** Whether any namespace was searched through its HNSW graph. */
  usedAnn: boolean;
  /** The plan that ran: `"exact"`, `"filtered-exact"` (a selective filter) or `"hnsw"`. */
  plan: "exact" | "filtered-exact" | "hnsw";
  /** Results returned. */
  candidates: number;
  /** Vectors scored. */
  visited: number;
  /** Records the filter rejected. */
  filtered: number;
  /** Candidates ranked by quantized codes and scored again with float32 vectors. */
  rescored: number;
  /** Per query term: document frequency and idf. */
  termStats?: Record<string, { df: number; idf: number }>;
}

/** Options of `count`. */
export interface CountOptions {
  /** One namespace (default `""`), or `"*"` for all. */
  namespace?: string;
  /** Several namespaces, or `"*"` for all. */
  namespaces?: string[] | "*";
  /** Only records matching this filter. */
  filter?: Filter;
}

/** Options of `list`. */
export interface ListOptions extends CountOptions {
  /** At most this many records (0, the default, = all; at most 4,294,967,295). */
  limit?: number;
  /** Records to skip first (0 to 4,294,967,295). Not with `after`. */
  offset?: number;
  /** Return the vectors too. */
  includeVectors?: boolean;
  /** Go on after the record this cursor (`listPage`'s `cursor`) points at. */
  after?: string;
}

/** A page of `listPage`: its records, and the cursor of the next page (null after the last). */
export interface ListPage {
  /** The page's records, in list order. */
  records: StoredRecord[];
  /** Pass as `after` for the next page; null when no record follows. */
  cursor: string | null;
}

/**
 * What vectlite reads of an `AbortSignal` (structurally, so that these types need no DOM or
 * Node typings): pass `controller.signal`.
 */
export interface AbortSignalLike {
  /** Whether the call should stop. */
  readonly aborted: boolean;
  /** Why (`controller.abort(reason)`): the `cause` of the `ABORTED` error. */
  readonly reason?: unknown;
  /** Listens for the abort (a call running in the background stops at once, not at its end). */
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  /** Stops listening. */
  removeEventListener(type: "abort", listener: () => void): void;
}

/**
 * Where a long call is, given to its `onProgress`: `done` of `total` units of `phase`
 * (`total` absent when not known in advance). Phases, in the order a call goes through them:
 * - `"verify"`: checksums verified before anything is copied (bytes);
 * - `"index"`: vectors inserted into HNSW graphs (vectors);
 * - `"write"`: a new file written (bytes), or for `bulkIngest` records written.
 */
export interface ProgressEvent {
  /** The phase: `"verify"`, `"index"` or `"write"`. */
  phase: "verify" | "index" | "write";
  /** Units of the phase done so far. */
  done: number;
  /** Units the phase has in all, when known. */
  total?: number;
}

/**
 * Cancellation and progress of a long call (`compact`, `backup`, `snapshot`, `restore`,
 * `bulkIngest`). An aborted call rejects with `ABORTED` and leaves the database and the
 * destination as if it had not been issued; aborting after the call's last point of return
 * (the rename of its new file) changes nothing, and the call resolves. Index work done before
 * an abort is kept, as the background catch-up would have done it.
 */
export interface LongCallOptions {
  /** Aborting it stops the call (see above). */
  signal?: AbortSignalLike;
  /**
   * Called as the call makes progress (at each phase and about every 1% or 8 MB). If it
   * throws, the call is cancelled as by an abort and rejects with what it threw.
   */
  onProgress?: (progress: ProgressEvent) => void;
}

/** Options of `searchBatch`: those of `search`, and a `signal` that stops the batch (`ABORTED`). */
export interface SearchBatchOptions extends SearchOptions {
  /** Aborting it stops the batch's searches at the next query and rejects with `ABORTED`. */
  signal?: AbortSignalLike;
}

/** Options of `iterate`. */
export interface IterateOptions extends CountOptions {
  /** Records read per page (default 1,000; 1 to 4,294,967,295). */
  batchSize?: number;
  /** Return the vectors too. */
  includeVectors?: boolean;
  /** Stops the iteration: the iterator throws `ABORTED` instead of its next record. */
  signal?: AbortSignalLike;
}

/** Options of `get`. */
export interface GetOptions {
  /** The namespace (default `""`). */
  namespace?: string;
  /** Return the vectors too. */
  includeVectors?: boolean;
}

/** Options of `bulkIngest`. */
export interface BulkIngestOptions extends LongCallOptions {
  /** Namespace for records that name none. */
  namespace?: string;
  /** Records per WAL transaction (default 10,000; a positive integer). */
  batchSize?: number;
  /**
   * Called with phase `"write"` after each batch lands (`done` records; `total` when the
   * records are an array), then with phase `"index"` as the graphs take them in.
   */
  onProgress?: (progress: ProgressEvent) => void;
}

/** Options of `backup` and `snapshot`. */
export interface CopyOptions extends LongCallOptions {
  /** Replace an earlier backup in the directory, or an existing file (a database there under its writer lock). */
  overwrite?: boolean;
}

/** What `db.stats()` reports. */
export interface DatabaseStats {
  /** The database file (its real path: links and relative parts resolved). */
  path: string;
  /** The files on disk now, each with its path and size (null for a file that does not exist). */
  files: { vdb: { path: string; bytes: number | null }; wal: { path: string; bytes: number | null } };
  /** The main vectors' dimension. */
  dimension: number;
  /** The metric, fixed at creation. */
  metric: Metric;
  /** Whether this handle is read-only. */
  readOnly: boolean;
  /** Records in every namespace. */
  records: number;
  /** Bytes in the write-ahead log this handle writes (0 for a read-only handle; see `files`). */
  walBytes: number;
  /** HNSW graphs built from scratch since this handle opened. */
  indexBuilds: number;
  /** HNSW graphs loaded from the file at open (no rebuild). */
  indexesLoaded: number;
  /** The analyzer stored in the file (its JSON form), or null for the default English one. */
  analyzer: AnalyzerConfig | null;
  /** The quantization stored in the file: one name, or an object by space name (`""` main, `"*"` other named spaces). */
  quantization: Quantization | Record<string, Quantization>;
  /** Per namespace. */
  namespaces: Record<string, NamespaceStats>;
}

/** An HNSW graph's size: nodes (tombstones included), live nodes, bytes of links. */
export interface IndexStats {
  /** Graph nodes, tombstones included. */
  nodes: number;
  /** Nodes of live records. */
  live: number;
  /** Bytes of links held in memory (a mapped level 0 is the file's pages, not counted). */
  bytes: number;
  /**
   * Whether the graph's level 0 (nearly all of its links) is used in place from a memory map
   * of the .vdb file, as a stored graph is after an open; the first write to the graph copies
   * it into memory.
   */
  mapped: boolean;
}

/** One namespace in `stats()`: its records, tombstoned slots, and graphs. */
export interface NamespaceStats {
  /** Records in the namespace. */
  records: number;
  /** Slots of deleted or replaced records, dropped by `compact`. */
  deadSlots: number;
  /**
   * Whether the records stored in the .vdb are read from it when needed (decoded one at a time,
   * in place in a memory map where maps are used) instead of held in memory: true after an open
   * or a compaction of a file that stores their offsets. Records written since are held.
   */
  recordsInPlace: boolean;
  /**
   * Where the main vectors are: `mapped` slots used in place from a memory map of the .vdb
   * file (pages made resident as searches read them), and `memoryBytes` of vectors held in
   * memory (written since the file was, or everything where maps are not used: Windows).
   */
  vectors: { mapped: number; memoryBytes: number };
  /** The main vectors' graph, or null while the namespace is scanned exactly. */
  index: IndexStats | null;
  /** The main vectors' quantized codes, or null (unquantized, or learned once the graph is built). */
  codes: CodeStats | null;
  /** Each named vector space: how many records have a vector there, its dimension, its own graph and codes. */
  named: Record<string, { vectors: number; dimension: number; deadSlots: number; index: IndexStats | null; codes: CodeStats | null }>;
  /** Each multi-vector space records here use: how many records have vectors there, how many vectors in all, their dimension. */
  multiVectors?: Record<string, { records: number; tokens: number; dimension: number }>;
}

/** A vector space's quantized codes: their kind, bytes held, and the kernel scoring them on this CPU. */
export interface CodeStats {
  /** The quantization the codes were made with. */
  kind: "int8" | "binary";
  /** Bytes the codes and their parameters hold in memory. */
  bytes: number;
  /** Codes used in place from the memory map of the .vdb file (not in `bytes`). */
  mapped: number;
  /** `"avx512-vnni"`, `"avx2"`, `"neon"`, `"popcnt"` or `"portable"`. */
  kernel: string;
}
