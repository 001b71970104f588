//! Multi-vector spaces (late interaction, ColBERT-style): a record may hold, per named
//! space, a list of token vectors, and a search scores it by MaxSim, the sum over the query's
//! vectors of their best similarity to any of the record's. Each space's dimension is fixed
//! database-wide on first use, independently of the main and named vector spaces.
//!
//! A namespace keeps, per space, every record's tokens back to back in one array with a
//! (start, count) span per record slot, and the mean of each record's tokens (the candidate
//! stage of a search ranks records by it). A write appends; the spans it leaves behind are
//! reclaimed when they outweigh the live ones, and by every compaction. Means are derived,
//! never stored in a file.

use crate::vector::distance::{self, inverse_norm};
use crate::vector::Metric;
use std::collections::HashMap;

/// The most vectors a record may hold in one space.
pub const MAX_TOKENS: usize = 4_096;

/// One space's vectors of a record: `values` holds `values.len() / dim` vectors back to back.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiVector {
    pub name: String,
    pub dim: usize,
    pub values: Vec<f32>,
}

impl MultiVector {
    /// How many vectors it holds.
    pub fn count(&self) -> usize {
        self.values.len().checked_div(self.dim).unwrap_or(0)
    }
}

#[derive(Debug, Clone, Copy)]
struct Span {
    /// First value in `tokens`.
    start: usize,
    count: u32,
    /// First value of the mean in `means`.
    mean: usize,
    /// 1/‖mean‖ (0 for a zero mean).
    mean_inv: f32,
}

/// One space of a namespace: its records' tokens and means, by record slot.
#[derive(Debug, Clone, Default)]
pub struct MultiSpace {
    dim: usize,
    tokens: Vec<f32>,
    means: Vec<f32>,
    spans: HashMap<u32, Span>,
    /// Token values no span points to any more.
    dead: usize,
}

impl MultiSpace {
    pub fn new(dim: usize) -> MultiSpace {
        MultiSpace { dim, ..MultiSpace::default() }
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// How many records have vectors in this space.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// How many vectors the records hold in all.
    pub fn token_count(&self) -> usize {
        self.spans.values().map(|s| s.count as usize).sum()
    }

    /// The record slots that have vectors here, in no particular order.
    pub fn iter_slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.spans.keys().copied()
    }

    /// The record slots that have vectors here, in slot order.
    pub fn slots(&self) -> Vec<u32> {
        let mut slots: Vec<u32> = self.spans.keys().copied().collect();
        slots.sort_unstable();
        slots
    }

    /// The vectors of the record at `slot`, back to back.
    pub fn get(&self, slot: u32) -> Option<&[f32]> {
        let s = self.spans.get(&slot)?;
        Some(&self.tokens[s.start..s.start + s.count as usize * self.dim])
    }

    /// The mean of the record's vectors, with its inverse norm.
    pub fn mean(&self, slot: u32) -> Option<(&[f32], f32)> {
        let s = self.spans.get(&slot)?;
        Some((&self.means[s.mean..s.mean + self.dim], s.mean_inv))
    }

    /// Gives the record at `slot` these vectors (`dim` values each; the caller has checked
    /// them), replacing any it had.
    pub fn set(&mut self, slot: u32, values: &[f32]) {
        debug_assert!(self.dim > 0 && values.len().is_multiple_of(self.dim) && !values.is_empty());
        self.remove(slot);
        let count = values.len() / self.dim;
        let start = self.tokens.len();
        self.tokens.extend_from_slice(values);
        let mean_at = self.means.len();
        self.means.extend(mean_of(values, self.dim));
        let mean_inv = inverse_norm(&self.means[mean_at..]);
        self.spans.insert(slot, Span { start, count: count as u32, mean: mean_at, mean_inv });
    }

    /// Takes the record's vectors away, if it has any.
    pub fn remove(&mut self, slot: u32) {
        if let Some(s) = self.spans.remove(&slot) {
            self.dead += s.count as usize * self.dim;
            // Dead spans are rewritten away once they outweigh the live ones (and are
            // worth the copy), so replacing records over and over stays bounded.
            if self.dead > 1 << 16 && self.dead > self.tokens.len() / 2 {
                *self = self.remapped(Some);
            }
        }
    }

