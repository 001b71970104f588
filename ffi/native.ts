/**
 * The NativeLib interface every runtime backend implements, where the library is found,
 * the ABI-version check, and the one helper that turns a status + out buffer into a value
 * or a VectLiteError.
 *
 * @module
 */
import { ABI_VERSION, STATUS_CODES, type SymbolName } from "./symbols.ts";
import { VectLiteError, type ErrorCode } from "../src/errors.ts";

/** Raw access to the loaded library, the same shape on every runtime. */
export interface NativeLib {
  /** Calls a symbol of `symbols.ts` with runtime-appropriate arguments. */
  // deno-lint-ignore no-explicit-any
  readonly fns: Record<SymbolName, (...args: any[]) => any>;
  /** Copies `len` bytes at a Rust-owned address into a fresh Uint8Array. */
  copy(ptr: bigint, len: number): Uint8Array;
  /** The runtime name, for messages. */
  readonly runtime: string;
  /** Resolves with a background job's status once it finished, its result written to `out`. */
  waitJob(job: bigint, out: BigUint64Array): Promise<number>;
}

interface RuntimeEnv {
  env(name: string): string | undefined;
  os: string;
  exists(path: string): boolean;
}

function libraryFileName(os: string): string {
  if (os === "darwin") return "libvectlite.dylib";
  if (os === "windows" || os === "win32") return "vectlite.dll";
  return "libvectlite.so";
}

/** The library's candidate paths, in order: VECTLITE_LIB, then the local cargo build. */
export function candidatePaths(rt: RuntimeEnv): string[] {
  const out: string[] = [];
  const override = rt.env("VECTLITE_LIB");
  if (override) out.push(override);
  const file = libraryFileName(rt.os);
  for (const profile of ["release", "debug"]) {
    out.push(decodeURIComponent(new URL(`../lib-rs/target/${profile}/${file}`, import.meta.url).pathname));
  }
  return out;
}

/**
 * Picks the first existing candidate, or fails listing every path tried. An explicit
 * VECTLITE_LIB that does not exist is an error rather than silently skipped.
 */
export function locateLibrary(rt: RuntimeEnv): string {
  const override = rt.env("VECTLITE_LIB");
  if (override && !rt.exists(override)) {
    throw new VectLiteError("IO", `VECTLITE_LIB points at ${override}, which does not exist (platform ${rt.os})`);
  }
  const tried = candidatePaths(rt);
  const found = tried.find((p) => rt.exists(p));
  if (!found) {
    throw new VectLiteError(
      "IO",
      `native library not found for ${rt.os}; tried: ${tried.join(", ")}. ` +
        "Build it with `bash scripts/build.sh` or set VECTLITE_LIB.",
    );
  }
  return found;
}

let loaded: NativeLib | undefined;

/** A runtime backend module (ffi/bun.ts, ffi/deno.ts). */
interface Backend {
  load(locate: typeof locateLibrary): NativeLib;
}

/** Imports the current runtime's backend module. */
async function importBackend(): Promise<Backend> {
  const g = globalThis as Record<string, unknown>;
  if ("Bun" in g) return await import("./bun.ts");
  if ("Deno" in g) return await import("./deno.ts");
  throw new VectLiteError("INVALID_ARGUMENT", "vectlite runs on Bun and Deno; this runtime is not supported yet");
}

/**
 * The backend module, imported once when this module loads, so that `loadNativeSync` can
 * open the library without awaiting (only the import is asynchronous; both backends' `load`
 * is synchronous). A failed import is kept and reported on first use: importing mod.ts
 * never fails.
 */
let backendError: unknown;
const prefetched: Backend | undefined = await importBackend().catch((e) => {
  backendError = e;
  return undefined;
});

/** Loads the library once (lazily: importing mod.ts never fails) and checks its ABI. */
export async function native(): Promise<NativeLib> {
  if (loaded) return loaded;
  const backend = prefetched ?? await importBackend();
  return loaded ?? adopt(backend.load(locateLibrary));
}

/**
 * The library, loaded now if it was not yet: for the synchronous parts of the API
 * (`sparseTerms`, `analyzers.Analyzer`). Shares `native()`'s cache and ABI check.
 */
export function loadNativeSync(): NativeLib {
  if (loaded) return loaded;
  if (!prefetched) throw backendError;
  return adopt(prefetched.load(locateLibrary));
}

/** Checks a freshly opened library's ABI version and keeps it as the loaded library. */
function adopt(lib: NativeLib): NativeLib {
  const abi = lib.fns.vl_abi_version() as number;
  if (abi !== ABI_VERSION) {
    throw new VectLiteError(
      "ABI_MISMATCH",
      `native library ABI version ${abi} does not match this package's ${ABI_VERSION}; rebuild the library`,
    );
  }
  loaded = lib;
  return lib;
}

/** The loaded library, for synchronous calls after `native()` resolved once. */
export function nativeSync(): NativeLib {
  if (!loaded) throw new VectLiteError("INTERNAL", "native library used before it was loaded");
  return loaded;
}

/** One reusable out array: every call is synchronous, so one at a time uses it. */
const OUT = new BigUint64Array(3);

/** What a successful call hands back. */
export interface CallResult {
  bytes: Uint8Array | null;
  scalar: bigint;
}

/** Turns a status and out array into a result, or throws the VectLiteError they describe. */
function finish(lib: NativeLib, name: string, status: number, out: BigUint64Array): CallResult {
  const ptr = out[0], len = Number(out[1]), scalar = out[2];
  let bytes: Uint8Array | null = null;
  if (len > 0) {
    bytes = lib.copy(ptr, len);
    lib.fns.vl_buf_free(ptr, len);
  }
  if (status !== 0) {
    const code = (STATUS_CODES[status] ?? "INTERNAL") as ErrorCode;
    const message = bytes ? new TextDecoder().decode(bytes) : `native call ${name} failed with status ${status}`;
    throw new VectLiteError(code, message);
  }
  return { bytes, scalar };
}

/**
 * Calls a fallible symbol (its last parameter is the out array) and returns its result,
 * or throws the VectLiteError its status and message describe.
 */
export function call(lib: NativeLib, name: SymbolName, ...args: unknown[]): CallResult {
  const status = lib.fns[name](...args, OUT) as number;
  return finish(lib, name, status, OUT);
}

/**
 * Calls an `_async` symbol, which starts the work on a Rust thread and returns a job id,
 * then waits for the job without blocking the event loop. The arguments' memory only needs
 * to live for the starting call: the job works on copies.
 */
export async function callAsync(lib: NativeLib, name: SymbolName, ...args: unknown[]): Promise<CallResult> {
  const job = call(lib, name, ...args).scalar;
  const out = new BigUint64Array(3);
  const status = await lib.waitJob(job, out);
  return finish(lib, name, status, out);
}
