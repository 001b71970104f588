/**
 * The Deno.dlopen backend of NativeLib.
 *
 * @module
 */
import { symbols, type NativeType, type SymbolSpec } from "./symbols.ts";
import type { NativeLib, RuntimeEnv } from "./native.ts";
import { extractLibrary, type ExtractIO } from "./extract.ts";
import { openChannel } from "./completions.ts";

const TYPES: Record<NativeType, Deno.NativeType | "void"> = {
  u32: "u32",
  i32: "i32",
  u64: "u64",
  usize: "usize",
  buffer: "buffer",
  void: "void",
};

type Locate = (rt: RuntimeEnv) => string;

/**
 * Whether a permission is granted already. The loader's probes (candidate paths, the cache,
 * /proc/self/maps) ask only then, so they never prompt: a path it may not read counts as absent.
 */
function granted(permission: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(permission).state === "granted";
}

function exists(path: string): boolean {
  if (!granted({ name: "read", path })) return false;
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function readText(path: string): string | undefined {
  if (!granted({ name: "read", path })) return undefined;
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** Deno's file system, for copying the library out of a compiled executable. */
const DENO_IO: ExtractIO = {
  readFile: (p) => Deno.readFileSync(p),
  makeTempDir: () => Deno.makeTempDirSync({ prefix: "vectlite-lib-" }),
  writeFile: (p, bytes) => Deno.writeFileSync(p, bytes, { mode: 0o700 }),
  removeDir: (p) => Deno.removeSync(p, { recursive: true }),
};

/**
 * Opens the library. Inside a `deno compile` executable (`standalone`) the located path may
 * be in its virtual file system, which the OS loader cannot read: the library is copied to a
 * temporary file first. On Unix the copy is deleted right after dlopen (the mapping stays);
 * Windows cannot delete a loaded DLL, so there it stays in the temporary directory.
 */
/**
 * An environment variable, read only when the permission to is granted: unset otherwise,
 * never a prompt (the loader looks at several, most of them unset).
 */
function env(name: string): string | undefined {
  return granted({ name: "env", variable: name }) ? Deno.env.get(name) : undefined;
}

/** The loader's view of this runtime. */
export function runtimeEnv(): RuntimeEnv {
  return { env, os: Deno.build.os, arch: Deno.build.arch, exists, readText };
}

export function load(locate: Locate, standalone: boolean = Deno.build.standalone): NativeLib {
  const located = locate(runtimeEnv());
  if (!standalone) return open(located);
  const copy = extractLibrary(located, DENO_IO);
  try {
    return open(copy.path);
  } finally {
    if (Deno.build.os !== "windows") {
      try {
        copy.remove();
      } catch { /* a leftover file in the temporary directory is harmless; the load's outcome matters */ }
    }
  }
}

function open(path: string): NativeLib {
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
  const fns = lib.symbols as unknown as NativeLib["fns"];
  const copy = (ptr: bigint, len: number): Uint8Array => {
    const out = new Uint8Array(len);
    const p = Deno.UnsafePointer.create(ptr);
    if (p === null) return out;
    Deno.UnsafePointerView.copyInto(p, out);
    return out;
  };
  // vl_channel_wait is a nonblocking symbol: the wait runs on Deno's thread pool.
  const waitAsync = fns.vl_channel_wait as (channel: bigint, out: BigUint64Array) => Promise<number>;
  const completions = openChannel({ fns, copy }, 0n, waitAsync);
  return {
    runtime: "deno",
    fns,
    copy,
    view(ptr: bigint, len: number): Uint8Array {
      const p = Deno.UnsafePointer.create(ptr);
      return p === null ? new Uint8Array(0) : new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(p, len));
    },
    waitJob: (job, out, progress) => completions.wait(job, out, progress),
  };
}
