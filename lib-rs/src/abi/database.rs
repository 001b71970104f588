//! The `extern "C"` symbols of a database handle: open, close and info; writes, deletes
//! and commits; get, search, count, list and namespaces; and the `_async` forms of the long
//! ones (a job id as their scalar, collected through `jobs.rs`). Each is thin: borrow the
//! arguments (checked, see `abi/mod.rs`), decode their JSON (`decode.rs`, `input.rs`), find
//! the handle, call into `db` / `search` / `txn` with typed values, encode the result
//! (`output.rs`). An `_async` form copies its small arguments (paths, options), while the
//! large buffers of a write or a commit are `Lent`: read in place by the job, which the
//! caller must collect before it frees or changes them.

use super::decode::{self, parse_args};
use super::handles::{register, unregister, with_db, with_db_mut};
use super::output::{encode_rows, info_json};
use super::{bytes_arg, f32_arg, input, jobs, run, str_arg, Lent, Output};
use crate::db::Database;
use crate::error::{Error, Result};
use crate::json::{self, Json};
use crate::search;
use std::path::Path;

/// Opens a database; the scalar result is its handle.
///
/// # Safety
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_open(path: *const u8, path_len: usize, opts: *const u8, opts_len: usize, out: *mut u64) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let path = unsafe { str_arg(path, path_len, "path")? };
        // SAFETY: forwarded caller contract.
        open_database(path, unsafe { bytes_arg(opts, opts_len, "options")? })
    })
}

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

pub(crate) fn open_database(path: &str, opts: &[u8]) -> Result<Output> {
    let opts = parse_args(opts, "open options")?;
    if path.contains('\0') {
        return Err(Error::invalid("path contains a NUL character"));
    }
    let db = Database::open(Path::new(path), decode::open_options(&opts)?)?;
    let catching_up = db.catching_up;
    let handle = register(db);
    if catching_up {
        start_catch_up(handle);
    }
    Ok(Output::Scalar(handle))
}

/// Inserts the vectors an open left waiting into the graphs, a slice at a time under the
/// write lock, on a thread of lowered priority, until none wait or the handle is closed
/// (see catch_up.rs).
fn start_catch_up(handle: u64) {
    let spawned = std::thread::Builder::new().name("vectlite-catch-up".into()).spawn(move || {
        crate::storage::os::lower_thread_priority();
        loop {
            let more = with_db_mut(handle, |db| {
                let more = db.catch_up_indexes(crate::catch_up::CATCH_UP_SLICE);
                db.catching_up = more;
                Ok(more)
            });
            if !matches!(more, Ok(true)) {
                return;
            }
            // Let the reads and writes waiting for the lock have it.
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    });
    if spawned.is_err() {
        // No thread: commits bring the graphs up to date themselves, as before.
        let _ = with_db_mut(handle, |db| {
            db.catching_up = false;
            Ok(())
        });
    }
}

/// Closes a handle: makes pending writes durable, releases the lock.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_close(handle: u64, out: *mut u64) -> i32 {
    run(out, || {
        if let Some(mut db) = unregister(handle)? {
            db.close()?;
        }
        Ok(Output::Unit)
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

/// Closes a handle on a thread of its own and returns at once, never waiting for it: for
/// a garbage-collector finalizer, which must not do heavy work (closing may compact) on
/// the JavaScript thread and cannot wait for a job. A closed handle is fine.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_close_detached(handle: u64, out: *mut u64) -> i32 {
    run(out, || {
        if let Ok(Some(mut db)) = unregister(handle) {
            let spawned = std::thread::Builder::new().name("vectlite-close".into()).spawn(move || {
                let _ = db.close();
            });
            // Without a thread the handle is still dropped (the WAL already holds every
            // acknowledged write); only the compaction on close is skipped.
            drop(spawned);
        }
        Ok(Output::Unit)
    })
}

/// `{dimension, metric, readOnly, records, walBytes}` as JSON.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_info(handle: u64, out: *mut u64) -> i32 {
    run(out, || with_db(handle, |db| Ok(Output::Bytes(info_json(db).into_bytes()))))
}

/// The sorted names of namespaces that hold records, as a JSON array.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_namespaces(handle: u64, out: *mut u64) -> i32 {
    run(out, || {
        with_db(handle, |db| {
            // A namespace whose records have all expired is gone for reads, as after deleting them.
            let now = crate::expiry::now_ms();
            let visible = db.namespaces.iter().filter(|(_, ns)| ns.len() > ns.expiry().due_count(now));
            let names = Json::Array(visible.map(|(k, _)| Json::String(k.clone())).collect());
            Ok(Output::Bytes(names.to_json().into_bytes()))
        })
    })
}

