//! The inverted index in the snapshot (section SPARSE of the .vdb), so an open loads the
//! postings instead of re-indexing every record's terms.
//!
//! ```text
//! varint docs, varint slot count, then per slot its length f32
//! varint term count, then per term (sorted): term, varint posting count,
//!   postings sorted by slot: varint slot delta (from the previous posting's slot), tf f32
//! ```
//! The total length is not stored: it is summed from the lengths in slot order, exactly as a
//! fresh build adds them, so scores after a reload equal a rebuild's to the last bit.

use super::index::{InvertedIndex, Posting};
use crate::codec::{Reader, Writer};
use crate::error::Result;
use crate::hash::FastMap;

impl InvertedIndex {
    pub fn encode(&self, w: &mut Writer) {
        w.varint(self.docs as u64);
        w.varint(self.lengths.len() as u64);
        for &len in &self.lengths {
            w.f32(len);
        }
        let mut terms: Vec<(&String, &Vec<Posting>)> = self.postings.iter().collect();
        terms.sort_unstable_by(|a, b| a.0.cmp(b.0));
        w.varint(terms.len() as u64);
        let mut list: Vec<Posting> = Vec::new();
        for (term, postings) in terms {
            w.str(term);
            w.varint(postings.len() as u64);
            list.clear();
            list.extend_from_slice(postings);
            list.sort_unstable_by_key(|p| p.slot);
            let mut prev = 0u32;
            for p in &list {
                w.varint((p.slot - prev) as u64);
                w.f32(p.tf);
                prev = p.slot;
            }
        }
    }

    /// Reads an index whose slots must all be below `slots` (the namespace's record count).
    pub fn decode(r: &mut Reader, slots: usize) -> Result<InvertedIndex> {
        let docs = r.varint()? as usize;
        let n_lengths = r.len(4)?;
        if n_lengths > slots || docs > n_lengths {
            return Err(r.corrupt(&format!("sparse index covers {n_lengths} slots ({docs} documents) of {slots} records")));
        }
        let mut lengths = Vec::with_capacity(n_lengths);
        for _ in 0..n_lengths {
            let len = r.f32()?;
            if !len.is_finite() || len < 0.0 {
                return Err(r.corrupt("sparse index holds a negative or non-finite length"));
            }
            lengths.push(len);
        }
        let n_terms = r.len(2)?;
        let mut postings = FastMap::with_capacity_and_hasher(n_terms, Default::default());
        let mut previous_term: Option<&str> = None;
        for _ in 0..n_terms {
            let term = r.str()?;
            if previous_term.is_some_and(|p| p >= term) {
                return Err(r.corrupt(&format!("sparse index terms out of order at {term:?}")));
            }
            previous_term = Some(term);
            let count = r.len(5)?;
            let mut list = Vec::with_capacity(count);
            let mut slot = 0u64;
            for i in 0..count {
                let delta = r.varint()?;
                if i > 0 && delta == 0 {
                    return Err(r.corrupt(&format!("term {term:?} lists a slot twice")));
                }
                slot += delta;
                let tf = r.f32()?;
                if slot >= n_lengths as u64 || !tf.is_finite() {
                    return Err(r.corrupt(&format!("term {term:?} has a posting at slot {slot} (of {n_lengths}) or a non-finite frequency")));
                }
                list.push(Posting { slot: slot as u32, tf });
            }
            if list.is_empty() {
                return Err(r.corrupt(&format!("term {term:?} has no postings")));
            }
            postings.insert(term.to_string(), list);
        }
        let total_len = if docs == 0 { 0.0 } else { lengths.iter().map(|&l| l as f64).sum() };
        Ok(InvertedIndex { postings, lengths, docs, total_len })
    }
}
