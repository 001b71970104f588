/**
 * The write path of one database: records are checked and packed (vectors into one
 * Float32Array, the rest into JSON) when the call is made, into a buffer from a small pool,
 * and sent with one decision: inline (one FFI call) or as a background job on a Rust thread.
 * Plain writes, bulk ingests and transaction commits all go through here.
 *
 * @module
 */
import { call, callAsync, type NativeLib } from "../ffi/native.ts";
import { utf8 } from "./codec.ts";
import { VectLiteError } from "./errors.ts";
import { packRecords } from "./records.ts";
import { yieldToEventLoop } from "./slices.ts";
import type { RecordInput } from "./types.ts";

/** Writes of at least this many records run on a Rust thread instead of the event loop's. */
const ASYNC_WRITE_RECORDS = 256;
/** A write of fewer records runs as a job too when its JSON is this large (texts to analyze, big metadata). */
const ASYNC_WRITE_BYTES = 256 << 10;
/** Pooled buffers are at least this many floats, so small writes of any size reuse one. */
const MIN_POOLED = 4_096;
/** Buffers kept for reuse per database (the largest ones). */
const POOL_SIZE = 2;
/** A large batch is packed in slices of this many records, yielding to the event loop between them. */
export const PACK_SLICE = 1_000;

/**
 * A write ready to send: `vectors` (a view of `buffer`, which came from the pool) and the
 * JSON of the records or operations. The buffer belongs to the write until nothing reads it.
 */
export interface Packed {
  buffer: Float32Array;
  vectors: Float32Array;
  json: Uint8Array;
  count: number;
}


export class Writer {
  readonly #lib: NativeLib;
  readonly #dimension: number;
  /**
   * Vector buffers, reused: a new 15 MB typed array now and then cost 50-60 ms inside the
   * engine (Deno and Bun alike), a stall of the event loop in the middle of a bulk ingest.
   * A job reads its buffer in place until it is collected, so a buffer comes back here only
   * after that.
   */
  #pool: Float32Array[] = [];
  #released = false;

  constructor(lib: NativeLib, dimension: number) {
    this.#lib = lib;
    this.#dimension = dimension;
  }

  /** Checks and packs records now (bad input throws here, before anything is queued). */
  pack(records: RecordInput[], namespace: string | undefined): Packed {
    if (!Array.isArray(records)) throw new VectLiteError("INVALID_ARGUMENT", "records must be an array");
    const size = records.length * this.#dimension;
    const buffer = this.#borrow(size);
    try {
      const { vectors, items } = packRecords(records, this.#dimension, namespace, { into: buffer.subarray(0, size) });
      return { buffer, vectors, json: utf8(JSON.stringify(items)), count: items.length };
    } catch (e) {
      this.#giveBack(buffer); // bad input: nothing read the buffer
      throw e;
    }
  }

  /** `pack` for a large batch: in slices, yielding between them, so the event loop keeps running. */
  async packInSlices(records: RecordInput[], namespace: string | undefined): Promise<Packed> {
    const dim = this.#dimension;
    const buffer = this.#borrow(records.length * dim);
    try {
      const vectors = buffer.subarray(0, records.length * dim);
      const parts: string[] = [];
      for (let start = 0; start < records.length; start += PACK_SLICE) {
        const slice = records.slice(start, start + PACK_SLICE);
        const into = vectors.subarray(start * dim, (start + slice.length) * dim);
        parts.push(JSON.stringify(packRecords(slice, dim, namespace, { into }).items).slice(1, -1));
        await yieldToEventLoop();
      }
      return { buffer, vectors, json: utf8(`[${parts.join(",")}]`), count: records.length };
    } catch (e) {
      this.#giveBack(buffer);
      throw e;
    }
  }

  /** Packs a transaction's operations (JSON each) and its upserts' vectors, in order. */
  packCommit(ops: string[], vectors: Float32Array[]): Packed {
    const size = vectors.length * this.#dimension;
    const buffer = this.#borrow(size);
    vectors.forEach((v, i) => buffer.set(v, i * this.#dimension));
    return { buffer, vectors: buffer.subarray(0, size), json: utf8(`[${ops.join(",")}]`), count: ops.length };
  }

  /** Gives back the buffer of a write that will not be sent. */
  discard(packed: Packed): void {
    this.#giveBack(packed.buffer);
  }

  /**
   * Sends records packed by `pack` or `packInSlices` with `vl_write`'s `flags`; resolves
   * with the native count. Inline below ASYNC_WRITE_RECORDS records and ASYNC_WRITE_BYTES of
   * JSON, else as a job (which reads the vectors in place).
   */
  write(h: bigint, packed: Packed, flags: number): number | Promise<number> {
    const { vectors: v, json } = packed;
    return this.#send(
      packed,
      () => call(this.#lib, "vl_write", h, v, v.length, json, json.length, flags),
      () => callAsync(this.#lib, "vl_write_async", h, v, v.length, json, json.length, flags),
    );
  }

  /** Sends a transaction packed by `packCommit`, the same way as `write`. */
  commit(h: bigint, packed: Packed): number | Promise<number> {
    const { vectors: v, json } = packed;
    return this.#send(
      packed,
      () => call(this.#lib, "vl_commit", h, v, v.length, json, json.length),
      () => callAsync(this.#lib, "vl_commit_async", h, v, v.length, json, json.length),
    );
  }

  /** Drops the pool (the database is closing). */
  release(): void {
    this.#released = true;
    this.#pool = [];
  }

  /** The one decision, inline or job, for every kind of write. */
  #send(packed: Packed, inline: () => { scalar: bigint }, job: () => Promise<{ scalar: bigint }>): number | Promise<number> {
    if (packed.count < ASYNC_WRITE_RECORDS && packed.json.length < ASYNC_WRITE_BYTES) {
      try {
        return Number(inline().scalar);
      } finally {
        this.#giveBack(packed.buffer);
      }
    }
    return job().then(
      (r) => {
        this.#giveBack(packed.buffer);
        return Number(r.scalar);
      },
      (e) => {
        // A VectLiteError comes from a collected job (or one that never started); anything
        // else may leave a job reading the buffer, which is then never reused.
        if (e instanceof VectLiteError) this.#giveBack(packed.buffer);
        throw e;
      },
    );
  }

  /** A buffer of at least `size` floats, from the pool when one is large enough. */
  #borrow(size: number): Float32Array {
    let best = -1;
    for (let i = 0; i < this.#pool.length; i++) {
      const n = this.#pool[i].length;
      if (n >= size && (best < 0 || n < this.#pool[best].length)) best = i;
    }
    if (best >= 0) return this.#pool.splice(best, 1)[0];
    return new Float32Array(Math.max(size, MIN_POOLED));
  }

  /** Gives a buffer back once nothing reads it any more; the largest few are kept. */
  #giveBack(buffer: Float32Array): void {
    if (this.#released) return;
    if (this.#pool.length < POOL_SIZE) {
      this.#pool.push(buffer);
      return;
    }
    let smallest = 0;
    for (let i = 1; i < this.#pool.length; i++) if (this.#pool[i].length < this.#pool[smallest].length) smallest = i;
    if (this.#pool[smallest].length < buffer.length) this.#pool[smallest] = buffer;
  }
}