/// Upserts records: `vectors` holds every record's main vector back to back; `records` is
/// the JSON list of ids and the rest. `flags`: bit 0 inserts only (`DUPLICATE_ID` for an
/// existing id), bit 1 leaves the HNSW graphs behind (`bulkIngest`, which brings them up to
/// date once at the end with `vl_index_async`; searches meanwhile score the records not in
/// a graph yet exactly).
///
/// # Safety
/// Pointer/length pairs must describe readable memory (`vectors`: `n_values` f32).
#[no_mangle]
pub unsafe extern "C" fn vl_write(
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
        let vectors = unsafe { f32_arg(vectors, n_values, "vectors")? };
        // SAFETY: forwarded caller contract.
        write_records(handle, vectors, unsafe { bytes_arg(records, records_len, "records")? }, flags)
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

pub const WRITE_INSERT_ONLY: u32 = 1;

pub const WRITE_DEFER_INDEX: u32 = 2;

pub(crate) fn write_records(handle: u64, vectors: &[f32], records: &[u8], flags: u32) -> Result<Output> {
    if flags & !(WRITE_INSERT_ONLY | WRITE_DEFER_INDEX) != 0 {
        return Err(Error::invalid(format!("write flags {flags:#x}: unknown bits")));
    }
    let json = parse_args(records, "records")?;
    // The records are read (and their texts analyzed) before the write lock is taken, so
    // searches go on meanwhile; the dimension and the analyzer never change.
    let (dimension, analyzer) = with_db(handle, |db| Ok((db.dimension, db.text_analyzer())))?;
    let items = input::upserts(json, vectors, dimension, &analyzer)?;
    with_db_mut(handle, |db| {
        let n = db.upsert_many_with(items, flags & WRITE_INSERT_ONLY != 0, flags & WRITE_DEFER_INDEX != 0)?;
        Ok(Output::Scalar(n as u64))
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

/// Starts a bulk ingest on the handle that may be aborted: until `vl_ingest_end`, its writes
/// record how to undo them (see db/undo.rs). `TRANSACTION` if one runs already.
///
/// # Safety
/// `out` must be three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_ingest_begin(handle: u64, out: *mut u64) -> i32 {
    run(out, || with_db_mut(handle, |db| db.begin_undo().map(|_| Output::Unit)))
}

/// Ends the bulk ingest: stops recording and forgets the undo log.
///
/// # Safety
/// `out` must be three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_ingest_end(handle: u64, out: *mut u64) -> i32 {
    run(out, || {
        with_db_mut(handle, |db| {
            db.end_undo();
            Ok(Output::Unit)
        })
    })
}

/// Undoes every write of the bulk ingest (it was aborted), on a worker thread, and ends it;
/// the scalar is the operations the undo wrote.
///
/// # Safety
/// `out` must be three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_ingest_undo_async(handle: u64, out: *mut u64) -> i32 {
    run(out, || jobs::spawn(move || with_db_mut(handle, |db| db.apply_undo().map(|n| Output::Scalar(n as u64)))))
}

/// Brings every HNSW graph up to date with the records written since (see `vl_write`).
pub(crate) fn update_index(handle: u64) -> Result<Output> {
    with_db_mut(handle, |db| {
        db.update_indexes();
        Ok(Output::Unit)
    })
}

/// Deletes `{namespace?, ids}`; the scalar is how many existed.
///
/// # Safety
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_delete(handle: u64, args: *const u8, args_len: usize, out: *mut u64) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let j = parse_args(unsafe { bytes_arg(args, args_len, "arguments")? }, "delete arguments")?;
        let (namespace, ids) = decode::delete_args(&j)?;
        with_db_mut(handle, |db| Ok(Output::Scalar(db.delete_many(&namespace, &ids)? as u64)))
    })
}

