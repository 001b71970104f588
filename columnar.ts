/**
 * Out to Arrow and Parquet files, and back: `exportArrow`/`exportParquet` write every record
 * of every namespace (vectors as float32 lists, metadata, keyword terms and named vectors as
 * JSON, the expiry), `importArrow`/`importParquet` read such a file into a new database. The
 * file formats' packages are optional peer dependencies, loaded on first use: `apache-arrow`
 * for Arrow, `hyparquet-writer` and `hyparquet` for Parquet.
 *
 * ```ts
 * import { exportParquet, importParquet } from "vectlite/columnar";
 * await exportParquet(db, "notes.parquet");      // DuckDB, Spark, Polars, pyarrow, LanceDB read it
 * await importParquet("notes.parquet", "copy.vdb");
 * ```
 *
 * @module
 */
export * from "./src/columnar/mod.ts";
