/**
 * The one table of native symbols and their C signatures, shared by every runtime backend.
 *
 * Neutral type names: `buffer` is a pointer to memory the caller owns for the call (a
 * TypedArray, passed without a copy); `u64` carries handles and Rust-owned buffer
 * addresses; `usize` carries lengths. Fallible calls end with an `out` buffer of three u64
 * (`[buffer pointer, buffer length, scalar]`) and return an i32 status (see lib-rs/src/abi).
 *
 * @module
 */

/** The ABI version this TypeScript expects from the native library. */
export const ABI_VERSION = 8;

export type NativeType = "u32" | "i32" | "u64" | "usize" | "buffer" | "void";

export interface SymbolSpec {
  readonly parameters: readonly NativeType[];
  /** The parameters' names, as the Rust declaration spells them (a Rust test checks both agree). */
  readonly names: readonly string[];
  readonly result: NativeType;
  /** Deno runs it on its thread pool and returns a Promise (Bun never calls such a symbol). */
  readonly nonblocking?: boolean;
}

export const symbols = {
  vl_abi_version: { parameters: [], names: [], result: "u32" },
  vl_buf_free: { parameters: ["u64", "usize"], names: ["ptr", "len"], result: "void" },
  vl_version: { parameters: ["buffer"], names: ["out"], result: "i32" },
  vl_open: { parameters: ["buffer", "usize", "buffer", "usize", "buffer"], names: ["path", "path_len", "opts", "opts_len", "out"], result: "i32" },
  vl_close: { parameters: ["u64", "buffer"], names: ["handle", "out"], result: "i32" },
  vl_close_detached: { parameters: ["u64", "buffer"], names: ["handle", "out"], result: "i32" },
  vl_drop_database: { parameters: ["buffer", "usize", "buffer"], names: ["path", "path_len", "out"], result: "i32" },
  vl_lock_shared: { parameters: ["buffer", "usize", "buffer"], names: ["path", "path_len", "out"], result: "i32" },
  vl_unlock: { parameters: ["u64", "buffer"], names: ["handle", "out"], result: "i32" },
  vl_info: { parameters: ["u64", "buffer"], names: ["handle", "out"], result: "i32" },
  vl_write: { parameters: ["u64", "buffer", "usize", "buffer", "usize", "u32", "buffer"], names: ["handle", "vectors", "n_values", "records", "records_len", "flags", "out"], result: "i32" },
  vl_delete: { parameters: ["u64", "buffer", "usize", "buffer"], names: ["handle", "args", "args_len", "out"], result: "i32" },
  vl_delete_by_filter: { parameters: ["u64", "buffer", "usize", "buffer"], names: ["handle", "args", "args_len", "out"], result: "i32" },
  vl_get: { parameters: ["u64", "buffer", "usize", "buffer"], names: ["handle", "args", "args_len", "out"], result: "i32" },
  vl_search: { parameters: ["u64", "buffer", "usize", "buffer", "usize", "buffer"], names: ["handle", "query", "query_len", "opts", "opts_len", "out"], result: "i32" },
  vl_count: { parameters: ["u64", "buffer", "usize", "buffer"], names: ["handle", "opts", "opts_len", "out"], result: "i32" },
  vl_list: { parameters: ["u64", "buffer", "usize", "buffer"], names: ["handle", "opts", "opts_len", "out"], result: "i32" },
  vl_namespaces: { parameters: ["u64", "buffer"], names: ["handle", "out"], result: "i32" },
  vl_commit: { parameters: ["u64", "buffer", "usize", "buffer", "usize", "buffer"], names: ["handle", "vectors", "n_values", "ops", "ops_len", "out"], result: "i32" },
  vl_sparse_terms: { parameters: ["buffer", "usize", "buffer", "usize", "buffer"], names: ["analyzer", "analyzer_len", "text", "text_len", "out"], result: "i32" },
  vl_sparse_terms_into: { parameters: ["buffer", "usize", "buffer", "usize", "buffer", "usize", "buffer"], names: ["analyzer", "analyzer_len", "text", "text_len", "dst", "dst_cap", "out"], result: "i32" },
  // Long calls as background jobs (lib-rs/src/abi/jobs.rs): each returns a job id.
  vl_open_async: { parameters: ["buffer", "usize", "buffer", "usize", "buffer"], names: ["path", "path_len", "opts", "opts_len", "out"], result: "i32" },
  vl_write_async: { parameters: ["u64", "buffer", "usize", "buffer", "usize", "u32", "buffer"], names: ["handle", "vectors", "n_values", "records", "records_len", "flags", "out"], result: "i32" },
  vl_commit_async: { parameters: ["u64", "buffer", "usize", "buffer", "usize", "buffer"], names: ["handle", "vectors", "n_values", "ops", "ops_len", "out"], result: "i32" },
  vl_close_async: { parameters: ["u64", "buffer"], names: ["handle", "out"], result: "i32" },
  vl_compact_async: { parameters: ["u64", "buffer", "usize", "buffer"], names: ["handle", "opts", "opts_len", "out"], result: "i32" },
  vl_index_async: { parameters: ["u64", "buffer"], names: ["handle", "out"], result: "i32" },
  vl_ingest_begin: { parameters: ["u64", "buffer"], names: ["handle", "out"], result: "i32" },
  vl_ingest_end: { parameters: ["u64", "buffer"], names: ["handle", "out"], result: "i32" },
  vl_ingest_undo_async: { parameters: ["u64", "buffer"], names: ["handle", "out"], result: "i32" },
  vl_check_async: { parameters: ["u64", "buffer"], names: ["handle", "out"], result: "i32" },
  // The last u32 before `out`: flags, bit 0 = overwrite an existing destination.
  vl_snapshot_async: { parameters: ["u64", "buffer", "usize", "u32", "buffer"], names: ["handle", "dest", "dest_len", "flags", "out"], result: "i32" },
  vl_backup_async: { parameters: ["u64", "buffer", "usize", "u32", "buffer"], names: ["handle", "dir", "dir_len", "flags", "out"], result: "i32" },
  vl_restore_async: { parameters: ["buffer", "usize", "buffer", "usize", "u32", "buffer"], names: ["dir", "dir_len", "dest", "dest_len", "flags", "out"], result: "i32" },
  // Reads as jobs on the read pool (lib-rs/src/abi/reads.rs); flags bit 0: may run inline,
  // and then bit 63 of the job id says it did (the job is finished).
  vl_search_async: { parameters: ["u64", "buffer", "usize", "buffer", "usize", "u32", "buffer"], names: ["handle", "query", "query_len", "opts", "opts_len", "flags", "out"], result: "i32" },
  vl_search_batch_async: { parameters: ["u64", "buffer", "usize", "u32", "buffer", "usize", "buffer"], names: ["handle", "queries", "n_values", "n_queries", "opts", "opts_len", "out"], result: "i32" },
  vl_count_async: { parameters: ["u64", "buffer", "usize", "u32", "buffer"], names: ["handle", "opts", "opts_len", "flags", "out"], result: "i32" },
  vl_list_async: { parameters: ["u64", "buffer", "usize", "u32", "buffer"], names: ["handle", "opts", "opts_len", "flags", "out"], result: "i32" },
  vl_pool_inline_work: { parameters: ["u64", "buffer"], names: ["work", "out"], result: "i32" },
  vl_pool_size: { parameters: ["u32", "buffer"], names: ["threads", "out"], result: "i32" },
  // Completion channels (lib-rs/src/abi/jobs.rs): how TypeScript learns that jobs finished.
  vl_channel_open: { parameters: ["u64", "buffer"], names: ["callback", "out"], result: "i32" },
  vl_job_watch: { parameters: ["u64", "u64", "buffer"], names: ["job", "channel", "out"], result: "i32" },
  vl_channel_take: { parameters: ["u64", "buffer"], names: ["channel", "out"], result: "i32" },
  vl_channel_wait: { parameters: ["u64", "buffer"], names: ["channel", "out"], result: "i32", nonblocking: true },
  vl_job_poll: { parameters: ["u64", "buffer"], names: ["job", "out"], result: "i32" },
  vl_job_wait: { parameters: ["u64", "buffer"], names: ["job", "out"], result: "i32", nonblocking: true },
  // A job's cancellation and progress (lib-rs/src/progress.rs).
  vl_job_cancel: { parameters: ["u64", "buffer"], names: ["job", "out"], result: "i32" },
  vl_job_progress: { parameters: ["u64", "buffer"], names: ["job", "out"], result: "i32" },
} as const satisfies Record<string, SymbolSpec>;

