/**
 * The one error class of vectlite.
 *
 * @module
 */

/** Every code a VectLiteError can carry. `INTERNAL` marks a bug in vectlite itself. */
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
  | "INTERNAL";

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

  /** An error of kind `code`; `message` says what was wrong and where. */
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "VectLiteError";
    this.code = code;
  }
}
