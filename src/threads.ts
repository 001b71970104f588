/**
 * The native read pool's size, shared by every database of the process.
 *
 * @module
 */
import { call, loadNativeSync } from "../ffi/native.ts";
import { VectLiteError } from "./errors.ts";

/** The largest size accepted (lib-rs/src/abi/pool.rs). */
const MAX_READ_THREADS = 1024;

/**
 * Sets how many native threads run searches, counts and lists (for every database of the
 * process; by default one per core). 0 restores the default. Returns the size now in force.
 * A smaller size lets the threads beyond it finish their reads and exit.
 *
 * ```ts
 * vectlite.setReadThreads(2); // leave the other cores to the rest of the server
 * ```
 */
export function setReadThreads(threads: number): number {
  if (!Number.isInteger(threads) || threads < 0 || threads > MAX_READ_THREADS) {
    throw new VectLiteError("INVALID_ARGUMENT", `setReadThreads(threads): an integer from 0 to ${MAX_READ_THREADS}, found ${String(threads)}`);
  }
  return Number(call(loadNativeSync(), "vl_pool_size", threads).scalar);
}

/**
 * @internal Sets the largest estimated work of a read run on the calling thread when the
 * pool is quiet (lib-rs/src/search/cost.rs; 0 sends every read to the pool); returns the
 * previous limit. For tests and for measuring the limit, not part of the API.
 */
export function setInlineReadWork(work: bigint): bigint {
  return call(loadNativeSync(), "vl_pool_inline_work", work).scalar;
}
