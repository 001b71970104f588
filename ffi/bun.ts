/**
 * The bun:ffi backend of NativeLib.
 *
 * @module
 */
import { dlopen, JSCallback, toArrayBuffer, type FFIFunction } from "bun:ffi";
import { type Completions, openChannel } from "./completions.ts";
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

/** The loader's view of this runtime. */
export function runtimeEnv(): RuntimeEnv {
  return nodeRuntimeEnv((n) => Bun.env[n]);
}

export function load(locate: Locate): NativeLib {
  const path = locate(runtimeEnv());
  const defs: Record<string, FFIFunction> = {};
  for (const [name, spec] of Object.entries(symbols)) {
    defs[name] = {
      args: (spec.parameters as readonly NativeType[]).map((t) => TYPES[t]),
      returns: TYPES[spec.result],
    } as FFIFunction;
  }
  const lib = dlopen(path, defs);
  const copy = (ptr: bigint, len: number): Uint8Array =>
    // toArrayBuffer views Rust's memory; slice() copies it before the buffer is freed.
    new Uint8Array(toArrayBuffer(Number(ptr) as never, 0, len)).slice();
  const fns = lib.symbols as unknown as NativeLib["fns"];
  // Bun has no calls off the JavaScript thread: the library calls back, from its threads,
  // when jobs finished. The callback lives as long as the process (the library keeps it).
  // The callback runs only once jobs are watched on the channel, after `completions` is set.
  const arrived = new JSCallback(() => completions.arrived(), { args: ["u64"], returns: "void", threadsafe: true });
  const completions: Completions = openChannel({ fns, copy }, BigInt(arrived.ptr as unknown as number));
  return {
    runtime: "bun",
    fns,
    copy,
    view: (ptr, len) => new Uint8Array(toArrayBuffer(Number(ptr) as never, 0, len)),
    waitJob: (job, out, progress) => completions.wait(job, out, progress),
  };
}
