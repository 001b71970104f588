/**
 * Out to Postgres with pgvector: the export, the import back, and the filter language as SQL.
 *
 * @module
 */
export { filterToSql, type SqlFilter } from "./filter-sql.ts";
export { VECTLITE_SQL_FUNCTIONS } from "./sql-functions.ts";
export { sqlLiteral, sqlScriptClient } from "./sql-script.ts";
export {
  exportToPostgres,
  importFromPostgres,
  PGVECTOR_METRICS,
  type PgvectorSearch,
  pgvectorSearchSql,
  type PostgresExportOptions,
  type PostgresImportOptions,
  type PostgresTable,
  quoteIdent,
  type SqlClient,
  tableFor,
  vectorLiteral,
} from "./postgres.ts";
