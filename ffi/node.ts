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
import { openChannel } from "./completions.ts";

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

/** The loader's view of this runtime. */
export function runtimeEnv(): RuntimeEnv {
  return nodeRuntimeEnv((n) => process.env[n]);
}

export function load(locate: Locate): NativeLib {
  const path = locate(runtimeEnv());
  const lib = koffi.load(path);
  const fns: Record<string, KoffiFn> = {};
  for (const [name, spec] of Object.entries(symbols)) {
    const s: SymbolSpec = spec;
    fns[name] = lib.func(name, TYPES[s.result], s.parameters.map((t) => TYPES[t]));
  }
  const copy = (ptr: bigint, len: number): Uint8Array =>
    // decode with a length copies into a fresh Uint8Array: 0.5 µs for a small result,
    // against 2 µs for mapping the memory with koffi.view and slicing it.
    koffi.decode(ptr, "uint8_t", len) as Uint8Array;
  // One libuv thread waits in vl_channel_wait while jobs are pending (koffi's asynchronous
  // call); node:fs, dns and crypto keep the rest of the pool.
  const channelWait = fns.vl_channel_wait;
  const waitAsync = (channel: bigint, out: BigUint64Array) =>
    new Promise<number>((resolve, reject) => {
      // `out` stays referenced by this closure until the call returns.
      channelWait.async(channel, out, (err: unknown, status: number) => (err ? reject(err) : resolve(status)));
    });
  const completions = openChannel({ fns: fns as unknown as NativeLib["fns"], copy }, 0n, waitAsync);
  return {
    runtime: "node",
    fns: fns as unknown as NativeLib["fns"],
    copy,
    view: (ptr, len) => new Uint8Array(koffi.view(ptr, len)),
    waitJob: (job, out, progress) => completions.wait(job, out, progress),
  };
}
