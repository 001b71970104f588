/**
 * The NativeLib interface every runtime backend implements, where the library is found,
 * the ABI-version check, and the one helper that turns a status + out buffer into a value
 * or a VectLiteError.
 *
 * @module
 */
import { ABI_VERSION, type CallArgs, STATUS_CODES, type SymbolName } from "./symbols.ts";
import { cachedLibrary, fetchLibrary } from "./fetch-library.ts";
import { platformPackageName } from "./platform-package.ts";
import { VectLiteError, type ErrorCode } from "../src/errors.ts";

/** Raw access to the loaded library, the same shape on every runtime. */
export interface NativeLib {
  /** Calls a symbol of `symbols.ts` with runtime-appropriate arguments. */
  // deno-lint-ignore no-explicit-any
  readonly fns: Record<SymbolName, (...args: any[]) => any>;
  /** Copies `len` bytes at a Rust-owned address into a fresh Uint8Array. */
  copy(ptr: bigint, len: number): Uint8Array;
  /**
   * The `len` bytes at a Rust-owned address, viewed in place (no copy). Valid only until the
   * buffer is freed: copy what must outlive that.
   */
  view(ptr: bigint, len: number): Uint8Array;
  /** The runtime name, for messages. */
  readonly runtime: string;
  /**
   * Resolves with a background job's status once it finished, its result written to `out`;
   * `progress` is called when the job reported progress, and once before it resolves.
   */
  waitJob(job: bigint, out: BigUint64Array, progress?: () => void): Promise<number>;
}

/** What the loader needs from the runtime: environment, platform, and a file-exists check. */
export interface RuntimeEnv {
  env(name: string): string | undefined;
  /** `process.platform` or `Deno.build.os`: "linux", "darwin", "win32"/"windows", ... */
  os: string;
  /** `process.arch` or `Deno.build.arch`: "x64"/"x86_64", "arm64"/"aarch64", ... Without it no prebuilt library is tried. */
  arch?: string;
  exists(path: string): boolean;
  /** A small text file's contents, or undefined when it cannot be read (used for /proc/self/maps). */
  readText?(path: string): string | undefined;
}

/** The target triples vectlite ships prebuilt libraries for, under `native/<triple>/`. */
export const PREBUILT_TRIPLES = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-unknown-linux-musl",
  "aarch64-unknown-linux-musl",
  "x86_64-pc-windows-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
] as const;

function libraryFileName(os: string): string {
  if (os === "darwin") return "libvectlite.dylib";
  if (os === "windows" || os === "win32") return "vectlite.dll";
  return "libvectlite.so";
}

/** The CPU part of a triple, from either runtime's spelling of the architecture. */
function cpuOf(arch: string | undefined): string | undefined {
  if (arch === "x64" || arch === "x86_64") return "x86_64";
  if (arch === "arm64" || arch === "aarch64") return "aarch64";
  return undefined;
}

/**
 * The target triple of the running platform, or undefined when vectlite ships no prebuilt
 * library for it. On Linux, musl is detected in the running process's own mappings
 * (`/proc/self/maps` names `ld-musl-<cpu>.so.1` or `libc.musl-<cpu>.so.1`), so a glibc system
 * that merely has musl installed is not mistaken for one; without `/proc`, by the presence
 * of musl's dynamic loader.
 */
export function targetTriple(rt: RuntimeEnv): string | undefined {
  const cpu = cpuOf(rt.arch);
  if (!cpu) return undefined;
  let triple: string;
  if (rt.os === "linux") {
    const maps = rt.readText?.("/proc/self/maps");
    const musl = maps !== undefined ? /\/(ld-musl-|libc\.musl-)[^/\s]*$/m.test(maps) : rt.exists(`/lib/ld-musl-${cpu}.so.1`);
    triple = `${cpu}-unknown-linux-${musl ? "musl" : "gnu"}`;
  } else if (rt.os === "darwin") triple = `${cpu}-apple-darwin`;
  else if (rt.os === "windows" || rt.os === "win32") triple = `${cpu}-pc-windows-gnu`;
  else return undefined;
  return (PREBUILT_TRIPLES as readonly string[]).includes(triple) ? triple : undefined;
}

