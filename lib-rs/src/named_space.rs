//! One named vector space of a namespace (`vectors: { title: [...] }` on a record): its
//! vectors stored contiguously like the main vectors, which record owns each of them, and
//! its own HNSW graph once the space is large enough.
//!
//! A space has its own slot numbers ("space slots"), because not every record has a vector
//! in every space. Rules mirror the namespace's main vectors: without a graph a freed space
//! slot is reused; with a graph a space slot's vector never changes (a replaced or deleted
//! vector is a tombstone in the graph until compaction renumbers the space densely).

use crate::vector::distance::inverse_norm;
use crate::vector::hnsw::{HnswGraph, HnswParams, SliceSpace};
use crate::vector::Metric;
use std::collections::HashMap;

/// `owner` of a space slot that holds no vector.
const NO_OWNER: u32 = u32::MAX;

pub struct NamedSpace {
    pub dimension: usize,
    vectors: Vec<f32>,
    inv_norms: Vec<f32>,
    /// Space slot -> the record slot that owns its vector (NO_OWNER when dead or free).
    owner: Vec<u32>,
    /// Record slot -> its space slot.
    of_record: HashMap<u32, u32>,
    free: Vec<u32>,
    index: Option<HnswGraph>,
    /// Space slots written since the graph last caught up.
    unindexed: Vec<u32>,
}

impl NamedSpace {
    pub fn new(dimension: usize) -> NamedSpace {
        NamedSpace {
            dimension,
            vectors: Vec::new(),
            inv_norms: Vec::new(),
            owner: Vec::new(),
            of_record: HashMap::new(),
            free: Vec::new(),
            index: None,
            unindexed: Vec::new(),
        }
    }

    /// Records with a vector in this space.
    pub fn len(&self) -> usize {
        self.of_record.len()
    }

    pub fn is_empty(&self) -> bool {
        self.of_record.is_empty()
    }

    /// Space slots, live or not.
    pub fn slot_count(&self) -> usize {
        self.owner.len()
    }

    pub fn dead_slots(&self) -> usize {
        self.owner.len() - self.of_record.len()
    }

    /// The record that owns a space slot, if it is live.
    pub fn owner(&self, space_slot: u32) -> Option<u32> {
        self.owner.get(space_slot as usize).copied().filter(|&o| o != NO_OWNER)
    }

    pub fn index(&self) -> Option<&HnswGraph> {
        self.index.as_ref()
    }

    /// Space slots written since the graph last caught up (possibly dead since).
    pub fn unindexed(&self) -> &[u32] {
        &self.unindexed
    }

    pub fn index_is_current(&self) -> bool {
        self.unindexed.is_empty()
    }

