/**
 * `importPython(source, destination)`: converts a database written by the Python `vectlite`
 * package (snapshot versions 1 to 7 and its WAL) into a database of this project.
 *
 * @module
 */
import { checkPath } from "../codec.ts";
import { VectLiteError } from "../errors.ts";
import type { Metric, Quantization } from "../types.ts";
import { compareCodePoints, PyRecords } from "./apply.ts";
import { type ImportedRecord, isExpired, type LargeIntegers, toImportedRecord } from "./convert.ts";
import { checkDestination, writeDestination } from "./destination.ts";
import { readSnapshot } from "./snapshot.ts";
import { readSourceFiles } from "./source-files.ts";
import { readWal } from "./wal.ts";

/** The largest dimension a database here holds. */
const MAX_DIMENSION = 65_536;

/** Options of `importPython`. */
export interface ImportPythonOptions {
  /** Replace an existing vectlite database at the destination (under its writer lock). Default false. */
  overwrite?: boolean;
  /**
   * What to do with a metadata integer beyond ±(2^53 - 1), which a JavaScript number cannot
   * hold exactly: `"error"` (default) refuses the import with `INVALID_ARGUMENT` naming the
   * record and the key; `"string"` imports it as its decimal string.
   */
  largeIntegers?: "error" | "string";
  /** Called as the import goes: see `ImportPythonProgress`. */
  onProgress?: (progress: ImportPythonProgress) => void;
}

/**
 * A progress report of `importPython`, phases in this order: `"read"` (bytes of the source's
 * files, once read), `"write"` (records written, of `total`), `"index"` (vectors inserted into
 * HNSW graphs) and `"compact"` (bytes of the destination's file written).
 */
export interface ImportPythonProgress {
  /** The phase. */
  phase: "read" | "write" | "index" | "compact";
  /** Units of the phase done so far. */
  done: number;
  /** Units the phase has in all, when known. */
  total?: number;
}

/** What `importPython` did. */
export interface ImportPythonResult {
  /** Records written to the destination. */
  records: number;
  /** The namespaces of those records, sorted. */
  namespaces: string[];
  /** Records whose expiry had passed at the import: invisible upstream, so not written. */
  expired: number;
  /** Complete WAL frames replayed onto the snapshot. */
  walFrames: number;
  /** The operations those frames held. */
  walOps: number;
  /** Whether the WAL ended in an incomplete frame, which was dropped (as upstream's replay drops it). */
  tornTail: boolean;
  /** The source snapshot's format version (1 to 7). */
  snapshotVersion: number;
  /** The vector dimension, the source's and the destination's. */
  dimension: number;
  /** The metric, the source's (versions up to 5 are cosine) and the destination's. */
  metric: Metric;
  /** The quantization the destination was created with, from the source's `.quant` file; null: the default. */
  quantization: Quantization | null;
}

const OPTION_KEYS = new Set(["overwrite", "largeIntegers", "onProgress"]);

function checkOptions(options: unknown): { overwrite: boolean; largeIntegers: LargeIntegers; onProgress?: (p: ImportPythonProgress) => void } {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new VectLiteError("INVALID_ARGUMENT", "importPython options must be an object");
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new VectLiteError("INVALID_ARGUMENT", `unknown importPython option ${JSON.stringify(key)}`);
  }
  const { overwrite, largeIntegers, onProgress } = options as ImportPythonOptions;
  if (overwrite !== undefined && typeof overwrite !== "boolean") {
    throw new VectLiteError("INVALID_ARGUMENT", "importPython option overwrite must be a boolean");
  }
  if (largeIntegers !== undefined && largeIntegers !== "error" && largeIntegers !== "string") {
    throw new VectLiteError("INVALID_ARGUMENT", `importPython option largeIntegers must be "error" or "string", found ${JSON.stringify(largeIntegers)}`);
  }
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw new VectLiteError("INVALID_ARGUMENT", "importPython option onProgress must be a function");
  }
  return { overwrite: overwrite ?? false, largeIntegers: largeIntegers ?? "error", ...(onProgress ? { onProgress } : {}) };
}

/**
 * Converts the Python `vectlite` package's database at `source` (`<name>.vdb`, any snapshot
 * version from 1 to 7, with its WAL `<name>.vdb.wal` replayed) into a new database at
 * `destination`, of the same dimension and metric, and resolves with what it did.
 *
 * The source is read whole, under the Python package's shared lock on `<source>.lock`
 * (`LOCKED` while a Python process has it open for writing), and checked before anything is
 * written: damage is `CORRUPT` naming the file and the byte offset; what a database here
 * cannot hold (an integer beyond ±(2^53 - 1) without `largeIntegers: "string"`, NaN in
 * metadata, an empty id) is `INVALID_ARGUMENT` naming the record and the key. Records whose
 * expiry has passed are skipped (counted in `expired`); the others keep their expiry.
 *
 * `destination` must not exist, unless `overwrite: true` and it is a vectlite database,
 * which is then replaced once the import is whole (`LOCKED` while it is open for writing).
 * The records are written in durable batches, the database compacted and closed; a failed
 * import leaves nothing at the destination.
 *
 * ```ts
 * const result = await vectlite.importPython("old.vdb", "new.vdb");
 * console.log(result.records, result.expired);
 * await using db = await vectlite.open("new.vdb");
 * ```
 */
export async function importPython(source: string, destination: string, options: ImportPythonOptions = {}): Promise<ImportPythonResult> {
  checkPath(source, "source");
  checkPath(destination, "destination");
  const { overwrite, largeIntegers, onProgress } = checkOptions(options);
  const exists = checkDestination(source, destination, overwrite);

  const files = await readSourceFiles(source);
  const readBytes = files.snapshot.length + files.wal.length;
  onProgress?.({ phase: "read", done: readBytes, total: readBytes });
  const snapshot = readSnapshot(files.snapshot, source);
  const wal = readWal(files.wal, `${source}.wal`, snapshot.dimension);
  if (snapshot.dimension > MAX_DIMENSION) {
    throw new VectLiteError("INVALID_ARGUMENT", `${source}: the dimension ${snapshot.dimension} is more than the ${MAX_DIMENSION} a database here holds`, {
      path: source,
    });
  }

  const state = new PyRecords();
  for (const record of snapshot.records) state.upsert(record);
  let walOps = 0;
  for (const frame of wal.frames) {
    for (const op of frame.ops) state.apply(op);
    walOps += frame.ops.length;
  }

  const now = Date.now();
  const records: ImportedRecord[] = [];
  const namespaces = new Set<string>();
  let expired = 0;
  for (const record of state.sorted()) {
    if (isExpired(record.expiresAt, now)) {
      expired++;
      continue;
    }
    records.push(toImportedRecord(record, largeIntegers));
    namespaces.add(record.namespace);
  }

  const quantization: Quantization | null = files.quantTag === 1 ? "int8" : files.quantTag === 2 ? "binary" : null;
  await writeDestination(
    destination,
    exists,
    { dimension: snapshot.dimension, metric: snapshot.metric, ...(quantization ? { quantization } : {}) },
    records,
    onProgress && ((phase, p) => onProgress({ phase, done: p.done, ...(p.total === undefined ? {} : { total: p.total }) })),
  );
  return {
    records: records.length,
    namespaces: [...namespaces].sort(compareCodePoints),
    expired,
    walFrames: wal.frames.length,
    walOps,
    tornTail: wal.tornAt !== null,
    snapshotVersion: snapshot.version,
    dimension: snapshot.dimension,
    metric: snapshot.metric,
    quantization,
  };
}
