/**
 * The koffi backend of NativeLib, for Node.js (20 and newer). Only ffi/native.ts imports it,
 * and only when neither Bun nor Deno is the runtime, so those never load koffi.
 *
 * @module
 */
import { existsSync } from "node:fs";
import koffi from "koffi";
import { symbols, type NativeType, type SymbolSpec } from "./symbols.ts";
import type { NativeLib, RuntimeEnv } from "./native.ts";

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
 * A job checked this many times with `vl_job_poll` (yielding to the event loop in between)
 * before its wait moves to koffi's worker thread: most jobs finish within a few
 * milliseconds, and a worker-thread wait occupies one of libuv's 4 pool threads (shared with
 * node:fs and crypto) for as long as the job runs.
 */
const POLLS_BEFORE_WAIT = 8;

export function load(locate: Locate): NativeLib {
  const path = locate({
    env: (n) => process.env[n],
    os: process.platform,
    arch: process.arch,
    exists: (p) => existsSync(p),
  });
  const lib = koffi.load(path);
  const fns: Record<string, KoffiFn> = {};
  for (const [name, spec] of Object.entries(symbols)) {
    const s: SymbolSpec = spec;
    fns[name] = lib.func(name, TYPES[s.result], s.parameters.map((t) => TYPES[t]));
  }
  const poll = fns.vl_job_poll as unknown as (job: bigint, out: BigUint64Array) => number;
  const wait = fns.vl_job_wait;
  return {
    runtime: "node",
    fns: fns as unknown as NativeLib["fns"],
    copy(ptr: bigint, len: number): Uint8Array {
      // koffi.view maps Rust's memory; slice() copies it before the buffer is freed.
      return new Uint8Array(koffi.view(ptr, len)).slice();
    },
    async waitJob(job: bigint, out: BigUint64Array): Promise<number> {
      for (let i = 0; i < POLLS_BEFORE_WAIT; i++) {
        const status = poll(job, out);
        if (status !== -1) return status;
        await new Promise((resolve) => setTimeout(resolve, i === 0 ? 0 : 1));
      }
      // A long job: block a koffi worker thread in vl_job_wait rather than wake the event
      // loop every few milliseconds. `out` stays referenced by this closure until the call
      // returns, so its memory cannot go away under the worker.
      return await new Promise<number>((resolve, reject) => {
        wait.async(job, out, (err: unknown, status: number) => (err ? reject(err) : resolve(status)));
      });
    },
  };
}
