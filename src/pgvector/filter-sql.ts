/**
 * The filter language as SQL over a `jsonb` column, with the semantics the filter docs state
 * (docs/filters.md): strict deep equality (`1` equals `1.0`, `"1"` does not equal `1`, objects
 * ignore key order), ranges only between numbers or between strings (by code point: `COLLATE
 * "C"`), `$contains` as substring or list membership, `$size` of lists and objects, `$elemMatch`
 * with operators or a sub-filter, and a missing field matching only `$ne`, `$nin`,
 * `$exists: false` and negations. Field paths resolve as the database resolves them (the literal
 * key first, then nested objects and array indices, backtracking) through the SQL function
 * `vectlite_path`, which `VECTLITE_SQL_FUNCTIONS` defines.
 *
 * @module
 */
import { checkJson } from "../codec.ts";
import { VectLiteError } from "../errors.ts";
import type { Filter } from "../types.ts";

/** A WHERE clause and its parameters (`$1`, `$2`, ... from `firstParam`). */
export interface SqlFilter {
  sql: string;
  params: unknown[];
}

/** The deepest nesting the filter language accepts (the database refuses deeper). */
const MAX_DEPTH = 63;

const FIELD_OPERATORS = new Set(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$contains", "$exists", "$size", "$not", "$elemMatch"]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

class Builder {
  readonly params: unknown[] = [];
  #aliases = 0;
  constructor(readonly first: number) {}

  /** A fresh table alias for a list's elements (nested `$elemMatch`es must not shadow each other). */
  alias(): string {
    return `e${this.#aliases++}`;
  }

  /** A parameter holding `value` as jsonb. */
  json(value: Json): string {
    this.params.push(JSON.stringify(value));
    return `$${this.first + this.params.length - 1}::jsonb`;
  }

  /** A parameter holding text. */
  text(value: string): string {
    this.params.push(value);
    return `$${this.first + this.params.length - 1}::text`;
  }
}

function invalid(path: string, problem: string): VectLiteError {
  return new VectLiteError("INVALID_FILTER", `${path ? `${path}: ` : ""}${problem}`, { path });
}

const isObject = (v: unknown): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * `filter` as a SQL condition on the jsonb expression `column` (default `metadata`). The
 * condition is never NULL: every test is wrapped so that a missing field gives false (or true,
 * for the operators that match it).
 */
export function filterToSql(filter: Filter, options: { column?: string; firstParam?: number } = {}): SqlFilter {
  const b = new Builder(options.firstParam ?? 1);
  if (!isObject(filter)) throw invalid("", "a filter must be an object");
  // Plain JSON only, as the database takes it: NaN, undefined or a Date would translate to
  // something other than what the database refuses or reads.
  checkJson(filter, "filter", "INVALID_FILTER");
  const sql = node(filter as Record<string, Json>, options.column ?? "metadata", b, "", 0);
  return { sql, params: b.params };
}

function node(filter: Record<string, Json>, doc: string, b: Builder, path: string, depth: number): string {
  if (depth > MAX_DEPTH) throw invalid(path, `filter nested deeper than ${MAX_DEPTH} levels`);
  const parts: string[] = [];
  for (const [key, arg] of Object.entries(filter)) {
    const here = path ? `${path}.${key}` : key;
    if (key === "$and" || key === "$or") {
      if (!Array.isArray(arg) || arg.length === 0) throw invalid(here, `${key} expects a non-empty array of filter objects`);
      const items = arg.map((item, i) => {
        if (!isObject(item)) throw invalid(`${here}[${i}]`, "expected a filter object");
        return node(item, doc, b, `${here}[${i}]`, depth + 2);
      });
      parts.push(`(${items.join(key === "$and" ? " AND " : " OR ")})`);
    } else if (key === "$not") {
      if (!isObject(arg)) throw invalid(here, "expected a filter object");
      parts.push(`(NOT ${node(arg, doc, b, here, depth + 1)})`);
    } else if (key === "") {
      throw invalid(here, "a field path must not be empty");
    } else if (key.startsWith("$")) {
      throw invalid(here, `unknown operator ${key} (a filter's keys are field paths or $and, $or, $not)`);
    } else {
      const value = `vectlite_path(${doc}, ${b.text(key)})`;
      parts.push(condition(arg, value, b, here, depth + 1));
    }
  }
  return parts.length === 0 ? "TRUE" : parts.length === 1 ? parts[0] : `(${parts.join(" AND ")})`;
}

/** How an object given as a field's condition reads: operators, or a literal to equal. */
function isOperators(arg: Json, path: string): arg is Record<string, Json> {
  if (!isObject(arg)) return false;
  const keys = Object.keys(arg);
  const ops = keys.filter((k) => k.startsWith("$"));
  if (ops.length > 0 && ops.length < keys.length) {
    throw invalid(path, `an operator object cannot also have plain keys (found ${ops[0]} and ${keys.find((k) => !k.startsWith("$"))})`);
  }
  return ops.length > 0;
}

function condition(arg: Json, value: string, b: Builder, path: string, depth: number): string {
  if (!isOperators(arg, path)) return eq(value, arg, b);
  return operators(arg, value, b, path, depth);
}

function operators(ops: Record<string, Json>, value: string, b: Builder, path: string, depth: number): string {
  if (depth > MAX_DEPTH) throw invalid(path, `filter nested deeper than ${MAX_DEPTH} levels`);
  const parts = Object.entries(ops).map(([op, arg]) => operator(op, arg, value, b, `${path}.${op}`, depth));
  return parts.length === 1 ? parts[0] : `(${parts.join(" AND ")})`;
}

/** Deep equality, NULL-safe: false for a missing field. jsonb `=` compares numbers by value and objects without key order. */
function eq(value: string, literal: Json, b: Builder): string {
  return `COALESCE(${value} = ${b.json(literal)}, FALSE)`;
}

function operator(op: string, arg: Json, value: string, b: Builder, path: string, depth: number): string {
  switch (op) {
    case "$eq":
      return eq(value, arg, b);
    case "$ne":
      return `(NOT ${eq(value, arg, b)})`;
    case "$gt":
    case "$gte":
    case "$lt":
    case "$lte": {
      const sqlOp = { $gt: ">", $gte: ">=", $lt: "<", $lte: "<=" }[op];
      if (typeof arg === "number") {
        return `COALESCE(jsonb_typeof(${value}) = 'number' AND (${value})::numeric ${sqlOp} ${b.json(arg)}::numeric, FALSE)`;
      }
      if (typeof arg === "string") {
        return `COALESCE(jsonb_typeof(${value}) = 'string' AND (${value} #>> '{}') COLLATE "C" ${sqlOp} ${b.text(arg)} COLLATE "C", FALSE)`;
      }
      throw invalid(path, `${op} expects a number or a string`);
    }
    case "$in":
    case "$nin": {
      if (!Array.isArray(arg)) throw invalid(path, `${op} expects an array`);
      // An empty list matches nothing; the value is still named, so each parameter is used.
      const any = arg.length === 0 ? `(FALSE AND ${value} IS NULL)` : `(${arg.map((item) => eq(value, item, b)).join(" OR ")})`;
      return op === "$in" ? any : `(NOT ${any})`;
    }
    case "$contains": {
      const e = b.alias();
      const inList = `EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${value}) = 'array' THEN ${value} END) AS ${e}(item) WHERE ${e}.item = ${b.json(arg)})`;
      if (typeof arg !== "string") return `COALESCE(${inList}, FALSE)`;
      const substring = `jsonb_typeof(${value}) = 'string' AND strpos(${value} #>> '{}', ${b.text(arg)}) > 0`;
      return `COALESCE((${substring}) OR ${inList}, FALSE)`;
    }
    case "$exists":
      if (typeof arg !== "boolean") throw invalid(path, "$exists expects a boolean");
      return arg ? `(${value} IS NOT NULL)` : `(${value} IS NULL)`;
    case "$size": {
      if (typeof arg !== "number" || !Number.isSafeInteger(arg) || arg < 0) throw invalid(path, "$size expects a non-negative integer");
      const n = b.json(arg);
      return `COALESCE(CASE jsonb_typeof(${value}) WHEN 'array' THEN jsonb_array_length(${value}) = (${n})::numeric ` +
        `WHEN 'object' THEN (SELECT count(*) FROM jsonb_object_keys(${value})) = (${n})::numeric ELSE FALSE END, FALSE)`;
    }
    case "$not":
      if (isOperators(arg, path)) return `(NOT ${operators(arg, value, b, path, depth + 1)})`;
      return `(NOT ${eq(value, arg, b)})`;
    case "$elemMatch": {
      if (!isObject(arg)) throw invalid(path, "$elemMatch expects an object (operators or a filter)");
      const logical = "$and" in arg || "$or" in arg;
      const e = b.alias();
      const elements = `jsonb_array_elements(CASE WHEN jsonb_typeof(${value}) = 'array' THEN ${value} END) AS ${e}(item)`;
      const test = !logical && isOperators(arg, path)
        ? operators(arg, `${e}.item`, b, path, depth + 1)
        : `(jsonb_typeof(${e}.item) = 'object' AND ${node(arg, `${e}.item`, b, path, depth + 1)})`;
      return `COALESCE(EXISTS (SELECT 1 FROM ${elements} WHERE ${test}), FALSE)`;
    }
    default:
      throw invalid(path, FIELD_OPERATORS.has(op) ? `${op} is misplaced` : `unknown operator ${op}`);
  }
}