/** "linux/x64 (x86_64-unknown-linux-gnu)": the platform, for messages. */
function platformName(rt: RuntimeEnv): string {
  const triple = targetTriple(rt);
  return `${rt.os}/${rt.arch ?? "unknown-arch"} (${triple ?? "no prebuilt library for this platform"})`;
}

/** The package root relative to this module: the parent of ffi/, or of dist/ffi/ for the compiled JavaScript. */
const ROOT = /\/dist\/ffi\/native\.js$/.test(import.meta.url) ? "../../" : "../";

/** A path relative to this package's root, or undefined when it is not on a file system (a remote import). */
function packagePath(relative: string): string | undefined {
  const url = new URL(`${ROOT}${relative}`, import.meta.url);
  if (url.protocol !== "file:") return undefined;
  const path = decodeURIComponent(url.pathname);
  return /^\/[A-Za-z]:\//.test(path) ? path.slice(1) : path; // file:///C:/x on Windows
}

/** The library a program chose in code (`useLibrary`), e.g. the one embedded in a compiled executable. */
let chosen: string | undefined;

/**
 * Makes the loader use the library at `path` instead of searching for one (VECTLITE_LIB and
 * the package's `native/` and cargo builds are then not consulted; a missing file is `IO`).
 * Meant for single-file executables, whose embedded library has a path only the program
 * knows (`import lib from "...so" with { type: "file" }` in `bun build --compile`). Must run
 * before the library is loaded: afterwards a different path is `INVALID_ARGUMENT`, the path
 * already loaded a no-op.
 *
 * ```ts
 * import lib from "./libvectlite.so" with { type: "file" };
 * useLibrary(lib);
 * ```
 */
export function useLibrary(path: string): void {
  if (typeof path !== "string" || path === "") {
    throw new VectLiteError("INVALID_ARGUMENT", `useLibrary(path): path must be a non-empty string, got ${JSON.stringify(path) ?? String(path)}`);
  }
  if (loadedPath !== undefined && loadedPath !== path) {
    throw new VectLiteError(
      "INVALID_ARGUMENT",
      `useLibrary(${path}): the native library was already loaded from ${loadedPath}; call useLibrary before the first open`,
    );
  }
  chosen = path;
}

/** The path the native library was loaded from, or undefined before the first load. */
export function libraryPath(): string | undefined {
  return loadedPath;
}

/**
 * The library's candidate paths, in order: VECTLITE_LIB, then the prebuilt library shipped in
 * the package (`native/<triple>/`), then the platform's own package installed beside this one
 * (`@vectlite/<triple>`, ffi/platform-package.ts), then the local cargo build (release, then
 * debug).
 */
export function candidatePaths(rt: RuntimeEnv): string[] {
  const out: string[] = [];
  const override = rt.env("VECTLITE_LIB");
  if (override) out.push(override);
  const file = libraryFileName(rt.os);
  const triple = targetTriple(rt);
  const relative = triple ? [`native/${triple}/${file}`, `../${platformPackageName(triple)}/${file}`] : [];
  for (const profile of ["release", "debug"]) relative.push(`lib-rs/target/${profile}/${file}`);
  for (const r of relative) {
    const p = packagePath(r);
    if (p) out.push(p);
  }
  return out;
}

/**
 * The library on disk: the first existing candidate, else a verified copy in the download
 * cache (ffi/fetch-library.ts); undefined when there is none. An explicit VECTLITE_LIB that
 * does not exist is an error rather than silently skipped.
 */
function findOnDisk(rt: RuntimeEnv): string | undefined {
  const override = rt.env("VECTLITE_LIB");
  if (override && !rt.exists(override)) {
    throw new VectLiteError("IO", `VECTLITE_LIB points at ${override}, which does not exist (platform ${platformName(rt)})`);
  }
  const found = candidatePaths(rt).find((p) => rt.exists(p));
  if (found) return found;
  const triple = targetTriple(rt);
  return triple ? cachedLibrary(rt, triple, libraryFileName(rt.os)) : undefined;
}

/** Whether this module runs inside a `bun build --compile` executable (its files live in `/$bunfs/`, `B:/~BUN/` on Windows). */
const IN_BUN_EXECUTABLE = /\/\$bunfs\/|~BUN/.test(import.meta.url);

