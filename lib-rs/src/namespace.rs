//! One namespace's records: an id map, records by slot, and the main vectors stored
//! contiguously (slot-major) with their inverse norms, so a scan streams one array.
//!
//! Without an index, deleted slots are reused by later inserts. Once the namespace has an
//! HNSW graph, a slot's vector never changes under the graph: a delete or a vector update
//! leaves a tombstone (marked deleted in the graph) and an update takes a fresh slot.
//! Tombstones are dropped, and slots renumbered densely, by `compacted()` (run by `compact`).

use crate::filter::{Column, FilterPlan};
use crate::id_index::IdIndex;
use crate::named_space::NamedSpace;
use crate::record::Record;
use crate::sparse::InvertedIndex;
use std::sync::{Arc, Mutex};
use crate::vector::hnsw::{HnswGraph, HnswParams, SliceSpace};
use crate::vector::Metric;
use std::collections::{BTreeMap, HashMap};

/// The id of the record at `slot`, if it holds one (how the id index reads its keys).
fn id_at(records: &[Option<Record>], slot: u32) -> Option<&str> {
    records.get(slot as usize).and_then(|r| r.as_ref()).map(|r| r.id.as_str())
}

/// Below this many pending slots the index catches up on one thread.
pub const PARALLEL_INSERT_MIN: usize = 256;

#[derive(Default)]
pub struct Namespace {
    pub dimension: usize,
    /// id -> slot, reading the ids from `records` (no second copy).
    ids: IdIndex,
    records: Vec<Option<Record>>,
    /// Which slots hold a record: a compact copy of `records[i].is_some()` for the scan.
    live: Vec<bool>,
    vectors: Vec<f32>,
    inv_norms: Vec<f32>,
    free: Vec<u32>,
    index: Option<HnswGraph>,
    /// Slots written since the index last caught up.
    unindexed: Vec<u32>,
    /// BM25 postings of the records' sparse terms.
    sparse: InvertedIndex,
    /// Metadata columns of the field paths filters have used, kept current by every write.
    columns: Mutex<HashMap<String, Arc<Column>>>,
    /// The named vector spaces records of this namespace use, each with its own graph.
    named: BTreeMap<String, NamedSpace>,
}

/// At most this many cached columns per namespace; past it the cache starts over.
const MAX_COLUMNS: usize = 32;