    pub fn space(&self, metric: Metric) -> SliceSpace<'_> {
        SliceSpace { vectors: &self.vectors, inv_norms: &self.inv_norms, dim: self.dimension, metric }
    }

    fn vector(&self, space_slot: u32) -> &[f32] {
        let start = space_slot as usize * self.dimension;
        &self.vectors[start..start + self.dimension]
    }

    /// Sets the vector of record `record_slot` in this space (insert or replace).
    pub fn set(&mut self, record_slot: u32, vector: &[f32]) {
        debug_assert_eq!(vector.len(), self.dimension);
        let existing = self.of_record.get(&record_slot).copied();
        let slot = match existing {
            Some(s) if self.index.is_none() || self.vector(s) == vector => s,
            Some(s) => {
                self.kill(s);
                self.push_slot()
            }
            None if self.index.is_none() => self.free.pop().unwrap_or_else(|| self.push_slot()),
            None => self.push_slot(),
        };
        if existing != Some(slot) {
            self.of_record.insert(record_slot, slot);
            if self.index.is_some() {
                self.unindexed.push(slot);
            }
        }
        let start = slot as usize * self.dimension;
        self.vectors[start..start + self.dimension].copy_from_slice(vector);
        self.inv_norms[slot as usize] = inverse_norm(vector);
        self.owner[slot as usize] = record_slot;
    }

    /// Drops record `record_slot`'s vector from this space, if it has one.
    pub fn remove(&mut self, record_slot: u32) {
        if let Some(slot) = self.of_record.remove(&record_slot) {
            self.kill(slot);
        }
    }

    fn kill(&mut self, slot: u32) {
        self.owner[slot as usize] = NO_OWNER;
        match self.index.as_mut() {
            Some(graph) => graph.mark_deleted(slot),
            None => self.free.push(slot),
        }
    }

    fn push_slot(&mut self) -> u32 {
        self.owner.push(NO_OWNER);
        self.vectors.resize(self.vectors.len() + self.dimension, 0.0);
        self.inv_norms.push(0.0);
        (self.owner.len() - 1) as u32
    }

    /// Builds the graph over every live vector, on `threads` threads.
    pub fn build_index(&mut self, params: HnswParams, metric: Metric, threads: usize) {
        let mut graph = HnswGraph::new(params, 0x5EED_1000 ^ self.owner.len() as u64);
        let live: Vec<u32> = (0..self.owner.len() as u32).filter(|&s| self.owner(s).is_some()).collect();
        graph.insert_many(&live, &self.space(metric), threads);
        self.free.clear();
        self.unindexed.clear();
        self.index = Some(graph);
    }

    /// Adopts a graph loaded from the snapshot (its nodes are this space's slots).
    pub fn set_index(&mut self, graph: HnswGraph) {
        self.free.clear();
        self.unindexed.clear();
        self.index = Some(graph);
    }

    /// Inserts the vectors written since the last call into the graph (on `threads`
    /// threads when there are many).
    pub fn catch_up_index(&mut self, metric: Metric, threads: usize) {
        if self.unindexed.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.unindexed);
        let live: Vec<u32> = pending.into_iter().filter(|&s| self.owner(s).is_some()).collect();
        let Some(mut graph) = self.index.take() else { return };
        let threads = if live.len() >= crate::namespace::PARALLEL_INSERT_MIN { threads } else { 1 };
        graph.insert_many(&live, &self.space(metric), threads);
        self.index = Some(graph);
    }

    /// A dense copy: live vectors renumbered in the order of `record_remap` (old record slot
    /// -> new record slot), so a space rebuilt by loading the records in their new order gets
    /// the same numbering, and the graph (repaired, not rebuilt) stays valid after a reload.
    pub fn compacted(&self, record_remap: &[Option<u32>], metric: Metric) -> NamedSpace {
        let mut live: Vec<(u32, u32)> = self
            .of_record
            .iter()
            .filter_map(|(&rec, &slot)| record_remap.get(rec as usize).copied().flatten().map(|new_rec| (new_rec, slot)))
            .collect();
        live.sort_unstable();
        let mut out = NamedSpace::new(self.dimension);
        out.vectors.reserve(live.len() * self.dimension);
        let mut remap = vec![None; self.owner.len()];
        for (new_rec, old_slot) in live {
            let slot = out.push_slot();
            let start = slot as usize * self.dimension;
            out.vectors[start..start + self.dimension].copy_from_slice(self.vector(old_slot));
            out.inv_norms[slot as usize] = self.inv_norms[old_slot as usize];
            out.owner[slot as usize] = new_rec;
            out.of_record.insert(new_rec, slot);
            remap[old_slot as usize] = Some(slot);
        }
        if let Some(graph) = &self.index {
            out.index = Some(graph.compacted(&remap, &out.space(metric)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_slots_without_a_graph_and_tombstones_with_one() {
        let mut s = NamedSpace::new(2);
        s.set(10, &[1.0, 0.0]);
        s.set(11, &[0.0, 1.0]);
        s.remove(10);
        s.set(12, &[3.0, 4.0]);
        assert_eq!(s.slot_count(), 2);
        assert_eq!(s.owner(0), Some(12));
        s.build_index(HnswParams::default(), Metric::L2, 1);
        s.set(12, &[5.0, 5.0]); // a changed vector takes a fresh slot under a graph
        assert_eq!(s.slot_count(), 3);
        assert_eq!(s.owner(0), None);
        s.catch_up_index(Metric::L2, 1);
        assert!(s.index().unwrap().contains(2));
        assert!(!s.index().unwrap().contains(0));
        let remap: Vec<Option<u32>> = (0..13).map(|r| if r >= 11 { Some(r - 11) } else { None }).collect();
        let c = s.compacted(&remap, Metric::L2);
        assert_eq!(c.len(), 2);
        assert_eq!(c.dead_slots(), 0);
        assert_eq!((c.owner(0), c.owner(1)), (Some(0), Some(1)));
        assert_eq!(c.vector(1), &[5.0, 5.0]);
        c.index().unwrap().check_integrity().unwrap();
    }
}
