/**
 * A shared advisory lock on another program's file (flock on unix, LockFileEx on Windows),
 * taken through the native library because Bun and Node have no file-lock API of their own.
 *
 * @module
 */
import { call, native } from "../ffi/native.ts";
import { utf8 } from "./codec.ts";

/** A held lock; `release()` is idempotent. */
export interface FileLock {
  release(): void;
}

/**
 * Takes a shared lock on `path` (created empty when missing) without waiting: rejects with
 * `LOCKED` while another process holds it exclusively.
 */
export async function lockShared(path: string): Promise<FileLock> {
  const lib = await native();
  const bytes = utf8(path);
  const handle = call(lib, "vl_lock_shared", bytes, bytes.length).scalar;
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      call(lib, "vl_unlock", handle);
    },
  };
}
