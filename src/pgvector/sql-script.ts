/**
 * A `SqlClient` that writes a SQL script instead of talking to a server: each statement with
 * its parameters inlined as literals, `;`-terminated, inside one transaction. `psql -f` (or
 * any Postgres client) runs it later, so an export needs no connection from here.
 *
 * @module
 */
import { VectLiteError } from "../errors.ts";
import type { SqlClient } from "./postgres.ts";

/** A parameter as a SQL literal (standard_conforming_strings: quotes doubled, backslashes as they are). */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (typeof value === "string") {
    if (value.includes("\u0000")) throw new VectLiteError("INVALID_ARGUMENT", "Postgres text cannot hold a NUL character");
    return `'${value.replaceAll("'", "''")}'`;
  }
  throw new VectLiteError("INVALID_ARGUMENT", `no SQL literal for a ${typeof value}`);
}

/** A client whose statements go to `write`; `begin()` and `end()` frame them in a transaction. */
export function sqlScriptClient(write: (text: string) => Promise<void>): SqlClient & { begin(): Promise<void>; end(): Promise<void> } {
  return {
    async query(text: string, params: unknown[] = []) {
      const sql = text.replace(/\$(\d+)/g, (whole, n: string) => {
        const i = Number(n) - 1;
        if (i < 0 || i >= params.length) throw new VectLiteError("INTERNAL", `statement parameter ${whole} has no value`);
        return sqlLiteral(params[i]);
      });
      await write(`${sql.trim()};\n`);
      return { rows: [] };
    },
    begin: () => write("BEGIN;\n"),
    end: () => write("COMMIT;\n"),
  };
}
