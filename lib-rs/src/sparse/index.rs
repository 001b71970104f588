//! The inverted index of one namespace: term -> postings (slot, frequency), plus each
//! slot's length, kept exact under inserts and deletes so scores equal a fresh build's.

use super::{idf, term_score};
use crate::json::Key;
use crate::hash::FastMap;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Posting {
    pub slot: u32,
    pub tf: f32,
}

#[derive(Default, Debug, PartialEq)]
pub struct InvertedIndex {
    pub(super) postings: FastMap<String, Vec<Posting>>,
    /// Length (sum of frequencies) by slot; 0 for a slot without terms.
    pub(super) lengths: Vec<f32>,
    /// Records with at least one term.
    pub(super) docs: usize,
    pub(super) total_len: f64,
}

/// Everything a record's BM25 score is made of, so it can be recomputed by hand (see the
/// formula in `sparse/mod.rs`; `K1` and `B` are its constants).
#[derive(Debug, Clone, PartialEq)]
pub struct Bm25Explain {
    /// N: the namespace's records that have sparse terms.
    pub docs: usize,
    /// avglen: their mean length (sum of term frequencies).
    pub avg_len: f64,
    /// len(d): this record's length.
    pub len: f64,
    /// One entry per query term the record contains.
    pub terms: Vec<TermExplain>,
}

/// One query term's part of a BM25 score.
#[derive(Debug, Clone, PartialEq)]
pub struct TermExplain {
    pub term: String,
    /// q_t: the term's weight in the query.
    pub query_weight: f32,
    /// tf(t, d): its frequency in the record.
    pub tf: f64,
    /// df(t): the records that contain it.
    pub df: usize,
    pub idf: f64,
    /// q_t · idf · the saturated, length-normalised tf: the term's share of the score.
    pub score: f32,
}

impl InvertedIndex {
    pub fn docs(&self) -> usize {
        self.docs
    }

    pub fn avg_len(&self) -> f64 {
        if self.docs == 0 {
            0.0
        } else {
            self.total_len / self.docs as f64
        }
    }

    /// How many records contain `term`.
    pub fn df(&self, term: &str) -> usize {
        self.postings.get(term).map_or(0, |p| p.len())
    }

    pub fn idf(&self, term: &str) -> f64 {
        idf(self.docs, self.df(term))
    }

    /// Adds a record's terms at `slot` (which must hold none).
    pub fn add(&mut self, slot: u32, terms: &[(Key, f32)]) {
        let len: f32 = terms.iter().map(|(_, w)| w.max(0.0)).sum();
        if terms.is_empty() {
            return;
        }
        if self.lengths.len() <= slot as usize {
            self.lengths.resize(slot as usize + 1, 0.0);
        }
        self.lengths[slot as usize] = len;
        self.docs += 1;
        self.total_len += len as f64;
        for (term, tf) in terms {
            let posting = Posting { slot, tf: *tf };
            // Most terms are known: look up by &str and allocate only for a new term.
            match self.postings.get_mut(term.as_str()) {
                Some(list) => list.push(posting),
                None => {
                    self.postings.insert(term.as_str().to_owned(), vec![posting]);
                }
            }
        }
    }

    /// Removes the terms a record at `slot` was added with.
    pub fn remove(&mut self, slot: u32, terms: &[(Key, f32)]) {
        if terms.is_empty() {
            return;
        }
        for (term, _) in terms {
            if let Some(list) = self.postings.get_mut(term.as_str()) {
                if let Some(pos) = list.iter().position(|p| p.slot == slot) {
                    list.swap_remove(pos);
                }
                if list.is_empty() {
                    self.postings.remove(term.as_str());
                }
            }
        }
        let len = std::mem::take(&mut self.lengths[slot as usize]);
        self.docs -= 1;
        self.total_len -= len as f64;
        if self.docs == 0 {
            self.total_len = 0.0;
        }
    }

    /// The score of one document for a query (used by `explain`): per term, then total.
    pub fn explain(&self, slot: u32, query: &[(String, f32)], terms: &[(Key, f32)]) -> Bm25Explain {
        let len = self.lengths.get(slot as usize).copied().unwrap_or(0.0) as f64;
        let avg_len = self.avg_len();
        let terms = query
            .iter()
            .filter_map(|(term, qw)| {
                let tf = terms.iter().find(|(t, _)| t == term)?.1 as f64;
                let idf = self.idf(term);
                let score = (*qw as f64 * term_score(idf, tf, len, avg_len)) as f32;
                Some(TermExplain { term: term.clone(), query_weight: *qw, tf, df: self.df(term), idf, score })
            })
            .collect();
        Bm25Explain { docs: self.docs, avg_len, len, terms }
    }

