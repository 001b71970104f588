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
      const sql = inlineParameters(text, params);
      await write(`${sql.trim()};\n`);
      return { rows: [] };
    },
    // Literals are written with quotes doubled and backslashes as they are: only right with
    // standard_conforming_strings on (the default since Postgres 9.1), so the script says so.
    begin: () => write("SET standard_conforming_strings = on;\nBEGIN;\n"),
    end: () => write("COMMIT;\n"),
  };
}

/**
 * `text` with each `$n` placeholder replaced by `params[n - 1]` as a literal, outside quoted
 * strings, quoted identifiers and dollar-quoted bodies (a table named `"vectlite_a$1"` stays).
 */
export function inlineParameters(text: string, params: unknown[]): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'" || c === '"') {
      // A quoted string or identifier, with doubled quotes inside.
      let j = i + 1;
      while (j < text.length && !(text[j] === c && text[j + 1] !== c)) j += text[j] === c ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === "$") {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i));
      if (tag) {
        const end = text.indexOf(tag[0], i + tag[0].length);
        const stop = end === -1 ? text.length : end + tag[0].length;
        out += text.slice(i, stop);
        i = stop;
        continue;
      }
      const n = /^\$(\d+)/.exec(text.slice(i));
      if (n) {
        const k = Number(n[1]) - 1;
        if (k < 0 || k >= params.length) throw new VectLiteError("INTERNAL", `statement parameter ${n[0]} has no value`);
        out += sqlLiteral(params[k]);
        i += n[0].length;
        continue;
      }
    }
    out += c;
    i++;
  }
  return out;
}
