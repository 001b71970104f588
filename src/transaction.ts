/**
 * Explicit transactions. Operations are checked when they are called and buffered; `commit`
 * sends them to the native library as one WAL transaction (all or nothing after a crash).
 * Reads through the transaction see its own writes over the database's current state.
 * Writes made on the database itself while a transaction is open go through at once; the
 * transaction applies its operations atomically when it commits (last write wins).
 *
 * Every operation takes its place in the database's call order when it is called, awaited
 * or not: a read (or an insert's and a delete's existence check) sees every write issued
 * before it, on the database and in the transaction, and the commit carries every
 * operation issued before it.
 *
 * @module
 */
import { checkId, checkNamespace, checkPatch, multiVectorsOf } from "./codec.ts";
import { VectLiteError } from "./errors.ts";
import { checkFinite, packRecords, type PackedItem, recordFromArguments } from "./records.ts";
import type { GetOptions, Metadata, RecordInput, SparseVector, StoredRecord, Vector, WriteOptions } from "./types.ts";

/** What a transaction's step may do, synchronously, at its place in the database's call order. */
export interface TxAccess {
  /** The record as the database holds it now, or null. */
  get(id: string, namespace: string | undefined, includeVectors: boolean | undefined): StoredRecord | null;
  /** Commits the operations (each the JSON `vl_commit` reads) with the upserts' main vectors, in order. */
  commit(ops: string[], vectors: Float32Array[]): number | Promise<number>;
}

/** What a Transaction needs from its Database. */
export interface TxHost {
  dimension: number;
  /** Whether the database was closed. */
  readonly closed: boolean;
  /**
   * Runs `step` after every call issued before on the database, before every call issued
   * after; throws CLOSED (synchronously) when the database is closed.
   */
  run<T>(step: (db: TxAccess) => T | Promise<T>): Promise<T>;
  /** The terms the native side will make of a record's `text` (for reads inside the transaction). */
  sparseTerms(text: string): SparseVector;
}

/** A buffered upsert or insert: the operation's JSON (made when called) and its vector (a copy). */
interface Written {
  json: string;
  vector: Float32Array;
  /** When the written record expires (epoch ms), if it was given a time to live. */
  expiresAt?: number;
}

const key = (namespace: string | undefined, id: string) => `${namespace ?? ""}\u0000${id}`;

/** Whether a buffered write is of a record already expired: reads see no record, as they would after commit. */
const expired = (w: Written) => w.expiresAt !== undefined && w.expiresAt <= Date.now();

/**
 * A transaction from `db.begin()` or the callback of `db.transaction(fn)`.
 * Disposing it (`await using tx = db.begin()`) without a commit rolls it back.
 *
 * Arguments are read when a method is called (vectors copied, metadata serialised):
 * changing them afterwards does not change what the commit writes.
 */
export class Transaction {
  #host: TxHost;
  /** The operations to commit, as JSON, in call order. */
  #ops: string[] = [];
  /** The upserts' main vectors, in order. */
  #vectors: Float32Array[] = [];
  /** The state each record the transaction wrote will have after commit: its write, or null if deleted. */
  #overlay = new Map<string, Written | null>();
  /**
   * Metadata patches of records the transaction did not write, merged: they apply to the
   * record as the database holds it at each read (and at commit), whatever it is by then.
   */
  #patches = new Map<string, Metadata>();
  #state: "open" | "committed" | "rolled back" = "open";

  /** @internal Use `db.begin()` or `db.transaction(fn)`. */
  constructor(host: TxHost) {
    this.#host = host;
  }

  /** Whether the transaction can still take operations. */
  get active(): boolean {
    return this.#state === "open";
  }