/// How many threads a bulk index build uses: every core.
pub fn build_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
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
        self.ids.get(id, |slot| id_at(&self.records, slot))
    }

    pub fn contains(&self, id: &str) -> bool {
        self.slot_of(id).is_some()
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

    /// The vectors as the graph reads them.
    pub fn space(&self, metric: Metric) -> SliceSpace<'_> {
        SliceSpace { vectors: &self.vectors, inv_norms: &self.inv_norms, dim: self.dimension, metric }
    }

    /// Live records with their slots, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Record)> {
        self.records.iter().enumerate().filter_map(|(i, r)| r.as_ref().map(|r| (i as u32, r)))
    }

    pub fn index(&self) -> Option<&HnswGraph> {
        self.index.as_ref()
    }

    /// The inverted index of the records' sparse terms.
    pub fn sparse(&self) -> &InvertedIndex {
        &self.sparse
    }

    /// Slots written since the graph last caught up (possibly dead since): a search scores
    /// them exactly beside the graph's candidates.
    pub fn unindexed(&self) -> &[u32] {
        &self.unindexed
    }

    /// Whether every live slot is in the graph (no inserts pending).
    pub fn index_is_current(&self) -> bool {
        self.unindexed.is_empty()
    }

    /// Slots that are not live records (tombstones and free slots).
    pub fn dead_slots(&self) -> usize {
        self.records.len() - self.ids.len()
    }

    /// Whether compaction has anything to drop, in the main vectors or a named space.
    pub fn has_dead_slots(&self) -> bool {
        self.dead_slots() > 0 || self.named.values().any(|s| s.dead_slots() > 0)
    }

    /// Whether every graph (main and named) is current and dense, so the snapshot can store
    /// the graphs with node ids equal to the RECORDS order.
    pub fn indexes_storable(&self) -> bool {
        !self.has_dead_slots() && self.index_is_current() && self.named.values().all(|s| s.index_is_current())
    }

    /// Makes room for `floats` more vector values, growing by doubling; a new allocation is
    /// advised for huge pages before anything touches it.
    fn grow_vectors(&mut self, floats: usize) {
        let need = self.vectors.len() + floats;
        if need > self.vectors.capacity() {
            self.vectors.reserve(need.max(2 * self.vectors.capacity()) - self.vectors.len());
            let cap = self.vectors.capacity();
            crate::storage::os::advise_huge_pages(self.vectors.as_ptr() as *const u8, cap * 4);
        }
    }

    /// Which slots hold a record, by slot.
    pub fn live_slots(&self) -> &[bool] {
        &self.live
    }

    fn push_slot(&mut self) -> u32 {
        self.records.push(None);
        self.live.push(false);
        self.grow_vectors(self.dimension);
        self.vectors.resize(self.vectors.len() + self.dimension, 0.0);
        self.inv_norms.push(0.0);
        (self.records.len() - 1) as u32
    }

    /// The columns `plan` needs, built from the records on first use.
    pub fn filter_columns(&self, plan: &FilterPlan) -> Vec<Arc<Column>> {
        let mut cache = self.columns.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() + plan.column_paths().len() > MAX_COLUMNS {
            cache.clear();
        }
        plan.column_paths()
            .iter()
            .map(|path| {
                cache
                    .entry(path.clone())
                    .or_insert_with(|| Arc::new(Column::build(path, self.records.len(), self.iter().map(|(s, r)| (s, &r.metadata)))))
                    .clone()
            })
            .collect()
    }

    /// Keeps cached columns in step with a write at `slot` (None: the slot was emptied).
    fn update_columns(&mut self, slot: u32) {
        let cache = self.columns.get_mut().unwrap_or_else(|p| p.into_inner());
        let record = self.records[slot as usize].as_ref();
        for col in cache.values_mut() {
            let col = Arc::make_mut(col);
            match record {
                Some(r) => col.set(slot, &r.metadata),
                None => col.clear(slot),
            }
        }
    }

    fn tombstone(&mut self, slot: u32) {
        self.live[slot as usize] = false;
        if let Some(old) = self.records[slot as usize].take() {
            self.sparse.remove(slot, &old.sparse);
            for (name, _) in &old.vectors {
                if let Some(space) = self.named.get_mut(name) {
                    space.remove(slot);
                }
            }
        }
        self.update_columns(slot);
        match self.index.as_mut() {
            Some(graph) => graph.mark_deleted(slot),
            None => self.free.push(slot),
        }
    }

    /// A namespace loaded from the snapshot: records in slot order, their main vectors back
    /// to back (adopted as the namespace's array, not copied), and the stored inverted index
    /// if there is one (else it is rebuilt from the records' terms).
    pub fn load(dimension: usize, records: Vec<Record>, vectors: Vec<f32>, sparse: Option<InvertedIndex>) -> Namespace {
        debug_assert_eq!(vectors.len(), records.len() * dimension);
        let mut ns = Namespace::new(dimension);
        let n = records.len();
        ns.inv_norms = vectors.chunks_exact(dimension.max(1)).map(crate::vector::distance::inverse_norm).collect();
        ns.vectors = vectors;
        ns.ids.reserve(n);
        ns.records.reserve(n);
        ns.live = vec![true; n];
        let rebuild_terms = sparse.is_none();
        for (slot, record) in records.into_iter().enumerate() {
            let slot = slot as u32;
            // A snapshot's ids are unique (it is written from an index like this one).
            ns.ids.insert_new(&record.id, slot);
            if rebuild_terms {
                ns.sparse.add(slot, &record.sparse);
            }
            for (name, v) in &record.vectors {
                ns.named.entry(name.clone()).or_insert_with(|| NamedSpace::new(v.len())).set(slot, v);
            }
            ns.records.push(Some(record));
        }
        if let Some(sparse) = sparse {
            ns.sparse = sparse;
        }
        ns
    }

    /// Inserts or replaces; the caller has checked the vector's length. Returns the slot.
    pub fn upsert(&mut self, record: Record, vector: &[f32]) -> u32 {
        debug_assert_eq!(vector.len(), self.dimension);
        let existing = self.slot_of(&record.id);
        let slot = match existing {
            // Same vector, or no graph that depends on it: overwrite in place.
            Some(slot) if self.index.is_none() || self.vector(slot) == vector => slot,
            Some(old) => {
                self.tombstone(old);
                self.push_slot()
            }
            None if self.index.is_none() => self.free.pop().unwrap_or_else(|| self.push_slot()),
            None => self.push_slot(),
        };
        if existing != Some(slot) {
            match existing {
                Some(old) => {
                    self.ids.repoint(&record.id, old, slot);
                }
                None => self.ids.insert_new(&record.id, slot),
            }
            if self.index.is_some() {
                self.unindexed.push(slot);
            }
        }
        let start = slot as usize * self.dimension;
        self.vectors[start..start + self.dimension].copy_from_slice(vector);
        self.inv_norms[slot as usize] = crate::vector::distance::inverse_norm(vector);
        if let Some(old) = self.records[slot as usize].take() {
            self.sparse.remove(slot, &old.sparse);
            for (name, _) in &old.vectors {
                if !record.vectors.iter().any(|(n, _)| n == name) {
                    if let Some(space) = self.named.get_mut(name) {
                        space.remove(slot);
                    }
                }
            }
        }
        for (name, v) in &record.vectors {
            if !self.named.contains_key(name) {
                self.named.insert(name.clone(), NamedSpace::new(v.len()));
            }
            if let Some(space) = self.named.get_mut(name) {
                space.set(slot, v);
            }
        }
        self.sparse.add(slot, &record.sparse);
        self.records[slot as usize] = Some(record);
        self.live[slot as usize] = true;
        self.update_columns(slot);
        slot
    }

    /// Removes a record; returns whether it existed.
    pub fn delete(&mut self, id: &str) -> bool {
        match self.ids.remove(id, |slot| id_at(&self.records, slot)) {
            Some(slot) => {
                self.tombstone(slot);
                true
            }
            None => false,
        }
    }

    /// Reserves room for `n` more records (bulk loads).
    pub fn reserve(&mut self, n: usize) {
        self.ids.reserve(n);
        self.records.reserve(n);
        self.live.reserve(n);
        self.grow_vectors(n * self.dimension);
        self.inv_norms.reserve(n);
    }

    /// Builds the graph over every live record, on every core.
    pub fn build_index(&mut self, params: HnswParams, metric: Metric) {
        let mut graph = HnswGraph::new(params, 0x5EED_0000 ^ self.records.len() as u64);
        let live: Vec<u32> = self.iter().map(|(slot, _)| slot).collect();
        graph.insert_many(&live, &self.space(metric), build_threads());
        // Free slots were never inserted; from now on slots are not reused.
        self.free.clear();
        self.unindexed.clear();
        self.index = Some(graph);
    }

    /// Adopts a graph loaded from the snapshot (its nodes are this namespace's slots).
    pub fn set_index(&mut self, graph: HnswGraph) {
        self.free.clear();
        self.unindexed.clear();
        self.index = Some(graph);
    }

    /// Inserts the slots written since the last call into the graph (in parallel for many).
    pub fn catch_up_index(&mut self, metric: Metric) {
        if self.unindexed.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.unindexed);
        let live: Vec<u32> = pending.into_iter().filter(|&s| self.records[s as usize].is_some()).collect();
        let Some(mut graph) = self.index.take() else { return };
        let threads = if live.len() >= PARALLEL_INSERT_MIN { build_threads() } else { 1 };
        graph.insert_many(&live, &self.space(metric), threads);
        self.index = Some(graph);
    }

    /// The named vector spaces, by name.
    pub fn named_spaces(&self) -> &BTreeMap<String, NamedSpace> {
        &self.named
    }

    /// Adopts a loaded graph for named space `name`; false if the namespace has no such space.
    pub fn set_named_index(&mut self, name: &str, graph: HnswGraph) -> bool {
        match self.named.get_mut(name) {
            Some(space) => {
                space.set_index(graph);
                true
            }
            None => false,
        }
    }

    /// Brings the named spaces' graphs up to date, building one for a space past
    /// `threshold` vectors. Returns how many graphs were built.
    pub fn refresh_named_indexes(&mut self, params: HnswParams, metric: Metric, threshold: usize) -> usize {
        let mut built = 0;
        self.named.retain(|_, space| !space.is_empty() || space.index().is_some());
        for space in self.named.values_mut() {
            if space.index().is_some() {
                space.catch_up_index(metric, build_threads());
            } else if space.len() > threshold {
                space.build_index(params, metric, build_threads());
                built += 1;
            }
        }
        built
    }

    /// A copy with live records only, renumbered densely in slot order; the graph (if any)
    /// drops its deleted nodes and repairs their neighbourhoods instead of being rebuilt.
    pub fn compacted(&mut self, metric: Metric) -> Namespace {
        self.catch_up_index(metric);
        let mut out = Namespace::new(self.dimension);
        out.reserve(self.len());
        let mut remap = vec![None; self.records.len()];
        for (slot, record) in self.records.iter().enumerate() {
            if let Some(record) = record {
                remap[slot] = Some(out.push_record(record.clone(), self.vector(slot as u32), self.inv_norms[slot]));
            }
        }
        if let Some(graph) = &self.index {
            let graph = graph.compacted(&remap, &out.space(metric));
            out.index = Some(graph);
        }
        for (name, space) in &self.named {
            let space = space.compacted(&remap, metric);
            if !space.is_empty() {
                out.named.insert(name.clone(), space);
            }
        }
        out
    }

    fn push_record(&mut self, record: Record, vector: &[f32], inv_norm: f32) -> u32 {
        let slot = self.records.len() as u32;
        self.ids.insert_new(&record.id, slot);
        self.sparse.add(slot, &record.sparse);
        self.records.push(Some(record));
        self.live.push(true);
        self.grow_vectors(vector.len());
        self.vectors.extend_from_slice(vector);
        self.inv_norms.push(inv_norm);
        slot
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
    fn reuses_deleted_slots_without_an_index() {
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

    #[test]
    fn keeps_indexed_vectors_stable_and_compacts_tombstones() {
        let mut ns = Namespace::new(2);
        for i in 0..50 {
            ns.upsert(rec(&format!("r{i}")), &[i as f32, 1.0]);
        }
        ns.build_index(HnswParams::default(), Metric::L2);
        let before = ns.slot_of("r3").unwrap();
        ns.upsert(rec("r3"), &[3.0, 1.0]); // same vector: stays in place
        assert_eq!(ns.slot_of("r3"), Some(before));
        ns.upsert(rec("r3"), &[99.0, 1.0]); // new vector: fresh slot, old one tombstoned
        assert_ne!(ns.slot_of("r3"), Some(before));
        ns.delete("r4");
        ns.upsert(rec("new"), &[7.0, 7.0]);
        ns.catch_up_index(Metric::L2);
        let graph = ns.index().unwrap();
        assert!(!graph.contains(before));
        assert!(graph.contains(ns.slot_of("new").unwrap()));
        assert_eq!(ns.dead_slots(), 2);
        let compact = ns.compacted(Metric::L2);
        assert_eq!(compact.dead_slots(), 0);
        assert_eq!(compact.len(), 50);
        assert_eq!(compact.vector(compact.slot_of("r3").unwrap()), &[99.0, 1.0]);
        compact.index().unwrap().check_integrity().unwrap();
        assert_eq!(compact.index().unwrap().live_len(), 50);
    }
}
