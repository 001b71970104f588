/**
 * The Deno.dlopen backend of NativeLib.
 *
 * @module
 */
import { symbols, type NativeType, type SymbolSpec } from "./symbols.ts";
import type { NativeLib, RuntimeEnv } from "./native.ts";

const TYPES: Record<NativeType, Deno.NativeType | "void"> = {
  u32: "u32",
  i32: "i32",
  u64: "u64",
  usize: "usize",
  buffer: "buffer",
  void: "void",
};

type Locate = (rt: RuntimeEnv) => string;

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

export function load(locate: Locate): NativeLib {
  const path = locate({ env: (n) => Deno.env.get(n), os: Deno.build.os, arch: Deno.build.arch, exists });
  const defs: Record<string, Deno.ForeignFunction> = {};
  for (const [name, spec] of Object.entries(symbols)) {
    const s: SymbolSpec = spec;
    defs[name] = {
      parameters: s.parameters.map((t) => TYPES[t] as Deno.NativeType),
      result: TYPES[s.result] as Deno.NativeResultType,
      nonblocking: s.nonblocking ?? false,
    };
  }
  const lib = Deno.dlopen(path, defs);
  return {
    runtime: "deno",
    fns: lib.symbols as unknown as NativeLib["fns"],
    copy(ptr: bigint, len: number): Uint8Array {
      const out = new Uint8Array(len);
      const p = Deno.UnsafePointer.create(ptr);
      if (p === null) return out;
      Deno.UnsafePointerView.copyInto(p, out);
      return out;
    },
    waitJob(job: bigint, out: BigUint64Array): Promise<number> {
      // A nonblocking symbol: the wait runs on Deno's thread pool and resolves a Promise.
      return (lib.symbols.vl_job_wait as unknown as (job: bigint, out: BigUint64Array) => Promise<number>)(job, out);
    },
  };
}
