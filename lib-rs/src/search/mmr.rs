//! Maximal marginal relevance (Carbonell & Goldstein): from the best `fetchK` candidates,
//! pick `k` one at a time, each maximising
//! `λ · relevance − (1 − λ) · max cosine similarity to the ones already picked`,
//! relevance being the candidates' scores min-max normalised to [0, 1]. λ = 1 is pure
//! relevance, λ = 0 pure diversity. Similarity is the cosine of the stored main vectors,
//! floored at 0: an opposite vector is not redundant, but not a bonus either.

use crate::db::Database;
use crate::vector::distance;
use crate::vector::topk::Candidate;

/// Returns the picked candidates in pick order, each with its penalty `(1 − λ) · max sim`.
pub fn select<'a, P>(db: &Database, pool: Vec<(Candidate<'a>, P)>, k: usize, lambda: f32) -> Vec<(Candidate<'a>, P, f32)> {
    let max = pool.iter().map(|(c, _)| c.score).fold(f32::NEG_INFINITY, f32::max);
    let min = pool.iter().map(|(c, _)| c.score).fold(f32::INFINITY, f32::min);
    let relevance = |s: f32| if max > min { (s - min) / (max - min) } else { 1.0 };
    let vector_of = |c: &Candidate| {
        let ns = db.namespaces.get(c.namespace)?;
        Some((ns.vector(c.slot), ns.inv_norm(c.slot)))
    };
    let vectors: Vec<_> = pool.iter().map(|(c, _)| vector_of(c)).collect();
    let mut left: Vec<Option<(Candidate<'a>, P)>> = pool.into_iter().map(Some).collect();
    // max_sim[i]: candidate i's highest similarity to anything picked so far.
    let mut max_sim = vec![0.0f32; left.len()];
    let mut picked = Vec::with_capacity(k);
    while picked.len() < k {
        let mut best: Option<(usize, f32)> = None;
        for (i, entry) in left.iter().enumerate() {
            let Some((c, _)) = entry else { continue };
            let penalty = if picked.is_empty() { 0.0 } else { (1.0 - lambda) * max_sim[i] };
            let value = lambda * relevance(c.score) - penalty;
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
