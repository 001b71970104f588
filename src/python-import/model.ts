/**
 * What the Python `vectlite` package's files hold, as the importer decodes them: records,
 * metadata values and WAL operations, before anything is converted for this project's
 * databases. The byte layout is described in docs/python-files.md.
 *
 * @module
 */
import type { Metric } from "../types.ts";

/**
 * A metadata value as stored upstream. An i64 that a JS number cannot hold exactly (beyond
 * ±(2^53 - 1)) stays a `bigint` until the conversion decides what to do with it; floats stay
 * numbers, NaN and infinities included, for the same reason.
 */
export type PyValue = string | number | bigint | boolean | null | PyValue[] | PyMap;

/** A metadata map (or a nested map value): keys are any UTF-8 strings, `__proto__` included. */
export interface PyMap {
  [key: string]: PyValue;
}

/** One record, as a snapshot or a WAL upsert holds it. */
export interface PyRecord {
  namespace: string;
  id: string;
  metadata: PyMap;
  /** The main vector, of the database's dimension. */
  vector: Float32Array;
  /** Named vectors by name (upstream: each of the database's dimension). */
  vectors: Record<string, Float32Array>;
  /** Sparse terms and their weights. */
  sparse: Record<string, number>;
  /** Multi-vectors (late-interaction token vectors) by space; a space may hold no tokens. */
  multiVectors: Record<string, Float32Array[]>;
  /** Epoch seconds; 0 means the record never expires. */
  expiresAt: number;
}

/** A WAL operation, in the order the frame holds them. */
export type PyOp =
  | { kind: "upsert"; record: PyRecord }
  | { kind: "delete"; namespace: string; id: string }
  | { kind: "update-metadata"; namespace: string; id: string; patch: PyMap }
  | { kind: "set-ttl"; namespace: string; id: string; expiresAt: number };

/**
 * The three layouts of a WAL upsert, named by the snapshot versions of the library releases
 * that wrote them: `v7` ends with a multi-vector block and an f64 expiry, `v5` with a
 * multi-vector block, `v4` after the sparse block.
 */
export type WalDialect = "v7" | "v5" | "v4";

/** The metric byte of snapshot versions 6 and 7, by value, as this project names the metrics. */
export const METRICS: readonly Metric[] = ["cosine", "l2", "dot", "manhattan"];

/** Upstream's names for the same metrics, for messages. */
export const UPSTREAM_METRIC_NAMES: readonly string[] = ["cosine", "euclidean", "dotproduct", "manhattan"];

/** The newest snapshot version the importer reads. */
export const NEWEST_VERSION = 7;

/**
 * Sets an own, enumerable property: a key such as `__proto__` read from a file must become
 * a key of the object, never its prototype.
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `"namespace" "id"` as messages name a record. */
export function recordName(namespace: string, id: string): string {
  return `record ${JSON.stringify(id)} in namespace ${JSON.stringify(namespace)}`;
}
