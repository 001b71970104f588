/**
 * Child program: fetches the native library into a cache, as a process does on first use,
 * and prints where it is. Two of these run at once against one cache in the tests.
 *
 *   <runtime> fetch-library.ts <cacheDir> <baseUrl> <triple> <file> <sha256>
 */
import { fetchLibrary } from "../../ffi/fetch-library.ts";

const [cacheDir, baseUrl, triple, file, sha] = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);
const env: Record<string, string> = { VECTLITE_CACHE_DIR: cacheDir, VECTLITE_LIB_BASE_URL: baseUrl };
const assets = { baseUrl: null, sha256: { [`${triple}/${file}`]: sha } };
console.log(await fetchLibrary({ env: (n) => env[n], os: process.platform }, triple, file, assets));
