/**
 * Arrow IPC files (`.arrow`, the file format LanceDB, pyarrow, Polars and DuckDB read):
 * `vector` is a `FixedSizeList<Float32>` of the database's dimension, the other columns as
 * rows.ts describes. Written and read with the `apache-arrow` package (an optional peer
 * dependency, loaded on first use).
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Database } from "../database.ts";
import { VectLiteError } from "../errors.ts";
import { type ColumnarRow, columnsOf, optional, parseInfo, writeRows } from "./rows.ts";

type Arrow = typeof import("apache-arrow");

const arrow = () => optional<Arrow>("apache-arrow", "Arrow export and import");

/** Writes every visible record of `db` to the Arrow IPC file `path`; resolves with the row count. */
export async function exportArrow(db: Database, path: string): Promise<number> {
  const A = await arrow();
  const { info, columns } = await columnsOf(db);
  const n = columns.id.length;
  const item = new A.Field("item", new A.Float32(), false);
  const vectorType = new A.FixedSizeList(info.dimension, item);
  const vector = A.makeVector(A.makeData({ type: vectorType, length: n, nullCount: 0, child: A.makeData({ type: new A.Float32(), data: columns.vector }) }));
  const expires = BigInt64Array.from(columns.expiresAt, (t) => BigInt(t ?? 0));
  const expiresAt = A.makeVector(A.makeData({
    type: new A.TimestampMillisecond(),
    data: expires,
    length: n,
    nullCount: columns.expiresAt.filter((t) => t === null).length,
    nullBitmap: bitmap(columns.expiresAt.map((t) => t !== null)),
  }));
  const fields = [
    new A.Field("namespace", new A.Utf8(), false),
    new A.Field("id", new A.Utf8(), false),
    new A.Field("vector", vectorType, false),
    new A.Field("metadata", new A.Utf8(), false),
    new A.Field("sparse", new A.Utf8(), true),
    new A.Field("vectors", new A.Utf8(), true),
    new A.Field("multi_vectors", new A.Utf8(), true),
    new A.Field("expires_at", new A.TimestampMillisecond(), true),
  ];
  const schema = new A.Schema(fields, new Map([["vectlite", JSON.stringify(info)]]));
  const children = [
    A.vectorFromArray(columns.namespace, new A.Utf8()),
    A.vectorFromArray(columns.id, new A.Utf8()),
    vector,
    A.vectorFromArray(columns.metadata, new A.Utf8()),
    A.vectorFromArray(columns.sparse, new A.Utf8()),
    A.vectorFromArray(columns.vectors, new A.Utf8()),
    A.vectorFromArray(columns.multiVectors, new A.Utf8()),
    expiresAt,
  ].map((v) => v.data[0]);
  const batch = new A.RecordBatch(schema, A.makeData({ type: new A.Struct(fields), length: n, nullCount: 0, children }));
  writeFileSync(path, A.tableToIPC(new A.Table(schema, [batch]), "file"));
  return n;
}

function bitmap(valid: boolean[]): Uint8Array {
  const out = new Uint8Array(Math.ceil(valid.length / 8));
  valid.forEach((v, i) => {
    if (v) out[i >> 3] |= 1 << (i & 7);
  });
  return out;
}

/** Reads an Arrow IPC file written by `exportArrow` into a new database at `destination`. */
export async function importArrow(path: string, destination: string, options: { overwrite?: boolean } = {}): Promise<number> {
  const A = await arrow();
  let table: InstanceType<Arrow["Table"]>;
  try {
    table = A.tableFromIPC(readFileSync(path));
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") throw new VectLiteError("NOT_FOUND", `${path} does not exist`, { path });
    throw new VectLiteError("CORRUPT", `${path}: not an Arrow IPC file (${(e as Error).message})`, { path });
  }
  const info = parseInfo(table.schema.metadata.get("vectlite"), path);
  const col = (name: string) => {
    const c = table.getChild(name);
    if (!c) throw new VectLiteError("CORRUPT", `${path}: no column ${JSON.stringify(name)}`, { path });
    return c;
  };
  const [namespace, id, vector, metadata, sparse, vectors, multi, expires] = ["namespace", "id", "vector", "metadata", "sparse", "vectors", "multi_vectors", "expires_at"].map(col);
  const rows: ColumnarRow[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const v = vector.get(i) as { toArray(): Float32Array } | null;
    const t = expires.get(i) as number | bigint | null;
    rows.push({
      namespace: String(namespace.get(i)),
      id: String(id.get(i)),
      vector: v ? Float32Array.from(v.toArray()) : new Float32Array(),
      metadata: String(metadata.get(i)),
      sparse: sparse.get(i) as string | null,
      vectors: vectors.get(i) as string | null,
      multiVectors: multi.get(i) as string | null,
      expiresAt: t === null ? null : Number(t),
    });
  }
  return await writeRows(rows, info, destination, options.overwrite ?? false, path);
}
