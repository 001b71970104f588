/**
 * Copying the native library out of a single-file executable before it is opened.
 *
 * A `deno compile --include` executable serves its files from a virtual file system: its
 * `Deno.readFileSync` sees them, but `Deno.dlopen` hands the path to the OS loader, which
 * only sees real files. So the bytes go to a file in a fresh private temporary directory,
 * and that copy is opened instead. The file system calls are passed in, so the copying can
 * be tested against a simulated virtual file system.
 *
 * @module
 */
import { VectLiteError } from "../src/errors.ts";

/** The file system calls the extraction needs. */
export interface ExtractIO {
  /** Reads a file, also one inside the executable's virtual file system. */
  readFile(path: string): Uint8Array;
  /** Creates a fresh directory only this user can enter, and returns its path. */
  makeTempDir(): string;
  /** Writes a real file. */
  writeFile(path: string, bytes: Uint8Array): void;
  /** Removes a directory and everything in it. */
  removeDir(path: string): void;
}

/** A library copied to a real file. */
export interface ExtractedLibrary {
  /** The copy's path, for dlopen. */
  path: string;
  /** Deletes the copy and its directory (on Unix an opened library stays mapped after that). */
  remove(): void;
}

/** The last component of a path with `/` or `\` separators. */
function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
}

/**
 * Copies the library at `path` into a fresh temporary directory, keeping its file name (the
 * extension matters to some loaders). Any failure is an `IO` error naming the library, and
 * leaves no directory behind.
 */
export function extractLibrary(path: string, io: ExtractIO): ExtractedLibrary {
  let bytes: Uint8Array;
  try {
    bytes = io.readFile(path);
  } catch (e) {
    throw new VectLiteError("IO", `cannot read the embedded native library ${path}: ${(e as Error).message}`, { path, cause: e });
  }
  let dir: string | undefined;
  try {
    dir = io.makeTempDir();
    const sep = dir.includes("\\") && !dir.includes("/") ? "\\" : "/";
    const copy = `${dir}${sep}${baseName(path)}`;
    io.writeFile(copy, bytes);
    const made = dir;
    return { path: copy, remove: () => io.removeDir(made) };
  } catch (e) {
    if (dir !== undefined) {
      try {
        io.removeDir(dir);
      } catch { /* the original error is the one worth reporting */ }
    }
    throw new VectLiteError(
      "IO",
      `cannot copy the embedded native library ${path} to a temporary file${dir ? ` in ${dir}` : ""}: ${(e as Error).message}`,
      { path, cause: e },
    );
  }
}
