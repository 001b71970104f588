//! One namespace's records: an id map, records by slot, and the main vectors stored
//! contiguously (slot-major) with their inverse norms, so a scan streams one array.
//! Deleted slots are reused by later inserts; `compact` writes live records only.

use crate::record::Record;
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct Namespace {
    pub dimension: usize,
    ids: HashMap<String, u32>,
    records: Vec<Option<Record>>,
    vectors: Vec<f32>,
    inv_norms: Vec<f32>,
    free: Vec<u32>,
}

impl Namespace {
    pub fn new(dimension: usize) -> Namespace {
        Namespace { dimension, ..Namespace::default() }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Number of slots, live or free: the bound for a scan.
    pub fn slot_count(&self) -> usize {
        self.records.len()
    }

    pub fn slot_of(&self, id: &str) -> Option<u32> {
        self.ids.get(id).copied()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains_key(id)
    }

    pub fn record(&self, slot: u32) -> Option<&Record> {
        self.records.get(slot as usize).and_then(|r| r.as_ref())
    }

    pub fn vector(&self, slot: u32) -> &[f32] {
        let start = slot as usize * self.dimension;
        &self.vectors[start..start + self.dimension]
    }

    pub fn inv_norm(&self, slot: u32) -> f32 {
        self.inv_norms[slot as usize]
    }

    /// The contiguous vector array and inverse norms, for the scan.
    pub fn raw_vectors(&self) -> (&[f32], &[f32]) {
        (&self.vectors, &self.inv_norms)
    }

    /// Live records with their slots, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Record)> {
        self.records.iter().enumerate().filter_map(|(i, r)| r.as_ref().map(|r| (i as u32, r)))
    }

    /// Inserts or replaces; the caller has checked the vector's length.
    pub fn upsert(&mut self, record: Record, vector: &[f32]) {
        debug_assert_eq!(vector.len(), self.dimension);
        let inv_norm = crate::vector::distance::inverse_norm(vector);
        let slot = match self.ids.get(&record.id) {
            Some(&slot) => slot,
            None => {
                let slot = match self.free.pop() {
                    Some(slot) => slot,
                    None => {
                        self.records.push(None);
                        self.vectors.resize(self.vectors.len() + self.dimension, 0.0);
                        self.inv_norms.push(0.0);
                        (self.records.len() - 1) as u32
                    }
                };
                self.ids.insert(record.id.clone(), slot);
                slot
            }
        };
        let start = slot as usize * self.dimension;
        self.vectors[start..start + self.dimension].copy_from_slice(vector);
        self.inv_norms[slot as usize] = inv_norm;
        self.records[slot as usize] = Some(record);
    }

    /// Removes a record; returns whether it existed.
    pub fn delete(&mut self, id: &str) -> bool {
        match self.ids.remove(id) {
            Some(slot) => {
                self.records[slot as usize] = None;
                self.free.push(slot);
                true
            }
            None => false,
        }
    }

    /// Reserves room for `n` more records (bulk loads).
    pub fn reserve(&mut self, n: usize) {
        self.ids.reserve(n);
        self.records.reserve(n);
        self.vectors.reserve(n * self.dimension);
        self.inv_norms.reserve(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Json;

    fn rec(id: &str) -> Record {
        Record { id: id.into(), metadata: Json::Object(vec![]), sparse: vec![], vectors: vec![] }
    }

    #[test]
    fn reuses_deleted_slots() {
        let mut ns = Namespace::new(2);
        ns.upsert(rec("a"), &[1.0, 0.0]);
        ns.upsert(rec("b"), &[0.0, 1.0]);
        assert!(ns.delete("a"));
        assert!(!ns.delete("a"));
        ns.upsert(rec("c"), &[3.0, 4.0]);
        assert_eq!(ns.slot_count(), 2);
        assert_eq!(ns.vector(ns.slot_of("c").unwrap()), &[3.0, 4.0]);
        assert!((ns.inv_norm(ns.slot_of("c").unwrap()) - 0.2).abs() < 1e-6);
        assert_eq!(ns.iter().map(|(_, r)| r.id.as_str()).collect::<Vec<_>>(), vec!["c", "b"]);
    }
}
