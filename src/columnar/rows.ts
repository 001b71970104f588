/**
 * The columns an Arrow or Parquet export holds, and how records become them and back: one row
 * per record, `namespace` and `id` as strings, `vector` as float32 values of the database's
 * dimension, `metadata` as JSON text, `sparse` (keyword terms), `vectors` (named vectors) and
 * `multi_vectors` (lists of vectors per space) as JSON text or null, `expires_at` as epoch milliseconds or null. The file's key-value metadata
 * `vectlite` holds `{ dimension, metric, format: 1 }`.
 *
 * @module
 */
import type { Database } from "../database.ts";
import { dropDatabase } from "../maintenance.ts";
import { writeDatabase } from "../write-database.ts";
import { VectLiteError } from "../errors.ts";
import type { Metadata, Metric, RecordInput, SparseVector } from "../types.ts";
import { existsSync } from "node:fs";

/** What the file's `vectlite` metadata says. */
export interface ColumnarInfo {
  dimension: number;
  metric: Metric;
  format: 1;
}

/** The columns of a whole export, row-aligned. */
export interface Columns {
  namespace: string[];
  id: string[];
  /** `rows x dimension` float32 values, row after row. */
  vector: Float32Array;
  metadata: string[];
  sparse: (string | null)[];
  vectors: (string | null)[];
  multiVectors: (string | null)[];
  expiresAt: (number | null)[];
}

/** Every visible record of every namespace, as columns (expired records are not exported). */
export async function columnsOf(db: Database): Promise<{ info: ColumnarInfo; columns: Columns }> {
  const rows: ColumnarRow[] = [];
  for await (const r of db.iterate({ namespace: "*", includeVectors: true, batchSize: 2000 })) {
    const named = r.vectors && Object.keys(r.vectors).length > 0
      ? JSON.stringify(Object.fromEntries(Object.entries(r.vectors).map(([n, v]) => [n, Array.from(v)])))
      : null;
    rows.push({
      namespace: r.namespace,
      id: r.id,
      vector: r.vector!,
      metadata: JSON.stringify(r.metadata),
      sparse: r.sparse && Object.keys(r.sparse).length > 0 ? JSON.stringify(r.sparse) : null,
      vectors: named,
      multiVectors: r.multiVectors && Object.keys(r.multiVectors).length > 0
        ? JSON.stringify(Object.fromEntries(Object.entries(r.multiVectors).map(([n, list]) => [n, list.map((v) => Array.from(v))])))
        : null,
      expiresAt: r.expiresAt ?? null,
    });
  }
  const vector = new Float32Array(rows.length * db.dimension);
  rows.forEach((r, i) => vector.set(r.vector, i * db.dimension));
  return {
    info: { dimension: db.dimension, metric: db.metric, format: 1 },
    columns: {
      namespace: rows.map((r) => r.namespace),
      id: rows.map((r) => r.id),
      vector,
      metadata: rows.map((r) => r.metadata),
      sparse: rows.map((r) => r.sparse),
      vectors: rows.map((r) => r.vectors),
      multiVectors: rows.map((r) => r.multiVectors),
      expiresAt: rows.map((r) => r.expiresAt),
    },
  };
}

/** Parses the `vectlite` metadata of a file; `what` names the file in errors. */
export function parseInfo(text: string | undefined | null, what: string): ColumnarInfo {
  let info: Partial<ColumnarInfo>;
  try {
    info = JSON.parse(text ?? "null") ?? {};
  } catch {
    throw new VectLiteError("CORRUPT", `${what}: its "vectlite" metadata is not JSON`, { path: what });
  }
  const metrics = ["cosine", "dot", "l2", "manhattan"];
  if (!Number.isSafeInteger(info.dimension) || (info.dimension as number) < 1 || !metrics.includes(info.metric as string)) {
    throw new VectLiteError("CORRUPT", `${what}: not a vectlite export (its "vectlite" metadata names no dimension and metric)`, { path: what });
  }
  return { dimension: info.dimension!, metric: info.metric!, format: 1 };
}

/** One row read back from a file. */
export interface ColumnarRow {
  namespace: string;
  id: string;
  vector: Float32Array;
  metadata: string;
  sparse: string | null;
  vectors: string | null;
  multiVectors: string | null;
  expiresAt: number | null;
}

/**
 * Writes `rows` into a new database at `destination` (refused if it exists, unless `overwrite`),
 * one `bulkIngest` per namespace, compacted; a failure deletes what it made.
 */
export async function writeRows(rows: ColumnarRow[], info: ColumnarInfo, destination: string, overwrite: boolean, what: string): Promise<number> {
  if (existsSync(destination)) {
    if (!overwrite) throw new VectLiteError("INVALID_ARGUMENT", `${destination} already exists (pass { overwrite: true } to replace it)`);
    await dropDatabase(destination);
  }
  const byNamespace = new Map<string, RecordInput[]>();
  rows.forEach((row, i) => {
    const at = `${what} row ${i} (${JSON.stringify(row.namespace)}/${JSON.stringify(row.id)})`;
    if (row.vector.length !== info.dimension) {
      throw new VectLiteError("CORRUPT", `${at}: its vector has ${row.vector.length} values, the file's dimension is ${info.dimension}`, { path: what });
    }
    const record: RecordInput = { id: row.id, vector: row.vector, metadata: json(row.metadata, at, "metadata") as Metadata };
    if (row.sparse !== null) record.sparse = json(row.sparse, at, "sparse") as SparseVector;
    if (row.vectors !== null) {
      const named = json(row.vectors, at, "vectors") as Record<string, number[]>;
      record.vectors = Object.fromEntries(Object.entries(named).map(([n, v]) => [n, Float32Array.from(v)]));
    }
    if (row.multiVectors !== null) {
      const spaces = json(row.multiVectors, at, "multi_vectors") as Record<string, number[][]>;
      record.multiVectors = Object.fromEntries(Object.entries(spaces).map(([n, list]) => [n, list.map((v) => Float32Array.from(v))]));
    }
    if (row.expiresAt !== null) record.expiresAt = row.expiresAt;
    const list = byNamespace.get(row.namespace) ?? [];
    list.push(record);
    byNamespace.set(row.namespace, list);
  });
  await writeDatabase(destination, info, [...byNamespace]);
  return rows.length;
}


function json(text: string, at: string, column: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new VectLiteError("CORRUPT", `${at}: its ${column} is not JSON`);
  }
}

/** Loads an optional package, or says what to install. */
export async function optional<T>(name: string, use: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (e) {
    throw new VectLiteError("NOT_FOUND", `${use} needs the package ${name}: install it beside vectlite (npm i ${name}) (${(e as Error).message})`);
  }
}