/** The error for a library found nowhere: the platform, every path tried, and `advice`. */
function notFound(rt: RuntimeEnv, advice: string, cause?: unknown): VectLiteError {
  const tried = candidatePaths(rt).join(", ");
  const compiled = IN_BUN_EXECUTABLE
    ? " In a single-file executable, embed the library (`import lib from \".../libvectlite.so\" with { type: \"file\" }`) and call `useLibrary(lib)` from \"vectlite/compiled\" before the first open."
    : "";
  return new VectLiteError("IO", `native library not found for ${platformName(rt)}; tried: ${tried}. ${advice}${compiled}`, cause === undefined ? {} : { cause });
}

/**
 * Picks the library on disk (see `findOnDisk`), or fails naming the platform and every path
 * tried. Never downloads: `native()` does, when this finds nothing.
 */
export function locateLibrary(rt: RuntimeEnv): string {
  const found = findOnDisk(rt);
  if (!found) throw notFound(rt, "Build it with `bash scripts/build.sh` or set VECTLITE_LIB.");
  return found;
}

/**
 * `locateLibrary`, else the library downloaded for this version and platform (verified, and
 * cached for the next time). A checksum mismatch stays `CORRUPT`; any other failure to
 * download is the not-found error with the reason.
 */
async function locateOrFetch(rt: RuntimeEnv): Promise<string> {
  const found = findOnDisk(rt);
  if (found) return found;
  const triple = targetTriple(rt);
  if (!triple) throw notFound(rt, "No prebuilt library exists for this platform: build it with `bash scripts/build.sh` and set VECTLITE_LIB.");
  try {
    return await fetchLibrary(rt, triple, libraryFileName(rt.os));
  } catch (e) {
    if (e instanceof VectLiteError && e.code === "CORRUPT") throw e;
    throw notFound(rt, `Downloading it failed: ${(e as Error).message ?? e}`, e);
  }
}

let loaded: NativeLib | undefined;
/** Where `loaded` came from; `located` is the last answer of locateLibrary, kept once it loads. */
let loadedPath: string | undefined;
let located: string | undefined;

/** The library chosen with `useLibrary` (the only one tried then: a missing file is an error). */
function checkChosen(rt: RuntimeEnv, path: string): string {
  if (!rt.exists(path)) throw new VectLiteError("IO", `useLibrary(${path}): no such file (platform ${platformName(rt)})`);
  return path;
}

/** A runtime backend module (ffi/bun.ts, ffi/deno.ts, ffi/node.ts). */
interface Backend {
  load(locate: (rt: RuntimeEnv) => string): NativeLib;
  /** The loader's view of the runtime. */
  runtimeEnv(): RuntimeEnv;
}

/** Imports the current runtime's backend module. */
async function importBackend(): Promise<Backend> {
  const g = globalThis as Record<string, unknown>;
  if ("Bun" in g) return await import("./bun.ts");
  if ("Deno" in g) return await import("./deno.ts");
  const versions = (g.process as { versions?: { node?: string } } | undefined)?.versions;
  if (versions?.node) {
    // A computed specifier: bundlers and `deno compile` follow literal imports, and they
    // must not pull koffi (Node's FFI) into Bun or Deno builds.
    const nodeBackend = "./node.ts";
    return await import(nodeBackend);
  }
  throw new VectLiteError("INVALID_ARGUMENT", "vectlite runs on Bun, Deno and Node.js; this runtime is not supported");
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

/** The first load under way: concurrent first calls share it (one download, one dlopen). */
let loading: Promise<NativeLib> | undefined;

/**
 * Loads the library once (lazily: importing mod.ts never fails) and checks its ABI: the one
 * `useLibrary` chose, else one on disk (`locateLibrary`), else one downloaded on first use.
 */
export function native(): Promise<NativeLib> {
  if (loaded) return Promise.resolve(loaded);
  loading ??= (async () => {
    const backend = prefetched ?? await importBackend();
    if (loaded) return loaded;
    const rt = backend.runtimeEnv();
    const path = chosen ? checkChosen(rt, chosen) : await locateOrFetch(rt);
    if (loaded) return loaded;
    located = path;
    return adopt(backend.load(() => path));
  })().finally(() => (loading = undefined));
  return loading;
}

/**
 * The library, loaded now if it was not yet: for the synchronous parts of the API
 * (`sparseTerms`, `analyzers.Analyzer`). Shares `native()`'s cache and ABI check; cannot
 * download (an asynchronous call such as `open` can).
 */
export function loadNativeSync(): NativeLib {
  if (loaded) return loaded;
  if (!prefetched) throw backendError;
  const rt = prefetched.runtimeEnv();
  let path: string;
  if (chosen) path = checkChosen(rt, chosen);
  else {
    const found = findOnDisk(rt);
    if (!found) {
      throw notFound(rt, "Build it with `bash scripts/build.sh`, set VECTLITE_LIB, or make an asynchronous call first (`await vectlite.open(...)`): it downloads the library.");
    }
    path = found;
  }
  located = path;
  return adopt(prefetched.load(() => path));
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
  loadedPath = located;
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
  /** Set by `callRead` when the read ran inline. */
  inline?: boolean;
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
    // The library sends the message and the places it names as one JSON object.
    let details: { message?: string; path?: string; offset?: number; id?: string } = {};
    try {
      if (bytes) details = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      details = { message: new TextDecoder().decode(bytes!) };
    }
    const { message, ...where } = details;
    throw new VectLiteError(code, message ?? `native call ${name} failed with status ${status}`, where);
  }
  return { bytes, scalar };
}

