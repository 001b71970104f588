//! How much work a read is, roughly, before it runs: the records it scores times the values
//! it reads of each. A read of at most `inline_limit()` may run on the calling thread when
//! nothing else is running (TypeScript's rules: no other read in flight, the event loop not
//! busy; and the read pool quiet): for one read alone that is faster than the pool's round
//! trip, which costs two thread wake-ups.

use super::options::{ListOptions, NamespaceSelection, SearchOptions};
use super::selected;
use crate::db::Database;
use std::sync::atomic::{AtomicU64, Ordering};

/// The largest estimated work run inline: about 0.6 ms of scoring on one core, the longest a
/// read may hold an idle event loop. Measured with `bench/read-inline.ts`: an exact search
/// scores about 6,800 work units per µs (8,000 x 128 in 176-191 µs), and the pool's round
/// trip adds 65-115 µs on Bun, Deno and Node, which inline reads save; with TypeScript's
/// chain rule (a chain of inline reads holding the loop for 4 ms sends the next read to the
/// pool), the loop waits at most about 5 ms.
pub const INLINE_WORK: u64 = 1 << 22;

/// Records a graph search visits per unit of efSearch, about (`stats.visited` on the ANN
/// benchmark's 100,000 x 384: 470 at efSearch 16, 890 at 64, 1,310 at 256).
const GRAPH_VISITS_PER_EF: u64 = 16;

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

/// A search's work: the records it scores, at the dimension. A graph search without a
/// filter scores about `GRAPH_VISITS_PER_EF x efSearch`; any other, every record of the
/// searched namespaces (a bound: a filtered search may score fewer).
pub fn search(db: &Database, opts: &SearchOptions) -> u64 {
    // A multi-vector query scores every query vector against every vector of a candidate.
    let late = opts.multi_vector.as_ref().map_or(0, |m| m.values.len() as u64 * 32);
    let per_record = db.dimension as u64 * (1 + opts.vectors.len() as u64) + late + 16;
    let by_graph = opts.multi_vector.is_none() && !opts.exact && opts.filter.is_none() && opts.vectors.is_empty() && opts.vector_name.is_none();
    let ef = opts.ef_search.or(db.ef_search).unwrap_or_else(|| super::plan::default_ef(opts.k)) as u64;
    let scored: u64 = selected(db, &opts.namespaces)
        .iter()
        .map(|(_, ns)| {
            let n = ns.len() as u64;
            if by_graph && ns.vectors().graph().is_some() { n.min(GRAPH_VISITS_PER_EF.saturating_mul(ef)) } else { n }
        })
        .sum();
    scored.saturating_mul(per_record)
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
