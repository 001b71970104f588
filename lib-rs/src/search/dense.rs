//! The dense side of a search: per namespace, the exact scan or the HNSW graph (as the
//! planner decides), merged into one top-n.

use super::options::SearchOptions;
use super::{plan, selected, SearchStats};
use crate::db::Database;
use crate::vector::flat::{self, Candidate, ScanStats, TopK};
use crate::vector::hnsw::{HnswCounters, Space};

/// The best `n` records for `query`, best first.
pub fn candidates<'a>(db: &'a Database, query: &[f32], n: usize, opts: &SearchOptions, stats: &mut SearchStats) -> Vec<Candidate<'a>> {
    let mut top = TopK::new(n);
    let mut scan = ScanStats::default();
    for (name, ns) in selected(db, &opts.namespaces) {
        let chosen = plan::choose(db, ns, opts, n);
        stats.plan = chosen.plan;
        super::with_filter(ns, opts.filter.as_ref(), |filter| match (chosen.plan, ns.index()) {
            (plan::Plan::Ann, Some(graph)) => {
                stats.used_ann = true;
                let accept = |slot: u32| match (filter, ns.record(slot)) {
                    (_, None) => false,
                    (None, Some(_)) => true,
                    (Some(f), Some(r)) => f.matches(slot, &r.metadata),
                };
                let mut counters = HnswCounters::default();
                let found = graph.search(query, n, chosen.ef, &ns.space(db.metric), &accept, &mut counters);
                scan.visited += counters.visited;
                scan.filtered += counters.filtered;
                for (score, slot) in found {
                    if let Some(r) = ns.record(slot) {
                        top.push(Candidate { score, namespace: name, id: &r.id, slot });
                    }
                }
                // Records written with the graph left behind (a bulk ingest in progress);
                // nothing to do, and nothing computed, in the usual case.
                let pending = ns.unindexed();
                let space = ns.space(db.metric);
                let inv_q = if pending.is_empty() { 0.0 } else { crate::vector::distance::inverse_norm(query) };
                for &slot in pending {
                    if let (true, Some(r)) = (accept(slot), ns.record(slot)) {
                        scan.visited += 1;
                        top.push(Candidate { score: space.score(query, inv_q, slot), namespace: name, id: &r.id, slot });
                    }
                }
            }
            _ => flat::scan(ns, name, db.metric, query, filter, &mut top, &mut scan),
        });
    }
    stats.visited += scan.visited;
    stats.filtered += scan.filtered;
    top.into_sorted()
}
