/**
 * Out to Postgres with pgvector, and back: `exportToPostgres` writes one table per namespace
 * (a `vector(d)` column, metadata as `jsonb`, keyword terms and named vectors kept),
 * `importFromPostgres` reads them into a new database, and `filterToSql` turns the filter
 * language into SQL over the `jsonb` metadata so the same queries run there. Bring any client
 * with `query(text, params)` resolving `{ rows }`: `pg`, PGlite.
 *
 * ```ts
 * import pg from "pg";
 * import { exportToPostgres, filterToSql, pgvectorSearchSql, vectorLiteral } from "vectlite/pgvector";
 *
 * const client = new pg.Client(process.env.DATABASE_URL);
 * await client.connect();
 * await exportToPostgres(db, client, { createIndex: true });
 * const search = pgvectorSearchSql({ table: "vectlite", metric: db.metric, k: 5, filter: { year: { $gte: 2024 } } });
 * const { rows } = await client.query(search.sql, [vectorLiteral(query), ...search.params]);
 * ```
 *
 * @module
 */
export * from "./src/pgvector/mod.ts";
