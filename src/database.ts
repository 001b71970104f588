/**
 * The Database class: one open `.vdb` file.
 *
 * @module
 */
import { call, callAsync, callRead, callReadBorrowed, native, type NativeLib, noteInlineRead, readFlags } from "../ffi/native.ts";
import {
  checkId,
  checkJson,
  checkOptions,
  checkNamespace,
  checkPatch,
  checkPath,
  decodeJson,
  decodeCursor,
  decodeRows,
  decodeStoredInto,
  encodeCursor,
  framedParts,
  MAX_COUNT_OPTION,
  multiVectorsOf,
  toF32,
  utf8,
  type DecodedRow,
} from "./codec.ts";
import { NativeHandle } from "./handle.ts";
import { Writer } from "./writer.ts";
import { expiryOf, recordFromArguments } from "./records.ts";
import { Slices } from "./slices.ts";
import { prepareSearch } from "./search-request.ts";
import { Transaction, type TxAccess } from "./transaction.ts";
import { abortedError, checkSignal, VectLiteError } from "./errors.ts";
import { bulkIngest } from "./bulk-ingest.ts";
import { backup, compact, copyFlags, restoreFiles, snapshot } from "./maintenance.ts";
import { abortableWhileQueued, cancelOnAbort } from "../ffi/jobs.ts";
import { Analyzer, type AnalyzerConfig } from "./analyzers.ts";
import type {
  BulkIngestOptions,
  CompactOptions,
  CopyOptions,
  CountOptions,
  DatabaseStats,
  Filter,
  GetOptions,
  IterateOptions,
  ListOptions,
  ListPage,
  Metadata,
  Metric,
  OpenOptions,
  RestoreOptions,
  RecordInput,
  SearchBatchOptions,
  SearchOptions,
  SearchResult,
  SearchStats,
  StoredRecord,
  Vector,
  WriteOptions,
} from "./types.ts";

/** The query of a keyword-only search: no dense vector. */
const EMPTY_QUERY = new Float32Array(0);


/** Records per page of `listPage` and `iterate` unless the options say. */
const PAGE_SIZE = 1_000;

const OPEN_KEYS = new Set(["dimension", "metric", "readOnly", "lockTimeoutMs", "sync", "hnsw", "annThreshold", "analyzer", "quantization"]);

/** vl_write's flags (DEFER_INDEX is in bulk-ingest.ts). */
const INSERT_ONLY = 1;

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
  if (options.quantization !== undefined) checkJson(options.quantization, "quantization");
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
  checkPath(path, "path");
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
    quantization: options.quantization,
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
 * `destPath` must not exist, unless `overwrite: true`: then the database there is replaced
 * (under its writer lock: `LOCKED` while it is open for writing; its old WAL is removed).
 * The restored database is a database of its own, with a new identity.
 */
