/**
 * A Postgres connection for `export --to pgvector --url` and `import --from pgvector --url`,
 * through the `pg` package (an optional peer dependency: the CLI bundles no Postgres client).
 *
 * @module
 */
import { VectLiteError } from "../mod.ts";
import type { SqlClient } from "../src/pgvector/mod.ts";

interface PgClient extends SqlClient {
  connect(): Promise<unknown>;
  end(): Promise<unknown>;
}

/** Runs `work` with a client connected to `url`, then disconnects. */
export async function withPostgres<T>(url: string, work: (client: SqlClient) => Promise<T>): Promise<T> {
  let pg: { default?: { Client: new (o: { connectionString: string }) => PgClient }; Client?: new (o: { connectionString: string }) => PgClient };
  try {
    pg = await import("pg");
  } catch (e) {
    throw new VectLiteError("NOT_FOUND", `--url needs the package pg, the Postgres client: install it beside vectlite (npm i pg) (${(e as Error).message})`);
  }
  const Client = pg.Client ?? pg.default!.Client;
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
  } catch (e) {
    throw new VectLiteError("IO", `cannot connect to ${url.replace(/:[^:@/]*@/, ":***@")}: ${(e as Error).message}`);
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}
