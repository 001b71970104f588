/**
 * Packing records for a write: every check that can be made before the native call, the
 * main vectors copied into one contiguous Float32Array, and the rest as plain JSON items.
 *
 * @module
 */
import { checkId, checkJson, checkMetadata, checkNamespace, checkSparse, multiVectorsJson, namedVectorsJson, toF32 } from "./codec.ts";
import { VectLiteError } from "./errors.ts";
import type { Metadata, RecordInput, SparseVector } from "./types.ts";

/** The keys a record may have (`RecordInput`); any other is refused, never dropped. */
const RECORD_KEYS = new Set(["id", "vector", "metadata", "sparse", "text", "vectors", "namespace", "ttl", "expiresAt", "multiVectors"]);
/** The keys of the options of `upsert` and `insert` (`WriteOptions`): what the positional arguments do not carry. */
const WRITE_OPTION_KEYS = new Set(["sparse", "text", "vectors", "namespace", "ttl", "expiresAt", "multiVectors"]);

/**
 * The record `upsert(id, vector, metadata, options)` writes. The options carry only what the
 * positional arguments do not: `id`, `vector` or `metadata` there (or any unknown key) is
 * `INVALID_ARGUMENT`, rather than silently replacing an argument.
 */
export function recordFromArguments(id: string, vector: unknown, metadata: unknown, options: unknown, what: string): RecordInput {
  if (options === undefined) return { id, vector, metadata } as RecordInput;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new VectLiteError("INVALID_ARGUMENT", `${what} options must be an object`);
  }
  for (const key of Object.keys(options)) {
    if (!WRITE_OPTION_KEYS.has(key)) {
      const why = RECORD_KEYS.has(key) ? ` (${key} is an argument of ${what}, not an option)` : "";
      throw new VectLiteError("INVALID_ARGUMENT", `unknown ${what} option ${JSON.stringify(key)}${why}`);
    }
  }
  return { ...(options as object), id, vector, metadata } as RecordInput;
}

/** A record as it crosses the boundary (its main vector travels separately). */
export interface PackedItem {
  id: string;
  namespace: string | undefined;
  metadata: Metadata | undefined;
  sparse: SparseVector | undefined;
  /** Analyzed into the sparse terms by the native library. */
  text: string | undefined;
  vectors: Record<string, number[]> | undefined;
  /** When the record expires, epoch milliseconds. */
  expiresAt: number | undefined;
  /** Its multi-vector spaces, each a list of vectors. */
  multiVectors: Record<string, number[][]> | undefined;
}

/** The latest instant a record can expire at: the last one a `Date` holds. */
const MAX_INSTANT = 8.64e15;

/**
 * When a record given `ttl` (seconds from `now`) or `expiresAt` (epoch milliseconds or a
 * `Date`) expires, as integer epoch milliseconds; undefined when it is given neither.
 */
export function expiryOf(ttl: unknown, expiresAt: unknown, now: number): number | undefined {
  if (ttl !== undefined && expiresAt !== undefined) {
    throw new VectLiteError("INVALID_ARGUMENT", "give ttl or expiresAt, not both");
  }
  if (ttl !== undefined) {
    if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl <= 0 || now + ttl * 1000 > MAX_INSTANT) {
      throw new VectLiteError("INVALID_ARGUMENT", `ttl must be a positive number of seconds, found ${describe(ttl)}`);
    }
    return Math.round(now + ttl * 1000);
  }
  if (expiresAt === undefined) return undefined;
  const ms = expiresAt instanceof Date ? expiresAt.getTime() : expiresAt;
  if (typeof ms !== "number" || !Number.isInteger(ms) || ms < 0 || ms > MAX_INSTANT) {
    throw new VectLiteError("INVALID_ARGUMENT", `expiresAt must be a valid Date or an integer of epoch milliseconds from 0 to ${MAX_INSTANT}, found ${describe(expiresAt)}`);
  }
  return ms;
}

function describe(v: unknown): string {
  if (v instanceof Date) return "an invalid Date";
  return typeof v === "number" ? String(v) : v === null ? "null" : typeof v;
}

/**
 * Checks and packs `records`; throws a VectLiteError naming the first bad record. The main
 * vectors are copied into `options.into` (exactly `records.length * dimension` values) or
 * into a new array; ids, metadata and texts are read now too, so what is written is what
 * the records held when this was called.
 */
export function packRecords(
  records: RecordInput[],
  dimension: number,
  defaultNamespace: string | undefined,
  options: { into?: Float32Array } = {},
): { vectors: Float32Array; items: PackedItem[] } {
  if (!Array.isArray(records)) throw new VectLiteError("INVALID_ARGUMENT", "records must be an array");
  const vectors = options.into ?? new Float32Array(records.length * dimension);
  const items: PackedItem[] = new Array(records.length);
  const now = Date.now(); // one clock for the batch: equal ttls give equal instants
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (typeof r !== "object" || r === null) {
      throw new VectLiteError("INVALID_ARGUMENT", `records[${i}] must be an object`);
    }
    const id = r.id;
    if (typeof id !== "string" || id.length === 0 || !id.isWellFormed()) checkId(id, `records[${i}].id`); // throws
    try {
      items[i] = packOne(r, id, vectors, i * dimension, dimension, defaultNamespace, now);
    } catch (e) {
      // The checks name the field; the record is named here, only on failure (no message
      // strings built for the records that are fine).
      if (e instanceof VectLiteError) throw new VectLiteError(e.code, `record ${JSON.stringify(id)}: ${e.message}`);
      throw e;
    }
  }
  return { vectors, items };
}

/** Checks one record and copies its vector to `vectors` at `offset`; errors name the field only. */
function packOne(
  r: RecordInput,
  id: string,
  vectors: Float32Array,
  offset: number,
  dimension: number,
  defaultNamespace: string | undefined,
  now: number,
): PackedItem {
  for (const key in r) {
    if (!RECORD_KEYS.has(key)) throw new VectLiteError("INVALID_ARGUMENT", `unknown key ${JSON.stringify(key)} (a record has ${[...RECORD_KEYS].join(", ")})`);
  }
  const v = toF32(r.vector, "vector");
  if (v.length !== dimension) {
    throw new VectLiteError("DIMENSION_MISMATCH", `vector has ${v.length} values, the database has dimension ${dimension}`);
  }
  vectors.set(v, offset);
  const namespace = checkNamespace(r.namespace ?? defaultNamespace, true);
  const sparse = checkSparse(r.sparse, "sparse");
  const text = r.text ?? undefined;
  if (text !== undefined) {
    if (typeof text !== "string") {
      throw new VectLiteError("INVALID_ARGUMENT", `text must be a string, found ${text === null ? "null" : typeof text}`);
    }
    if (!text.isWellFormed()) checkJson(text, "text"); // throws, naming the surrogate
    if (sparse) throw new VectLiteError("INVALID_ARGUMENT", "give text or sparse, not both (text is analyzed into the sparse terms)");
  }
  return {
    id,
    namespace,
    metadata: checkMetadata(r.metadata, "metadata"),
    sparse,
    text,
    vectors: namedVectorsJson(r.vectors, "vectors"),
    expiresAt: expiryOf(r.ttl, r.expiresAt, now),
    multiVectors: multiVectorsJson(r.multiVectors, "multiVectors"),
  };
}

/** Throws unless every value is finite (Rust checks again; this fails at the caller's line). */
export function checkFinite(v: Float32Array, where: string): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new VectLiteError("INVALID_ARGUMENT", `${where} has a non-finite value (${v[i]}) at index ${i}`);
    }
  }
}
