//! What a search produces, whichever way it runs: scored slots (`Near`), scored records
//! (`Candidate`), the bounded heap that keeps the best k of either (`TopK`), the [`Sink`]
//! a vector space reports its finds to, and the counters of `searchWithStats`.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// A slot with its score against the current query. "Greater" means better: higher score,
/// then the lower slot, so equal scores order the same way on every run.
#[derive(Debug, Clone, Copy)]
pub struct Near {
    pub score: f32,
    pub id: u32,
}

impl Ord for Near {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        self.score.total_cmp(&other.score).then_with(|| other.id.cmp(&self.id))
    }
}
impl PartialOrd for Near {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Near {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Near {}

/// A scored record. "Greater" means better: higher score, then namespace and id in
/// ascending order, so ties resolve the same way on every run.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub score: f32,
    pub namespace: &'a str,
    pub id: &'a str,
    pub slot: u32,
}

impl Ord for Candidate<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| {
                // Candidates of one namespace borrow the same name: skip comparing it then
                // (equal scores are common in keyword search, where this decides often).
                if std::ptr::eq(self.namespace, other.namespace) {
                    Ordering::Equal
                } else {
                    other.namespace.cmp(self.namespace)
                }
            })
            .then_with(|| other.id.cmp(self.id))
    }
}
impl PartialOrd for Candidate<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Candidate<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Candidate<'_> {}

/// Something ranked by a score (and, among equal scores, by its own order).
pub trait Scored: Ord + Copy {
    fn score(&self) -> f32;
}
impl Scored for Near {
    #[inline]
    fn score(&self) -> f32 {
        self.score
    }
}
impl Scored for Candidate<'_> {
    #[inline]
    fn score(&self) -> f32 {
        self.score
    }
}

/// Keeps the best `k` items seen.
pub struct TopK<T> {
    k: usize,
    heap: BinaryHeap<Reverse<T>>,
}

impl<T: Scored> TopK<T> {
    pub fn new(k: usize) -> Self {
        TopK { k, heap: BinaryHeap::with_capacity(k + 1) }
    }

    /// The score a new item must reach to enter, once the heap is full.
    #[inline]
    pub fn threshold(&self) -> Option<f32> {
        if self.heap.len() < self.k {
            None
        } else {
            self.heap.peek().map(|c| c.0.score())
        }
    }

    #[inline]
    pub fn push(&mut self, c: T) {
        if self.heap.len() < self.k {
            self.heap.push(Reverse(c));
        } else if let Some(worst) = self.heap.peek() {
            if c > worst.0 {
                self.heap.pop();
                self.heap.push(Reverse(c));
            }
        }
    }

    /// Best first.
    pub fn into_sorted(self) -> Vec<T> {
        let mut v: Vec<T> = self.heap.into_iter().map(|r| r.0).collect();
        v.sort_by(|a, b| b.cmp(a));
        v
    }
}

/// Where a vector space's search puts what it finds. The exact scan asks `threshold`
/// before offering, so a sink that keeps the best k is offered few of the vectors scored.
pub trait Sink {
    /// The score a find must reach to be worth offering (None: every find).
    fn threshold(&self) -> Option<f32>;
    fn offer(&mut self, score: f32, slot: u32);
}

/// The best k slots, ties to the lower slot.
impl Sink for TopK<Near> {
    #[inline]
    fn threshold(&self) -> Option<f32> {
        TopK::threshold(self)
    }
    #[inline]
    fn offer(&mut self, score: f32, slot: u32) {
        self.push(Near { score, id: slot });
    }
}

/// Every find, in the order found.
impl<F: FnMut(f32, u32)> Sink for F {
    fn threshold(&self) -> Option<f32> {
        None
    }
    fn offer(&mut self, score: f32, slot: u32) {
        self(score, slot)
    }
}

/// What a search did, for `searchWithStats`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counters {
    /// Vectors scored.
    pub visited: usize,
    /// Slots the filter rejected (tombstones are not counted). A graph search runs the
    /// filter only on nodes that score well enough to enter the results, so there this is
    /// not "all rejected".
    pub filtered: usize,
    /// Candidates a quantized space's codes ranked that were scored again exactly.
    pub rescored: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_best_k_with_deterministic_ties() {
        let mut top = TopK::new(3);
        for (i, score) in [1.0, 0.0, 1.0, 0.7].into_iter().enumerate() {
            top.offer(score, i as u32);
        }
        assert_eq!(top.threshold(), Some(0.7));
        let slots: Vec<u32> = top.into_sorted().iter().map(|n| n.id).collect();
        assert_eq!(slots, vec![0, 2, 3]);
        let mut top = TopK::new(1);
        top.push(Candidate { score: 1.0, namespace: "a", id: "y", slot: 0 });
        top.push(Candidate { score: 1.0, namespace: "a", id: "x", slot: 1 });
        assert_eq!(top.into_sorted()[0].id, "x");
    }
}
