/**
 * The Database class: one open `.vdb` file.
 *
 * @module
 */
import { call, callAsync, native, type NativeLib } from "../ffi/native.ts";
import { checkId, checkJson, decodeJson, decodeRows, namedVectorsJson, toF32, utf8, type DecodedRow } from "./codec.ts";
import { packRecords } from "./records.ts";
import { Transaction, type TxOp } from "./transaction.ts";
import { VectLiteError } from "./errors.ts";
import { Analyzer, type AnalyzerConfig } from "./analyzers.ts";
import type {
  BulkIngestOptions,
  CountOptions,
  DatabaseStats,
  Explain,
  Filter,
  GetOptions,
  ListOptions,
  Metadata,
  Metric,
  OpenOptions,
  RecordInput,
  SearchOptions,
  SearchResult,
  SearchStats,
  StoredRecord,
  Vector,
  WriteOptions,
} from "./types.ts";

/** Writes of at least this many records run on a Rust thread instead of the event loop's. */
const ASYNC_WRITE_RECORDS = 256;
/** A write of fewer records runs as a job too when its JSON is this large (texts to analyze, big metadata). */
const ASYNC_WRITE_BYTES = 256 << 10;

/** bulkIngest packs records in slices of this many between yields to the event loop. */
const PACK_SLICE = 1_000;

/** The query of a keyword-only search: no dense vector. */
const EMPTY_QUERY = new Float32Array(0);

const OPEN_KEYS = new Set(["dimension", "metric", "readOnly", "lockTimeoutMs", "sync", "hnsw", "annThreshold", "analyzer"]);

/** Handles that were garbage-collected without `close()` are closed here. */
const finalizer = new FinalizationRegistry<{ lib: NativeLib; handle: bigint }>(({ lib, handle }) => {
  try {
    call(lib, "vl_close", handle);
  } catch {
    // Already closed: nothing to release.
  }
});

/**
 * Checks an options object before it is serialised: JSON.stringify would turn NaN or
 * Infinity into null (read as "not given") and drop undefined or functions silently.
 */
function checkOptions(options: unknown, what: string): void {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new VectLiteError("INVALID_ARGUMENT", `${what} options must be an object`);
  }
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (key === "filter") checkJson(value, "filter", "INVALID_FILTER");
    else checkJson(value, `${what} option ${key}`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function checkOpenOptions(options: OpenOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new VectLiteError("INVALID_ARGUMENT", "open options must be an object");
  }
  for (const key of Object.keys(options)) {
    if (!OPEN_KEYS.has(key)) throw new VectLiteError("INVALID_ARGUMENT", `unknown open option ${JSON.stringify(key)}`);
  }
  const t = options.lockTimeoutMs;
  if (t !== undefined && (typeof t !== "number" || !Number.isFinite(t) || t < 0)) {
    throw new VectLiteError("INVALID_ARGUMENT", `lockTimeoutMs must be a non-negative number, found ${String(t)}`);
  }
  const a = options.annThreshold;
  if (a !== undefined && (!Number.isInteger(a) || a < 0)) {
    throw new VectLiteError("INVALID_ARGUMENT", `annThreshold must be a non-negative integer, found ${String(a)}`);
  }
  if (options.hnsw !== undefined) checkJson(options.hnsw, "hnsw");
}

/**
 * Opens (or, with `dimension`, creates) the database at `path`.
 *
 * ```ts
 * await using db = await vectlite.open("knowledge.vdb", { dimension: 384 });
 * ```
 *
 * Rejects with `INVALID_ARGUMENT` for a missing file without `dimension`,
 * `DIMENSION_MISMATCH` when `dimension` differs from the file's, `LOCKED` when another
 * handle holds the file past `lockTimeoutMs`, `CORRUPT` for a file that is not a vectlite
 * database or fails a checksum, and `IO` for a path that is a directory or cannot be created.
 */
