/**
 * The koffi backend of NativeLib, for Node.js (20 and newer). Only ffi/native.ts imports it,
 * and only when neither Bun nor Deno is the runtime, so those never load koffi.
 *
 * @module
 */
import koffi from "koffi";
import { symbols, type NativeType, type SymbolSpec } from "./symbols.ts";
import type { NativeLib, RuntimeEnv } from "./native.ts";
import { nodeRuntimeEnv } from "./node-env.ts";

/**
 * koffi's C spelling of each neutral type. A TypedArray passed for `void *` hands C a
 * pointer to its own memory (no copy); `uint64_t` takes and returns BigInt.
 */
const TYPES: Record<NativeType, string> = {
  u32: "uint32_t",
  i32: "int32_t",
  u64: "uint64_t",
  usize: "size_t",
  buffer: "void *",
  void: "void",
};

type Locate = (rt: RuntimeEnv) => string;
type KoffiFn = ReturnType<ReturnType<typeof koffi.load>["func"]>;

/**
 * How many job waits may block libuv's thread pool at once (koffi's async calls run there):
 * half of it (2 of the default 4 threads), so node:fs, dns and crypto, which share the pool,
 * keep threads while long jobs run. Waits past the cap poll from timers instead.
 */
const POOL_WAITS = Math.max(1, Math.floor((Number(process.env.UV_THREADPOOL_SIZE) || 4) / 2));

export function load(locate: Locate): NativeLib {
  const path = locate(nodeRuntimeEnv((n) => process.env[n]));
  const lib = koffi.load(path);
  const fns: Record<string, KoffiFn> = {};
  for (const [name, spec] of Object.entries(symbols)) {
    const s: SymbolSpec = spec;
    fns[name] = lib.func(name, TYPES[s.result], s.parameters.map((t) => TYPES[t]));
  }
  const poll = fns.vl_job_poll as unknown as (job: bigint, out: BigUint64Array) => number;
  const wait = fns.vl_job_wait;
  let poolWaits = 0;
  /** Blocks a koffi worker in vl_job_wait until the job finishes. */
  async function workerWait(job: bigint, out: BigUint64Array): Promise<number> {
    poolWaits++;
    try {
      // `out` stays referenced by this closure until the call returns, so its memory
      // cannot go away under the worker thread.
      return await new Promise<number>((resolve, reject) => {
        wait.async(job, out, (err: unknown, status: number) => (err ? reject(err) : resolve(status)));
      });
    } finally {
      poolWaits--;
    }
  }
  return {
    runtime: "node",
    fns: fns as unknown as NativeLib["fns"],
    copy(ptr: bigint, len: number): Uint8Array {
      // decode with a length copies into a fresh Uint8Array: 0.5 µs for a small result,
      // against 2 µs for mapping the memory with koffi.view and slicing it.
      return koffi.decode(ptr, "uint8_t", len) as Uint8Array;
    },
    async waitJob(job: bigint, out: BigUint64Array): Promise<number> {
      // Measured (bench/RESULTS.md, "Node through koffi"): a worker-thread wait returns a
      // short job in about 0.18 ms; timer polling needs at least 1 ms (Node's minimum delay).
      // Past the cap, poll from timers (backing off to 4 ms, like the Bun backend), and wait
      // on a worker once one is free and the job is still running.
      for (let delay = 0; ; delay = Math.min(4, delay + 1)) {
        const status = poll(job, out);
        if (status !== -1) return status;
        if (poolWaits < POOL_WAITS) return await workerWait(job, out);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    },
  };
}
