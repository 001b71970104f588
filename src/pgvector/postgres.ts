/**
 * Out to Postgres with pgvector, and back: one table per namespace with the main vector as a
 * `vector(d)` column, metadata as `jsonb`, keyword terms and named vectors as `jsonb`, and the
 * expiry; the filter language runs there through `filterToSql`. The caller brings the client
 * (`pg`, PGlite, or anything with `query(text, params)` resolving `{ rows }`).
 *
 * @module
 */
import type { Database } from "../database.ts";
import { dropDatabase } from "../maintenance.ts";
import { VectLiteError } from "../errors.ts";
import type { Filter, Metadata, Metric, RecordInput, SparseVector } from "../types.ts";
import { filterToSql } from "./filter-sql.ts";
import { VECTLITE_SQL_FUNCTIONS } from "./sql-functions.ts";
import { writeDatabase } from "../write-database.ts";
import { existsSync } from "node:fs";

/** What the export and import need of a Postgres client: `pg`'s `Client`/`Pool` and PGlite have it. */
export interface SqlClient {
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** Options of `exportToPostgres`. */
export interface PostgresExportOptions {
  /** Table names: `<prefix>` for the namespace `""`, `<prefix>_<namespace>` for the others (default `"vectlite"`). */
  tablePrefix?: string;
  /** Replace tables of those names (default false: an existing table is an error from Postgres). */
  overwrite?: boolean;
  /** Also build an HNSW index on each table's vectors, with the operator class of the database's metric. */
  createIndex?: boolean;
  /** Rows per INSERT at most (default 500). */
  batchSize?: number;
  /**
   * Bytes of parameters per INSERT at most (default 1 MiB; a row larger than this goes alone):
   * for servers and proxies that limit a message's size.
   */
  maxStatementBytes?: number;
}

/** One exported namespace. */
export interface PostgresTable {
  namespace: string;
  table: string;
  records: number;
}

/** pgvector's distance operator and HNSW operator class for each metric (smaller is nearer). */
export const PGVECTOR_METRICS: Record<Metric, { operator: string; opclass: string }> = {
  cosine: { operator: "<=>", opclass: "vector_cosine_ops" },
  dot: { operator: "<#>", opclass: "vector_ip_ops" },
  l2: { operator: "<->", opclass: "vector_l2_ops" },
  manhattan: { operator: "<+>", opclass: "vector_l1_ops" },
};

/** A quoted SQL identifier. */
export function quoteIdent(name: string): string {
  if (name.includes("\u0000")) throw new VectLiteError("INVALID_ARGUMENT", "a Postgres identifier cannot hold a NUL character");
  return `"${name.replaceAll('"', '""')}"`;
}

/** The table a namespace is exported to. */
export function tableFor(namespace: string, prefix = "vectlite"): string {
  const name = namespace === "" ? prefix : `${prefix}_${namespace}`;
  if (new TextEncoder().encode(name).length > 63) {
    throw new VectLiteError("INVALID_ARGUMENT", `table name ${JSON.stringify(name)} (namespace ${JSON.stringify(namespace)}) is longer than the 63 bytes Postgres allows`);
  }
  return name;
}

/** A vector as pgvector's text form; float32 values in their shortest exact decimal. */
export function vectorLiteral(v: ArrayLike<number>): string {
  const out = new Array<string>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = shortest(v[i]);
  return `[${out.join(",")}]`;
}

function shortest(x: number): string {
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  for (let p = 6; p <= 9; p++) {
    if (Math.fround(Number(x.toPrecision(p))) === x) {
      while (p > 1 && Math.fround(Number(x.toPrecision(p - 1))) === x) p--;
      return String(Number(x.toPrecision(p)));
    }
  }
  return String(x);
}

/**
 * Writes every namespace of `db` to a table of its own through `client`, and the SQL
 * functions the filter translation uses. Each table records, in its comment, the namespace,
 * the metric and the dimension, for `importFromPostgres`.
 */
export async function exportToPostgres(db: Database, client: SqlClient, options: PostgresExportOptions = {}): Promise<PostgresTable[]> {
  const prefix = options.tablePrefix ?? "vectlite";
  const batchSize = options.batchSize ?? 500;
  const maxBytes = options.maxStatementBytes ?? 1 << 20;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new VectLiteError("INVALID_ARGUMENT", "maxStatementBytes must be a positive integer");
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 5000) {
    throw new VectLiteError("INVALID_ARGUMENT", "batchSize must be an integer from 1 to 5000");
  }
  const namespaces = await db.namespaces();
  const tables = namespaces.map((namespace) => ({ namespace, table: tableFor(namespace, prefix), records: 0 }));
  await client.query("CREATE EXTENSION IF NOT EXISTS vector");
  for (const statement of VECTLITE_SQL_FUNCTIONS) await client.query(statement);
  const { opclass } = PGVECTOR_METRICS[db.metric];
  for (const t of tables) {
    const table = quoteIdent(t.table);
    if (options.overwrite) await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.query(
      `CREATE TABLE ${table} (id text PRIMARY KEY, embedding vector(${db.dimension}) NOT NULL, metadata jsonb NOT NULL, ` +
        `sparse jsonb, vectors jsonb, multi_vectors jsonb, expires_at bigint)`,
    );
    const comment = JSON.stringify({ vectlite: { namespace: t.namespace, metric: db.metric, dimension: db.dimension } });
    await client.query(`COMMENT ON TABLE ${table} IS '${comment.replaceAll("'", "''")}'`);
    let rows: unknown[][] = [];
    let bytes = 0;
    const flush = async () => {
      if (rows.length === 0) return;
      const casts = ["", "::vector", "::jsonb", "::jsonb", "::jsonb", "::jsonb", "::bigint"];
      const values = rows.map((_, r) => `(${casts.map((cast, c) => `$${r * casts.length + c + 1}${cast}`).join(", ")})`);
      await client.query(`INSERT INTO ${table} (id, embedding, metadata, sparse, vectors, multi_vectors, expires_at) VALUES ${values.join(", ")}`, rows.flat());
      t.records += rows.length;
      rows = [];
      bytes = 0;
    };
    for await (const r of db.iterate({ namespace: t.namespace, includeVectors: true, batchSize: 1000 })) {
      const vectors = r.vectors && Object.keys(r.vectors).length > 0
        ? `{${Object.entries(r.vectors).map(([name, v]) => `${JSON.stringify(name)}:${vectorLiteral(v)}`).join(",")}}`
        : null;
      const multi = r.multiVectors && Object.keys(r.multiVectors).length > 0
        ? `{${Object.entries(r.multiVectors).map(([name, list]) => `${JSON.stringify(name)}:[${list.map(vectorLiteral).join(",")}]`).join(",")}}`
        : null;
      const row = [r.id, vectorLiteral(r.vector!), JSON.stringify(r.metadata), r.sparse ? JSON.stringify(r.sparse) : null, vectors, multi, r.expiresAt ?? null];
      const size = row.reduce<number>((n, v) => n + (typeof v === "string" ? v.length * 3 : 8), 0);
      if (rows.length > 0 && bytes + size > maxBytes) await flush();
      rows.push(row);
      bytes += size;
      if (rows.length >= batchSize) await flush();
    }
    await flush();
    if (options.createIndex) await client.query(`CREATE INDEX ON ${table} USING hnsw (embedding ${opclass})`);
  }
  return tables;
}

