/**
 * The native library fetched on first use, for installs that carry none (a JSR or other
 * remote import): downloaded once per version and platform from the release assets at
 * `<base>/v<version>/<triple>/<file>`, verified against the SHA-256 table shipped in the
 * package (ffi/release-assets.ts), and kept in a per-user cache written through a temporary
 * file and an atomic rename, so processes racing for the same entry are safe. Every later
 * load uses the cached copy, verified again.
 *
 * Environment: `VECTLITE_LIB_BASE_URL` (a mirror; the tests' local server),
 * `VECTLITE_CACHE_DIR` (instead of `$XDG_CACHE_HOME`/`~/.cache`, `~/Library/Caches`,
 * `%LOCALAPPDATA%`), `VECTLITE_OFFLINE=1` (never download).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { VectLiteError } from "../src/errors.ts";
import { version } from "../src/version.ts";
import { RELEASE_ASSETS } from "./release-assets.ts";

/** What fetching needs to know; `RuntimeEnv` in native.ts provides it. */
export interface FetchEnv {
  env(name: string): string | undefined;
  os: string;
  /** Whether a file may be read and exists (Deno: false without the permission, never a prompt). */
  exists?(path: string): boolean;
}

/** Where the library comes from and what it must hash to. */
export interface ReleaseAssets {
  /** The release assets' base URL, or null where none was published (a development checkout). */
  baseUrl: string | null;
  /** SHA-256 (hex) of each library, by `<triple>/<file>`. */
  sha256: Record<string, string>;
}

/** The per-user cache directory for this version's libraries. */
export function cacheRoot(rt: FetchEnv): string {
  const own = rt.env("VECTLITE_CACHE_DIR");
  if (own) return join(own, version);
  const home = rt.env("HOME") ?? rt.env("USERPROFILE");
  let base: string | undefined;
  if (rt.os === "windows" || rt.os === "win32") base = rt.env("LOCALAPPDATA") ?? (home && join(home, "AppData", "Local"));
  else if (rt.os === "darwin") base = home && join(home, "Library", "Caches");
  else base = rt.env("XDG_CACHE_HOME") || (home && join(home, ".cache"));
  if (!base) {
    throw new VectLiteError("IO", "no cache directory for the native library: set VECTLITE_CACHE_DIR (or HOME), or VECTLITE_LIB to a library on disk");
  }
  return join(base, "vectlite", version);
}

/** The cache path of the library `<triple>/<file>`. */
export function cachePath(rt: FetchEnv, triple: string, file: string): string {
  return join(cacheRoot(rt), triple, file);
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function expectedHash(assets: ReleaseAssets, triple: string, file: string): string {
  const want = assets.sha256[`${triple}/${file}`];
  if (!want) {
    throw new VectLiteError(
      "IO",
      `this package lists no checksum for the native library of ${triple} (a development checkout, or a platform without a release): ` +
        "build it with `bash scripts/build.sh`, or set VECTLITE_LIB to a library on disk",
    );
  }
  return want;
}

/**
 * The cached library for `<triple>/<file>` when it is there and hashes as it must; undefined
 * when absent. A cached file that does not match (damaged, or replaced) is removed.
 */
export function cachedLibrary(rt: FetchEnv, triple: string, file: string, assets: ReleaseAssets = RELEASE_ASSETS): string | undefined {
  const want = assets.sha256[`${triple}/${file}`];
  if (!want) return undefined;
  let path: string;
  try {
    path = cachePath(rt, triple, file);
  } catch {
    return undefined;
  }
  if (rt.exists && !rt.exists(path)) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    return undefined;
  }
  if (sha256(bytes) === want) return path;
  removeQuietly(path);
  return undefined;
}

/** Removes a file if it is there; a failure to (it never was) changes nothing. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // nothing to remove
  }
}

/** The URL of the library `<triple>/<file>` of this version. */
export function libraryUrl(rt: FetchEnv, triple: string, file: string, assets: ReleaseAssets = RELEASE_ASSETS): string {
  const base = rt.env("VECTLITE_LIB_BASE_URL") || assets.baseUrl;
  if (!base) {
    throw new VectLiteError(
      "IO",
      `no download location for the native library of ${triple}: this package names no release; set VECTLITE_LIB_BASE_URL or VECTLITE_LIB`,
    );
  }
  return `${base.replace(/\/+$/, "")}/v${version}/${triple}/${file}`;
}

/**
 * Downloads the library `<triple>/<file>`, verifies its SHA-256 and caches it; returns its
 * cache path. `CORRUPT` when the download does not match (nothing is cached), `IO` for a
 * failed download (naming the URL) or an unwritable cache, and for `VECTLITE_OFFLINE=1`.
 */
export async function fetchLibrary(rt: FetchEnv, triple: string, file: string, assets: ReleaseAssets = RELEASE_ASSETS): Promise<string> {
  const cached = cachedLibrary(rt, triple, file, assets);
  if (cached) return cached;
  const want = expectedHash(assets, triple, file);
  const url = libraryUrl(rt, triple, file, assets);
  const dest = cachePath(rt, triple, file);
  if (rt.env("VECTLITE_OFFLINE") === "1") {
    throw new VectLiteError(
      "IO",
      `the native library for ${triple} (version ${version}) is not in the cache at ${dest}, and VECTLITE_OFFLINE=1 forbids downloading it from ${url}: ` +
        "unset VECTLITE_OFFLINE, put the library there, or set VECTLITE_LIB",
    );
  }
  let bytes: Uint8Array;
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (e) {
    throw new VectLiteError("IO", `cannot download the native library for ${triple} (version ${version}) from ${url}: ${(e as Error).message ?? e}`, { cause: e });
  }
  const got = sha256(bytes);
  if (got !== want) {
    throw new VectLiteError("CORRUPT", `the native library downloaded from ${url} has SHA-256 ${got}, not the ${want} this package lists: not used, not cached`);
  }
  writeAtomically(dest, bytes);
  return dest;
}

/**
 * Writes `bytes` at `dest` through a temporary file in the same directory, synced, then
 * renamed: a reader never sees part of a library, and of two processes writing the same
 * entry the last rename wins with identical bytes.
 */
function writeAtomically(dest: string, bytes: Uint8Array): void {
  const dir = dest.slice(0, Math.max(dest.lastIndexOf("/"), dest.lastIndexOf("\\")));
  const temp = `${dest}.${Math.random().toString(16).slice(2, 10)}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(temp, "wx", 0o755);
    try {
      for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, dest);
  } catch (e) {
    removeQuietly(temp);
    // Windows refuses to replace a library another process has loaded: that copy will do.
    try {
      if (sha256(readFileSync(dest)) === sha256(bytes)) return;
    } catch {
      // not there: report the write's own failure
    }
    throw new VectLiteError("IO", `cannot write the native library into the cache at ${dest}: ${(e as Error).message ?? e} (set VECTLITE_CACHE_DIR to a writable directory)`, { cause: e });
  }
}
