/**
 * The bun:ffi backend of NativeLib.
 *
 * @module
 */
import { dlopen, toArrayBuffer, type FFIFunction } from "bun:ffi";
import { symbols, type NativeType } from "./symbols.ts";
import type { NativeLib, RuntimeEnv } from "./native.ts";
import { nodeRuntimeEnv } from "./node-env.ts";

const TYPES: Record<NativeType, string> = {
  u32: "u32",
  i32: "i32",
  u64: "u64",
  usize: "usize",
  buffer: "ptr",
  void: "void",
};

type Locate = (rt: RuntimeEnv) => string;

export function load(locate: Locate): NativeLib {
  const path = locate(nodeRuntimeEnv((n) => Bun.env[n]));
  const defs: Record<string, FFIFunction> = {};
  for (const [name, spec] of Object.entries(symbols)) {
    defs[name] = {
      args: (spec.parameters as readonly NativeType[]).map((t) => TYPES[t]),
      returns: TYPES[spec.result],
    } as FFIFunction;
  }
  const lib = dlopen(path, defs);
  return {
    runtime: "bun",
    fns: lib.symbols as unknown as NativeLib["fns"],
    copy(ptr: bigint, len: number): Uint8Array {
      // toArrayBuffer views Rust's memory; slice() copies it before the buffer is freed.
      return new Uint8Array(toArrayBuffer(Number(ptr) as never, 0, len)).slice();
    },
    async waitJob(job: bigint, out: BigUint64Array): Promise<number> {
      // Bun has no nonblocking FFI calls: poll from timers, backing off to 4 ms.
      const poll = lib.symbols.vl_job_poll as unknown as (job: bigint, out: BigUint64Array) => number;
      for (let delay = 0; ; delay = Math.min(4, delay + 1)) {
        const status = poll(job, out);
        if (status !== -1) return status;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    },
  };
}