/** Options of `pgvectorSearchSql`. */
export interface PgvectorSearch {
  table: string;
  metric: Metric;
  k: number;
  filter?: Filter;
}

/**
 * The SQL of a nearest-neighbour search on an exported table: `$1` is the query vector (as
 * `vectorLiteral` gives it), the filter's parameters follow; rows have `id`, `metadata` and
 * `distance` (pgvector's: smaller is nearer).
 */
export function pgvectorSearchSql(search: PgvectorSearch): { sql: string; params: unknown[] } {
  const { operator } = PGVECTOR_METRICS[search.metric];
  const where = search.filter ? filterToSql(search.filter, { firstParam: 2 }) : { sql: "TRUE", params: [] };
  if (!Number.isSafeInteger(search.k) || search.k < 1) throw new VectLiteError("INVALID_ARGUMENT", "k must be a positive integer");
  return {
    sql: `SELECT id, metadata, embedding ${operator} $1::vector AS distance FROM ${quoteIdent(search.table)} ` +
      `WHERE ${where.sql} ORDER BY embedding ${operator} $1::vector, id LIMIT ${search.k}`,
    params: where.params,
  };
}

/** Options of `importFromPostgres`. */
export interface PostgresImportOptions {
  /** The tables to read: those whose comment names a vectlite namespace and whose name starts with this (default `"vectlite"`). */
  tablePrefix?: string;
  /** Replace an existing database at the destination. Default false. */
  overwrite?: boolean;
}

