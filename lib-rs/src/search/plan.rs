//! The query planner: for each namespace, an exact scan or the HNSW graph, and how hard
//! the graph search works. A filter that matches few records makes the exact scan over the
//! matching records the cheaper and exact choice; a broader filter is evaluated inside the
//! graph search (never "top-k then filter").

use super::options::SearchOptions;
use crate::db::Database;
use crate::filter::FilterPlan;
use crate::namespace::Namespace;
use crate::vector::space::{Method, VectorSpace};

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
    /// Candidates per result scored exactly after a quantized space's codes ranked them.
    pub rescore: usize,
    /// The search asked for an exact scan: float32 vectors only, never codes.
    pub exact: bool,
}

impl Chosen {
    /// How the vector space runs the plan.
    pub fn method(&self) -> Method {
        match self.plan {
            Plan::Ann => Method::Graph { ef: self.ef, rescore: self.rescore },
            Plan::Exact | Plan::FilteredExact if self.exact => Method::Exact,
            Plan::Exact | Plan::FilteredExact => Method::Scan { rescore: self.rescore },
        }
    }
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
/// the ANN benchmark's data at the default, bench/ann.ts).
pub fn default_ef(k: usize) -> usize {
    (2 * k).max(64)
}

/// The fraction of live records matching `filter`, from a sample of slots. The positions
/// are hashed, not evenly spaced: a stride can line up with a field written in a repeating
/// pattern (round-robin tenants, `i % 100`) and see only some of its values.
pub fn estimate_selectivity(ns: &Namespace, filter: &FilterPlan) -> f64 {
    let slots = ns.slot_count() as u64;
    if slots == 0 {
        return 0.0;
    }
    let (mut seen, mut matched) = (0usize, 0usize);
    // Through the filter's columns: a sampled record's metadata is decoded only when they
    // cannot answer (no expiry: the estimate is of the filter alone).
    let columns = ns.filter_columns(filter);
    let bound = crate::filter::BoundFilter::new(Some(filter), columns.iter().map(|c| c.as_ref()).collect(), None);
    let draws = if slots as usize <= SAMPLE { slots } else { SAMPLE as u64 };
    for i in 0..draws {
        let slot = if slots as usize <= SAMPLE { i } else { splitmix(i) % slots };
        if ns.is_live(slot as u32) {
            seen += 1;
            matched += ns.passes(&bound, slot as u32) as usize;
        }
    }
    if seen == 0 {
        0.0
    } else {
        matched as f64 / seen as f64
    }
}

/// SplitMix64: a well-mixed hash of the draw number.
fn splitmix(i: u64) -> u64 {
    let mut z = i.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The plan for one vector space of `ns` (its main vectors or a named space): the graph
/// only if the space has one.
pub fn choose(db: &Database, ns: &Namespace, space: &VectorSpace, opts: &SearchOptions, n: usize) -> Chosen {
    let (has_graph, size) = (space.graph().is_some(), space.len());
    let base_ef = opts.ef_search.or(db.ef_search).unwrap_or_else(|| default_ef(n)).max(n);
    let rescore = opts.rescore.unwrap_or_else(|| space.quantization().default_rescore());
    let chosen = |plan, ef| Chosen { plan, ef, rescore, exact: opts.exact };
    if opts.exact || !has_graph {
        let plan = if opts.filter.is_some() { Plan::FilteredExact } else { Plan::Exact };
        return chosen(plan, base_ef);
    }
    let Some(filter) = &opts.filter else {
        // A graph search visits a few hundred nodes at least, with overheads a scan lacks:
        // measured, scanning 1,000 x 384 took 35 µs against 64 µs through the graph.
        let plan = if size <= EXACT_AT_MOST_RECORDS_PER_EF * base_ef { Plan::Exact } else { Plan::Ann };
        return chosen(plan, base_ef);
    };
    let selectivity = estimate_selectivity(ns, filter);
    let expected = selectivity * size as f64;
    if selectivity < EXACT_BELOW_SELECTIVITY || expected <= EXACT_AT_MOST_MATCHES.max((4 * base_ef) as f64) {
        return chosen(Plan::FilteredExact, base_ef);
    }
    // Rejected nodes thin out the graph the search can use: widen the beam as matches get
    // rarer, from x1 at 10% and more to about x2.6 at 2% (below that the scan runs). The
    // search already walks through rejected nodes, so a broad filter needs no widening:
    // measured on 100,000 x 384 (bench/ann.ts), a 10% filter kept recall 1.0 at efSearch
    // 32, while widening the beam x2.5 there cost 4x the visited nodes.
    let widen = if selectivity >= 0.1 { 1.0 } else { 1.0 + (0.1 / selectivity).ln() };
    chosen(Plan::Ann, (base_ef as f64 * widen).ceil() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Json;
    use crate::record::Record;

    #[test]
    fn a_repeating_field_is_not_aliased_by_the_sample() {
        let mut ns = Namespace::new(1);
        for i in 0..100_000u32 {
            let meta = Json::Object(vec![("bucket".into(), Json::Number((i % 100) as f64))]);
            ns.upsert(Record { id: i.to_string(), metadata: meta, sparse: vec![], vectors: vec![] }, &[1.0]);
        }
        let plan = FilterPlan::parse(&crate::json::parse(br#"{"bucket":{"$lt":1}}"#, "f").unwrap()).unwrap();
        let s = estimate_selectivity(&ns, &plan);
        assert!(s < 0.02, "a 1% filter was estimated at {s}");
    }
}
