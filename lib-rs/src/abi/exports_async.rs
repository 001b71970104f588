//! The `_async` variants of the long calls, and the job symbols that collect their results
//! (see `jobs.rs`). Each returns a job id as its scalar. Small arguments (paths, options)
//! are copied; the large buffers of a write or a commit are `Lent`: read in place by the
//! job, which the caller must collect before it frees or changes them.

use super::exports::{compact, open_database, snapshot, update_index, write_records, FLAG_OVERWRITE};
use super::exports_data::{backup, commit, restore};
use super::{bytes_arg, f32_arg, jobs, run, str_arg, Lent};

/// `vl_open` on a worker thread.
///
/// # Safety
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_open_async(path: *const u8, path_len: usize, opts: *const u8, opts_len: usize, out: *mut u64) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let path = unsafe { str_arg(path, path_len, "path")? }.to_string();
        // SAFETY: forwarded caller contract.
        let opts = unsafe { bytes_arg(opts, opts_len, "options")? }.to_vec();
        jobs::spawn(move || open_database(&path, &opts))
    })
}

/// `vl_write` on a worker thread.
///
/// # Safety
/// Pointer/length pairs must describe readable memory, which must stay alive and unchanged
/// until the job is collected (`vl_job_wait` / `vl_job_poll` returned it); `out` three
/// writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_write_async(
    handle: u64,
    vectors: *const f32,
    n_values: usize,
    records: *const u8,
    records_len: usize,
    flags: u32,
    out: *mut u64,
) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let vectors = Lent::new(unsafe { f32_arg(vectors, n_values, "vectors")? });
        // SAFETY: forwarded caller contract.
        let records = Lent::new(unsafe { bytes_arg(records, records_len, "records")? });
        // SAFETY: the caller keeps both buffers alive until it has collected the job.
        jobs::spawn(move || write_records(handle, unsafe { vectors.get() }, unsafe { records.get() }, flags))
    })
}

/// Brings every HNSW graph up to date with records written with the defer-index flag, on a
/// worker thread (the end of a `bulkIngest`).
///
/// # Safety
/// `out` must be three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_index_async(handle: u64, out: *mut u64) -> i32 {
    run(out, || jobs::spawn(move || update_index(handle)))
}

/// `vl_commit` on a worker thread.
///
/// # Safety
/// As for `vl_write_async`: the buffers stay alive and unchanged until the job is collected.
#[no_mangle]
pub unsafe extern "C" fn vl_commit_async(
    handle: u64,
    vectors: *const f32,
    n_values: usize,
    ops: *const u8,
    ops_len: usize,
    out: *mut u64,
) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let vectors = Lent::new(unsafe { f32_arg(vectors, n_values, "vectors")? });
        // SAFETY: forwarded caller contract.
        let ops = Lent::new(unsafe { bytes_arg(ops, ops_len, "operations")? });
        // SAFETY: the caller keeps both buffers alive until it has collected the job.
        jobs::spawn(move || commit(handle, unsafe { vectors.get() }, unsafe { ops.get() }))
    })
}

/// `vl_close` on a worker thread: closing may compact (see `Database::close`). The handle
/// is invalid from this call on.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_close_async(handle: u64, out: *mut u64) -> i32 {
    run(out, || {
        let db = crate::abi::handles::unregister(handle)?;
        jobs::spawn(move || {
            if let Some(mut db) = db {
                db.close()?;
            }
            Ok(crate::abi::Output::Unit)
        })
    })
}

/// `vl_compact` on a worker thread.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_compact_async(handle: u64, out: *mut u64) -> i32 {
    run(out, || jobs::spawn(move || compact(handle)))
}

/// Writes a self-contained, consistent copy of the database to `dest`, on a worker thread.
/// `flags`: `FLAG_OVERWRITE` replaces an existing file (never one of the database's own).
///
/// # Safety
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_snapshot_async(handle: u64, dest: *const u8, dest_len: usize, flags: u32, out: *mut u64) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let dest = unsafe { str_arg(dest, dest_len, "destination")? }.to_string();
        jobs::spawn(move || snapshot(handle, &dest, flags & FLAG_OVERWRITE != 0))
    })
}

/// Writes a full backup into the directory `dir` on a worker thread; the buffer is the
/// manifest JSON. `flags`: `FLAG_OVERWRITE` replaces an earlier backup there.
///
/// # Safety
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_backup_async(handle: u64, dir: *const u8, dir_len: usize, flags: u32, out: *mut u64) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let dir = unsafe { str_arg(dir, dir_len, "backup directory")? }.to_string();
        jobs::spawn(move || backup(handle, &dir, flags & FLAG_OVERWRITE != 0))
    })
}

/// Verifies the backup in `dir` and writes its database at `dest`, on a worker thread.
/// `flags`: `FLAG_OVERWRITE` replaces a database there (under its writer lock).
///
/// # Safety
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_restore_async(dir: *const u8, dir_len: usize, dest: *const u8, dest_len: usize, flags: u32, out: *mut u64) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let dir = unsafe { str_arg(dir, dir_len, "backup directory")? }.to_string();
        // SAFETY: forwarded caller contract.
        let dest = unsafe { str_arg(dest, dest_len, "destination")? }.to_string();
        jobs::spawn(move || restore(&dir, &dest, flags & FLAG_OVERWRITE != 0))
    })
}

/// -1 while the job runs; then its status, with its result in `out`.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_job_poll(job: u64, out: *mut u64) -> i32 {
    std::panic::catch_unwind(|| jobs::poll(job, out)).unwrap_or(crate::error::Code::Internal as i32)
}

/// Blocks until the job finishes; its status, with its result in `out`. Deno calls this as
/// a nonblocking symbol, so the wait happens on Deno's thread pool.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_job_wait(job: u64, out: *mut u64) -> i32 {
    std::panic::catch_unwind(|| jobs::wait(job, out)).unwrap_or(crate::error::Code::Internal as i32)
}
