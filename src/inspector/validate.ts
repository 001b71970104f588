/**
 * Checks of what a browser sends the inspector: every field of a request body is named, typed
 * and bounded here before a database call sees it, and a mistake is an HttpError (a 4xx JSON
 * answer), never a crash.
 *
 * @module
 */
import type { VectLiteError } from "../errors.ts";

/** An error answered with `status` and `{ error: { code, message, path? } }`. */
export class HttpError extends Error {
  /** The HTTP status (4xx for the caller's mistakes). */
  readonly status: number;
  /** A machine-readable code: a VectLiteError code, or one of the server's own. */
  readonly code: string;
  /** Where in the input the mistake is (a filter path, a body field), when known. */
  readonly path?: string;

  constructor(status: number, code: string, message: string, path?: string) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    if (path !== undefined) this.path = path;
  }
}

/** The bounds of every request. */
export const LIMITS = {
  /** Bytes of a request body. */
  bodyBytes: 64 * 1024,
  /** Results of one search. */
  k: 100,
  /** Candidates MMR or the reranker chooses from. */
  fetchK: 1000,
  /** Records of one browser page. */
  pageSize: 100,
  /** Points of the map. */
  sample: 5000,
  /** Floats the map holds (sample x dimension), so a wide space gets fewer points. */
  mapFloats: 20_000_000,
  /** Characters of a text query, an id, a namespace or a field path. */
  text: 2000,
} as const;

/** A bad field of the request: 400 INVALID_ARGUMENT naming it. */
export function invalid(path: string, message: string): HttpError {
  return new HttpError(400, "INVALID_ARGUMENT", `${path} ${message}`, path);
}

/** The body as a plain object whose keys are all in `allowed`. */
export function objectBody(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpError(400, "INVALID_ARGUMENT", "the request body must be a JSON object");
  }
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw invalid(key, `is not a field of this request (fields: ${allowed.join(", ")})`);
  }
  return body as Record<string, unknown>;
}

/** A string field of at most LIMITS.text characters (or `fallback` when absent). */
export function stringField(body: Record<string, unknown>, name: string, fallback?: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "string") throw invalid(name, `must be a string, found ${typeName(value)}`);
  if (value.length > LIMITS.text) throw invalid(name, `is longer than ${LIMITS.text} characters`);
  return value;
}

/** An integer field within [min, max] (or `fallback` when absent). */
export function intField(body: Record<string, unknown>, name: string, min: number, max: number, fallback?: number): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value)) throw invalid(name, `must be an integer, found ${JSON.stringify(value)}`);
  if (value < min || value > max) throw invalid(name, `must be from ${min} to ${max}, found ${value}`);
  return value;
}

/** A finite number field within [min, max] (or `fallback` when absent). */
export function numberField(body: Record<string, unknown>, name: string, min: number, max: number, fallback?: number): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value)) throw invalid(name, `must be a number, found ${JSON.stringify(value)}`);
  if (value < min || value > max) throw invalid(name, `must be from ${min} to ${max}, found ${value}`);
  return value;
}

/** A boolean field (false when absent). */
export function boolField(body: Record<string, unknown>, name: string): boolean {
  const value = body[name];
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw invalid(name, `must be true or false, found ${JSON.stringify(value)}`);
  return value;
}

/** One of `choices` (or `fallback` when absent). */
export function enumField<T extends string>(body: Record<string, unknown>, name: string, choices: readonly T[], fallback: T): T {
  const value = body[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "string" || !choices.includes(value as T)) {
    throw invalid(name, `must be one of ${choices.map((c) => JSON.stringify(c)).join(", ")}, found ${JSON.stringify(value)}`);
  }
  return value as T;
}

/**
 * A filter field: absent, or a JSON object handed to the library as it is, which checks it
 * (an INVALID_FILTER there names the path of the mistake).
 */
export function filterField(body: Record<string, unknown>, name = "filter"): Record<string, unknown> | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw invalid(name, `must be a JSON object, found ${typeName(value)}`);
  return Object.keys(value).length === 0 ? undefined : value as Record<string, unknown>;
}

/** A query-string parameter of at most LIMITS.text characters. */
export function queryParam(params: URLSearchParams, name: string, required: boolean): string | undefined {
  const all = params.getAll(name);
  if (all.length > 1) throw invalid(name, "is given more than once");
  const value = all[0];
  if (value === undefined) {
    if (required) throw invalid(name, "is missing");
    return undefined;
  }
  if (value.length > LIMITS.text) throw invalid(name, `is longer than ${LIMITS.text} characters`);
  return value;
}

/**
 * A library error as the HTTP answer it deserves: the caller's mistakes (a bad filter, a bad
 * argument, a missing record) are 4xx with the library's code and message, the rest 500. A
 * filter error's message names the path of the mistake ("invalid filter at $and[1].price.$gtt:
 * ..."); it is also given as `path`.
 */
export function fromLibraryError(e: VectLiteError): HttpError {
  const status = e.code === "INVALID_FILTER" || e.code === "INVALID_ARGUMENT" || e.code === "DIMENSION_MISMATCH"
    ? 400
    : e.code === "NOT_FOUND"
    ? 404
    : e.code === "CLOSED"
    ? 503
    : 500;
  const path = e.code === "INVALID_FILTER" ? /^invalid filter at (.+?): /.exec(e.message)?.[1] : undefined;
  return new HttpError(status, e.code, e.message, path);
}

function typeName(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : `a ${typeof value}`;
}
