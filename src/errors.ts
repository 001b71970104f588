/**
 * The one error class of vectlite.
 *
 * @module
 */
import type { AbortSignalLike } from "./types.ts";

/**
 * Every code a VectLiteError can carry. `INTERNAL` marks a bug in vectlite itself; `ABORTED`
 * a call cancelled through its `signal`, which left the database as if it was never made.
 */
export type ErrorCode =
  | "INVALID_ARGUMENT"
  | "DIMENSION_MISMATCH"
  | "DUPLICATE_ID"
  | "NOT_FOUND"
  | "INVALID_FILTER"
  | "READ_ONLY"
  | "LOCKED"
  | "CLOSED"
  | "CORRUPT"
  | "IO"
  | "ABI_MISMATCH"
  | "TRANSACTION"
  | "INTERNAL"
  | "ABORTED";

/**
 * Thrown (as a rejected Promise) by every vectlite call that fails. `code` says what kind
 * of failure it is; `message` says what was wrong and where (the id, the filter path, the
 * file and offset).
 *
 * ```ts
 * try { await db.insert("a", v); } catch (e) {
 *   if (e instanceof VectLiteError && e.code === "DUPLICATE_ID") { ... }
 * }
 * ```
 */
export class VectLiteError extends Error {
  /** The machine-readable kind of failure. */
  readonly code: ErrorCode;
  /** The file the error is about (a database, its WAL, a backup), when it names one. */
  readonly path?: string;
  /** The byte offset in `path` where damage was found (`CORRUPT`). */
  readonly offset?: number;
  /** The id of the record the error is about. */
  readonly id?: string;

  /**
   * An error of kind `code`; `message` says what was wrong and where. `details` carries the
   * same places as data, and `cause` the error this one wraps.
   */
  constructor(code: ErrorCode, message: string, details: VectLiteErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "VectLiteError";
    this.code = code;
    if (details.path !== undefined) this.path = details.path;
    if (details.offset !== undefined) this.offset = details.offset;
    if (details.id !== undefined) this.id = details.id;
  }
}

/** What a VectLiteError may carry besides its code and message. */
export interface VectLiteErrorDetails {
  /** The file the error is about. */
  path?: string;
  /** The byte offset in `path`. */
  offset?: number;
  /** The id of the record the error is about. */
  id?: string;
  /** The error this one wraps (a file system error, for example). */
  cause?: unknown;
}

/** The error of a call cancelled through `signal` (its reason, when it gives one, as `cause`). */
export function abortedError(what: string, signal: { readonly reason?: unknown }): VectLiteError {
  const reason = signal.reason;
  const why = reason instanceof Error ? `: ${reason.message}` : reason !== undefined ? `: ${String(reason)}` : "";
  return new VectLiteError("ABORTED", `${what} was aborted${why}`, reason === undefined ? {} : { cause: reason });
}

/** Throws `ABORTED` when `signal` is aborted; checks that a given signal is an AbortSignal. */
export function checkSignal(signal: AbortSignalLike | undefined, what: string): void {
  if (signal === undefined) return;
  if (
    typeof signal !== "object" || signal === null || typeof signal.aborted !== "boolean" ||
    typeof signal.addEventListener !== "function" || typeof signal.removeEventListener !== "function"
  ) {
    throw new VectLiteError("INVALID_ARGUMENT", `${what}: signal must be an AbortSignal`);
  }
  if (signal.aborted) throw abortedError(what, signal);
}
