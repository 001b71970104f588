/**
 * Reading a Python vectlite database's files: the snapshot `<name>.vdb`, its WAL
 * `<name>.vdb.wal` and the quantization sidecar `<name>.vdb.quant`, under the Python
 * package's shared lock on `<name>.vdb.lock`, the lock its readers take. A Python writer
 * holds that lock exclusively, and compacts by removing and renaming files, so reading
 * under it never sees half of a compaction.
 *
 * @module
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { VectLiteError } from "../errors.ts";
import { type FileLock, lockShared } from "../file-lock.ts";

/** The bytes of a source database's files. */
export interface SourceFiles {
  snapshot: Uint8Array;
  /** Empty when there is no WAL. */
  wal: Uint8Array;
  /** The first byte of `<name>.vdb.quant` (1 scalar, 2 binary), or null without a readable one. */
  quantTag: number | null;
}

/** A plain view of a Buffer's bytes (Buffer's `slice` shares memory; Uint8Array's copies). */
function plain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function errnoCode(e: unknown): unknown {
  return (e as { code?: unknown }).code;
}

/** A file's bytes, or null when it does not exist. */
function readIfThere(path: string, what: string): Uint8Array | null {
  try {
    return plain(readFileSync(path));
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return null;
    throw new VectLiteError("IO", `cannot read ${what} ${path}: ${(e as Error).message}`, { path, cause: e });
  }
}

/**
 * Takes the shared lock. A missing lock file that cannot be created (a read-only directory)
 * means no Python writer has the database open, since a writer creates it: then the files are
 * read without one.
 */
async function lockSource(source: string): Promise<FileLock | null> {
  const lockPath = `${source}.lock`;
  try {
    return await lockShared(lockPath);
  } catch (e) {
    if (!(e instanceof VectLiteError)) throw e;
    if (e.code === "LOCKED") {
      throw new VectLiteError(
        "LOCKED",
        `${source} is open for writing in the Python vectlite package (it holds ${lockPath} exclusively): ` +
          `close the Python database (db.close()) and import again`,
        { path: source, cause: e },
      );
    }
    if (e.code === "IO" && !existsSync(lockPath)) return null;
    throw e;
  }
}

/** Reads the source's files under its shared lock. `NOT_FOUND` when `source` does not exist. */
export async function readSourceFiles(source: string): Promise<SourceFiles> {
  try {
    if (!statSync(source).isFile()) throw new VectLiteError("IO", `${source} is not a file`, { path: source });
  } catch (e) {
    if (e instanceof VectLiteError) throw e;
    if (errnoCode(e) === "ENOENT" || errnoCode(e) === "ENOTDIR") {
      throw new VectLiteError("NOT_FOUND", `there is no Python vectlite database at ${source}`, { path: source, cause: e });
    }
    throw new VectLiteError("IO", `cannot read ${source}: ${(e as Error).message}`, { path: source, cause: e });
  }
  const lock = await lockSource(source);
  try {
    const snapshot = readIfThere(source, "the Python vectlite snapshot");
    if (snapshot === null) throw new VectLiteError("NOT_FOUND", `there is no Python vectlite database at ${source}`, { path: source });
    const wal = readIfThere(`${source}.wal`, "the Python vectlite WAL") ?? new Uint8Array(0);
    let quantTag: number | null = null;
    try {
      const quant = readFileSync(`${source}.quant`);
      quantTag = quant.length > 0 ? quant[0] : null;
    } catch {
      // A cache of upstream's: without it the destination gets the default quantization.
    }
    return { snapshot, wal, quantTag };
  } finally {
    lock?.release();
  }
}
