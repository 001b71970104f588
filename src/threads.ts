/**
 * The native read pool's size, shared by every database of the process.
 *
 * @module
 */
import { call, loadNativeSync, type ReadPolicy, setReadPolicy } from "../ffi/native.ts";
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
 * @internal Where reads run, for tests and benchmarks that compare the paths (not part of
 * the API): "auto" (the default: cheap reads inline when the event loop is not busy, see
 * `readFlags` in ffi/native.ts and lib-rs/src/search/cost.rs), "inline" (every read on the
 * calling thread, however large: the path reads took before the pool) or "pool" (every read
 * on the pool, however small). Returns the previous policy.
 */
export function useReadPolicy(policy: ReadPolicy): ReadPolicy {
  const lib = loadNativeSync();
  // The library's own limit, read (by setting another) the first time.
  defaultLimit ??= call(lib, "vl_pool_inline_work", 0n).scalar;
  const limit = policy === "inline" ? 1n << 62n : policy === "pool" ? 0n : defaultLimit;
  call(lib, "vl_pool_inline_work", limit);
  return setReadPolicy(policy);
}

/** `INLINE_WORK` of lib-rs/src/search/cost.rs, as the library reported it. */
let defaultLimit: bigint | undefined;