    /// The space carried to new slot numbers (`new_slot(old)`, None: dropped), its arrays
    /// rewritten without dead spans.
    pub fn remapped(&self, new_slot: impl Fn(u32) -> Option<u32>) -> MultiSpace {
        let mut out = MultiSpace::new(self.dim);
        let live: usize = self.spans.values().map(|s| s.count as usize).sum::<usize>() * self.dim;
        out.tokens.reserve(live);
        out.means.reserve(self.spans.len() * self.dim);
        for slot in self.slots() {
            if let (Some(new), Some(values)) = (new_slot(slot), self.get(slot)) {
                out.set(new, values);
            }
        }
        out
    }
}

/// The mean of `dim`-value vectors stored back to back.
pub fn mean_of(values: &[f32], dim: usize) -> Vec<f32> {
    let mut sum = vec![0.0f32; dim];
    let mut count = 0usize;
    for v in values.chunks_exact(dim) {
        for (s, x) in sum.iter_mut().zip(v) {
            *s += x;
        }
        count += 1;
    }
    if count > 0 {
        let inv = 1.0 / count as f32;
        sum.iter_mut().for_each(|s| *s *= inv);
    }
    sum
}

/// A query's vectors, back to back, with their inverse norms.
pub struct MaxSimQuery<'q> {
    pub dim: usize,
    pub values: &'q [f32],
    pub inv_norms: Vec<f32>,
}

impl<'q> MaxSimQuery<'q> {
    pub fn new(values: &'q [f32], dim: usize) -> MaxSimQuery<'q> {
        MaxSimQuery { dim, values, inv_norms: values.chunks_exact(dim).map(inverse_norm).collect() }
    }

    /// MaxSim against a record's vectors: the sum over the query's vectors of the highest
    /// similarity to any of `doc`'s, similarity being what a single-vector search scores
    /// (cosine similarity, dot product, or the negated L2 / L1 distance). `scratch` holds
    /// the record's inverse norms between calls.
    pub fn score(&self, metric: Metric, doc: &[f32], scratch: &mut Vec<f32>) -> f32 {
        scratch.clear();
        if metric == Metric::Cosine {
            scratch.extend(doc.chunks_exact(self.dim).map(inverse_norm));
        }
        let mut total = 0.0f32;
        for (q, &q_inv) in self.values.chunks_exact(self.dim).zip(&self.inv_norms) {
            let mut best = f32::NEG_INFINITY;
            for (j, d) in doc.chunks_exact(self.dim).enumerate() {
                let d_inv = scratch.get(j).copied().unwrap_or(1.0);
                best = best.max(distance::score(metric, q, q_inv, d, d_inv));
            }
            total += best;
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_replace_move_and_compact() {
        let mut s = MultiSpace::new(2);
        s.set(3, &[1.0, 2.0, 3.0, 4.0]);
        s.set(5, &[0.0, 1.0]);
        assert_eq!(s.get(3), Some(&[1.0, 2.0, 3.0, 4.0][..]));
        assert_eq!(s.mean(3).unwrap().0, &[2.0, 3.0]);
        s.set(3, &[5.0, 5.0]);
        assert_eq!((s.get(3), s.len(), s.token_count()), (Some(&[5.0, 5.0][..]), 2, 2));
        s.remove(5);
        assert!(s.get(5).is_none());
        let moved = s.remapped(|slot| (slot == 3).then_some(0));
        assert_eq!((moved.get(0), moved.tokens.len(), moved.len()), (Some(&[5.0, 5.0][..]), 2, 1));
    }

    #[test]
    fn max_sim_sums_each_query_vectors_best_match() {
        let q = [1.0, 0.0, 0.0, 1.0];
        let query = MaxSimQuery::new(&q, 2);
        let doc = [2.0, 0.0, 1.0, 1.0];
        let mut scratch = Vec::new();
        // dot: max(2, 1) + max(0, 1)
        assert_eq!(query.score(Metric::Dot, &doc, &mut scratch), 3.0);
        let cos = query.score(Metric::Cosine, &doc, &mut scratch);
        assert!((cos - (1.0 + std::f32::consts::FRAC_1_SQRT_2)).abs() < 1e-6);
    }
}
