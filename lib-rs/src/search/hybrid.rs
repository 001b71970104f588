//! The sparse (BM25) side of a search, and the fusion of both sides.
//!
//! Linear fusion normalises each side's scores over its own candidates to [0, 1]
//! (min-max: the best candidate gets 1, the worst 0; a side with one distinct score gives
//! its candidates 1), then adds them weighted: `denseWeight · dense + sparseWeight · sparse`,
//! a side where a record is not a candidate contributing 0. RRF adds `1 / (rrfK + rank)`
//! per side, ranks counted from 1. Ties are broken by namespace, then id.

use super::options::{Fusion, SearchOptions};
use super::selected;
use crate::db::Database;
use crate::vector::topk::{Candidate, TopK};
use std::collections::HashMap;

/// The best `n` records for the sparse query, by BM25, best first.
pub fn sparse_candidates<'a>(db: &'a Database, query: &[(String, f32)], n: usize, opts: &SearchOptions) -> Vec<Candidate<'a>> {
    let mut top = TopK::new(n);
    for (name, ns) in selected(db, &opts.namespaces) {
        super::with_filter(ns, opts.filter.as_ref(), opts.now, |filter| {
            ns.sparse().score_each(query, ns.slot_count(), &mut |slot, score| {
                // Once the pool is full most documents score below its worst: test that
                // first, before reading the record's id (a cache miss each) or the filter,
                // which cannot raise a score. A tie may still enter (ties go by id).
                if top.threshold().is_some_and(|worst| score < worst) {
                    return;
                }
                let Some(id) = ns.id_of(slot) else { return };
                if filter.is_some_and(|f| !ns.passes(f, slot)) {
                    return;
                }
                top.push(Candidate { score, namespace: name, id, slot });
            });
        });
    }
    top.into_sorted()
}

/// How one fused result was made.
#[derive(Debug, Clone, Default)]
pub struct Parts {
    pub dense_score: Option<f32>,
    pub sparse_score: Option<f32>,
    pub dense_rank: Option<usize>,
    pub sparse_rank: Option<usize>,
    pub mmr_penalty: Option<f32>,
}

fn normalise(list: &[Candidate]) -> impl Fn(f32) -> f32 {
    let max = list.iter().map(|c| c.score).fold(f32::NEG_INFINITY, f32::max);
    let min = list.iter().map(|c| c.score).fold(f32::INFINITY, f32::min);
    move |s| if max > min { (s - min) / (max - min) } else { 1.0 }
}

/// Fuses the two ranked lists; returns the best `k`, best first, with their parts.
pub fn fuse<'a>(dense: &[Candidate<'a>], sparse: &[Candidate<'a>], k: usize, fusion: Fusion) -> Vec<(Candidate<'a>, Parts)> {
    let mut parts: HashMap<(&str, u32), (Candidate<'a>, Parts)> = HashMap::new();
    for (i, c) in dense.iter().enumerate() {
        let e = parts.entry((c.namespace, c.slot)).or_insert((*c, Parts::default()));
        e.1.dense_score = Some(c.score);
        e.1.dense_rank = Some(i + 1);
    }
    for (i, c) in sparse.iter().enumerate() {
        let e = parts.entry((c.namespace, c.slot)).or_insert((*c, Parts::default()));
        e.1.sparse_score = Some(c.score);
        e.1.sparse_rank = Some(i + 1);
    }
    let (nd, ns) = (normalise(dense), normalise(sparse));
    let mut top = TopK::new(k);
    let mut by_key = HashMap::new();
    for (key, (mut c, p)) in parts {
        c.score = match fusion {
            Fusion::Linear { dense_weight, sparse_weight } => {
                dense_weight * p.dense_score.map_or(0.0, &nd) + sparse_weight * p.sparse_score.map_or(0.0, &ns)
            }
            Fusion::Rrf { k: rrf_k } => {
                let term = |rank: Option<usize>| rank.map_or(0.0, |r| 1.0 / (rrf_k + r as f32));
                term(p.dense_rank) + term(p.sparse_rank)
            }
        };
        top.push(c);
        by_key.insert(key, p);
    }
    top.into_sorted().into_iter().map(|c| (c, by_key.remove(&(c.namespace, c.slot)).unwrap_or_default())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: &'static str, slot: u32, score: f32) -> Candidate<'static> {
        Candidate { score, namespace: "", id, slot }
    }

    #[test]
    fn rrf_adds_reciprocal_ranks() {
        let dense = [c("a", 0, 0.9), c("b", 1, 0.8)];
        let sparse = [c("b", 1, 5.0), c("c", 2, 4.0)];
        let out = fuse(&dense, &sparse, 3, Fusion::Rrf { k: 60.0 });
        let ids: Vec<&str> = out.iter().map(|(c, _)| c.id).collect();
        assert_eq!(ids, vec!["b", "a", "c"]);
        assert!((out[0].0.score - (1.0 / 62.0 + 1.0 / 61.0)).abs() < 1e-7);
        assert_eq!(out[0].1.dense_rank, Some(2));
        assert_eq!(out[0].1.sparse_rank, Some(1));
    }

    #[test]
    fn linear_fusion_uses_min_max_normalised_scores() {
        let dense = [c("a", 0, 0.9), c("b", 1, 0.5)];
        let sparse = [c("b", 1, 10.0), c("c", 2, 2.0)];
        let out = fuse(&dense, &sparse, 3, Fusion::Linear { dense_weight: 1.0, sparse_weight: 1.0 });
        let get = |id: &str| out.iter().find(|(c, _)| c.id == id).unwrap().0.score;
        assert!((get("a") - 1.0).abs() < 1e-6);
        assert!((get("b") - 1.0).abs() < 1e-6); // 0 dense + 1 sparse
        assert!(get("c").abs() < 1e-6);
        assert_eq!(out[0].0.id, "a", "ties resolve by id");
    }
}
