//! Searching named vector spaces: `vectorName` scores one space, `vectors` + `vectorWeights`
//! scores several at once (a weighted sum of each space's score; a record without a vector
//! in a space gets 0 there).
//!
//! When every queried space of a namespace has a graph and the planner picks it, each space's
//! search proposes its best records (the graph with the filter inside, plus the vectors not
//! in the graph yet), and the union is scored exactly over all queried spaces; otherwise the
//! namespace's records are scanned with the filter inside (a weighted sum over several
//! spaces has no one space to scan).

use super::options::SearchOptions;
use super::plan::{self, Plan};
use super::{selected, SearchStats};
use crate::db::{check_finite, Database};
use crate::error::{Code, Error, Result};
use crate::filter::BoundFilter;
use crate::named_space::NamedSpace;
use crate::namespace::Namespace;
use crate::vector::distance::{self, inverse_norm};
use crate::vector::space::{Method, VectorSpace};
use crate::vector::topk::{Candidate, Counters, TopK};
use std::collections::HashSet;

/// One query space: its name ("" is the main vector), query vector, weight.
pub struct SpaceQuery<'q> {
    pub name: &'q str,
    pub query: &'q [f32],
    pub inv_norm: f32,
    pub weight: f32,
}

/// Checks every query vector against its space's dimension.
pub fn spaces<'q>(db: &Database, main: Option<&'q [f32]>, opts: &'q SearchOptions) -> Result<Vec<SpaceQuery<'q>>> {
    let mut out = Vec::new();
    let mut push = |name: &'q str, q: &'q [f32], weight: f32| -> Result<()> {
        let dim = if name.is_empty() { Some(db.dimension) } else { db.named_dims.get(name).copied() };
        let Some(dim) = dim else {
            return Err(Error::invalid(format!("no named vector space {name:?} in this database")));
        };
        if q.len() != dim {
            return Err(Error::new(
                Code::DimensionMismatch,
                format!("query for vector space {name:?} has {} values, the space has dimension {dim}", q.len()),
            ));
        }
        check_finite(q, &format!("query for vector space {name:?}"))?;
        out.push(SpaceQuery { name, query: q, inv_norm: inverse_norm(q), weight });
        Ok(())
    };
    if let Some(name) = &opts.vector_name {
        let q = main.ok_or_else(|| Error::invalid("vectorName needs a query vector"))?;
        push(name, q, 1.0)?;
    }
    for (name, q) in &opts.vectors {
        push(name, q, opts.weight_of(name))?;
    }
    if opts.vector_name.is_none() {
        if let Some(q) = main {
            push("", q, opts.weight_of(""))?;
        }
    }
    Ok(out)
}

/// The score of the record at `slot` in each space, and their weighted sum; the vectors
/// are read from the spaces, the record itself is not decoded.
pub fn score_record(db: &Database, ns: &Namespace, slot: u32, spaces: &[SpaceQuery]) -> (f32, Vec<(String, f32)>) {
    let mut total = 0.0;
    let mut parts = Vec::with_capacity(spaces.len());
    for s in spaces {
        let v = if s.name.is_empty() {
            Some((ns.vector(slot), ns.inv_norm(slot)))
        } else {
            ns.named_spaces().get(s.name).and_then(|space| space.vector_of(slot))
        };
        if let Some((v, inv)) = v {
            let score = distance::score(db.metric, s.query, s.inv_norm, v, inv);
            total += s.weight * score;
            parts.push((s.name.to_string(), score));
        }
    }
    (total, parts)
}

/// The best `n` records over the query spaces, best first.
pub fn candidates<'a>(db: &'a Database, spaces: &[SpaceQuery], n: usize, opts: &SearchOptions, stats: &mut SearchStats) -> Vec<Candidate<'a>> {
    let mut top = TopK::new(n);
    let needs_named = spaces.iter().any(|s| !s.name.is_empty());
    for (name, ns) in selected(db, &opts.namespaces) {
        super::with_filter(ns, opts.filter.as_ref(), opts.now, |filter| {
            if let Some(slots) = graph_candidates(db, ns, spaces, n, opts, filter, stats) {
                for slot in slots {
                    if let Some(id) = ns.id_of(slot) {
                        let (score, _) = score_record(db, ns, slot, spaces);
                        top.push(Candidate { score, namespace: name, id, slot });
                    }
                }
                return;
            }
            stats.plan = if filter.is_some() { Plan::FilteredExact } else { Plan::Exact };
            for slot in ns.slots() {
                let in_space = |s: &SpaceQuery| ns.named_spaces().get(s.name).is_some_and(|space| space.vector_of(slot).is_some());
                if needs_named && !spaces.iter().any(|s| !s.name.is_empty() && in_space(s)) {
                    continue; // in no queried named space
                }
                if filter.is_some_and(|f| !ns.passes(f, slot)) {
                    stats.filtered += 1;
                    continue;
                }
                let Some(id) = ns.id_of(slot) else { continue };
                stats.visited += 1;
                let (score, _) = score_record(db, ns, slot, spaces);
                top.push(Candidate { score, namespace: name, id, slot });
            }
        });
    }
    top.into_sorted()
}

/// Record slots proposed by the graphs of the queried spaces, or None when a space has no
/// graph or the planner prefers a scan for one of them (then the caller scans).
fn graph_candidates(
    db: &Database,
    ns: &Namespace,
    spaces: &[SpaceQuery],
    n: usize,
    opts: &SearchOptions,
    filter: Option<&BoundFilter>,
    stats: &mut SearchStats,
) -> Option<HashSet<u32>> {
    // Per space: its vectors, the named space mapping its slots to records (None: the main
    // vectors, whose slots are the record slots) and how to search it.
    let mut plans: Vec<(&SpaceQuery, &VectorSpace, Option<&NamedSpace>, Method)> = Vec::new();
    for s in spaces {
        let named = if s.name.is_empty() { None } else { Some(ns.named_spaces().get(s.name)?) };
        let space = named.map_or(ns.vectors(), NamedSpace::vectors);
        let chosen = plan::choose(db, ns, space, opts, n);
        if chosen.plan != Plan::Ann {
            return None;
        }
        plans.push((s, space, named, chosen.method()));
    }
    let mut found = HashSet::new();
    let mut counters = Counters::default();
    for (s, space, named, method) in plans {
        let record_of = |slot: u32| match named {
            Some(named) => named.owner(slot),
            None => space.is_live(slot).then_some(slot),
        };
        let accept = |slot: u32| match record_of(slot) {
            None => false,
            Some(r) => ns.is_live(r) && filter.is_none_or(|f| ns.passes(f, r)),
        };
        // The caller scores every candidate exactly over all queried spaces: the graph's
        // finds and the vectors not in the graph yet simply join.
        let mut join = |_: f32, slot: u32| found.extend(record_of(slot));
        space.search(db.metric, s.query, n, method, accept, &mut join, &mut counters);
    }
    stats.visited += counters.visited;
    stats.filtered += counters.filtered;
    stats.rescored += counters.rescored;
    stats.used_ann = true;
    stats.plan = Plan::Ann;
    Some(found)
}
