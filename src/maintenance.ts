/**
 * The calls that copy or rewrite a database's files: compaction, snapshot, backup and
 * restore, each a background job a caller can follow (`onProgress`) and stop (`signal`):
 * ffi/jobs.ts.
 *
 * @module
 */
import { call, native, type NativeLib } from "../ffi/native.ts";
import { abortableWhileQueued, callJob, checkControl } from "../ffi/jobs.ts";
import { checkOptions, checkPath, utf8 } from "./codec.ts";
import { VectLiteError } from "./errors.ts";
import type { NativeHandle } from "./handle.ts";
import type { CompactOptions, CopyOptions, LongCallOptions } from "./types.ts";

/** `vl_snapshot_async` / `vl_backup_async` / `vl_restore_async` flags: replace an existing destination. */
const FLAG_OVERWRITE = 1;

/** Checks the options of a copy (`overwrite`, `signal`, `onProgress`); returns the native flags. */
export function copyFlags(options: CopyOptions, what: string): number {
  if (typeof options !== "object" || options === null) throw new VectLiteError("INVALID_ARGUMENT", `${what} options must be an object`);
  for (const key of Object.keys(options)) {
    if (key !== "overwrite" && key !== "signal" && key !== "onProgress") {
      throw new VectLiteError("INVALID_ARGUMENT", `unknown ${what} option ${JSON.stringify(key)}`);
    }
  }
  const o = options.overwrite;
  if (o !== undefined && typeof o !== "boolean") throw new VectLiteError("INVALID_ARGUMENT", `${what} option overwrite must be a boolean`);
  checkControl({ what, signal: options.signal, onProgress: options.onProgress });
  return o ? FLAG_OVERWRITE : 0;
}

/** Runs a long job in the handle's call order, stoppable while it waits and while it runs. */
function runJob(
  native: NativeHandle,
  what: string,
  options: LongCallOptions,
  start: (lib: NativeLib, h: bigint, control: Parameters<typeof callJob>[1]) => Promise<unknown>,
): Promise<unknown> {
  const control = { what, signal: options.signal, onProgress: options.onProgress };
  return abortableWhileQueued(options.signal, what, (begin) =>
    native.run((h) => {
      begin();
      return start(native.lib, h, control);
    }));
}

export async function compact(native: NativeHandle, options: CompactOptions): Promise<void> {
  native.check();
  if (typeof options !== "object" || options === null) throw new VectLiteError("INVALID_ARGUMENT", "compact options must be an object");
  const { signal, onProgress, ...sent } = options;
  checkOptions(sent, "compact");
  checkControl({ what: "compact", signal, onProgress });
  const opts = utf8(JSON.stringify(sent));
  await runJob(native, "compact", options, (lib, h, control) => callJob(lib, control, "vl_compact_async", h, opts, opts.length));
}

export async function backup(native: NativeHandle, destDir: string, options: CopyOptions): Promise<void> {
  native.check();
  const dir = utf8(checkPath(destDir, "backup destination"));
  const flags = copyFlags(options, "backup");
  await runJob(native, "backup", options, (lib, h, control) => callJob(lib, control, "vl_backup_async", h, dir, dir.length, flags));
}

export async function snapshot(native: NativeHandle, destPath: string, options: CopyOptions): Promise<void> {
  native.check();
  const dest = utf8(checkPath(destPath, "snapshot destination"));
  const flags = copyFlags(options, "snapshot");
  await runJob(native, "snapshot", options, (lib, h, control) => callJob(lib, control, "vl_snapshot_async", h, dest, dest.length, flags));
}

/** Verifies the backup in `backupDir` and writes its database at `destPath` (see `restore` in database.ts). */
export async function restoreFiles(lib: NativeLib, backupDir: string, destPath: string, options: CopyOptions): Promise<void> {
  const dir = utf8(backupDir), dest = utf8(destPath);
  const flags = copyFlags(options, "restore");
  await callJob(lib, { what: "restore", signal: options.signal, onProgress: options.onProgress }, "vl_restore_async", dir, dir.length, dest, dest.length, flags);
}

/**
 * Deletes the database at `path`: its `.vdb`, WAL, temporary and lock files, under its writer
 * lock (`LOCKED` while a handle, here or in another process, has it open for writing; close it
 * first). Resolves whether a database was there.
 */
export async function dropDatabase(path: string): Promise<boolean> {
  checkPath(path, "path");
  const lib = await native();
  const bytes = utf8(path);
  return call(lib, "vl_drop_database", bytes, bytes.length).scalar === 1n;
}
