//! Late-interaction search over a multi-vector space (`multiVector`): a record's dense
//! score is MaxSim, the sum over the query's vectors of their best similarity to any of the
//! record's vectors in that space (similarity as a single-vector search scores it). Only
//! records with vectors in the space are candidates.
//!
//! Candidates: when a namespace's space holds more records than `candidates` (default
//! max(10 × the pool asked for, 1,000)) and the search is not `exact`, the `candidates`
//! records whose mean vector is most similar to the query's mean vector are kept (an exact
//! scan of the means, records × dimension work), then each is scored by exact MaxSim;
//! otherwise every record passing the filter is scored by MaxSim. Scores returned are always
//! exact MaxSim; only which records are considered is approximate.

use super::options::{MultiVectorQuery, SearchOptions};
use super::plan::Plan;
use super::{selected, SearchStats};
use crate::db::{check_finite, Database};
use crate::error::{Code, Error, Result};
use crate::multi_vector::{mean_of, MaxSimQuery, MAX_TOKENS};
use crate::vector::distance::{self, inverse_norm};
use crate::vector::topk::{Candidate, TopK};

/// A checked multi-vector query: its space, its vectors back to back, their mean.
pub struct LateQuery<'q> {
    pub name: &'q str,
    pub query: MaxSimQuery<'q>,
    mean: Vec<f32>,
    mean_inv: f32,
    candidates: Option<usize>,
}

/// Checks the query against its space.
pub fn prepare<'q>(db: &Database, q: &'q MultiVectorQuery) -> Result<LateQuery<'q>> {
    let Some(&dim) = db.multi_dims.get(&q.name) else {
        return Err(Error::invalid(format!("no multi-vector space {:?} in this database", q.name)));
    };
    let count = q.values.len().checked_div(q.dim).unwrap_or(0);
    if count == 0 || count > MAX_TOKENS {
        return Err(Error::invalid(format!("multiVector.query must hold 1 to {MAX_TOKENS} vectors, found {count}")));
    }
    if q.dim != dim {
        return Err(Error::new(
            Code::DimensionMismatch,
            format!("multiVector.query vectors have {} values, the multi-vector space {:?} has dimension {dim}", q.dim, q.name),
        ));
    }
    check_finite(&q.values, "multiVector.query")?;
    let mean = mean_of(&q.values, dim);
    let mean_inv = inverse_norm(&mean);
    Ok(LateQuery { name: &q.name, query: MaxSimQuery::new(&q.values, dim), mean, mean_inv, candidates: q.candidates })
}

/// The best `n` records by MaxSim, best first.
/// The fewest records the mean-vector stage keeps: MaxSim over a thousand records costs about a
/// millisecond, and a shortlist of a hundred missed a third of the exact top 10 on records
/// covering two topics (tests/multi-vector.test.ts, recall).
const DEFAULT_SHORTLIST: usize = 1_000;

pub fn candidates<'a>(db: &'a Database, q: &LateQuery, n: usize, opts: &SearchOptions, stats: &mut SearchStats) -> Vec<Candidate<'a>> {
    let mut top = TopK::new(n);
    let shortlist = q.candidates.unwrap_or_else(|| n.saturating_mul(10).max(DEFAULT_SHORTLIST)).max(n);
    let mut scratch = Vec::new();
    for (name, ns) in selected(db, &opts.namespaces) {
        let Some(space) = ns.multi_spaces().get(q.name) else { continue };
        super::with_filter(ns, opts.filter.as_ref(), opts.now, |filter| {
            let passes = |slot: u32, stats: &mut SearchStats| {
                let id = ns.id_of(slot)?;
                if filter.is_some_and(|f| !ns.passes(f, slot)) {
                    stats.filtered += 1;
                    return None;
                }
                Some(id)
            };
            // Scan order does not matter: equal scores rank by namespace and id.
            let slots: Vec<u32> = if opts.exact || space.len() <= shortlist {
                space.iter_slots().collect()
            } else {
                // The shortlist: records ranked by the similarity of their mean vector.
                let mut by_mean = TopK::new(shortlist);
                for slot in space.iter_slots() {
                    let (Some(id), Some((mean, inv))) = (passes(slot, stats), space.mean(slot)) else { continue };
                    let score = distance::score(db.metric, &q.mean, q.mean_inv, mean, inv);
                    by_mean.push(Candidate { score, namespace: name, id, slot });
                }
                by_mean.into_sorted().into_iter().map(|c| c.slot).collect()
            };
            for slot in slots {
                let (Some(id), Some(values)) = (passes(slot, stats), space.get(slot)) else { continue };
                stats.visited += 1;
                let score = q.query.score(db.metric, values, &mut scratch);
                top.push(Candidate { score, namespace: name, id, slot });
            }
            stats.plan = if filter.is_some() { Plan::FilteredExact } else { Plan::Exact };
        });
    }
    top.into_sorted()
}