/**
 * Calls a fallible symbol (its last parameter is the out array) and returns its result,
 * or throws the VectLiteError its status and message describe.
 */
export function call<N extends SymbolName>(lib: NativeLib, name: N, ...args: CallArgs<N>): CallResult {
  const status = lib.fns[name](...args, OUT) as number;
  return finish(lib, name, status, OUT);
}

/**
 * Calls an `_async` symbol, which starts the work on a Rust thread and returns a job id,
 * then waits for the job without blocking the event loop. Some jobs read their large buffer
 * arguments in place (see `Lent` in lib-rs/src/abi/mod.rs), so every argument is kept
 * reachable until the job is collected; the caller must not change them meanwhile.
 */
export async function callAsync<N extends SymbolName>(lib: NativeLib, name: N, ...args: CallArgs<N>): Promise<CallResult> {
  const job = call(lib, name, ...args).scalar;
  return await collect(lib, name, job, args);
}

/** The arguments of the jobs in flight, whose buffers native code is still reading. */
const lent = new Set<unknown[]>();

/** Bit 63 of a read job's id: the read ran inline (cheap, pool quiet) and is finished already. */
const FINISHED_INLINE = 1n << 63n;

/** The `flags` bit of a read symbol that lets it run inline (lib-rs/src/abi/reads.rs). */
const READ_MAY_RUN_INLINE = 1;

/**
 * Reads of this process issued and not yet handed back to their callers. A read may run
 * inline only when it is the only one: reads issued together (a server's requests, handled
 * in the same turn of the event loop) go to the pool, so the JavaScript thread goes on with
 * the rest of the requests' work while the pool's threads search.
 */
let readsInFlight = 0;

/**
 * How late the event loop may come back to a probe before it counts as busy. Two causes, told
 * apart by what held the loop:
 * - a chain of inline reads awaited one after another (each continues in a microtask, so the
 *   loop never runs between them): once the probe is `CHAIN_MS` late, the next read goes to
 *   the pool, which lets the loop run, and reads go on inline;
 * - other work (a server's requests queued behind each other; inline reads took less than
 *   half of the wait) at two probes in a row, within `BUSY_WINDOW_MS`: reads go to the pool
 *   for `BUSY_HOLD_MS`, freeing the thread for that work while the pool's threads search.
 *   Late probes with an on-time one between are not enough: a garbage collection or the OS
 *   scheduling another process delays a probe as much, now and then, and sending reads to
 *   the pool for that cost a chain of searches up to a third of its speed (a pool round trip
 *   per read) on a loaded machine, and a server at one connection a third of its requests/s
 *   (a few probes a second came back late there). Queued work makes every probe late.
 * Measured (bench/server.ts, bench/RESULTS.md): under 8 and 64 connections the server gains
 * 1.2-1.9x over inline searches, by machine; awaited one after another, searches run inline but
 * for one every 4 ms (a pool round trip), and the loop is never held much longer.
 */
