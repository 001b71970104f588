//! How much work a read is, roughly, before it runs: the bound its exact form would reach
//! (records it may visit, times the values it reads of each). A read at most `INLINE_WORK`
//! runs on the caller's thread when the read pool is quiet, because handing it to a pool
//! thread and waking the JavaScript thread afterwards costs more than the read itself.

use super::options::{ListOptions, NamespaceSelection, SearchOptions};
use super::selected;
use crate::db::Database;
use std::sync::atomic::{AtomicU64, Ordering};

/// The largest estimated work run inline: about 40 µs of scoring on one core. Measured with
/// `bench/read-inline.ts` (docs/architecture.md, "Reads off the event loop"): at this size
/// an inline exact search and one through the pool took the same wall time.
pub const INLINE_WORK: u64 = 1 << 17;

static INLINE_LIMIT: AtomicU64 = AtomicU64::new(INLINE_WORK);

/// The largest work run inline now: `INLINE_WORK` unless changed (tests send every read to
/// the pool with 0).
pub fn inline_limit() -> u64 {
    INLINE_LIMIT.load(Ordering::Relaxed)
}

/// Sets the largest work run inline; returns the previous limit.
pub fn set_inline_limit(work: u64) -> u64 {
    INLINE_LIMIT.swap(work, Ordering::Relaxed)
}

fn records(db: &Database, sel: &NamespaceSelection) -> u64 {
    selected(db, sel).iter().map(|(_, ns)| ns.len() as u64).sum()
}

/// A search's work: every record of the searched namespaces at the dimension (the graph
/// walk of a large space visits fewer, but such a space is never cheap anyway).
pub fn search(db: &Database, opts: &SearchOptions) -> u64 {
    let per_record = db.dimension as u64 * (1 + opts.vectors.len() as u64) + 16;
    records(db, &opts.namespaces).saturating_mul(per_record)
}

/// A count's work: one step per record with a filter, none without.
pub fn count(db: &Database, sel: &NamespaceSelection, filtered: bool) -> u64 {
    if filtered { records(db, sel).saturating_mul(16) } else { 0 }
}

/// A list's work: the records it walks and those it returns (with their vectors).
pub fn list(db: &Database, opts: &ListOptions) -> u64 {
    let walked = records(db, &opts.namespaces);
    let returned = if opts.limit == 0 { walked } else { walked.min(opts.limit as u64) };
    let per_returned = if opts.include_vectors { db.dimension as u64 + 64 } else { 64 };
    walked.saturating_mul(16).saturating_add(returned.saturating_mul(per_returned))
}