export type SymbolName = keyof typeof symbols;

/** The JavaScript value each native type takes. */
type JsValue<T> = T extends "u64" ? bigint : T extends "buffer" ? ArrayBufferView : number;
type JsArgs<T extends readonly unknown[]> = T extends readonly [infer Head, ...infer Rest] ? [JsValue<Head>, ...JsArgs<Rest>] : [];
type WithoutOut<T extends readonly unknown[]> = T extends readonly [...infer Head, unknown] ? Head : [];

/** The arguments of a symbol, typed from the table: `deno check` catches a wrong argument list. */
export type ArgsOf<N extends SymbolName> = JsArgs<(typeof symbols)[N]["parameters"]>;
/** The arguments of a fallible symbol without its trailing out array (`call` passes that). */
export type CallArgs<N extends SymbolName> = JsArgs<WithoutOut<(typeof symbols)[N]["parameters"]>>;

/** Error codes by their integer status (lib-rs/src/error.rs). */
export const STATUS_CODES = [
  "OK",
  "INVALID_ARGUMENT",
  "DIMENSION_MISMATCH",
  "DUPLICATE_ID",
  "NOT_FOUND",
  "INVALID_FILTER",
  "READ_ONLY",
  "LOCKED",
  "CLOSED",
  "CORRUPT",
  "IO",
  "ABI_MISMATCH",
  "TRANSACTION",
  "INTERNAL",
  "ABORTED",
] as const;