interface TableComment {
  vectlite?: { namespace?: unknown; metric?: unknown; dimension?: unknown };
}

function parseVector(text: unknown, what: string): Float32Array {
  if (typeof text !== "string" || !text.startsWith("[") || !text.endsWith("]")) {
    throw new VectLiteError("CORRUPT", `${what} is not a pgvector value`);
  }
  return Float32Array.from(text.slice(1, -1).split(",").filter((s) => s !== "").map(Number));
}

/**
 * Reads the tables `exportToPostgres` wrote (found by their comment) into a new database at
 * `destination`, with the metric and dimension the comments record; resolves with the tables
 * read. The destination must not exist unless `overwrite` (then it is dropped first).
 */
export async function importFromPostgres(client: SqlClient, destination: string, options: PostgresImportOptions = {}): Promise<PostgresTable[]> {
  const prefix = options.tablePrefix ?? "vectlite";
  if (existsSync(destination)) {
    if (!options.overwrite) throw new VectLiteError("INVALID_ARGUMENT", `${destination} already exists (pass { overwrite: true } to replace it)`);
    await dropDatabase(destination);
  }
  const { rows: found } = await client.query(
    `SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS comment FROM pg_class c ` +
      `JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = current_schema() ` +
      `AND left(c.relname, length($1)) = $1 ORDER BY c.relname`,
    [prefix],
  );
  const tables: { table: string; namespace: string; metric: Metric; dimension: number }[] = [];
  for (const row of found) {
    let comment: TableComment;
    try {
      comment = JSON.parse(String(row.comment ?? "null")) ?? {};
    } catch {
      continue; // not a table of ours
    }
    const v = comment.vectlite;
    if (!v || typeof v.namespace !== "string" || typeof v.metric !== "string" || typeof v.dimension !== "number") continue;
    tables.push({ table: String(row.name), namespace: v.namespace, metric: v.metric as Metric, dimension: v.dimension });
  }
  if (tables.length === 0) throw new VectLiteError("NOT_FOUND", `no table exported by vectlite whose name starts with ${JSON.stringify(prefix)}`);
  const { metric, dimension } = tables[0];
  if (tables.some((t) => t.metric !== metric || t.dimension !== dimension)) {
    throw new VectLiteError("INVALID_ARGUMENT", "the tables differ in metric or dimension: import them into separate databases (tablePrefix)");
  }
  const out: PostgresTable[] = [];
  const groups: [string, RecordInput[]][] = [];
  for (const t of tables) {
    const { rows } = await client.query(`SELECT id, embedding::text AS embedding, metadata, sparse, vectors, multi_vectors, expires_at FROM ${quoteIdent(t.table)} ORDER BY id`);
    const records: RecordInput[] = rows.map((r) => {
      const record: RecordInput = { id: String(r.id), vector: parseVector(r.embedding, `${t.table} row ${r.id}`), metadata: jsonOf(r.metadata) as Metadata };
      if (r.sparse !== null && r.sparse !== undefined) record.sparse = jsonOf(r.sparse) as SparseVector;
      if (r.vectors !== null && r.vectors !== undefined) {
        record.vectors = Object.fromEntries(Object.entries(jsonOf(r.vectors) as Record<string, number[]>).map(([n, v]) => [n, Float32Array.from(v)]));
      }
      if (r.multi_vectors !== null && r.multi_vectors !== undefined) {
        const spaces = jsonOf(r.multi_vectors) as Record<string, number[][]>;
        record.multiVectors = Object.fromEntries(Object.entries(spaces).map(([n, list]) => [n, list.map((v) => Float32Array.from(v))]));
      }
      if (r.expires_at !== null && r.expires_at !== undefined) record.expiresAt = Number(r.expires_at);
      return record;
    });
    groups.push([t.namespace, records]);
    out.push({ namespace: t.namespace, table: t.table, records: records.length });
  }
  await writeDatabase(destination, { dimension, metric }, groups);
  return out;
}

/** jsonb arrives parsed from some clients and as text from others. */
function jsonOf(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : value;
}
