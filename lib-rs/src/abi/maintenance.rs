//! The `extern "C"` symbols that maintain or copy a database's files: compaction,
//! snapshots, backup and restore (each a job, see `jobs.rs`), and dropping a database.
//! Same conventions as `database.rs`.

use super::handles::with_db_mut;
use super::{jobs, run, str_arg, Output};
use crate::error::{Error, Result};
use crate::progress;
use std::path::Path;

/// Bit 0 of the flags of `vl_snapshot_async`, `vl_backup_async` and `vl_restore_async`:
/// replace an existing destination.
pub const FLAG_OVERWRITE: u32 = 1;

/// Compacts on a worker thread; `opts` is the JSON `{ quantization? }` (empty: `{}`).
///
/// # Safety
/// The pointer/length pair must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_compact_async(handle: u64, opts: *const u8, opts_len: usize, out: *mut u64) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let json = super::decode::parse_args(unsafe { super::bytes_arg(opts, opts_len, "compact options")? }, "compact options")?;
        let quantization = super::decode::compact_options(&json)?;
        jobs::spawn(move || compact(handle, quantization))
    })
}

pub(crate) fn compact(handle: u64, quantization: Option<crate::vector::quantize::Quantizations>) -> Result<Output> {
    with_db_mut(handle, |db| db.compact_to(quantization).map(|_| Output::Unit))
}

/// Verifies, on a worker thread, the checksums an open left for later (a large section of
/// vectors used in place); the scalar is the bytes verified (0: all were verified at open).
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_check_async(handle: u64, out: *mut u64) -> i32 {
    run(out, || jobs::spawn(move || check(handle)))
}

pub(crate) fn check(handle: u64) -> Result<Output> {
    super::handles::with_db(handle, |db| db.check().map(Output::Scalar))
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

pub(crate) fn snapshot(handle: u64, dest: &str, overwrite: bool) -> Result<Output> {
    use crate::storage::destination;
    // The snapshot streams to the file under the handle's lock: no copy of the vectors in
    // memory, at the price of holding other calls on this handle while it writes.
    with_db_mut(handle, |db| {
        let dest = destination::check_file(Path::new(dest), Some(db.paths()), overwrite, "snapshot destination")?;
        db.check()?; // verify first, as a compaction does
        // Dense slots let the snapshot carry the graphs instead of a rebuild at open.
        db.compact_memory()?;
        progress::check("snapshot")?;
        // A copy is a database of its own: its log can never be taken for this one's.
        let identity = crate::storage::format::SnapshotIdentity::new_database();
        destination::replace_database_file(&dest, |temp| {
            db.write_snapshot_file(temp, identity)?;
            // The last moment to abort: the file is renamed over the destination next.
            progress::check("snapshot")
        })
    })?;
    Ok(Output::Unit)
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

/// Writes a full backup into the directory `dir`; the buffer is the manifest JSON.
pub(crate) fn backup(handle: u64, dir: &str, overwrite: bool) -> Result<Output> {
    with_db_mut(handle, |db| {
        db.check()?; // verify first, as a compaction does
        db.compact_memory()?;
        progress::check("backup")?;
        Ok(Output::Bytes(crate::backup::backup(db, Path::new(dir), overwrite)?.to_json().into_bytes()))
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

/// Verifies the backup in `dir` and writes its database at `dest`.
pub(crate) fn restore(dir: &str, dest: &str, overwrite: bool) -> Result<Output> {
    crate::backup::restore(Path::new(dir), Path::new(dest), overwrite).map(|_| Output::Unit)
}

/// Deletes the database at `path` (its `.vdb`, WAL, temporary and lock files) under its
/// writer lock: `LOCKED` while a handle has it open for writing. The scalar is 1 if a
/// database was there.
///
/// # Safety
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_drop_database(path: *const u8, path_len: usize, out: *mut u64) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let path = unsafe { str_arg(path, path_len, "path")? };
        if path.contains('\0') {
            return Err(Error::invalid("path contains a NUL character"));
        }
        Ok(Output::Scalar(crate::storage::destination::drop_database(Path::new(path))? as u64))
    })
}
