//! Reads off the JavaScript thread: the `_async` forms of search, count and list, and
//! `vl_search_batch_async`, each a job on the read pool (`pool.rs`) that takes the read side
//! of its database's lock, so reads of one or many handles run in parallel. A cheap read
//! (see `search/cost.rs`) runs at once on the calling thread when the pool is quiet; its
//! scalar then carries `FINISHED_INLINE`. Each copies its arguments, but for a batch's
//! queries, which are `Lent`.

use super::decode::{self, parse_args};
use super::handles::with_db;
use super::output::encode_rows;
use super::{bytes_arg, f32_arg, jobs, pool, run, Lent, Output};
use crate::error::{Error, Result};
use crate::search::{self, cost, options::SearchOptions};
use std::sync::Arc;

/// `flags` bit of a read: the caller allows it to run inline (TypeScript allows it only when
/// no other read of the process is in flight: under a server's load, reads issued together
/// go to the pool, leaving the JavaScript thread to the rest of the requests' work).
pub const READ_MAY_RUN_INLINE: u32 = 1;

/// Whether a read of `work` (per `cost.rs`) on `handle` may run inline.
fn cheap(flags: u32, handle: u64, work: impl FnOnce(&crate::db::Database) -> u64) -> bool {
    let limit = cost::inline_limit();
    flags & READ_MAY_RUN_INLINE != 0 && limit > 0 && with_db(handle, |db| Ok(work(db) <= limit)).unwrap_or(true)
}

fn check_flags(flags: u32) -> Result<()> {
    if flags & !READ_MAY_RUN_INLINE != 0 {
        return Err(Error::invalid(format!("read flags {flags:#x}: unknown bits")));
    }
    Ok(())
}

/// Sets the largest estimated work a read may run inline (0: none; see `search/cost.rs`);
/// the scalar is the previous limit. For tests, which must reach the pool with small data,
/// and for measuring the limit.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_pool_inline_work(work: u64, out: *mut u64) -> i32 {
    run(out, || Ok(Output::Scalar(cost::set_inline_limit(work))))
}

/// A search's query vector and decoded options.
///
/// # Safety
/// As for `vl_search`: the pairs describe readable memory for the call.
pub(crate) unsafe fn search_args<'a>(query: *const f32, query_len: usize, opts: *const u8, opts_len: usize) -> Result<(&'a [f32], SearchOptions)> {
    // SAFETY: forwarded caller contract.
    let query = unsafe { f32_arg(query, query_len, "query")? };
    // SAFETY: forwarded caller contract.
    let j = parse_args(unsafe { bytes_arg(opts, opts_len, "options")? }, "search options")?;
    Ok((query, decode::search_options(&j)?))
}

/// One search's rows, as `vl_search` returns them.
pub(crate) fn search_one(db: &crate::db::Database, query: &[f32], opts: &SearchOptions) -> Result<Vec<u8>> {
    // An empty query vector means a keyword-only search (`search(null, { sparse })`).
    let query = if query.is_empty() { None } else { Some(query) };
    let (hits, stats) = search::search(db, query, opts)?;
    Ok(encode_rows(&hits, opts.include_vectors, db.dimension, Some(&stats)))
}

/// `vl_search` as a read job (`flags`: `READ_MAY_RUN_INLINE`).
///
/// # Safety
/// Pointer/length pairs must describe readable memory (`query`: `query_len` f32).
#[no_mangle]
pub unsafe extern "C" fn vl_search_async(
    handle: u64,
    query: *const f32,
    query_len: usize,
    opts: *const u8,
    opts_len: usize,
    flags: u32,
    out: *mut u64,
) -> i32 {
    run(out, || {
        check_flags(flags)?;
        // SAFETY: forwarded caller contract.
        let (query, opts) = unsafe { search_args(query, query_len, opts, opts_len)? };
        let query = query.to_vec();
        let cheap = cheap(flags, handle, |db| cost::search(db, &opts));
        jobs::read(cheap, move || with_db(handle, |db| Ok(Output::Bytes(search_one(db, &query, &opts)?))))
    })
}

/// `vl_count` as a read job.
///
/// # Safety
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_count_async(handle: u64, opts: *const u8, opts_len: usize, flags: u32, out: *mut u64) -> i32 {
    run(out, || {
        check_flags(flags)?;
        // SAFETY: forwarded caller contract.
        let j = parse_args(unsafe { bytes_arg(opts, opts_len, "options")? }, "count options")?;
        let (sel, plan) = decode::count_options(&j)?;
        let cheap = cheap(flags, handle, |db| cost::count(db, &sel, plan.is_some()));
        jobs::read(cheap, move || {
            with_db(handle, |db| {
                let n = search::count(db, &sel, plan.as_ref());
                search::intact(db, &sel)?;
                Ok(Output::Scalar(n as u64))
            })
        })
    })
}