export async function restore(backupDir: string, destPath: string, options: RestoreOptions = {}): Promise<Database> {
  checkPath(backupDir, "backupDir");
  checkPath(destPath, "destPath");
  const { overwrite, signal, onProgress, ...openOptions } = options ?? {};
  const copy = { overwrite, signal, onProgress };
  copyFlags(copy, "restore");
  checkOpenOptions(openOptions);
  await restoreFiles(await native(), backupDir, destPath, copy);
  return await open(destPath, openOptions);
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

/**
 * An open database. Every method returns a Promise; a closed handle rejects with `CLOSED`.
 *
 * Calls keep their order, awaited or not: each runs after every call issued before it on
 * this database (and on its transactions), so a read sees every write issued before it and
 * writes apply in issue order. A call issued while nothing else is pending runs at once.
 *
 * Arguments are read when a method is called: ids, metadata and options are checked and
 * serialised, and vectors copied, before it returns its Promise. Changing an array or
 * object afterwards, even before the Promise settles, does not change what is written or
 * searched. (`bulkIngest` is the exception: it reads its records while it runs.)
 */
export class Database {
  #native: NativeHandle;
  #writer: Writer;
  #info: Info;
  #analyzer: Analyzer | undefined;

  /** @internal Use `open()`. */
  constructor(lib: NativeLib, handle: bigint, path: string) {
    this.#info = decodeJson<Info>(call(lib, "vl_info", handle).bytes);
    this.#native = new NativeHandle(lib, handle, path);
    this.#writer = new Writer(lib, this.#info.dimension);
  }

  /** The vector dimension, fixed at creation. */
  get dimension(): number {
    return this.#info.dimension;
  }
  /** The path this database was opened with. */
  get path(): string {
    return this.#native.path;
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
    return this.#native.closed;
  }

  /** What `console.log(db)` shows: path, dimension, metric, record count and state. */
  #describe(): string {
    const all = utf8(JSON.stringify({ namespace: "*" }));
    const records = this.#native.peek((h) => Number(call(this.#native.lib, "vl_count", h, all, all.length).scalar));
    const state = this.closed ? "closed" : this.readOnly ? "open, read-only" : "open";
    const count = records ?? (this.closed ? "-" : "(busy)");
    return `Database { path: ${JSON.stringify(this.path)}, dimension: ${this.dimension}, metric: "${this.metric}", records: ${count}, state: "${state}" }`;
  }

  /** `console.log(db)` on Deno. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.#describe();
  }

  /** `console.log(db)` on Node and Bun. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.#describe();
  }

  async #write(records: RecordInput[], flags: number, namespace: string | undefined): Promise<number> {
    const native = this.#native;
    native.check();
    const packed = this.#writer.pack(records, namespace);
    return await native.run((h) => this.#writer.write(h, packed, flags));
  }

  /** Inserts or replaces one record. Resolves once it is durable in the WAL. */
  async upsert(id: string, vector: Vector, metadata?: Metadata, options: WriteOptions = {}): Promise<void> {
    await this.#write([recordFromArguments(id, vector, metadata, options, "upsert")], 0, undefined);
  }

  /** Inserts one record; `DUPLICATE_ID` if the id exists in that namespace. */
  async insert(id: string, vector: Vector, metadata?: Metadata, options: WriteOptions = {}): Promise<void> {
    await this.#write([recordFromArguments(id, vector, metadata, options, "insert")], INSERT_ONLY, undefined);
  }

  /** Inserts or replaces many records in one WAL transaction; returns how many. */
  async upsertMany(records: RecordInput[], options: { namespace?: string } = {}): Promise<number> {
    return await this.#write(records, 0, options.namespace);
  }

  /** Inserts many records, all or nothing: `DUPLICATE_ID` if any id exists. */
  async insertMany(records: RecordInput[], options: { namespace?: string } = {}): Promise<number> {
    return await this.#write(records, INSERT_ONLY, options.namespace);
  }

  /**
   * Writes records from an array or an (async) iterable in batches of `batchSize`
   * (default 10,000), calling `onProgress` after each batch lands (phase `"write"`) and as
   * the graphs take the records in (phase `"index"`). Returns the count.
   *
   * Aborting `signal` (or an `onProgress` that throws) undoes the whole ingest, however many
   * batches had landed: it rejects with `ABORTED` (or what `onProgress` threw) once the
   * database is as it was before the call. Any other failure (a bad record in a batch)
   * leaves the batches that landed before it, indexed.
   *
   * The ingest holds its place in the call order from this call until it resolves: calls
   * issued after it (also from `onProgress` or from the iterable) run once it has finished,
   * and see all of it. So the iterable must not wait for a call on this database: that
   * call would wait for the ingest, which waits for the iterable. Unlike other methods,
   * it reads its records while it runs: they must not change until it resolves.
   */
  async bulkIngest(
    records: Iterable<RecordInput> | AsyncIterable<RecordInput>,
    options: BulkIngestOptions = {},
  ): Promise<number> {
    return await bulkIngest(this.#native, this.#writer, records, options);
  }

  /**
   * Merges `patch` into the metadata of record `id`: each key of `patch` replaces the record's
   * (`null` stores null; nested objects are replaced, not merged), the other keys stay. The
   * vectors, terms and graph nodes are untouched (nothing is embedded or indexed again). A WAL
   * operation of its own. Resolves whether the record exists; nothing is written if not.
   */
  async updateMetadata(id: string, patch: Metadata, options: { namespace?: string } = {}): Promise<boolean> {
    const native = this.#native;
    native.check();
    checkId(id);
    const op = JSON.stringify({ op: "updateMetadata", id, namespace: checkNamespace(options.namespace, true), patch: checkPatch(patch) });
    return (await native.run((h) => this.#txAccess(h).commit([op], []))) === 1;
  }

  /**
   * Gives record `id` a new time to live, `ttl` seconds from now, or (null) takes its expiry
   * away; resolves whether the record exists (an expired one does not). Its vectors,
   * metadata and graph node stay as they are.
   */
  async setTtl(id: string, ttl: number | null, options: { namespace?: string } = {}): Promise<boolean> {
    const native = this.#native;
    native.check();
    checkId(id);
    const expiresAt = ttl === null ? null : expiryOf(ttl, undefined, Date.now());
    const op = JSON.stringify({ op: "setExpiry", id, namespace: checkNamespace(options.namespace, true), expiresAt });
    return (await native.run((h) => this.#txAccess(h).commit([op], []))) === 1;
  }

  /** Deletes one record; resolves whether it existed. */
  async delete(id: string, options: { namespace?: string } = {}): Promise<boolean> {
    return (await this.deleteMany([checkId(id)], options)) === 1;
  }

  /** Deletes records by id; returns how many existed. */
  async deleteMany(ids: string[], options: { namespace?: string } = {}): Promise<number> {
    const native = this.#native;
    native.check();
    if (!Array.isArray(ids)) throw new VectLiteError("INVALID_ARGUMENT", "ids must be an array of strings");
    ids.forEach((id, i) => checkId(id, `ids[${i}]`));
    const args = utf8(JSON.stringify({ namespace: checkNamespace(options.namespace, true), ids }));
    return await native.run((h) => Number(call(native.lib, "vl_delete", h, args, args.length).scalar));
  }

  /** Deletes every record of a namespace that matches `filter`; returns how many. */
  async deleteByFilter(filter: Filter, options: { namespace?: string } = {}): Promise<number> {
    const native = this.#native;
    native.check();
    checkJson(filter, "filter", "INVALID_FILTER");
    const args = utf8(JSON.stringify({ namespace: checkNamespace(options.namespace, false), filter }));
    return await native.run((h) => Number(call(native.lib, "vl_delete_by_filter", h, args, args.length).scalar));
  }

  /** One record by id, or null. */
  async get(id: string, options: GetOptions = {}): Promise<StoredRecord | null> {
    const native = this.#native;
    native.check();
    checkId(id);
    const args = utf8(JSON.stringify({ id, namespace: checkNamespace(options.namespace, false), includeVectors: options.includeVectors }));
    return await native.read((h) => this.#getNow(h, args));
  }

  /** vl_get at the caller's place in the order. */
  #getNow(h: bigint, args: Uint8Array): StoredRecord | null {
    const { rows } = decodeRows(call(this.#native.lib, "vl_get", h, args, args.length).bytes!);
    return rows.length ? toStored(rows[0]) : null;
  }

  /** The k nearest records to `query`, best first (ties: namespace, then id). */
  async search(query: Vector | null, options: SearchOptions = {}): Promise<SearchResult[]> {
    return (await this.#search(query, options)).results;
  }

  /** `search`, plus how it ran: timings, candidates, visited, filtered. */
  async searchWithStats(query: Vector | null, options: SearchOptions = {}): Promise<{ results: SearchResult[]; stats: SearchStats }> {
    return await this.#search(query, options);
  }

  async #search(query: Vector | null, options: SearchOptions): Promise<{ results: SearchResult[]; stats: SearchStats }> {
    const started = performance.now();
    const native = this.#native;
    native.check();
    // A null query is a keyword search; it crosses as an empty vector.
    let q = query === null ? EMPTY_QUERY : toF32(query, "query");
    if (query !== null && q.length === 0) {
      throw new VectLiteError("DIMENSION_MISMATCH", `query has 0 values, the database has dimension ${this.#info.dimension}`);
    }
    const prepared = prepareSearch(options);
    const opts = prepared.opts;
    // The library copies the query when the search starts; a search that has to wait for
    // its turn keeps a copy of the caller's own array, which may change meanwhile.
    if (q === query && !native.readsNow) q = q.slice();
    const { bytes, inline } = await native.read((h) => callRead(native.lib, "vl_search_async", h, q, q.length, opts, opts.length, readFlags()));
    const found = await prepared.finish(bytes!, query);
    if (inline) noteInlineRead(performance.now() - started);
    return found;
  }

  /**
   * Many searches with the same options, spread over the native read pool: resolves with
   * one result list per query, in query order (each as `search` would return it). Queries
   * must be vectors of the database's dimension (`DIMENSION_MISMATCH` names the first that
   * is not); a reranker, when given, runs on each query's candidates in turn.
   */
  async searchBatch(queries: Vector[], options: SearchBatchOptions = {}): Promise<SearchResult[][]> {
    const native = this.#native;
    native.check();
    if (typeof options !== "object" || options === null) throw new VectLiteError("INVALID_ARGUMENT", "search options must be an object");
    const { signal, ...searchOptions } = options;
    checkSignal(signal, "searchBatch");
    if (!Array.isArray(queries)) throw new VectLiteError("INVALID_ARGUMENT", "queries must be an array of vectors");
    const dim = this.#info.dimension;
    const packed = new Float32Array(queries.length * dim);
    queries.forEach((query, i) => {
      const q = toF32(query, `queries[${i}]`);
      if (q.length !== dim) {
        throw new VectLiteError("DIMENSION_MISMATCH", `queries[${i}] has ${q.length} values, the database has dimension ${dim}`);
      }
      packed.set(q, i * dim);
    });
    const prepared = prepareSearch(searchOptions);
    const opts = prepared.opts;
    let result;
    try {
      result = await abortableWhileQueued(signal, "searchBatch", (begin) => native.read((h) => {
        begin();
        const args: [bigint, Float32Array, number, number, Uint8Array, number] = [h, packed, packed.length, queries.length, opts, opts.length];
        return callReadBorrowed(native.lib, "vl_search_batch_async", args, (job) => cancelOnAbort(native.lib, job, signal));
      }));
    } catch (e) {
      if (e instanceof VectLiteError && e.code === "ABORTED" && signal) throw abortedError("searchBatch", signal);
      throw e;
    }
    try {
      const parts = framedParts(result.bytes!);
      const out: SearchResult[][] = new Array(parts.length);
      const slices = new Slices();
      for (let i = 0; i < parts.length; i++) {
        checkSignal(signal, "searchBatch");
        // Each query's rows are copied out of the library's buffer before it is freed.
        out[i] = (await prepared.finish(parts[i].slice(), queries[i])).results;
        await slices.pause();
      }
      return out;
    } finally {
      result.release();
    }
  }

  /**
   * How many records the database holds, in every namespace (Python's `len(db)`). `count()`
   * without options counts namespace `""` only.
   */
  async size(): Promise<number> {
    return await this.count({ namespace: "*" });
  }

  /** How many records match (all namespaces' records with `namespace: "*"`). */
  async count(options: CountOptions = {}): Promise<number> {
    const native = this.#native;
    native.check();
    checkOptions(options, "count");
    const started = performance.now();
    const opts = utf8(JSON.stringify(options));
    const { scalar, inline } = await native.read((h) => callRead(native.lib, "vl_count_async", h, opts, opts.length, readFlags()));
    if (inline) noteInlineRead(performance.now() - started);
    return Number(scalar);
  }

  /**
   * Records in storage order (namespace by namespace), after `offset` or after the cursor
   * `after`, at most `limit` (0 = all).
   */
  async list(options: ListOptions = {}): Promise<StoredRecord[]> {
    return (await this.#listPage(options, "list")).records;
  }

  /**
   * One page of `list` (`limit` defaults to 1,000 here) and the cursor of the next one: pass
   * it as `after` to go on where the page ended, or null after the last page. A cursor stays
   * valid across writes and a compaction: a record that exists for the whole walk and is not
   * rewritten is returned exactly once; records written or deleted meanwhile may or may not
   * be. (After 16 compactions, or from another handle, the walk goes on after the cursor's
   * record found by its id; should that record be gone, the page is `INVALID_ARGUMENT`.)
   */
  async listPage(options: ListOptions = {}): Promise<ListPage> {
    return await this.#listPage({ limit: PAGE_SIZE, ...options }, "listPage");
  }

  /**
   * Every record matching the options, page by page (`batchSize` records each): memory stays
   * that of one page, whatever the size of the database. Calls issued between pages run
   * between them, in order; what a record written meanwhile does is as for `listPage`.
   *
   * ```ts
   * for await (const record of db.iterate({ namespace: "docs", filter: { lang: "en" } })) { ... }
   * ```
   */
  async *iterate(options: IterateOptions = {}): AsyncGenerator<StoredRecord, void, undefined> {
    if (typeof options !== "object" || options === null) throw new VectLiteError("INVALID_ARGUMENT", "iterate options must be an object");
    const { batchSize = PAGE_SIZE, signal, ...rest } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_COUNT_OPTION) {
      throw new VectLiteError("INVALID_ARGUMENT", `batchSize must be an integer from 1 to ${MAX_COUNT_OPTION}, found ${String(batchSize)}`);
    }
    let after: string | undefined;
    // The consumer's loop runs between two records without the event loop getting a turn
    // (each step is a microtask): let it run every slice, as a large list's decoding does.
    const slices = new Slices();
    for (;;) {
      checkSignal(signal, "iterate");
      const page = await this.#listPage({ ...rest, limit: batchSize, after }, "iterate");
      for (const record of page.records) {
        checkSignal(signal, "iterate");
        yield record;
        await slices.pause();
      }
      if (page.cursor === null) return;
      after = page.cursor;
    }
  }

  async #listPage(options: ListOptions, what: string): Promise<ListPage> {
    const started = performance.now();
    const native = this.#native;
    native.check();
    checkOptions(options, what);
    const { after, ...rest } = options;
    const sent: Record<string, unknown> = { ...rest };
    if (after !== undefined) sent.after = decodeCursor(after);
    const opts = utf8(JSON.stringify(sent));
    const result = await native.read((h) => callReadBorrowed(native.lib, "vl_list_async", [h, opts, opts.length, readFlags()]));
    try {
      // Copied and decoded part by part (1,024 rows each), letting the event loop run between slices.
      const [next, ...parts] = framedParts(result.bytes!);
      const cursor = encodeCursor(next.slice());
      const records: StoredRecord[] = [];
      const slices = new Slices();
      for (const part of parts) {
        decodeStoredInto(part, records);
        await slices.pause();
      }
      if (result.inline) noteInlineRead(performance.now() - started);
      return { records, cursor };
    } finally {
      result.release();
    }
  }

  /**
   * Sizes and index state: records, WAL bytes, graphs built since open (`indexBuilds`) and
   * loaded from the file (`indexesLoaded`), and per namespace its records, tombstones
   * (`deadSlots`, dropped by `compact`) and graph (`index`: nodes, live nodes, bytes).
   */
  async stats(): Promise<DatabaseStats> {
    const native = this.#native;
    return decodeJson<DatabaseStats>(await native.read((h) => call(native.lib, "vl_info", h).bytes));
  }

  /** Names of the namespaces that hold records, sorted. */
  async namespaces(): Promise<string[]> {
    const native = this.#native;
    return decodeJson<string[]>(await native.read((h) => call(native.lib, "vl_namespaces", h).bytes));
  }

  /**
   * Starts an explicit transaction: `tx.upsert/insert/delete/...`, then `tx.commit()` or
   * `tx.rollback()`. Disposing it uncommitted (`await using tx = db.begin()`) rolls back.
   * Its reads, its writes (checked against the database, e.g. `DUPLICATE_ID`) and its commit
   * take their place in this database's call order. On a closed database every method of
   * the transaction (but `rollback`) rejects with `CLOSED`.
   */
  begin(): Transaction {
    const native = this.#native;
    return new Transaction({
      dimension: this.#info.dimension,
      sparseTerms: (text: string) => this.analyzer.sparseTerms(text),
      get closed() {
        return native.closed;
      },
      run: (step) => native.run((h) => step(this.#txAccess(h))),
    });
  }

  /** What a transaction's step may do at its place in the order. */
  #txAccess(h: bigint): TxAccess {
    return {
      get: (id, namespace, includeVectors) => this.#getNow(h, utf8(JSON.stringify({ id, namespace, includeVectors }))),
      commit: (ops, vectors) => this.#writer.commit(h, this.#writer.packCommit(ops, vectors)),
    };
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
    this.#native.check();
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

  /**
   * Writes a full backup (data with indexes, and a manifest with checksums) into `destDir`,
   * which must be empty or absent; with `overwrite: true` it may hold an earlier backup
   * (and nothing else), which is replaced.
   */
  async backup(destDir: string, options: CopyOptions = {}): Promise<void> {
    await backup(this.#native, destDir, options);
  }

  /**
   * Folds the WAL into the .vdb file atomically (write new, fsync, rename); quantized spaces
   * learn their codes again from the vectors they hold. With `quantization`, every vector
   * space is converted to it (same forms as the open option) and the file keeps the new choice.
   */
  async compact(options: CompactOptions = {}): Promise<void> {
    await compact(this.#native, options);
  }

  /**
   * Verifies the checksums the open left for later: an open verifies every checksum of the
   * file except that of a vector section larger than 64 MiB used in place from a memory map
   * (reading it all would make an open cost as much as the vectors weigh). Resolves with the
   * bytes verified now (0 when the open verified everything); rejects with `CORRUPT` on a
   * mismatch. A compaction, snapshot or backup runs it first, so damage is never copied
   * into a new file under fresh checksums.
   */
  async check(): Promise<{ verifiedBytes: number }> {
    const native = this.#native;
    const { scalar } = await native.run((h) => callAsync(native.lib, "vl_check_async", h));
    return { verifiedBytes: Number(scalar) };
  }

  /** Same as `compact()`. */
  async flush(): Promise<void> {
    await this.compact();
  }

  /**
   * Writes a self-contained, consistent .vdb copy to `destPath` while staying open. The copy
   * is a database of its own (a new identity: this database's WAL never replays onto it).
   * Refuses this database's own files under any name (`INVALID_ARGUMENT`), and an existing
   * file unless `overwrite: true` (a database there is replaced under its writer lock).
   */
  async snapshot(destPath: string, options: CopyOptions = {}): Promise<void> {
    await snapshot(this.#native, destPath, options);
  }

  /**
   * Makes pending writes durable, releases the lock and invalidates the handle, after every
   * call issued before it; calls issued after reject with `CLOSED`. Idempotent: calling it
   * again (also while the first is under way) resolves once the handle is closed.
   */
  async close(): Promise<void> {
    this.#writer.release();
    await this.#native.close();
  }

  /** Closes the database unless `close()` was called already. */
  async [Symbol.asyncDispose](): Promise<void> {
    // An explicit close() reported its own failure; disposal only waits for it.
    if (this.#native.closed) await this.#native.close().catch(() => {});
    else await this.#native.close();
  }
}

function toStored(r: DecodedRow): StoredRecord {
  const out: StoredRecord = { id: r.id, namespace: r.namespace, metadata: r.metadata };
  if (r.sparse) out.sparse = r.sparse;
  if (r.vector) out.vector = r.vector;
  if (r.expiresAt !== undefined) out.expiresAt = r.expiresAt;
  if (r.named) {
    out.vectors = {};
    for (const [name, v] of Object.entries(r.named)) out.vectors[name] = Float32Array.from(v);
  }
  if (r.multi) out.multiVectors = multiVectorsOf(r.multi);
  return out;
}
