//! The dense side of a search: per namespace, the main vector space searched the way the
//! planner chose (exact scan or HNSW graph), merged into one top-n.

use super::options::SearchOptions;
use super::{plan, selected, SearchStats};
use crate::db::Database;
use crate::namespace::Namespace;
use crate::vector::distance;
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
        if let Some(id) = self.ns.id_of(slot) {
            self.top.push(Candidate { score, namespace: self.name, id, slot });
        }
    }
}

/// A Matryoshka prefix search over one namespace: every live record (that the filter
/// accepts) scored exactly on the first `prefix.len()` dimensions of its main vector. Cosine
/// takes each prefix's own norm, so a prefix is compared as a vector of its own.
fn prefix_scan(db: &Database, ns: &Namespace, prefix: &[f32], filter: Option<&crate::filter::BoundFilter>, sink: &mut Records, counters: &mut Counters) {
    let space = ns.vectors();
    let inv_q = distance::inverse_norm(prefix);
    let cosine = db.metric == distance::Metric::Cosine;
    for slot in space.live_slots() {
        if let Some(f) = filter {
            if !ns.passes(f, slot) {
                counters.filtered += 1;
                continue;
            }
        }
        let v = &space.vector(slot)[..prefix.len()];
        let inv_v = if cosine { distance::inverse_norm(v) } else { 0.0 };
        counters.visited += 1;
        sink.offer(distance::score(db.metric, prefix, inv_q, v, inv_v), slot);
    }
}

/// The best `n` records for `query`, best first.
pub fn candidates<'a>(db: &'a Database, query: &[f32], n: usize, opts: &SearchOptions, stats: &mut SearchStats) -> Vec<Candidate<'a>> {
    let mut top = TopK::new(n);
    let mut counters = Counters::default();
    for (name, ns) in selected(db, &opts.namespaces) {
        let space = ns.vectors();
        if let Some(d) = opts.truncate_dim {
            let mut sink = Records { top: &mut top, ns, name };
            super::with_filter(ns, opts.filter.as_ref(), opts.now, |filter| prefix_scan(db, ns, &query[..d], filter, &mut sink, &mut counters));
            stats.plan = super::plan::Plan::Exact;
            continue;
        }
        let chosen = plan::choose(db, ns, space, opts, n);
        stats.plan = chosen.plan;
        let mut sink = Records { top: &mut top, ns, name };
        let (metric, method) = (db.metric, chosen.method());
        let used_graph = super::with_filter(ns, opts.filter.as_ref(), opts.now, |filter| match filter {
            // Two searches, not one with an optional filter: without one, the scan's loop
            // has no test per vector.
            None => space.search(metric, query, n, method, |_| true, &mut sink, &mut counters),
            Some(f) => {
                let accept = |slot: u32| ns.passes(f, slot);
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
