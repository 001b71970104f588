//! `extern "C"` symbols for data management: transactions, backup and restore.
//! Same conventions as `exports.rs`.

use super::handles::{with_db, with_db_mut};
use super::{bytes_arg, f32_arg, run, Output};
use crate::error::Result;
use crate::json::{self, Json};
use std::path::Path;

fn parse_json(bytes: &[u8], what: &str) -> Result<Json> {
    json::parse(bytes, what)
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

pub(crate) fn commit(handle: u64, vectors: &[f32], ops: &[u8]) -> Result<Output> {
    let json = parse_json(ops, "transaction operations")?;
    let (dimension, analyzer) = with_db(handle, |db| Ok((db.dimension, db.text_analyzer())))?;
    let ops = super::input::transaction_ops(&json, vectors, dimension, &analyzer)?;
    with_db_mut(handle, |db| {
        Ok(Output::Scalar(db.commit_transaction(ops)? as u64))
    })
}

/// Writes a full backup into the directory `dir`; the buffer is the manifest JSON.
pub(crate) fn backup(handle: u64, dir: &str, overwrite: bool) -> Result<Output> {
    with_db_mut(handle, |db| {
        db.compact_memory();
        Ok(Output::Bytes(crate::backup::backup(db, Path::new(dir), overwrite)?.to_json().into_bytes()))
    })
}

/// Verifies the backup in `dir` and writes its database at `dest`.
pub(crate) fn restore(dir: &str, dest: &str, overwrite: bool) -> Result<Output> {
    crate::backup::restore(Path::new(dir), Path::new(dest), overwrite).map(|_| Output::Unit)
}
