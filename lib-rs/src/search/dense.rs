//! The dense side of a search: per namespace, the main vector space searched the way the
//! planner chose (exact scan or HNSW graph), merged into one top-n.

use super::options::SearchOptions;
use super::{plan, selected, SearchStats};
use crate::db::Database;
use crate::namespace::Namespace;
use crate::vector::topk::{Candidate, Counters, Sink, TopK};

/// Turns a space's finds (record slots of one namespace) into candidates of the shared top-n.
struct Records<'t, 'a> {
    top: &'t mut TopK<Candidate<'a>>,
    ns: &'a Namespace,
    name: &'a str,
}

impl Sink for Records<'_, '_> {
    #[inline]
    fn threshold(&self) -> Option<f32> {
        self.top.threshold()
    }
    #[inline]
    fn offer(&mut self, score: f32, slot: u32) {
        // A record is read only for the finds that may enter the top n.
        if let Some(r) = self.ns.record(slot) {
            self.top.push(Candidate { score, namespace: self.name, id: &r.id, slot });
        }
    }
}

/// The best `n` records for `query`, best first.
pub fn candidates<'a>(db: &'a Database, query: &[f32], n: usize, opts: &SearchOptions, stats: &mut SearchStats) -> Vec<Candidate<'a>> {
    let mut top = TopK::new(n);
    let mut counters = Counters::default();
    for (name, ns) in selected(db, &opts.namespaces) {
        let space = ns.vectors();
        let chosen = plan::choose(db, ns, space, opts, n);
        stats.plan = chosen.plan;
        let mut sink = Records { top: &mut top, ns, name };
        let (metric, method) = (db.metric, chosen.method());
        let used_graph = super::with_filter(ns, opts.filter.as_ref(), |filter| match filter {
            // Two searches, not one with an optional filter: without one, the scan's loop
            // has no test per vector.
            None => space.search(metric, query, n, method, |_| true, &mut sink, &mut counters),
            Some(f) => {
                let accept = |slot: u32| ns.record(slot).is_some_and(|r| f.matches(slot, &r.metadata));
                space.search(metric, query, n, method, accept, &mut sink, &mut counters)
            }
        });
        stats.used_ann |= used_graph;
    }
    stats.visited += counters.visited;
    stats.filtered += counters.filtered;
    stats.rescored += counters.rescored;
    top.into_sorted()
}