/// Deletes every record of `{namespace?, filter}` that matches.
///
/// # Safety
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_delete_by_filter(handle: u64, args: *const u8, args_len: usize, out: *mut u64) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let j = parse_args(unsafe { bytes_arg(args, args_len, "arguments")? }, "deleteByFilter arguments")?;
        let (selection, plan) = decode::delete_by_filter_args(&j)?;
        with_db_mut(handle, |db| {
            let groups: Vec<(String, Vec<String>)> = search::selected(db, &selection)
                .into_iter()
                .map(|(name, _)| (name.clone(), search::matching_ids(db, name, plan.as_ref())))
                .collect();
            search::intact(db, &selection)?;
            Ok(Output::Scalar(db.delete_in(&groups)? as u64))
        })
    })
}

/// One record by `{namespace?, id, includeVectors?}`: zero or one rows.
///
/// # Safety
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_get(handle: u64, args: *const u8, args_len: usize, out: *mut u64) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let j = parse_args(unsafe { bytes_arg(args, args_len, "arguments")? }, "get arguments")?;
        let args = decode::get_args(&j)?;
        with_db(handle, |db| {
            let hits: Vec<_> = search::get(db, &args.namespace, &args.id).into_iter().collect();
            search::intact(db, &crate::search::options::NamespaceSelection::One(args.namespace.clone()))?;
            Ok(Output::Bytes(encode_rows(&hits, args.include_vectors, db.dimension, None)))
        })
    })
}

/// Nearest records to `query` under the options JSON; rows carry scores and stats.
///
/// # Safety
/// Pointer/length pairs must describe readable memory (`query`: `query_len` f32).
#[no_mangle]
pub unsafe extern "C" fn vl_search(
    handle: u64,
    query: *const f32,
    query_len: usize,
    opts: *const u8,
    opts_len: usize,
    out: *mut u64,
) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let (query, opts) = unsafe { super::reads::search_args(query, query_len, opts, opts_len)? };
        with_db(handle, |db| Ok(Output::Bytes(super::reads::search_one(db, query, &opts)?)))
    })
}

/// How many records match `{namespace?|namespaces?, filter?}`.
///
/// # Safety
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_count(handle: u64, opts: *const u8, opts_len: usize, out: *mut u64) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let j = parse_args(unsafe { bytes_arg(opts, opts_len, "options")? }, "count options")?;
        let (sel, plan) = decode::count_options(&j)?;
        with_db(handle, |db| {
            let n = search::count(db, &sel, plan.as_ref());
            search::intact(db, &sel)?;
            Ok(Output::Scalar(n as u64))
        })
    })
}

/// Records matching `{namespace?, filter?, limit?, offset?, includeVectors?}`.
///
/// # Safety
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_list(handle: u64, opts: *const u8, opts_len: usize, out: *mut u64) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let j = parse_args(unsafe { bytes_arg(opts, opts_len, "options")? }, "list options")?;
        let opts = decode::list_options(&j)?;
        with_db(handle, |db| {
            let hits = search::list(db, &opts)?.hits;
            Ok(Output::Bytes(encode_rows(&hits, opts.include_vectors, db.dimension, None)))
        })
    })
}

/// Commits a transaction: `ops` is the JSON list of operations, `vectors` the main vectors
/// of its upserts and inserts, in order. The scalar is how many operations changed something.
///
/// # Safety
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_commit(
    handle: u64,
    vectors: *const f32,
    n_values: usize,
    ops: *const u8,
    ops_len: usize,
    out: *mut u64,
) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let vectors = unsafe { f32_arg(vectors, n_values, "vectors")? };
        // SAFETY: forwarded caller contract.
        commit(handle, vectors, unsafe { bytes_arg(ops, ops_len, "operations")? })
    })
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

pub(crate) fn commit(handle: u64, vectors: &[f32], ops: &[u8]) -> Result<Output> {
    let json = json::parse(ops, "transaction operations")?;
    let (dimension, analyzer) = with_db(handle, |db| Ok((db.dimension, db.text_analyzer())))?;
    let ops = super::input::transaction_ops(&json, vectors, dimension, &analyzer)?;
    with_db_mut(handle, |db| {
        Ok(Output::Scalar(db.commit_transaction(ops)? as u64))
    })
}
