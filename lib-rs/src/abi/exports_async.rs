//! The `_async` variants of the long calls, and the job symbols that collect their results
//! (see `jobs.rs`). Each copies its arguments (the caller's memory is only borrowed for the
//! call itself) and returns a job id as its scalar.

use super::exports::{compact, open_database, snapshot, write_records};
use super::exports_data::{backup, commit, restore};
use super::{bytes_arg, f32_arg, jobs, run, str_arg};

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
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_write_async(
    handle: u64,
    vectors: *const f32,
    n_values: usize,
    records: *const u8,
    records_len: usize,
    insert_only: u32,
    out: *mut u64,
) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let vectors = unsafe { f32_arg(vectors, n_values, "vectors")? }.to_vec();
        // SAFETY: forwarded caller contract.
        let records = unsafe { bytes_arg(records, records_len, "records")? }.to_vec();
        jobs::spawn(move || write_records(handle, &vectors, &records, insert_only != 0))
    })
}

/// `vl_commit` on a worker thread.
///
/// # Safety
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
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
        let vectors = unsafe { f32_arg(vectors, n_values, "vectors")? }.to_vec();
        // SAFETY: forwarded caller contract.
        let ops = unsafe { bytes_arg(ops, ops_len, "operations")? }.to_vec();
        jobs::spawn(move || commit(handle, &vectors, &ops))
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

/// `vl_snapshot` on a worker thread.
///
/// # Safety
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_snapshot_async(handle: u64, dest: *const u8, dest_len: usize, out: *mut u64) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let dest = unsafe { str_arg(dest, dest_len, "destination")? }.to_string();
        jobs::spawn(move || snapshot(handle, &dest))
    })
}

/// `vl_backup` on a worker thread.
///
/// # Safety
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_backup_async(handle: u64, dir: *const u8, dir_len: usize, out: *mut u64) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let dir = unsafe { str_arg(dir, dir_len, "backup directory")? }.to_string();
        jobs::spawn(move || backup(handle, &dir))
    })
}

/// `vl_restore` on a worker thread.
///
/// # Safety
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_restore_async(dir: *const u8, dir_len: usize, dest: *const u8, dest_len: usize, out: *mut u64) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let dir = unsafe { str_arg(dir, dir_len, "backup directory")? }.to_string();
        // SAFETY: forwarded caller contract.
        let dest = unsafe { str_arg(dest, dest_len, "destination")? }.to_string();
        jobs::spawn(move || restore(&dir, &dest))
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
