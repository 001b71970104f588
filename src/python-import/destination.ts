/**
 * The database an import writes. The destination must not exist unless the caller allows
 * replacing it, and then it must be a vectlite database, as `snapshot` and `restore` require.
 * A new destination is written in place and deleted again if anything fails, so a failed
 * import leaves nothing behind. An existing one is replaced only once the import is whole:
 * the records go to a temporary database beside it, which is then snapshotted over it (under
 * its writer lock, as `snapshot` with `overwrite` does) and deleted.
 *
 * @module
 */
import { closeSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { type Database, open } from "../database.ts";
import { dropDatabase } from "../maintenance.ts";
import { VectLiteError } from "../errors.ts";
import type { Metric, ProgressEvent, Quantization } from "../types.ts";
import type { ImportedRecord } from "./convert.ts";

/** Records per WAL transaction: each batch is durable once its write resolves. */
const BATCH_SIZE = 10_000;

/** How the destination is created. */
export interface DestinationOptions {
  dimension: number;
  metric: Metric;
  /** Absent: the default of a new database. */
  quantization?: Quantization;
}

/** A progress report of the writing phases. */
export type WriteProgress = (phase: "write" | "index" | "compact", event: ProgressEvent) => void;

function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw new VectLiteError("IO", `cannot read ${path}: ${(e as Error).message}`, { path, cause: e });
  }
}

/** A path with its directory's links resolved (the file itself may not exist). */
function realish(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    try {
      return join(realpathSync(dirname(resolve(path))), basename(path));
    } catch {
      return resolve(path);
    }
  }
}

/** The first `n` bytes of a file (fewer if shorter). */
function head(path: string, n: number): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const out = new Uint8Array(n);
    return out.subarray(0, readSync(fd, out, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

const DATABASE_MAGIC = "VECTLITE";

/**
 * Checks where the import may write, before anything is read: `INVALID_ARGUMENT` for one of
 * the source's own files, a directory, an existing file without `overwrite` or one that is
 * not a vectlite database, and a leftover `<destination>-wal` without its database.
 * Resolves whether the destination exists.
 */
export function checkDestination(source: string, destination: string, overwrite: boolean): boolean {
  const what = `import destination ${destination}`;
  const real = realish(destination);
  const src = realish(source);
  for (const [file, role] of [[src, "the Python database itself"], [`${src}.wal`, "the Python database's WAL"], [`${src}.lock`, "the Python database's lock file"], [`${src}.quant`, "a file of the Python database"]]) {
    if (real === file) throw new VectLiteError("INVALID_ARGUMENT", `${what} is ${role}`);
  }
  const stats = statOrNull(destination);
  if (stats === null) {
    if (statOrNull(`${destination}-wal`) !== null) {
      throw new VectLiteError("INVALID_ARGUMENT", `${what}: ${destination}-wal exists without its database; remove it or choose another destination`);
    }
    return false;
  }
  if (stats.isDirectory()) throw new VectLiteError("INVALID_ARGUMENT", `${what} is a directory`);
  if (!overwrite) throw new VectLiteError("INVALID_ARGUMENT", `${what} already exists (pass { overwrite: true } to replace it)`);
  let magic: string;
  try {
    magic = new TextDecoder().decode(head(destination, DATABASE_MAGIC.length));
  } catch (e) {
    throw new VectLiteError("IO", `cannot read ${destination}: ${(e as Error).message}`, { path: destination, cause: e });
  }
  if (magic !== DATABASE_MAGIC) throw new VectLiteError("INVALID_ARGUMENT", `${what} exists and is not a vectlite database: not replaced`);
  return true;
}

/** Deletes a database's files (under its writer lock). */
async function drop(path: string): Promise<void> {
  await dropDatabase(path);
}

/** Deletes what a failed import made at `path`; a failure to delete is added to `error`'s message. */
async function dropAfter(path: string, error: unknown): Promise<never> {
  try {
    await drop(path);
  } catch (e) {
    if (error instanceof VectLiteError) {
      throw new VectLiteError(error.code, `${error.message}; the partial database ${path} could not be removed: ${(e as Error).message}`, {
        cause: error,
      });
    }
  }
  throw error;
}

/** A name beside `destination` for the temporary database of a replacing import. */
function temporaryBeside(destination: string): string {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("");
  return join(dirname(destination), `.${basename(destination)}.import-${random}.vdb`);
}

/**
 * Creates a database at `path`, writes `records` with `bulkIngest` (batches of 10,000, each
 * one durable WAL transaction, the graphs built once at the end), then `finish`es it (a
 * compaction, or a snapshot elsewhere) and closes it. Any failure deletes the database.
 */
async function writeNew(
  path: string,
  options: DestinationOptions,
  records: ImportedRecord[],
  progress: WriteProgress | undefined,
  finish: (db: Database) => Promise<void>,
): Promise<void> {
  const db = await open(path, { dimension: options.dimension, metric: options.metric, ...(options.quantization ? { quantization: options.quantization } : {}) });
  const size = await db.size().catch(async (e) => {
    await db.close();
    throw e;
  });
  if (size !== 0) {
    // Not ours to delete: it appeared between the check and the open.
    await db.close();
    throw new VectLiteError("INVALID_ARGUMENT", `import destination ${path} was created by someone else meanwhile: not written`);
  }
  try {
    await db.bulkIngest(records, {
      batchSize: BATCH_SIZE,
      ...(progress ? { onProgress: (p: ProgressEvent) => progress(p.phase === "index" ? "index" : "write", p) } : {}),
    });
    await finish(db);
    await db.close();
  } catch (e) {
    await db.close().catch(() => {});
    return await dropAfter(path, e);
  }
}

/**
 * Writes the import's database at `destination` (which `checkDestination` found absent, or a
 * vectlite database to replace when `exists`).
 */
export async function writeDestination(
  destination: string,
  exists: boolean,
  options: DestinationOptions,
  records: ImportedRecord[],
  progress: WriteProgress | undefined,
): Promise<void> {
  const following = progress
    ? {
      onProgress: (p: ProgressEvent) => {
        if (p.phase !== "verify") progress(p.phase === "index" ? "index" : "compact", p);
      },
    }
    : {};
  if (!exists) {
    await writeNew(destination, options, records, progress, (db) => db.compact(following));
    return;
  }
  const temporary = temporaryBeside(destination);
  await writeNew(temporary, options, records, progress, (db) => db.snapshot(destination, { overwrite: true, ...following }));
  try {
    await drop(temporary);
  } catch (e) {
    throw new VectLiteError("IO", `${destination} was imported, but the temporary database ${temporary} could not be removed: ${(e as Error).message}`, {
      path: temporary,
      cause: e,
    });
  }
}