const BUSY_LAG_MS = 1;
/** How long a chain of inline reads may hold the loop before the next read goes to the pool. */
const CHAIN_MS = 4;
/** How long reads stay on the pool after the loop was seen busy with other work. */
const BUSY_HOLD_MS = 500;
/** How close two probes held by other work must be for the loop to count as busy. */
const BUSY_WINDOW_MS = 1_000;
/** When the last probe held by other work fired (-Infinity: none yet). */
let lastLateProbe = -Infinity;
/** Whether the last probe that fired was held by other work. */
let previousProbeLate = false;
/** Whether this is Node (not Bun or Deno, which define `process` too). */
const NODE = !("Bun" in globalThis) && !("Deno" in globalThis);
/** When the pending probe was queued, or -1 when none is pending. */
let probeSince = -1;
/** Time spent in inline reads (from the call to its decoded result) since the pending probe was set. */
let inlineSinceProbe = 0;

/**
 * Counts `ms` of a read that ran inline, from its call to its decoded result, as time the
 * loop spent in vectlite's reads rather than in other work. The database's read methods call
 * it: the native part alone is about half of a small read's time.
 */
export function noteInlineRead(ms: number): void {
  if (probeSince >= 0) inlineSinceProbe += ms;
}
/** Until when reads go to the pool (`performance.now()` time): see `holdPool`. */
let poolUntil = 0;

/**
 * @internal Forgets what the loop did so far (late probes, the pending one, the pool's
 * hold), as if it had been quiet: a test of the rules starts from there instead of from
 * whatever an unrelated pause (a garbage collection, another process) left.
 */
export function forgetLoopHistory(): void {
  lastLateProbe = -Infinity;
  previousProbeLate = false;
  poolUntil = 0;
  probeSince = -1;
}

/** Sends reads to the pool for the next `BUSY_HOLD_MS`. */
function holdPool(): void {
  poolUntil = Math.max(poolUntil, performance.now() + BUSY_HOLD_MS);
}

/**
 * Measures how long the event loop takes to come back to a probe queued with setImmediate
 * (it runs once the I/O callbacks already due have run; one probe at a time).
 */
function probeLoop(): void {
  if (probeSince >= 0) return;
  const since = probeSince = performance.now();
  inlineSinceProbe = 0;
  const fired = () => {
    if (probeSince !== since) return; // forgotten (`forgetLoopHistory`)
    const now = performance.now(), lag = now - probeSince;
    // Held mostly by inline reads: a chain of them (broken already). Otherwise other work.
    if (lag > BUSY_LAG_MS && inlineSinceProbe < lag / 2) {
      if (previousProbeLate && now - lastLateProbe <= BUSY_WINDOW_MS) holdPool();
      lastLateProbe = now;
      previousProbeLate = true;
    } else {
      previousProbeLate = false;
    }
    probeSince = -1;
  };
  if (typeof setImmediate === "function") {
    const probe = setImmediate(fired) as { unref?: () => void };
    // Node does not wake from waiting on I/O for an unreferenced immediate: the probe would
    // count idle time as a busy loop. Bun and Deno run it on the next turn either way.
    if (!NODE) probe.unref?.();
  } else {
    (setTimeout(fired, 0) as { unref?: () => void }).unref?.();
  }
}

/** Whether reads should go to the pool: the loop was busy with other work, or the pending probe is late already. */
function loopBusy(): boolean {
  const now = performance.now();
  return now < poolUntil || (probeSince >= 0 && now - probeSince > CHAIN_MS);
}

/**
 * The flags of a read issued now: whether it may run inline. Only when it is the only read
 * in flight and the event loop is not busy (see `BUSY_LAG_MS`).
 */
export function readFlags(): number {
  if (readPolicy !== "auto") return readPolicy === "inline" ? READ_MAY_RUN_INLINE : 0;
  // Reads that overlap (one issued while another is in flight) keep the pool for
  // `BUSY_HOLD_MS`: callers that issue reads concurrently, such as a server's requests, then
  // send the first read of each turn there too, which on two cores answered more requests
  // than running it inline beside the pool's threads.
  if (readsInFlight > 0) holdPool();
  const busy = loopBusy();
  probeLoop();
  return readsInFlight === 0 && !busy ? READ_MAY_RUN_INLINE : 0;
}