    /// Scores every document that contains a query term and hands each `(slot, score)` to
    /// `visit`, in no particular order. Postings hold live slots only (a delete removes a
    /// record's), so every slot visited holds a record.
    pub fn score_each(&self, query: &[(String, f32)], slots: usize, visit: &mut dyn FnMut(u32, f32)) {
        // A per-thread accumulator, grown once and left zeroed after each query, so a query
        // costs its postings, not the size of the namespace; the touched list is reused too.
        thread_local! {
            static SCRATCH: std::cell::RefCell<(Vec<f64>, Vec<u32>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
        }
        SCRATCH.with(|cell| {
            let (acc, touched) = &mut *cell.borrow_mut();
            if acc.len() < slots {
                acc.resize(slots, 0.0);
            }
            // The list is emptied after each query; slots left in it mean an earlier `visit`
            // panicked half way, leaving their sums behind: zero those, or this query would
            // take them as already touched.
            for &slot in touched.iter() {
                acc[slot as usize] = 0.0;
            }
            touched.clear();
            self.accumulate(query, slots, acc, touched);
            for &slot in touched.iter() {
                let score = std::mem::take(&mut acc[slot as usize]);
                visit(slot, score as f32);
            }
            touched.clear();
        })
    }

    /// Adds each query term's BM25 contribution into `acc`, listing in `touched` each slot
    /// the first time it gets one.
    fn accumulate(&self, query: &[(String, f32)], slots: usize, acc: &mut [f64], touched: &mut Vec<u32>) {
        let avg = self.avg_len();
        for (term, qw) in query {
            // A zero weight adds nothing; skipping it keeps "score > 0" meaning "touched".
            if *qw <= 0.0 {
                continue;
            }
            let Some(list) = self.postings.get(term) else { continue };
            let idf = idf(self.docs, list.len());
            for p in list {
                let i = p.slot as usize;
                if i >= slots || p.tf <= 0.0 {
                    continue;
                }
                if acc[i] == 0.0 {
                    touched.push(p.slot);
                }
                let len = self.lengths[i] as f64;
                acc[i] += *qw as f64 * term_score(idf, p.tf as f64, len, avg);
            }
        }
    }

    /// `score_each`, collected (for tests).
    #[cfg(test)]
    fn score_all(&self, query: &[(String, f32)], slots: usize) -> Vec<(u32, f32)> {
        let mut hits = Vec::new();
        self.score_each(query, slots, &mut |slot, score| hits.push((slot, score)));
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A query's terms.
    fn terms(list: &[(&str, f32)]) -> Vec<(String, f32)> {
        list.iter().map(|(t, w)| (t.to_string(), *w)).collect()
    }

    /// A record's terms.
    fn doc(list: &[(&str, f32)]) -> Vec<(Key, f32)> {
        list.iter().map(|(t, w)| (Key::new(t), *w)).collect()
    }

    #[test]
    fn incremental_updates_equal_a_fresh_build() {
        let docs = [doc(&[("a", 2.0), ("b", 1.0)]), doc(&[("b", 3.0)]), doc(&[("a", 1.0), ("c", 1.0)]), doc(&[("c", 4.0)])];
        let mut live = InvertedIndex::default();
        for (i, d) in docs.iter().enumerate() {
            live.add(i as u32, d);
        }
        live.remove(1, &docs[1]);
        live.add(4, &doc(&[("b", 2.0), ("a", 1.0)]));
        let mut fresh = InvertedIndex::default();
        fresh.add(0, &docs[0]);
        fresh.add(2, &docs[2]);
        fresh.add(3, &docs[3]);
        fresh.add(4, &doc(&[("b", 2.0), ("a", 1.0)]));
        let q = terms(&[("a", 1.0), ("b", 1.0)]);
        let score = |ix: &InvertedIndex| {
            let mut v = ix.score_all(&q, 5);
            v.sort_by_key(|x| x.0);
            v
        };
        assert_eq!(score(&live), score(&fresh));
        assert_eq!(live.docs(), 4);
    }

    #[test]
    fn matches_the_formula() {
        let mut ix = InvertedIndex::default();
        ix.add(0, &doc(&[("x", 2.0), ("y", 2.0)]));
        ix.add(1, &doc(&[("y", 1.0)]));
        let hits = ix.score_all(&terms(&[("x", 1.0)]), 2);
        assert_eq!(hits.len(), 1);
        let idf = (1.0f64 + (2.0 - 1.0 + 0.5) / (1.0 + 0.5)).ln();
        let avg = 2.5;
        let expected = idf * 2.0 * 2.2 / (2.0 + 1.2 * (1.0 - 0.75 + 0.75 * 4.0 / avg));
        assert!((hits[0].1 as f64 - expected).abs() < 1e-6);
    }

    #[test]
    fn a_query_after_a_visit_that_panicked_scores_as_if_nothing_happened() {
        let mut ix = InvertedIndex::default();
        for slot in 0..50u32 {
            ix.add(slot, &doc(&[("x", 1.0 + (slot % 3) as f32)]));
        }
        let q = terms(&[("x", 1.0)]);
        let clean = ix.score_all(&q, 50);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut seen = 0;
            ix.score_each(&q, 50, &mut |_, _| {
                seen += 1;
                assert!(seen < 5, "a visit that fails half way");
            });
        }));
        assert!(panicked.is_err());
        assert_eq!(ix.score_all(&q, 50), clean);
    }
}