export async function open(path: string, options: OpenOptions = {}): Promise<Database> {
  if (typeof path !== "string" || path.length === 0) {
    throw new VectLiteError("INVALID_ARGUMENT", "path must be a non-empty string");
  }
  checkOpenOptions(options);
  const lib = await native();
  const pathBytes = utf8(path);
  const optsBytes = utf8(JSON.stringify({
    dimension: options.dimension,
    metric: options.metric,
    readOnly: options.readOnly,
    sync: options.sync,
    hnsw: options.hnsw,
    annThreshold: options.annThreshold,
    // An Analyzer serialises itself (toJSON); a plain config is checked by Rust.
    analyzer: options.analyzer,
  }));
  const deadline = Date.now() + (options.lockTimeoutMs ?? 0);
  for (;;) {
    try {
      // Loading a large file takes a while: it runs on a Rust thread.
      const { scalar } = await callAsync(lib, "vl_open_async", pathBytes, pathBytes.length, optsBytes, optsBytes.length);
      return new Database(lib, scalar, path);
    } catch (e) {
      // The lock is retried here, not in Rust, so waiting never blocks the event loop.
      const remaining = deadline - Date.now();
      if (!(e instanceof VectLiteError) || e.code !== "LOCKED" || remaining <= 0) throw e;
      await sleep(Math.min(20, remaining));
    }
  }
}

/**
 * Rebuilds a database at `destPath` from a `db.backup(dir)` directory, after verifying every
 * checksum (a tampered backup is `CORRUPT` and nothing is written at `destPath`), then opens it.
 * `destPath` must not exist.
 */
export async function restore(backupDir: string, destPath: string, options: OpenOptions = {}): Promise<Database> {
  for (const [name, value] of [["backupDir", backupDir], ["destPath", destPath]] as const) {
    if (typeof value !== "string" || value.length === 0) {
      throw new VectLiteError("INVALID_ARGUMENT", `${name} must be a non-empty path`);
    }
  }
  checkOpenOptions(options);
  const lib = await native();
  const dir = utf8(backupDir), dest = utf8(destPath);
  await callAsync(lib, "vl_restore_async", dir, dir.length, dest, dest.length);
  return await open(destPath, options);
}

interface Info {
  path: string;
  dimension: number;
  metric: Metric;
  readOnly: boolean;
  records: number;
  walBytes: number;
  /** The stored analyzer, or null for the default English one. */
  analyzer: AnalyzerConfig | null;
}

/** An open database. Every method returns a Promise; a closed handle rejects with `CLOSED`. */
export class Database {
  #lib: NativeLib;
  #handle: bigint | null;
  #path: string;
  #info: Info;
  #analyzer: Analyzer | undefined;
  /** The background job in flight (a large write, compact, ...), if any: other calls wait for it, asynchronously, rather than block the event loop on the database's lock. */
  #inflight: Promise<unknown> | null = null;

  /** @internal Use `open()`. */
  constructor(lib: NativeLib, handle: bigint, path: string) {
    this.#lib = lib;
    this.#handle = handle;
    this.#path = path;
    this.#info = decodeJson<Info>(call(lib, "vl_info", handle).bytes);
    finalizer.register(this, { lib, handle }, this);
  }

