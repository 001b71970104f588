//! One named vector space of a namespace (`vectors: { title: [...] }` on a record): a
//! [`VectorSpace`] with its own slot numbers ("space slots", since not every record has a
//! vector in every space) and the mapping between them and the record slots.

use crate::vector::space::VectorSpace;
use crate::vector::Metric;
use std::collections::HashMap;

pub struct NamedSpace {
    space: VectorSpace,
    /// Space slot -> the record slot that owns its vector (meaningful while the slot is live).
    owner: Vec<u32>,
    /// Record slot -> its space slot.
    of_record: HashMap<u32, u32>,
}

impl NamedSpace {
    pub fn new(dimension: usize) -> NamedSpace {
        NamedSpace { space: VectorSpace::new(dimension), owner: Vec::new(), of_record: HashMap::new() }
    }

    /// The vectors, their slots and graph.
    pub fn vectors(&self) -> &VectorSpace {
        &self.space
    }

    /// Records with a vector in this space.
    pub fn len(&self) -> usize {
        self.space.len()
    }

    pub fn is_empty(&self) -> bool {
        self.space.is_empty()
    }

    /// The record that owns a space slot, if it is live.
    pub fn owner(&self, space_slot: u32) -> Option<u32> {
        self.space.is_live(space_slot).then(|| self.owner[space_slot as usize])
    }

    /// Sets the vector of record `record_slot` in this space (insert or replace).
    pub fn set(&mut self, record_slot: u32, vector: &[f32]) {
        let existing = self.of_record.get(&record_slot).copied();
        let slot = self.space.put(existing, vector);
        if self.owner.len() < self.space.slot_count() {
            self.owner.resize(self.space.slot_count(), 0);
        }
        self.owner[slot as usize] = record_slot;
        self.of_record.insert(record_slot, slot);
    }

    /// Record `record_slot`'s vector in this space and its inverse norm, if it has one.
    pub fn vector_of(&self, record_slot: u32) -> Option<(&[f32], f32)> {
        let slot = *self.of_record.get(&record_slot)?;
        Some((self.space.vector(slot), self.space.inv_norm(slot)))
    }

    /// Drops record `record_slot`'s vector from this space, if it has one.
    pub fn remove(&mut self, record_slot: u32) {
        if let Some(slot) = self.of_record.remove(&record_slot) {
            self.space.remove(slot);
        }
    }

    /// For graph upkeep (building, catching up, adopting a loaded graph); vectors are
    /// written through `set` and `remove`, which keep the mapping.
    pub(crate) fn vectors_mut(&mut self) -> &mut VectorSpace {
        &mut self.space
    }

    /// A dense copy: live vectors renumbered in the order of `record_remap` (old record slot
    /// -> new record slot), so a space rebuilt by loading the records in their new order gets
    /// the same numbering, and the graph (repaired, not rebuilt) stays valid after a reload.
    pub fn compacted(&mut self, record_remap: &[Option<u32>], metric: Metric) -> NamedSpace {
        let mut live: Vec<(u32, u32)> = self
            .of_record
            .iter()
            .filter_map(|(&rec, &slot)| record_remap.get(rec as usize).copied().flatten().map(|new_rec| (new_rec, slot)))
            .collect();
        live.sort_unstable();
        let order: Vec<u32> = live.iter().map(|&(_, slot)| slot).collect();
        let (space, _) = self.space.compacted(&order, metric);
        let owner: Vec<u32> = live.iter().map(|&(new_rec, _)| new_rec).collect();
        let of_record = owner.iter().enumerate().map(|(slot, &rec)| (rec, slot as u32)).collect();
        NamedSpace { space, owner, of_record }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector::hnsw::HnswParams;

    #[test]
    fn maps_records_to_space_slots_through_replacement_and_compaction() {
        let mut s = NamedSpace::new(2);
        s.set(10, &[1.0, 0.0]);
        s.set(11, &[0.0, 1.0]);
        s.remove(10);
        s.set(12, &[3.0, 4.0]);
        assert_eq!(s.vectors().slot_count(), 2);
        assert_eq!(s.owner(0), Some(12));
        s.vectors_mut().build_index(HnswParams::default(), Metric::L2, 0);
        s.set(12, &[5.0, 5.0]); // a changed vector takes a fresh slot under a graph
        assert_eq!(s.vectors().slot_count(), 3);
        assert_eq!((s.owner(0), s.owner(2)), (None, Some(12)));
        let remap: Vec<Option<u32>> = (0..13).map(|r| if r >= 11 { Some(r - 11) } else { None }).collect();
        let c = s.compacted(&remap, Metric::L2);
        assert_eq!(c.len(), 2);
        assert_eq!(c.vectors().dead_slots(), 0);
        assert_eq!((c.owner(0), c.owner(1)), (Some(0), Some(1)));
        assert_eq!(c.vectors().vector(1), &[5.0, 5.0]);
        assert!(c.vectors().index_is_current(), "compaction brings the graph up to date first");
        c.vectors().graph().unwrap().check_integrity().unwrap();
    }
}
