//! The read path: search (exact scan for now), get, count and list.

pub mod options;
pub mod plan;

use crate::db::{check_finite, Database};
use crate::error::{Code, Error, Result};
use crate::filter::FilterPlan;
use crate::namespace::Namespace;
use crate::record::Record;
use crate::vector::flat::{self, Candidate, ScanStats, TopK};
use crate::vector::hnsw::HnswCounters;
use options::{ListOptions, NamespaceSelection, SearchOptions};
use std::time::Instant;

/// One search result, borrowed from the database.
pub struct Hit<'a> {
    pub score: f32,
    pub namespace: &'a str,
    pub record: &'a Record,
    pub vector: &'a [f32],
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SearchStats {
    pub total_us: u64,
    pub dense_us: u64,
    pub visited: usize,
    pub filtered: usize,
    pub candidates: usize,
    /// Whether any namespace was searched through its HNSW graph.
    pub used_ann: bool,
    /// The plan of the last namespace searched (all of them when there is one).
    pub plan: plan::Plan,
}

fn selected<'a>(db: &'a Database, sel: &NamespaceSelection) -> Vec<(&'a String, &'a Namespace)> {
    db.namespaces.iter().filter(|(name, _)| sel.matches(name)).collect()
}

pub fn search<'a>(db: &'a Database, query: &[f32], opts: &SearchOptions) -> Result<(Vec<Hit<'a>>, SearchStats)> {
    let started = Instant::now();
    if query.len() != db.dimension {
        return Err(Error::new(
            Code::DimensionMismatch,
            format!("query has {} values, the database has dimension {}", query.len(), db.dimension),
        ));
    }
    check_finite(query, "query vector")?;
    let mut top = TopK::new(opts.k);
    let mut scan_stats = ScanStats::default();
    let mut used_ann = false;
    let mut last_plan = plan::Plan::Exact;
    for (name, ns) in selected(db, &opts.namespaces) {
        let chosen = plan::choose(db, ns, opts);
        last_plan = chosen.plan;
        match (chosen.plan, ns.index()) {
            (plan::Plan::Ann, Some(graph)) => {
                used_ann = true;
                let filter = opts.filter.as_ref();
                let accept = |slot: u32| match (filter, ns.record(slot)) {
                    (_, None) => false,
                    (None, Some(_)) => true,
                    (Some(p), Some(r)) => p.matches(&r.metadata),
                };
                let mut counters = HnswCounters::default();
                let found = graph.search(query, opts.k, chosen.ef, &ns.space(db.metric), &accept, &mut counters);
                scan_stats.visited += counters.visited;
                scan_stats.filtered += counters.filtered;
                for (score, slot) in found {
                    if let Some(r) = ns.record(slot) {
                        top.push(Candidate { score, namespace: name, id: &r.id, slot });
                    }
                }
            }
            _ => flat::scan(ns, name, db.metric, query, opts.filter.as_ref(), &mut top, &mut scan_stats),
        }
    }
    let hits: Vec<Hit<'a>> = top
        .into_sorted()
        .into_iter()
        .filter_map(|c| {
            let ns = db.namespaces.get(c.namespace)?;
            Some(Hit { score: c.score, namespace: c.namespace, record: ns.record(c.slot)?, vector: ns.vector(c.slot) })
        })
        .collect();
    let elapsed = started.elapsed().as_micros() as u64;
    let stats = SearchStats {
        total_us: elapsed,
        dense_us: elapsed,
        visited: scan_stats.visited,
        filtered: scan_stats.filtered,
        candidates: hits.len(),
        used_ann,
        plan: last_plan,
    };
    Ok((hits, stats))
}

pub fn get<'a>(db: &'a Database, namespace: &str, id: &str) -> Option<Hit<'a>> {
    let (name, ns) = db.namespaces.get_key_value(namespace)?;
    let slot = ns.slot_of(id)?;
    Some(Hit { score: 0.0, namespace: name, record: ns.record(slot)?, vector: ns.vector(slot) })
}

pub fn count(db: &Database, sel: &NamespaceSelection, filter: Option<&FilterPlan>) -> usize {
    selected(db, sel)
        .into_iter()
        .map(|(_, ns)| match filter {
            None => ns.len(),
            Some(plan) => ns.iter().filter(|(_, r)| plan.matches(&r.metadata)).count(),
        })
        .sum()
}

/// Records in namespace order, then storage order (insertion order, with the places of
/// deleted records reused), after `offset`, at most `limit` (0 = all).
pub fn list<'a>(db: &'a Database, opts: &ListOptions) -> Vec<Hit<'a>> {
    let limit = if opts.limit == 0 { usize::MAX } else { opts.limit };
    let mut out = Vec::new();
    let mut skipped = 0;
    for (name, ns) in selected(db, &opts.namespaces) {
        for (slot, record) in ns.iter() {
            if out.len() >= limit {
                return out;
            }
            if opts.filter.as_ref().is_some_and(|p| !p.matches(&record.metadata)) {
                continue;
            }
            if skipped < opts.offset {
                skipped += 1;
                continue;
            }
            out.push(Hit { score: 0.0, namespace: name, record, vector: ns.vector(slot) });
        }
    }
    out
}

/// Ids matching `filter` in one namespace (for deleteByFilter).
pub fn matching_ids(db: &Database, namespace: &str, filter: Option<&FilterPlan>) -> Vec<String> {
    match db.namespaces.get(namespace) {
        None => Vec::new(),
        Some(ns) => ns
            .iter()
            .filter(|(_, r)| filter.is_none_or(|p| p.matches(&r.metadata)))
            .map(|(_, r)| r.id.clone())
            .collect(),
    }
}