/// Rows per part of a list's result: TypeScript decodes a large list part by part,
/// yielding to the event loop between parts.
const LIST_PART_ROWS: usize = 1024;

/// `[u32 count]`, then per part `[u32 length]` and its bytes, padded to a multiple of four
/// (so that each part's floats stay aligned where TypeScript views them in place).
fn framed(count: usize, parts: impl Iterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&(count as u32).to_le_bytes());
    for part in parts {
        let padded = part.len().div_ceil(4) * 4;
        bytes.extend_from_slice(&(padded as u32).to_le_bytes());
        bytes.extend_from_slice(&part);
        bytes.resize(bytes.len() + padded - part.len(), 0);
    }
    bytes
}

/// `vl_list` as a read job; its result is framed (see `framed`): first the cursor of the
/// page's last record when more may follow (`[namespace, layout, slot, id]`, the layout as
/// decimal text) or `null`, as JSON; then its rows in parts of `LIST_PART_ROWS`, each as
/// `vl_list` returns rows.
///
/// # Safety
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_list_async(handle: u64, opts: *const u8, opts_len: usize, flags: u32, out: *mut u64) -> i32 {
    run(out, || {
        check_flags(flags)?;
        // SAFETY: forwarded caller contract.
        let j = parse_args(unsafe { bytes_arg(opts, opts_len, "options")? }, "list options")?;
        let opts = decode::list_options(&j)?;
        let cheap = cheap(flags, handle, |db| cost::list(db, &opts));
        jobs::read(cheap, move || {
            with_db(handle, |db| {
                let listed = search::list(db, &opts)?;
                let next = listed.next.as_ref().map_or_else(|| b"null".to_vec(), cursor_json);
                let rows = listed.hits.chunks(LIST_PART_ROWS).map(|part| encode_rows(part, opts.include_vectors, db.dimension, None));
                Ok(Output::Bytes(framed(1 + listed.hits.len().div_ceil(LIST_PART_ROWS), std::iter::once(next).chain(rows))))
            })
        })
    })
}

fn cursor_json(c: &crate::search::options::ListCursor) -> Vec<u8> {
    use crate::json::Json;
    let parts = vec![Json::String(c.namespace.clone()), Json::String(c.layout.to_string()), Json::Number(c.slot as f64), Json::String(c.id.clone())];
    Json::Array(parts).to_json().into_bytes()
}

/// Parts a batch of `n` queries is split into: a few per pool thread, so that a part that
/// takes longer (a harder query) leaves the others' threads busy with the rest.
fn batch_parts(n: usize) -> usize {
    (pool::size() * 4).clamp(1, n.max(1))
}

/// Many searches with one set of options: `queries` holds `n_queries` query vectors back to
/// back (`n_values / n_queries` values each; none for keyword-only searches, whose terms are
/// in the options). The result is framed (see `framed`): per query in order, its rows as
/// `vl_search` returns them.
///
/// # Safety
/// Pointer/length pairs must describe readable memory, which must stay alive and unchanged
/// until the job is collected; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_search_batch_async(
    handle: u64,
    queries: *const f32,
    n_values: usize,
    n_queries: u32,
    opts: *const u8,
    opts_len: usize,
    out: *mut u64,
) -> i32 {
    run(out, || {
        let n = n_queries as usize;
        // SAFETY: forwarded caller contract.
        let queries = Lent::new(unsafe { f32_arg(queries, n_values, "queries")? });
        if n == 0 && n_values > 0 || n > 0 && !n_values.is_multiple_of(n) {
            return Err(Error::invalid(format!("queries: {n_values} values do not split into {n} vectors")));
        }
        let width = n_values.checked_div(n).unwrap_or(0);
        // SAFETY: forwarded caller contract.
        let j = parse_args(unsafe { bytes_arg(opts, opts_len, "options")? }, "search options")?;
        let opts = Arc::new(decode::search_options(&j)?);
        let queries = Arc::new(queries);
        let parts = batch_parts(n);
        let per_part = n.div_ceil(parts.max(1)).max(1);
        let mut work: Vec<jobs::Part<Vec<Vec<u8>>>> = Vec::new();
        for start in (0..n).step_by(per_part) {
            let end = (start + per_part).min(n);
            let (opts, queries) = (opts.clone(), queries.clone());
            work.push(Box::new(move || {
                // SAFETY: the caller keeps the queries alive until it has collected the job.
                let all = unsafe { queries.get() };
                with_db(handle, |db| {
                    (start..end)
                        .map(|i| {
                            if crate::progress::cancelled() {
                                return Err(crate::progress::aborted("searchBatch"));
                            }
                            search_one(db, &all[i * width..(i + 1) * width], &opts)
                        })
                        .collect()
                })
            }));
        }
        jobs::read_parts(work, move |shares| Ok(Output::Bytes(framed(n, shares.into_iter().flatten()))))
    })
}
