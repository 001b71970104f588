//! The exact scan: every live vector of a namespace is scored against the query (the
//! vectors are one contiguous array, so this streams memory), the filter is evaluated
//! inside the scan, and a bounded heap keeps the best k. It is also the recall reference
//! for the approximate index.

use super::distance::{self, Metric};
use crate::filter::BoundFilter;
use crate::namespace::Namespace;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// A scored candidate. "Greater" means better: higher score, then namespace and id in
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

/// Keeps the best `k` candidates seen.
pub struct TopK<'a> {
    k: usize,
    heap: BinaryHeap<Reverse<Candidate<'a>>>,
}

impl<'a> TopK<'a> {
    pub fn new(k: usize) -> Self {
        TopK { k, heap: BinaryHeap::with_capacity(k + 1) }
    }

    /// The score a new candidate must reach to enter, once the heap is full.
    #[inline]
    pub fn threshold(&self) -> Option<f32> {
        if self.heap.len() < self.k {
            None
        } else {
            self.heap.peek().map(|c| c.0.score)
        }
    }

    #[inline]
    pub fn push(&mut self, c: Candidate<'a>) {
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
    pub fn into_sorted(self) -> Vec<Candidate<'a>> {
        let mut v: Vec<Candidate<'a>> = self.heap.into_iter().map(|r| r.0).collect();
        v.sort_by(|a, b| b.cmp(a));
        v
    }
}

/// Counters a scan reports for `searchWithStats`.
#[derive(Debug, Default, Clone, Copy)]
pub struct ScanStats {
    /// Vectors scored.
    pub visited: usize,
    /// Records rejected by the filter.
    pub filtered: usize,
}

/// Scores every live record of `ns` that passes `filter` into `top`.
pub fn scan<'a>(
    ns: &'a Namespace,
    ns_name: &'a str,
    metric: Metric,
    query: &[f32],
    filter: Option<&BoundFilter>,
    top: &mut TopK<'a>,
    stats: &mut ScanStats,
) {
    let inv_q = distance::inverse_norm(query);
    let (vectors, inv_norms) = ns.raw_vectors();
    let dim = ns.dimension;
    let Some(filter) = filter else {
        // No filter: walk the liveness bytes and the vectors only; a record is read just for
        // the candidates that make the top k.
        for (slot, _) in ns.live_slots().iter().enumerate().filter(|(_, live)| **live) {
            let v = &vectors[slot * dim..(slot + 1) * dim];
            let score = distance::score(metric, query, inv_q, v, inv_norms[slot]);
            stats.visited += 1;
            if top.threshold().is_some_and(|t| score < t) {
                continue;
            }
            if let Some(record) = ns.record(slot as u32) {
                top.push(Candidate { score, namespace: ns_name, id: &record.id, slot: slot as u32 });
            }
        }
        return;
    };
    for (slot, record) in ns.iter() {
        if !filter.matches(slot, &record.metadata) {
            stats.filtered += 1;
            continue;
        }
        let start = slot as usize * dim;
        let v = &vectors[start..start + dim];
        let score = distance::score(metric, query, inv_q, v, inv_norms[slot as usize]);
        stats.visited += 1;
        if top.threshold().is_some_and(|t| score < t) {
            continue;
        }
        top.push(Candidate { score, namespace: ns_name, id: &record.id, slot });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Json;
    use crate::record::Record;

    #[test]
    fn keeps_the_best_k_with_deterministic_ties() {
        let mut ns = Namespace::new(2);
        for (i, v) in [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.7, 0.7]].iter().enumerate() {
            let rec = Record { id: format!("id{i}"), metadata: Json::Object(vec![]), sparse: vec![], vectors: vec![] };
            ns.upsert(rec, v);
        }
        let mut top = TopK::new(3);
        let mut stats = ScanStats::default();
        scan(&ns, "", Metric::Cosine, &[1.0, 0.0], None, &mut top, &mut stats);
        let ids: Vec<&str> = top.into_sorted().iter().map(|c| c.id).collect();
        assert_eq!(ids, vec!["id0", "id2", "id3"]);
        assert_eq!(stats.visited, 4);
    }
}
