/**
 * Parquet files (Spark, DuckDB, Polars, pyarrow, LanceDB and Milvus bulk import read them):
 * `vector` is a `LIST` of `FLOAT` (Parquet has no fixed-size list; every list holds the
 * dimension the `vectlite` key-value metadata names), `expires_at` an `INT64` of epoch
 * milliseconds (`TIMESTAMP_MILLIS`), the text columns `UTF8`/`JSON`. Written with
 * `hyparquet-writer`, read with `hyparquet` (optional peer dependencies, loaded on first use).
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Database } from "../database.ts";
import { VectLiteError } from "../errors.ts";
import { type ColumnarRow, columnsOf, optional, parseInfo, writeRows } from "./rows.ts";

type Writer = typeof import("hyparquet-writer");
type Reader = typeof import("hyparquet");

/** Writes every visible record of `db` to the Parquet file `path`; resolves with the row count. */
export async function exportParquet(db: Database, path: string): Promise<number> {
  const { ByteWriter, parquetWrite } = await optional<Writer>("hyparquet-writer", "Parquet export");
  const { info, columns } = await columnsOf(db);
  const d = info.dimension;
  const vectors = columns.id.map((_, i) => Array.from(columns.vector.subarray(i * d, (i + 1) * d)));
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    columnData: [
      { name: "namespace", data: columns.namespace },
      { name: "id", data: columns.id },
      { name: "vector", data: vectors },
      // JSON columns take values: the writer encodes each as JSON text once.
      { name: "metadata", data: columns.metadata.map((t) => JSON.parse(t)) },
      { name: "sparse", data: columns.sparse.map((t) => (t === null ? null : JSON.parse(t))) },
      { name: "vectors", data: columns.vectors.map((t) => (t === null ? null : JSON.parse(t))) },
      { name: "multi_vectors", data: columns.multiVectors.map((t) => (t === null ? null : JSON.parse(t))) },
      { name: "expires_at", data: columns.expiresAt.map((t) => (t === null ? null : BigInt(t))) },
    ],
    schema: [
      { name: "root", num_children: 8 },
      { name: "namespace", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
      { name: "id", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
      { name: "vector", repetition_type: "REQUIRED", converted_type: "LIST", num_children: 1 },
      { name: "list", repetition_type: "REPEATED", num_children: 1 },
      { name: "element", type: "FLOAT", repetition_type: "REQUIRED" },
      { name: "metadata", type: "BYTE_ARRAY", converted_type: "JSON", repetition_type: "REQUIRED" },
      { name: "sparse", type: "BYTE_ARRAY", converted_type: "JSON", repetition_type: "OPTIONAL" },
      { name: "vectors", type: "BYTE_ARRAY", converted_type: "JSON", repetition_type: "OPTIONAL" },
      { name: "multi_vectors", type: "BYTE_ARRAY", converted_type: "JSON", repetition_type: "OPTIONAL" },
      { name: "expires_at", type: "INT64", converted_type: "TIMESTAMP_MILLIS", repetition_type: "OPTIONAL" },
    ],
    kvMetadata: [{ key: "vectlite", value: JSON.stringify(info) }],
    createdBy: "vectlite",
  });
  writeFileSync(path, new Uint8Array(writer.getBuffer()));
  return columns.id.length;
}

/** Reads a Parquet file written by `exportParquet` into a new database at `destination`. */
export async function importParquet(path: string, destination: string, options: { overwrite?: boolean } = {}): Promise<number> {
  const { parquetMetadata, parquetReadObjects } = await optional<Reader>("hyparquet", "Parquet import");
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new VectLiteError("NOT_FOUND", `${path} cannot be read: ${(e as Error).message}`, { path });
  }
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let objects: Record<string, unknown>[];
  let kv: { key: string; value?: string }[] | undefined;
  try {
    kv = parquetMetadata(file).key_value_metadata;
    objects = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  } catch (e) {
    throw new VectLiteError("CORRUPT", `${path}: not a readable Parquet file (${(e as Error).message})`, { path });
  }
  const info = parseInfo(kv?.find((e) => e.key === "vectlite")?.value, path);
  const text = (v: unknown) => (v === null || v === undefined ? null : typeof v === "string" ? v : JSON.stringify(v));
  const rows: ColumnarRow[] = objects.map((o) => ({
    namespace: String(o.namespace),
    id: String(o.id),
    vector: Float32Array.from((o.vector as number[] | null) ?? []),
    metadata: text(o.metadata) ?? "{}",
    sparse: text(o.sparse),
    vectors: text(o.vectors),
    multiVectors: text(o.multi_vectors),
    expiresAt: o.expires_at === null || o.expires_at === undefined ? null : o.expires_at instanceof Date ? o.expires_at.getTime() : Number(o.expires_at),
  }));
  return await writeRows(rows, info, destination, options.overwrite ?? false, path);
}
