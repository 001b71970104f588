/**
 * Choosing the native library in code, for single-file executables.
 *
 * `bun build --compile` embeds a file imported with `with { type: "file" }` and hands the
 * program a path inside the executable (`/$bunfs/root/...`) that Bun's `dlopen` opens
 * directly. The loader cannot guess that path, so the program passes it on before the
 * first `open`:
 *
 * ```ts
 * import lib from "./node_modules/vectlite/native/x86_64-unknown-linux-gnu/libvectlite.so" with { type: "file" };
 * import { useLibrary } from "vectlite/compiled";
 * import * as vectlite from "vectlite";
 *
 * useLibrary(lib);
 * await using db = await vectlite.open("app.vdb", { dimension: 384 });
 * ```
 *
 * `deno compile` needs none of this: include the library (`--include native/`) and the
 * loader finds it at its usual place inside the executable, then copies it to a temporary
 * file before `Deno.dlopen` (see "Single-file executables" in docs/platforms.md).
 *
 * @module
 */
export { libraryPath, useLibrary } from "./ffi/native.ts";
