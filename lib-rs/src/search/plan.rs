//! The query planner: for each namespace, an exact scan or the HNSW graph, and how hard
//! the graph search works. A filter that matches few records makes the exact scan over the
//! matching records the cheaper and exact choice; a broader filter is evaluated inside the
//! graph search (never "top-k then filter").

use super::options::SearchOptions;
use crate::db::Database;
use crate::filter::FilterPlan;
use crate::namespace::Namespace;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Every record scored (no graph, `exact: true`, or a small namespace).
    #[default]
    Exact,
    /// A filter matching few records: scan, scoring the matching ones only.
    FilteredExact,
    /// The HNSW graph, with the filter inside the search.
    Ann,
}

impl Plan {
    pub fn name(self) -> &'static str {
        match self {
            Plan::Exact => "exact",
            Plan::FilteredExact => "filtered-exact",
            Plan::Ann => "hnsw",
        }
    }
}

pub struct Chosen {
    pub plan: Plan,
    pub ef: usize,
}

/// Records sampled to estimate a filter's selectivity.
const SAMPLE: usize = 512;
/// Below this estimated fraction of matching records the exact scan wins: with the filter
/// read from metadata columns (a few ns a record), scoring only the matches beats a graph
/// search that must walk past the many rejected nodes.
const EXACT_BELOW_SELECTIVITY: f64 = 0.02;
/// Without a filter, a namespace of at most this many records per unit of ef is scanned.
const EXACT_AT_MOST_RECORDS_PER_EF: usize = 32;
/// ... and so it does whenever this few records match, whatever the fraction.
const EXACT_AT_MOST_MATCHES: f64 = 2_000.0;

/// The search effort when the query sets none: grows with k (measured: recall@10 >= 0.95 on
/// the benchmark's data at the default; see bench/RESULTS.md).
pub fn default_ef(k: usize) -> usize {
    (2 * k).max(64)
}

/// The fraction of live records matching `filter`, from an evenly spaced sample.
pub fn estimate_selectivity(ns: &Namespace, filter: &FilterPlan) -> f64 {
    let slots = ns.slot_count();
    let step = (slots / SAMPLE).max(1);
    let (mut seen, mut matched) = (0usize, 0usize);
    for slot in (0..slots).step_by(step) {
        if let Some(r) = ns.record(slot as u32) {
            seen += 1;
            matched += filter.matches(&r.metadata) as usize;
        }
    }
    if seen == 0 {
        0.0
    } else {
        matched as f64 / seen as f64
    }
}

/// `n` is how many results the namespace must contribute (k, or a fusion pool).
pub fn choose(db: &Database, ns: &Namespace, opts: &SearchOptions, n: usize) -> Chosen {
    let base_ef = opts.ef_search.or(db.ef_search).unwrap_or_else(|| default_ef(n)).max(n);
    if opts.exact || ns.index().is_none() {
        let plan = if opts.filter.is_some() { Plan::FilteredExact } else { Plan::Exact };
        return Chosen { plan, ef: base_ef };
    }
    let Some(filter) = &opts.filter else {
        // A graph search visits a few hundred nodes at least, with overheads a scan lacks:
        // measured, scanning 1,000 x 384 took 35 µs against 64 µs through the graph.
        let plan = if ns.len() <= EXACT_AT_MOST_RECORDS_PER_EF * base_ef { Plan::Exact } else { Plan::Ann };
        return Chosen { plan, ef: base_ef };
    };
    let selectivity = estimate_selectivity(ns, filter);
    let expected = selectivity * ns.len() as f64;
    if selectivity < EXACT_BELOW_SELECTIVITY || expected <= EXACT_AT_MOST_MATCHES.max((4 * base_ef) as f64) {
        return Chosen { plan: Plan::FilteredExact, ef: base_ef };
    }
    // Rejected nodes thin out the graph the search can use: widen the beam as matches get
    // rarer (x1 for everything, about x3 at 10%, x4 at 1%).
    let widen = (1.0 + (1.0 / selectivity).ln() * 0.65).min(4.0);
    Chosen { plan: Plan::Ann, ef: (base_ef as f64 * widen).ceil() as usize }
}
