//! Maximal marginal relevance (Carbonell & Goldstein): from the best `fetchK` candidates,
//! pick `k` one at a time, each maximising
//! `λ · relevance − (1 − λ) · max similarity to the ones already picked`.
//! Relevance is, for a dense query, the cosine similarity of the query and the candidate's
//! vector (the textbook's Sim1, as LangChain and Qdrant compute it); where scores are not
//! similarities (keyword, hybrid fusion, named-vector queries), the candidates' scores min-max
//! normalised to [0, 1]. λ = 1 is pure relevance, λ = 0 pure diversity. Similarity between
//! candidates is the cosine of their stored main vectors, floored at 0: an opposite vector is
//! not redundant, but not a bonus either.

use crate::db::Database;
use crate::vector::distance;
use crate::vector::topk::Candidate;

/// How relevance to the query is measured (see the module's text).
#[derive(Debug, Clone, Copy)]
pub enum Relevance<'q> {
    /// The cosine similarity of this dense query and each candidate's main vector.
    Similarity(&'q [f32]),
    /// The candidates' own scores, min-max normalised.
    NormalisedScore,
}

/// Returns the picked candidates in pick order, each with its penalty `(1 − λ) · max sim`.
/// With `multi_space`, a candidate's vector (for diversity) is the mean of its vectors in
/// that multi-vector space instead of its main vector.
pub fn select<'a, P>(db: &'a Database, pool: Vec<(Candidate<'a>, P)>, k: usize, lambda: f32, measure: Relevance, multi_space: Option<&str>) -> Vec<(Candidate<'a>, P, f32)> {
    let vector_of = |c: &Candidate| -> Option<(&'a [f32], f32)> {
        let ns = db.namespaces.get(c.namespace)?;
        match multi_space {
            Some(name) => ns.multi_spaces().get(name)?.mean(c.slot),
            None => Some((ns.vector(c.slot), ns.inv_norm(c.slot))),
        }
    };
    let vectors: Vec<_> = pool.iter().map(|(c, _)| vector_of(c)).collect();
    let relevance: Vec<f32> = match measure {
        Relevance::Similarity(query) => {
            let norm = distance::dot(query, query).sqrt();
            let inv_q = if norm > 0.0 { 1.0 / norm } else { 0.0 };
            vectors.iter().map(|v| v.map_or(0.0, |(v, inv)| distance::dot(query, v) * inv * inv_q)).collect()
        }
        Relevance::NormalisedScore => {
            let max = pool.iter().map(|(c, _)| c.score).fold(f32::NEG_INFINITY, f32::max);
            let min = pool.iter().map(|(c, _)| c.score).fold(f32::INFINITY, f32::min);
            pool.iter().map(|(c, _)| if max > min { (c.score - min) / (max - min) } else { 1.0 }).collect()
        }
    };
    let mut left: Vec<Option<(Candidate<'a>, P)>> = pool.into_iter().map(Some).collect();
    // max_sim[i]: candidate i's highest similarity to anything picked so far.
    let mut max_sim = vec![0.0f32; left.len()];
    let mut picked = Vec::with_capacity(k);
    while picked.len() < k {
        let mut best: Option<(usize, f32)> = None;
        for (i, entry) in left.iter().enumerate() {
            if entry.is_none() {
                continue;
            }
            let penalty = if picked.is_empty() { 0.0 } else { (1.0 - lambda) * max_sim[i] };
            let value = lambda * relevance[i] - penalty;
            if best.is_none_or(|(_, b)| value > b) {
                best = Some((i, value));
            }
        }
        let Some((i, _)) = best else { break };
        let penalty = if picked.is_empty() { 0.0 } else { (1.0 - lambda) * max_sim[i] };
        let Some((c, p)) = left[i].take() else { break };
        if let Some((v, inv)) = vectors[i] {
            for (j, other) in vectors.iter().enumerate() {
                if let (Some((w, inv_w)), Some(_)) = (other, &left[j]) {
                    let sim = (distance::dot(v, w) * inv * inv_w).max(0.0);
                    max_sim[j] = max_sim[j].max(sim);
                }
            }
        }
        picked.push((c, p, penalty));
    }
    picked
}
