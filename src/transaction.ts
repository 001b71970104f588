/**
 * Explicit transactions. Operations are checked when they are called and buffered; `commit`
 * sends them to the native library as one WAL transaction (all or nothing after a crash).
 * Reads through the transaction see its own writes over the database's current state.
 * Writes made on the database itself while a transaction is open go through at once; the
 * transaction applies its operations atomically when it commits (last write wins).
 *
 * @module
 */
import { checkId } from "./codec.ts";
import { VectLiteError } from "./errors.ts";
import { checkFinite, packRecords, type PackedItem } from "./records.ts";
import type { GetOptions, Metadata, RecordInput, SparseVector, StoredRecord, Vector, WriteOptions } from "./types.ts";

/** One buffered operation, in the JSON shape `vl_commit` reads. */
export type TxOp = ({ op: "upsert" | "insert" } & PackedItem) | { op: "delete"; id: string; namespace: string | undefined };

/** What a Transaction needs from its Database. */
export interface TxHost {
  dimension: number;
  /** Commits the operations and their vectors (upserts' main vectors, in order). */
  commit(ops: TxOp[], vectors: Float32Array): Promise<number>;
  get(id: string, options: GetOptions): Promise<StoredRecord | null>;
  /** The terms the native side will make of a record's `text` (for reads inside the transaction). */
  sparseTerms(text: string): SparseVector;
}

const key = (namespace: string | undefined, id: string) => `${namespace ?? ""}\u0000${id}`;

/**
 * A transaction from `db.begin()` or the callback of `db.transaction(fn)`.
 * Disposing it (`await using tx = db.begin()`) without a commit rolls it back.
 */
export class Transaction {
  #host: TxHost;
  #ops: TxOp[] = [];
  #vectors: Float32Array[] = [];
  /** The state each touched record will have after commit: a record, or null if deleted. */
  #overlay = new Map<string, StoredRecord | null>();
  /** The text of overlay records written with `text`: their terms are made only if read. */
  #texts = new WeakMap<StoredRecord, string>();
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

  async #exists(id: string, namespace: string | undefined): Promise<boolean> {
    const k = key(namespace, id);
    if (this.#overlay.has(k)) return this.#overlay.get(k) !== null;
    return (await this.#host.get(id, { namespace })) !== null;
  }

  async #write(records: RecordInput[], insert: boolean, namespace: string | undefined): Promise<number> {
    this.#open();
    const { vectors, items } = packRecords(records, this.#host.dimension, namespace);
    const dim = this.#host.dimension;
    const seen = new Set<string>();
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      checkFinite(vectors.subarray(i * dim, (i + 1) * dim), `record ${JSON.stringify(it.id)}: vector`);
      const k = key(it.namespace, it.id);
      if (insert && (seen.has(k) || (await this.#exists(it.id, it.namespace)))) {
        throw new VectLiteError("DUPLICATE_ID", `id ${JSON.stringify(it.id)} already exists in namespace ${JSON.stringify(it.namespace ?? "")}`);
      }
      seen.add(k);
    }
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      const vector = vectors.slice(i * dim, (i + 1) * dim);
      this.#ops.push({ op: insert ? "insert" : "upsert", ...it });
      this.#vectors.push(vector);
      const rec: StoredRecord = { id: it.id, namespace: it.namespace ?? "", metadata: it.metadata ?? {}, vector };
      if (it.sparse) rec.sparse = it.sparse;
      else if (it.text !== undefined) this.#texts.set(rec, it.text); // analyzed if read (see get)
      if (it.vectors) {
        rec.vectors = Object.fromEntries(Object.entries(it.vectors).map(([n, v]) => [n, Float32Array.from(v)]));
      }
      this.#overlay.set(key(it.namespace, it.id), rec);
    }
    return items.length;
  }

  /** Buffers an insert-or-replace. */
  async upsert(id: string, vector: Vector, metadata?: Metadata, options: WriteOptions = {}): Promise<void> {
    await this.#write([{ id, vector, metadata, ...options }], false, undefined);
  }

  /** Buffers an insert; `DUPLICATE_ID` at this call if the id exists (in the database or earlier in this transaction). */
  async insert(id: string, vector: Vector, metadata?: Metadata, options: WriteOptions = {}): Promise<void> {
    await this.#write([{ id, vector, metadata, ...options }], true, undefined);
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
    let n = 0;
    for (const id of ids) {
      if (await this.#exists(id, options.namespace)) n++;
      this.#ops.push({ op: "delete", id, namespace: options.namespace });
      this.#overlay.set(key(options.namespace, id), null);
    }
    return n;
  }

  /** Reads a record as the transaction sees it (its own writes first). */
  async get(id: string, options: GetOptions = {}): Promise<StoredRecord | null> {
    this.#open();
    checkId(id);
    const k = key(options.namespace, id);
    if (!this.#overlay.has(k)) return await this.#host.get(id, options);
    const rec = this.#overlay.get(k)!;
    if (rec === null) return null;
    const text = this.#texts.get(rec);
    if (text !== undefined) {
      // The terms the commit will store; a record without terms reads without `sparse`.
      const terms = this.#host.sparseTerms(text);
      if (Object.keys(terms).length > 0) rec.sparse = terms;
      this.#texts.delete(rec);
    }
    if (options.includeVectors) return rec;
    const { vector: _v, vectors: _vs, ...rest } = rec;
    return rest;
  }

  /** Writes every buffered operation as one atomic WAL transaction; returns how many changed something. */
  async commit(): Promise<number> {
    this.#open();
    const dim = this.#host.dimension;
    const all = new Float32Array(this.#vectors.length * dim);
    this.#vectors.forEach((v, i) => all.set(v, i * dim));
    this.#state = "committed";
    return await this.#host.commit(this.#ops, all);
  }

  /** Discards every buffered operation. */
  async rollback(): Promise<void> {
    this.#open();
    this.#state = "rolled back";
    this.#ops = [];
    this.#vectors = [];
    this.#overlay.clear();
  }

  /** Rolls back unless committed or rolled back already. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#state === "open") await this.rollback();
  }
}
