//! Every `extern "C"` symbol. Each is a thin wrapper: borrow the arguments (checked), find
//! the handle, call into `db` / `search`, encode the output. See `abi/mod.rs` for the
//! calling convention and `ffi/symbols.ts` for the TypeScript side of the same table.

use super::handles::{register, unregister, with_db, with_db_mut};
use super::output::encode_rows;
use super::decode::{self, parse_args};
use super::{bytes_arg, f32_arg, input, run, str_arg, take_back, Output, ABI_VERSION};
use crate::db::Database;
use crate::error::{Error, Result};
use crate::json::{self, Json};
use crate::search;
use std::path::Path;

/// The ABI version; `ffi/native.ts` refuses a library whose version differs from its own.
#[no_mangle]
pub extern "C" fn vl_abi_version() -> u32 {
    ABI_VERSION
}

/// Frees a buffer returned through an out array.
///
/// # Safety
/// `ptr`/`len` should be a pair this library returned; anything else is ignored.
#[no_mangle]
pub unsafe extern "C" fn vl_buf_free(ptr: *mut u8, len: usize) {
    let _ = std::panic::catch_unwind(|| take_back(ptr, len));
}

/// The crate version, as a buffer.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_version(out: *mut u64) -> i32 {
    run(out, || Ok(Output::Bytes(env!("CARGO_PKG_VERSION").as_bytes().to_vec())))
}

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

pub(crate) fn open_database(path: &str, opts: &[u8]) -> Result<Output> {
    let opts = parse_args(opts, "open options")?;
    if path.contains('\0') {
        return Err(Error::invalid("path contains a NUL character"));
    }
    let db = Database::open(Path::new(path), decode::open_options(&opts)?)?;
    Ok(Output::Scalar(register(db)))
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

/// `{dimension, metric, readOnly, records, walBytes}` as JSON.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_info(handle: u64, out: *mut u64) -> i32 {
    run(out, || with_db(handle, |db| Ok(Output::Bytes(info_json(db).into_bytes()))))
}

/// What `db.stats()` reports: sizes, and per namespace its records and index state.
fn info_json(db: &Database) -> String {
    let mut s = String::from("{\"path\":");
    json::write_string(&db.path().display().to_string(), &mut s);
    s.push_str(&format!(
        ",\"dimension\":{},\"metric\":\"{}\",\"readOnly\":{},\"records\":{},\"walBytes\":{},\"indexBuilds\":{},\"indexesLoaded\":{}",
        db.dimension,
        db.metric.name(),
        db.read_only,
        db.total_records(),
        db.wal_len(),
        db.index_builds,
        db.indexes_loaded
    ));
    // The stored analyzer's JSON form, or null for the default English analyzer.
    s.push_str(&format!(",\"analyzer\":{}", db.analyzer.as_deref().unwrap_or("null")));
    // The files on disk now (derived from the real path, so callers need not know the layout).
    s.push_str(",\"files\":{");
    for (i, (key, path)) in [("vdb", &db.paths().main), ("wal", &db.paths().wal)].into_iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!("\"{key}\":{{\"path\":"));
        json::write_string(&path.display().to_string(), &mut s);
        match std::fs::metadata(path) {
            Ok(m) => s.push_str(&format!(",\"bytes\":{}}}", m.len())),
            Err(_) => s.push_str(",\"bytes\":null}"),
        }
    }
    s.push('}');
    s.push_str(",\"namespaces\":{");
    for (i, (name, ns)) in db.namespaces.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        json::write_string(name, &mut s);
        s.push(':');
        let index_json = |g: Option<&crate::vector::hnsw::HnswGraph>| match g {
            Some(g) => format!("{{\"nodes\":{},\"live\":{},\"bytes\":{}}}", g.len(), g.live_len(), g.memory_bytes()),
            None => "null".to_string(),
        };
        s.push_str(&format!("{{\"records\":{},\"deadSlots\":{},\"index\":{},\"named\":{{", ns.len(), ns.dead_slots(), index_json(ns.vectors().graph())));
        for (j, (space, named)) in ns.named_spaces().iter().enumerate() {
            if j > 0 {
                s.push(',');
            }
            json::write_string(space, &mut s);
            s.push_str(&format!(
                ":{{\"vectors\":{},\"dimension\":{},\"deadSlots\":{},\"index\":{}}}",
                named.len(),
                named.vectors().dimension(),
                named.vectors().dead_slots(),
                index_json(named.vectors().graph())
            ));
        }
        s.push_str("}}");
    }
    s.push_str("}}");
    s
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
        let query = unsafe { f32_arg(query, query_len, "query")? };
        // SAFETY: forwarded caller contract.
        let j = parse_args(unsafe { bytes_arg(opts, opts_len, "options")? }, "search options")?;
        let opts = decode::search_options(&j)?;
        with_db(handle, |db| {
            // An empty query vector means a keyword-only search (`search(null, { sparse })`).
            let query = if query.is_empty() { None } else { Some(query) };
            let (hits, stats) = search::search(db, query, &opts)?;
            Ok(Output::Bytes(encode_rows(&hits, opts.include_vectors, db.dimension, Some(&stats))))
        })
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
        with_db(handle, |db| Ok(Output::Scalar(search::count(db, &sel, plan.as_ref()) as u64)))
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
            let hits = search::list(db, &opts);
            Ok(Output::Bytes(encode_rows(&hits, opts.include_vectors, db.dimension, None)))
        })
    })
}

/// The sorted names of namespaces that hold records, as a JSON array.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_namespaces(handle: u64, out: *mut u64) -> i32 {
    run(out, || {
        with_db(handle, |db| {
            let names = Json::Array(db.namespaces.keys().map(|k| Json::String(k.clone())).collect());
            Ok(Output::Bytes(names.to_json().into_bytes()))
        })
    })
}

pub(crate) fn compact(handle: u64) -> Result<Output> {
    with_db_mut(handle, |db| db.compact().map(|_| Output::Unit))
}

/// Bit 0 of the flags of `vl_snapshot_async`, `vl_backup_async` and `vl_restore_async`:
/// replace an existing destination.
pub const FLAG_OVERWRITE: u32 = 1;

pub(crate) fn snapshot(handle: u64, dest: &str, overwrite: bool) -> Result<Output> {
    use crate::storage::destination;
    // The snapshot streams to the file under the handle's lock: no copy of the vectors in
    // memory, at the price of holding other calls on this handle while it writes.
    with_db_mut(handle, |db| {
        let dest = destination::check_file(Path::new(dest), Some(db.paths()), overwrite, "snapshot destination")?;
        // Dense slots let the snapshot carry the graphs instead of a rebuild at open.
        db.compact_memory();
        // A copy is a database of its own: its log can never be taken for this one's.
        let identity = crate::storage::format::SnapshotIdentity::new_database();
        destination::replace_database_file(&dest, |temp| db.write_snapshot_file(temp, identity))
    })?;
    Ok(Output::Unit)
}