/** Where reads run: "auto" (the rules above), or always "inline" or always on the "pool". */
export type ReadPolicy = "auto" | "inline" | "pool";
let readPolicy: ReadPolicy = "auto";

/** @internal Sets where reads run (tests and benchmarks compare the paths); returns the previous policy. */
export function setReadPolicy(policy: ReadPolicy): ReadPolicy {
  const previous = readPolicy;
  readPolicy = policy;
  return previous;
}

/** Starts a read (counted in flight from now) and returns its job id. */
function submitRead<N extends SymbolName>(lib: NativeLib, name: N, args: CallArgs<N>): bigint {
  readsInFlight++;
  try {
    return call(lib, name, ...args).scalar;
  } catch (e) {
    readsInFlight--;
    throw e;
  }
}

/**
 * Calls a read's `_async` symbol (lib-rs/src/abi/reads.rs): the read runs on the native
 * read pool and the returned promise settles when it finished; a cheap read that ran inline
 * is collected at once and returned as a value, without a promise. Arguments are kept
 * reachable until the job is collected, as for `callAsync`.
 */
export function callRead<N extends SymbolName>(lib: NativeLib, name: N, ...args: CallArgs<N>): CallResult | Promise<CallResult> {
  const job = submitRead(lib, name, args);
  if (job & FINISHED_INLINE) {
    // Counted until the caller's continuation is queued: a read issued by another caller
    // in this same turn (before this microtask) sees this one still in flight.
    queueMicrotask(() => readsInFlight--);
    return { ...finish(lib, name, lib.fns.vl_job_poll(job & ~FINISHED_INLINE, OUT) as number, OUT), inline: true };
  }
  return collect(lib, name, job, args).finally(() => readsInFlight--);
}

/**
 * A result viewed in Rust's memory instead of copied whole: for large framed results
 * (a list of 100,000 records), whose parts are then copied one at a time between slices of
 * the event loop (copying 10 MB at once held it for about 10 ms). `release` frees the buffer:
 * after it nothing may read `bytes`.
 */
export interface BorrowedResult {
  bytes: Uint8Array | null;
  scalar: bigint;
  /** Whether the read ran inline. */
  inline: boolean;
  release(): void;
}

/**
 * `callRead` for a large result, which is borrowed rather than copied (see BorrowedResult).
 * `watch`, when given, is called with the job id of a read that did not run inline, and
 * returns what to call once it finished (ffi/jobs.ts cancels it when a signal aborts).
 */
export async function callReadBorrowed<N extends SymbolName>(
  lib: NativeLib,
  name: N,
  args: CallArgs<N>,
  watch?: (job: bigint) => () => void,
): Promise<BorrowedResult> {
  const job = submitRead(lib, name, args);
  try {
    const out = new BigUint64Array(3);
    let status: number;
    if (job & FINISHED_INLINE) status = lib.fns.vl_job_poll(job & ~FINISHED_INLINE, out) as number;
    else {
      const unwatch = watch?.(job);
      lent.add(args);
      try {
        status = await lib.waitJob(job, out);
      } finally {
        unwatch?.();
      }
      lent.delete(args);
    }
    const inline = (job & FINISHED_INLINE) !== 0n;
    if (status !== 0) return { ...finish(lib, name, status, out), inline, release() {} };
    const ptr = out[0], len = Number(out[1]);
    let released = len === 0;
    return {
      bytes: len > 0 ? lib.view(ptr, len) : null,
      scalar: out[2],
      inline,
      release() {
        if (released) return;
        released = true;
        lib.fns.vl_buf_free(ptr, len);
      },
    };
  } finally {
    if (job & FINISHED_INLINE) queueMicrotask(() => readsInFlight--);
    else readsInFlight--;
  }
}

/**
 * Waits for job `job` started by symbol `name` with `args` and returns its result (or throws
 * its error); `progress` as for `NativeLib.waitJob`.
 */
export async function collect(lib: NativeLib, name: string, job: bigint, args: unknown[], progress?: () => void): Promise<CallResult> {
  // The job reads the large buffers in place (no copy): keep them reachable until it is
  // collected. Should waiting itself fail, they stay here: a leak, never a freed buffer read.
  lent.add(args);
  const out = new BigUint64Array(3);
  const status = await lib.waitJob(job, out, progress);
  lent.delete(args);
  return finish(lib, name, status, out);
}