  /** The vector dimension, fixed at creation. */
  get dimension(): number {
    return this.#info.dimension;
  }
  /** The path this database was opened with. */
  get path(): string {
    return this.#path;
  }
  /** Whether this handle was opened read-only. */
  get readOnly(): boolean {
    return this.#info.readOnly;
  }
  /** The text analyzer this database was built with (fixed at creation; see `OpenOptions.analyzer`). */
  get analyzer(): Analyzer {
    this.#analyzer ??= this.#info.analyzer ? Analyzer.fromJSON(this.#info.analyzer) : Analyzer.english();
    return this.#analyzer;
  }
  /** The metric, fixed at creation. */
  get metric(): Metric {
    return this.#info.metric;
  }
  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#handle === null;
  }

  #h(): bigint {
    if (this.#handle === null) throw new VectLiteError("CLOSED", `the database ${this.#path} is closed`);
    return this.#handle;
  }

  /** Waits until no background job of this handle is running. */
  async #idle(): Promise<void> {
    while (this.#inflight) {
      try {
        await this.#inflight;
      } catch {
        // The job's own caller sees its error.
      }
    }
  }

  /** Runs a native background job, one at a time per handle. */
  async #job<T>(start: () => Promise<T>): Promise<T> {
    // No await unless something runs: a call issued right after this one must see #inflight.
    if (this.#inflight) await this.#idle();
    const p = start();
    this.#inflight = p;
    try {
      return await p;
    } finally {
      if (this.#inflight === p) this.#inflight = null;
    }
  }

  async #write(records: RecordInput[], insertOnly: boolean, defaultNamespace: string | undefined): Promise<number> {
    // Wait until nothing is in flight on this handle: from packing into the shared buffer
    // to the native call that copies it there must be no await (see packRecords).
    while (this.#inflight) await this.#idle();
    this.#h();
    if (!Array.isArray(records) || records.length < ASYNC_WRITE_RECORDS) {
      const { vectors, items } = packRecords(records, this.#info.dimension, defaultNamespace, { reuse: true });
      const json = utf8(JSON.stringify(items));
      // Few records but much text to analyze: a job too, on a copy of the shared buffer.
      if (json.length >= ASYNC_WRITE_BYTES) return await this.#writePacked(vectors.slice(), json, items.length, insertOnly, false, true);
      return await this.#writePacked(vectors, json, items.length, insertOnly);
    }
    // A large write runs as a job that reads its buffer in place until it is collected:
    // it borrows a buffer of this handle's own.
    const size = records.length * this.#info.dimension;
    const buffer = this.#borrowBuffer(size);
    const { vectors, items } = this.#packOrReturn(
      buffer,
      () => packRecords(records, this.#info.dimension, defaultNamespace, { into: buffer.subarray(0, size) }),
    );
    return await this.#writeAndReturn(buffer, vectors, utf8(JSON.stringify(items)), items.length, insertOnly);
  }

  /**
   * Vector buffers of finished large writes, kept for the next: a new 15 MB typed array now
   * and then cost 50-60 ms inside the engine (Deno and Bun alike), a stall of the event loop
   * in the middle of a bulk ingest. A job reads its buffer in place until it is collected,
   * so a buffer comes back here only after that.
   */
  #spare: Float32Array[] = [];

  #borrowBuffer(size: number): Float32Array {
    const i = this.#spare.findIndex((b) => b.length >= size);
    return i >= 0 ? this.#spare.splice(i, 1)[0] : new Float32Array(size);
  }

  #returnBuffer(buffer: Float32Array): void {
    if (this.#spare.length < 2) this.#spare.push(buffer);
  }

  #packOrReturn<T>(buffer: Float32Array, pack: () => T): T {
    try {
      return pack();
    } catch (e) {
      this.#returnBuffer(buffer); // bad input: no job ever saw the buffer
      throw e;
    }
  }

  async #writeAndReturn(
    buffer: Float32Array,
    vectors: Float32Array,
    json: Uint8Array,
    count: number,
    insertOnly: boolean,
    deferIndex = false,
  ): Promise<number> {
    try {
      const n = await this.#writePacked(vectors, json, count, insertOnly, deferIndex);
      this.#returnBuffer(buffer);
      return n;
    } catch (e) {
      // A VectLiteError comes from a collected job (or from before one started); anything
      // else may leave a job reading the buffer, which is then never reused.
      if (e instanceof VectLiteError) this.#returnBuffer(buffer);
      throw e;
    }
  }

  async #writePacked(
    vectors: Float32Array,
    json: Uint8Array,
    count: number,
    insertOnly: boolean,
    deferIndex = false,
    forceAsync = false,
  ): Promise<number> {
    if (this.#inflight) await this.#idle();
    const h = this.#h();
    // vl_write's flags: bit 0 insert only, bit 1 leave the HNSW graphs for a later vl_index_async.
    const flag = (insertOnly ? 1 : 0) | (deferIndex ? 2 : 0);
    if (count < ASYNC_WRITE_RECORDS && !forceAsync) {
      return Number(call(this.#lib, "vl_write", h, vectors, vectors.length, json, json.length, flag).scalar);
    }
    const job = () => callAsync(this.#lib, "vl_write_async", h, vectors, vectors.length, json, json.length, flag);
    return Number((await this.#job(job)).scalar);
  }

  /** Packs a large batch in slices, yielding between them, so the event loop keeps running. */
  async #packInSlices(records: RecordInput[], namespace: string | undefined, buffer: Float32Array): Promise<{ vectors: Float32Array; json: Uint8Array }> {
    const dim = this.#info.dimension;
    const vectors = buffer.subarray(0, records.length * dim);
    const parts: string[] = [];
    for (let start = 0; start < records.length; start += PACK_SLICE) {
      const slice = records.slice(start, start + PACK_SLICE);
      const into = vectors.subarray(start * dim, (start + slice.length) * dim);
      const packed = packRecords(slice, dim, namespace, { into });
      parts.push(JSON.stringify(packed.items).slice(1, -1));
      await sleep(0);
    }
    return { vectors, json: utf8(`[${parts.join(",")}]`) };
  }

  /** Inserts or replaces one record. Resolves once it is durable in the WAL. */
  async upsert(id: string, vector: Vector, metadata?: Metadata, options: WriteOptions = {}): Promise<void> {
    await this.#write([{ id, vector, metadata, ...options }], false, undefined);
  }

  /** Inserts one record; `DUPLICATE_ID` if the id exists in that namespace. */
  async insert(id: string, vector: Vector, metadata?: Metadata, options: WriteOptions = {}): Promise<void> {
    await this.#write([{ id, vector, metadata, ...options }], true, undefined);
  }

  /** Inserts or replaces many records in one WAL transaction; returns how many. */
  async upsertMany(records: RecordInput[], options: { namespace?: string } = {}): Promise<number> {
    return await this.#write(records, false, options.namespace);
  }

  /** Inserts many records, all or nothing: `DUPLICATE_ID` if any id exists. */
  async insertMany(records: RecordInput[], options: { namespace?: string } = {}): Promise<number> {
    return await this.#write(records, true, options.namespace);
  }

  /**
   * Writes records from an array or an (async) iterable in batches of `batchSize`
   * (default 10,000), calling `onProgress` after each batch lands. Returns the count.
   */
  async bulkIngest(
    records: Iterable<RecordInput> | AsyncIterable<RecordInput>,
    options: BulkIngestOptions = {},
  ): Promise<number> {
    this.#h();
    const batchSize = options.batchSize ?? 10_000;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new VectLiteError("INVALID_ARGUMENT", `batchSize must be a positive integer, found ${String(batchSize)}`);
    }
    const total = Array.isArray(records) ? records.length : undefined;
    let done = 0;
    let batch: RecordInput[] = [];
    const flush = async () => {
      const buffer = this.#borrowBuffer(batch.length * this.#info.dimension);
      let packed: { vectors: Float32Array; json: Uint8Array };
      try {
        packed = await this.#packInSlices(batch, options.namespace, buffer);
      } catch (e) {
        this.#returnBuffer(buffer);
        throw e;
      }
      // The graphs are brought up to date once, at the end (searches meanwhile score the
      // records not in a graph yet exactly).
      done += await this.#writeAndReturn(buffer, packed.vectors, packed.json, batch.length, false, true);
      batch = [];
      options.onProgress?.({ done, total });
      await sleep(0); // let timers and I/O run between batches
    };
    try {
      for await (const r of records as AsyncIterable<RecordInput>) {
        batch.push(r);
        if (batch.length >= batchSize) await flush();
        else if (batch.length % PACK_SLICE === 0) await sleep(0); // producing records takes time too
      }
      if (batch.length > 0) await flush();
    } finally {
      // One index update for the whole ingest, also when a batch failed: what was written
      // stays, and gets its graph. (A closed handle has nothing left to index.)
      if (done > 0 && this.#handle !== null) {
        const h = this.#handle;
        await this.#job(() => callAsync(this.#lib, "vl_index_async", h));
      }
    }
    return done;
  }

  /** Deletes one record; resolves whether it existed. */
  async delete(id: string, options: { namespace?: string } = {}): Promise<boolean> {
    return (await this.deleteMany([checkId(id)], options)) === 1;
  }

  /** Deletes records by id; returns how many existed. */
  async deleteMany(ids: string[], options: { namespace?: string } = {}): Promise<number> {
    if (this.#inflight) await this.#idle();
    const h = this.#h();
    if (!Array.isArray(ids)) throw new VectLiteError("INVALID_ARGUMENT", "ids must be an array of strings");
    ids.forEach((id, i) => checkId(id, `ids[${i}]`));
    const args = utf8(JSON.stringify({ namespace: options.namespace, ids }));
    return Number(call(this.#lib, "vl_delete", h, args, args.length).scalar);
  }

  /** Deletes every record of a namespace that matches `filter`; returns how many. */
  async deleteByFilter(filter: Filter, options: { namespace?: string } = {}): Promise<number> {
    if (this.#inflight) await this.#idle();
    const h = this.#h();
    checkJson(filter, "filter", "INVALID_FILTER");
    const args = utf8(JSON.stringify({ namespace: options.namespace, filter }));
    return Number(call(this.#lib, "vl_delete_by_filter", h, args, args.length).scalar);
  }

  /** One record by id, or null. */
  async get(id: string, options: GetOptions = {}): Promise<StoredRecord | null> {
    if (this.#inflight) await this.#idle();
    const h = this.#h();
    checkId(id);
    const args = utf8(JSON.stringify({ id, namespace: options.namespace, includeVectors: options.includeVectors }));
    const { rows } = decodeRows(call(this.#lib, "vl_get", h, args, args.length).bytes!);
    return rows.length ? toStored(rows[0]) : null;
  }

  /** The k nearest records to `query`, best first (ties: namespace, then id). */
  async search(query: Vector | null, options: SearchOptions = {}): Promise<SearchResult[]> {
    if (this.#inflight) await this.#idle();
    return (await this.#search(query, options)).results;
  }

  /** `search`, plus how it ran: timings, candidates, visited, filtered. */
  async searchWithStats(query: Vector | null, options: SearchOptions = {}): Promise<{ results: SearchResult[]; stats: SearchStats }> {
    if (this.#inflight) await this.#idle();
    return await this.#search(query, options);
  }

  async #search(query: Vector | null, options: SearchOptions): Promise<{ results: SearchResult[]; stats: SearchStats }> {
    const h = this.#h();
    // A null query is a keyword search; it crosses as an empty vector.
    const q = query === null ? EMPTY_QUERY : toF32(query, "query");
    if (query !== null && q.length === 0) {
      throw new VectLiteError("DIMENSION_MISMATCH", `query has 0 values, the database has dimension ${this.#info.dimension}`);
    }
    if (typeof options !== "object" || options === null) throw new VectLiteError("INVALID_ARGUMENT", "search options must be an object");
    // rerank and queryText stay in TypeScript; named query vectors cross as JSON arrays.
    const { rerank, queryText, vectors, ...native } = options;
    if (rerank !== undefined && typeof rerank !== "function") {
      throw new VectLiteError("INVALID_ARGUMENT", "rerank must be a reranker function (see rerankers)");
    }
    if (queryText !== undefined && typeof queryText !== "string") {
      throw new VectLiteError("INVALID_ARGUMENT", "queryText must be a string");
    }
    const sent: Record<string, unknown> = { ...native };
    if (vectors !== undefined) sent.vectors = namedVectorsJson(vectors, "vectors");
    const k = options.k ?? 10;
    if (rerank) {
      // Rerankers reorder a larger pool of fused candidates, then the best k are kept.
      sent.k = options.fetchK ?? Math.max(4 * (Number.isInteger(k) ? k : 10), 10);
      if (options.mmrLambda !== undefined) sent.fetchK = Math.max(sent.k as number, options.fetchK ?? 0);
    }
    checkOptions(sent, "search");
    const opts = utf8(JSON.stringify(sent));
    const { rows, stats } = decodeRows(call(this.#lib, "vl_search", h, q, q.length, opts, opts.length).bytes!);
    const fusion = options.sparse && query !== null ? (options.fusion ?? "linear") : "linear";
    const results: SearchResult[] = rows.map((r) => {
      const out: SearchResult = { id: r.id, score: r.score, namespace: r.namespace, metadata: r.metadata };
      if (r.vector) out.vector = r.vector;
      if (r.explain) {
        const { _: _marker, ...parts } = r.explain as Record<string, unknown>;
        out.explain = { fusion, ...parts } as Explain;
      }
      return out;
    });
    const s = (stats ?? {}) as Record<string, unknown>;
    const num = (k: string) => (typeof s[k] === "number" ? (s[k] as number) : 0);
    const out: SearchStats = {
      timings: {
        totalUs: num("totalUs"),
        denseUs: num("denseUs"),
        sparseUs: num("sparseUs"),
        fusionUs: num("fusionUs"),
        filterUs: 0,
        rerankUs: 0,
      },
      usedAnn: Boolean(s.usedAnn),
      plan: (s.plan as SearchStats["plan"]) ?? "exact",
      candidates: num("candidates"),
      visited: num("visited"),
      filtered: num("filtered"),
    };
    if (s.termStats) out.termStats = s.termStats as SearchStats["termStats"];
    if (!rerank) return { results, stats: out };
    const started = performance.now();
    const scores = await rerank({ query, text: queryText, sparse: options.sparse }, results);
    if (!Array.isArray(scores) || scores.length !== results.length || scores.some((x) => typeof x !== "number" || Number.isNaN(x))) {
      throw new VectLiteError("INVALID_ARGUMENT", `a reranker must return one number per candidate (${results.length})`);
    }
    const reranked = results.map((r, i) => {
      const out = { ...r, score: scores[i] };
      if (r.explain) out.explain = { ...r.explain, rerankScore: scores[i] };
      return out;
    });
    reranked.sort((a, b) => b.score - a.score || (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    out.timings.rerankUs = Math.round((performance.now() - started) * 1000);
    return { results: reranked.slice(0, Number.isInteger(k) ? k : 10), stats: out };
  }

  /** How many records match (all namespaces' records with `namespace: "*"`). */
  async count(options: CountOptions = {}): Promise<number> {
    if (this.#inflight) await this.#idle();
    const h = this.#h();
    checkOptions(options, "count");
    const opts = utf8(JSON.stringify(options));
    return Number(call(this.#lib, "vl_count", h, opts, opts.length).scalar);
  }

  /** Records in storage order, after `offset`, at most `limit` (0 = all). */
  async list(options: ListOptions = {}): Promise<StoredRecord[]> {
    if (this.#inflight) await this.#idle();
    const h = this.#h();
    checkOptions(options, "list");
    const opts = utf8(JSON.stringify(options));
    return decodeRows(call(this.#lib, "vl_list", h, opts, opts.length).bytes!).rows.map(toStored);
  }

  /**
   * Sizes and index state: records, WAL bytes, graphs built since open (`indexBuilds`) and
   * loaded from the file (`indexesLoaded`), and per namespace its records, tombstones
   * (`deadSlots`, dropped by `compact`) and graph (`index`: nodes, live nodes, bytes).
   */
  async stats(): Promise<DatabaseStats> {
    if (this.#inflight) await this.#idle();
    return decodeJson<DatabaseStats>(call(this.#lib, "vl_info", this.#h()).bytes);
  }

  /** Names of the namespaces that hold records, sorted. */
  async namespaces(): Promise<string[]> {
    if (this.#inflight) await this.#idle();
    return decodeJson<string[]>(call(this.#lib, "vl_namespaces", this.#h()).bytes);
  }

  /**
   * Starts an explicit transaction: `tx.upsert/insert/delete/...`, then `tx.commit()` or
   * `tx.rollback()`. Disposing it uncommitted (`await using tx = db.begin()`) rolls back.
   */
  begin(): Transaction {
    this.#h();
    return new Transaction({
      dimension: this.#info.dimension,
      sparseTerms: (text: string) => this.analyzer.sparseTerms(text),
      commit: async (ops: TxOp[], vectors: Float32Array) => {
        if (this.#inflight) await this.#idle();
        const h = this.#h();
        const json = utf8(JSON.stringify(ops));
        if (ops.length < ASYNC_WRITE_RECORDS && json.length < ASYNC_WRITE_BYTES) {
          return Number(call(this.#lib, "vl_commit", h, vectors, vectors.length, json, json.length).scalar);
        }
        const job = () => callAsync(this.#lib, "vl_commit_async", h, vectors, vectors.length, json, json.length);
        return Number((await this.#job(job)).scalar);
      },
      get: (id, options) => this.get(id, options),
    });
  }

  /**
   * Runs `fn` in a transaction: commits when it resolves, rolls back (and rethrows) when it
   * throws. Resolves with `fn`'s result.
   *
   * ```ts
   * await db.transaction(async (tx) => { await tx.delete("old"); await tx.insert("new", v); });
   * ```
   */
  async transaction<T>(fn: (tx: Transaction) => T | Promise<T>): Promise<T> {
    const tx = this.begin();
    try {
      const result = await fn(tx);
      if (tx.active) await tx.commit();
      return result;
    } catch (e) {
      if (tx.active) await tx.rollback();
      throw e;
    }
  }

  /** Writes a full backup (data with indexes, and a manifest with checksums) into `destDir`, which must be empty or absent. */
  async backup(destDir: string): Promise<void> {
    const h = this.#h();
    if (typeof destDir !== "string" || destDir.length === 0) {
      throw new VectLiteError("INVALID_ARGUMENT", "backup destination must be a non-empty path");
    }
    const dir = utf8(destDir);
    await this.#job(() => callAsync(this.#lib, "vl_backup_async", h, dir, dir.length));
  }

  /** Folds the WAL into the .vdb file atomically (write new, fsync, rename). */
  async compact(): Promise<void> {
    const h = this.#h();
    await this.#job(() => callAsync(this.#lib, "vl_compact_async", h));
  }

  /** Same as `compact()`. */
  async flush(): Promise<void> {
    await this.compact();
  }

  /** Writes a self-contained, consistent .vdb copy to `destPath` while staying open. */
  async snapshot(destPath: string): Promise<void> {
    const h = this.#h();
    if (typeof destPath !== "string" || destPath.length === 0) {
      throw new VectLiteError("INVALID_ARGUMENT", "snapshot destination must be a non-empty path");
    }
    const dest = utf8(destPath);
    await this.#job(() => callAsync(this.#lib, "vl_snapshot_async", h, dest, dest.length));
  }

  /**
   * Makes pending writes durable, releases the lock and invalidates the handle.
   * Closing twice rejects with `CLOSED`; `await using` disposal is idempotent.
   */
  async close(): Promise<void> {
    this.#h();
    await this.#idle();
    const h = this.#h(); // a concurrent close() may have won while this one waited
    this.#handle = null;
    this.#spare = [];
    finalizer.unregister(this);
    // On a Rust thread: closing may compact first (when reopening would otherwise spend
    // longer inserting the WAL's records into the graph; see Database::close in db.rs).
    await callAsync(this.#lib, "vl_close_async", h);
  }

  /** Closes the database unless it is already closed. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#handle !== null) await this.close();
  }
}

function toStored(r: DecodedRow): StoredRecord {
  const out: StoredRecord = { id: r.id, namespace: r.namespace, metadata: r.metadata };
  if (r.sparse) out.sparse = r.sparse;
  if (r.vector) out.vector = r.vector;
  if (r.named) {
    out.vectors = {};
    for (const [name, v] of Object.entries(r.named)) out.vectors[name] = Float32Array.from(v);
  }
  return out;
}