  #open(): void {
    if (this.#state !== "open") {
      throw new VectLiteError("TRANSACTION", `the transaction is already ${this.#state}`);
    }
  }

  /** Whether a record exists as the transaction sees it (inside a step). */
  #exists(db: TxAccess, namespace: string | undefined, id: string): boolean {
    const w = this.#overlay.get(key(namespace, id));
    if (w !== undefined) return w !== null && !expired(w);
    return db.get(id, namespace, false) !== null;
  }

  async #write(records: RecordInput[], insert: boolean, namespace: string | undefined): Promise<number> {
    this.#open();
    const dim = this.#host.dimension;
    const { vectors, items } = packRecords(records, dim, namespace);
    const op = insert ? "insert" : "upsert";
    const writes = items.map((it: PackedItem, i) => {
      const vector = vectors.subarray(i * dim, (i + 1) * dim); // a view of packRecords' own copy
      checkFinite(vector, `record ${JSON.stringify(it.id)}: vector`);
      return { key: key(it.namespace, it.id), it, w: { json: JSON.stringify({ op, ...it }), vector, expiresAt: it.expiresAt } };
    });
    return await this.#host.run((db) => {
      if (insert) {
        const seen = new Set<string>();
        for (const { key: k, it } of writes) {
          if (seen.has(k) || this.#exists(db, it.namespace, it.id)) {
            throw new VectLiteError("DUPLICATE_ID", `id ${JSON.stringify(it.id)} already exists in namespace ${JSON.stringify(it.namespace ?? "")}`);
          }
          seen.add(k);
        }
      }
      for (const { key: k, w } of writes) {
        this.#ops.push(w.json);
        this.#vectors.push(w.vector);
        this.#overlay.set(k, w);
        this.#patches.delete(k);
      }
      return writes.length;
    });
  }

  /** Buffers an insert-or-replace. */
  async upsert(id: string, vector: Vector, metadata?: Metadata, options: WriteOptions = {}): Promise<void> {
    await this.#write([recordFromArguments(id, vector, metadata, options, "upsert")], false, undefined);
  }

  /** Buffers an insert; `DUPLICATE_ID` at this call if the id exists (in the database or earlier in this transaction). */
  async insert(id: string, vector: Vector, metadata?: Metadata, options: WriteOptions = {}): Promise<void> {
    await this.#write([recordFromArguments(id, vector, metadata, options, "insert")], true, undefined);
  }

  /** Buffers many upserts; returns how many. */
  async upsertMany(records: RecordInput[], options: { namespace?: string } = {}): Promise<number> {
    return await this.#write(records, false, options.namespace);
  }

  /** Buffers many inserts, all or nothing on a duplicate. */
  async insertMany(records: RecordInput[], options: { namespace?: string } = {}): Promise<number> {
    return await this.#write(records, true, options.namespace);
  }

  /** Buffers a delete; resolves whether the record exists as the transaction sees it. */
  async delete(id: string, options: { namespace?: string } = {}): Promise<boolean> {
    return (await this.deleteMany([id], options)) === 1;
  }

  /** Buffers deletes; returns how many of the records exist as the transaction sees them. */
  async deleteMany(ids: string[], options: { namespace?: string } = {}): Promise<number> {
    this.#open();
    if (!Array.isArray(ids)) throw new VectLiteError("INVALID_ARGUMENT", "ids must be an array of strings");
    ids.forEach((id, i) => checkId(id, `ids[${i}]`));
    const namespace = checkNamespace(options.namespace, true);
    const deletes = ids.map((id) => ({ id, json: JSON.stringify({ op: "delete", id, namespace }) }));
    return await this.#host.run((db) => {
      let n = 0;
      for (const { id, json } of deletes) {
        if (this.#exists(db, namespace, id)) n++;
        this.#ops.push(json);
        this.#overlay.set(key(namespace, id), null);
        this.#patches.delete(key(namespace, id));
      }
      return n;
    });
  }

  /**
   * Buffers a metadata merge (see `Database.updateMetadata`); resolves whether the record
   * exists as the transaction sees it. Into a record the transaction wrote, the patch merges
   * at once; into one of the database, at every read through the transaction and at commit,
   * into the record as it is then (writes made on the database meanwhile included).
   */
  async updateMetadata(id: string, patch: Metadata, options: { namespace?: string } = {}): Promise<boolean> {
    this.#open();
    checkId(id);
    const namespace = checkNamespace(options.namespace, true);
    const json = JSON.stringify({ op: "updateMetadata", id, namespace, patch: checkPatch(patch) });
    const copy = (JSON.parse(json) as { patch: Metadata }).patch; // read now, as the operation is
    return await this.#host.run((db) => {
      const k = key(namespace, id);
      const exists = this.#exists(db, namespace, id);
      this.#ops.push(json);
      const w = this.#overlay.get(k);
      if (w === undefined) {
        this.#patches.set(k, { ...this.#patches.get(k), ...copy });
      } else if (w !== null) {
        const it = JSON.parse(w.json) as PackedItem;
        this.#overlay.set(k, { json: JSON.stringify({ ...it, metadata: { ...(it.metadata ?? {}), ...copy } }), vector: w.vector, expiresAt: w.expiresAt });
      }
      return exists;
    });
  }

  /** Reads a record as the transaction sees it (its own writes first). */
  async get(id: string, options: GetOptions = {}): Promise<StoredRecord | null> {
    this.#open();
    checkId(id);
    const namespace = checkNamespace(options.namespace, false);
    const includeVectors = options.includeVectors;
    return await this.#host.run((db) => {
      const w = this.#overlay.get(key(namespace, id));
      if (w === undefined) {
        const stored = db.get(id, namespace, includeVectors);
        const patch = this.#patches.get(key(namespace, id));
        return stored && patch ? { ...stored, metadata: { ...stored.metadata, ...patch } } : stored;
      }
      return w === null || expired(w) ? null : this.#record(w, Boolean(includeVectors));
    });
  }

  /** A buffered write as `get` returns it: fresh objects, so the caller cannot change the buffered operation. */
  #record(w: Written, includeVectors: boolean): StoredRecord {
    const it = JSON.parse(w.json) as PackedItem;
    const rec: StoredRecord = { id: it.id, namespace: it.namespace ?? "", metadata: it.metadata ?? {} };
    if (it.sparse) rec.sparse = it.sparse;
    else if (it.text !== undefined) {
      // The terms the commit will store; a record without terms reads without `sparse`.
      const terms = this.#host.sparseTerms(it.text);
      if (Object.keys(terms).length > 0) rec.sparse = terms;
    }
    if (it.expiresAt !== undefined) rec.expiresAt = it.expiresAt;
    if (includeVectors) {
      rec.vector = w.vector.slice();
      if (it.vectors) rec.vectors = Object.fromEntries(Object.entries(it.vectors).map(([n, v]) => [n, Float32Array.from(v)]));
      if (it.multiVectors) rec.multiVectors = multiVectorsOf(it.multiVectors);
    }
    return rec;
  }

  /** Writes every buffered operation as one atomic WAL transaction; returns how many changed something. */
  async commit(): Promise<number> {
    this.#open();
    const committed = this.#host.run((db) => {
      const n = db.commit(this.#ops, this.#vectors); // copies what it sends before returning
      this.#ops = [];
      this.#vectors = [];
      this.#overlay.clear();
      this.#patches.clear();
      return n;
    });
    this.#state = "committed";
    return await committed;
  }

  /**
   * Discards every buffered operation. Reads issued before still see them: they are dropped
   * at the rollback's place in the call order. Needs no database: resolves also when the
   * database was closed.
   */
  async rollback(): Promise<void> {
    this.#open();
    this.#state = "rolled back";
    if (this.#host.closed) return; // the buffered operations go with this object
    await this.#host.run(() => {
      this.#ops = [];
      this.#vectors = [];
      this.#overlay.clear();
      this.#patches.clear();
    });
  }

  /** Rolls back unless committed or rolled back already. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#state === "open") await this.rollback();
  }
}
