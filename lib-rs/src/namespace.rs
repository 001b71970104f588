//! One namespace's records: an id map, records by slot, the sparse index, cached filter
//! columns, the main vectors (a [`VectorSpace`] whose slots are the record slots) and the
//! named vector spaces its records use.
//!
//! Slots follow the main space's rule: reused while there is no graph, tombstones once
//! there is one (a vector update then moves the record to a fresh slot), renumbered densely
//! by `compacted()` (run by `compact`).

use crate::expiry::Expiry;
use crate::multi_vector::{MultiSpace, MultiVector};
use crate::filter::{Column, FilterPlan};
use crate::id_index::IdIndex;
use crate::json::Json;
use crate::named_space::NamedSpace;
use crate::progress::Tally;
use crate::record::{Record, RecordView};
use crate::record_store::{EncodedRecords, RecordStore};
use crate::sparse::InvertedIndex;
use crate::vector::hnsw::{HnswGraph, HnswParams};
use crate::vector::quantize::Quantizations;
use crate::vector::space::VectorSpace;
use crate::vector::Metric;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Whether `ids` finds the records of the first and the last of `len` slots where they are:
/// a stored table is checked so before it is used (it must have been hashed as this library
/// hashes ids, for these records).
fn resolves_ends<'r>(ids: &IdIndex, len: usize, key_of: impl Fn(u32) -> Option<&'r str> + Copy) -> bool {
    [0, len.saturating_sub(1)].iter().all(|&slot| {
        let slot = slot as u32;
        key_of(slot).is_some_and(|id| ids.get(id, key_of) == Some(slot))
    })
}

/// Seeds of the graphs' levels (with the slot count), main and named.
const MAIN_SEED: u64 = 0x5EED_0000;
const NAMED_SEED: u64 = 0x5EED_1000;

/// The fewest vectors a graph update inserts between two progress reports.
const INDEX_SLICE_MIN: usize = 4_096;

#[derive(Default)]
pub struct Namespace {
    /// id -> slot, reading the ids from `records` (no second copy).
    ids: IdIndex,
    /// The records by slot: the snapshot's still encoded, those written since decoded.
    records: RecordStore,
    /// The main vectors: slot i is record slot i.
    main: VectorSpace,
    /// BM25 postings of the records' sparse terms.
    sparse: InvertedIndex,
    /// Metadata columns of the field paths filters have used, kept current by every write.
    columns: Mutex<HashMap<String, Arc<Column>>>,
    /// The named vector spaces records of this namespace use, each with its own graph.
    named: BTreeMap<String, NamedSpace>,
    /// The numbering of the slots, for list cursors.
    layout: crate::layout::Layout,
    /// When records given a time to live expire, by slot.
    expiry: Expiry,
    /// The multi-vector spaces records of this namespace use.
    multi: BTreeMap<String, MultiSpace>,
}

/// At most this many cached columns per namespace; past it the cache starts over.
const MAX_COLUMNS: usize = 32;

impl Namespace {
    pub fn new(dimension: usize) -> Namespace {
        Namespace { main: VectorSpace::new(dimension), ..Namespace::default() }
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
        self.ids.get(id, |slot| self.records.id(slot))
    }

    /// Whether the snapshot's records are read from the file as needed instead of held.
    pub fn records_in_place(&self) -> bool {
        self.records.is_encoded()
    }

    /// Whether the id table is the snapshot's, used in place (until the first write).
    pub fn ids_in_place(&self) -> bool {
        self.ids.is_mapped()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.slot_of(id).is_some()
    }

    /// The slot of record `id` if it is stored and not expired at `now`.
    pub fn visible_slot(&self, id: &str, now: i64) -> Option<u32> {
        self.slot_of(id).filter(|&slot| !self.expiry.is_due(slot, now))
    }

    /// When the records given a time to live expire.
    pub fn expiry(&self) -> &Expiry {
        &self.expiry
    }

    /// Sets (None: clears) when record `id` expires; returns whether it is stored.
    pub fn set_expiry(&mut self, id: &str, at: Option<i64>) -> bool {
        let Some(slot) = self.slot_of(id) else { return false };
        self.expiry.set(slot, at);
        true
    }

    /// Gives the records loaded from a snapshot their instants: (RECORDS position, instant)
    /// pairs, the positions being the slots of a loaded namespace.
    pub fn restore_expiry(&mut self, entries: &[(u32, i64)]) {
        for &(slot, at) in entries {
            self.expiry.set(slot, Some(at));
        }
    }

    /// The multi-vector spaces of this namespace's records, by name.
    pub fn multi_spaces(&self) -> &BTreeMap<String, MultiSpace> {
        &self.multi
    }

    /// Replaces the multi-vectors of record `id` with `spaces` (the caller has checked
    /// them); returns whether it is stored.
    pub fn set_multi(&mut self, id: &str, spaces: &[MultiVector]) -> bool {
        let Some(slot) = self.slot_of(id) else { return false };
        self.clear_multi(slot);
        for s in spaces {
            self.multi.entry(s.name.clone()).or_insert_with(|| MultiSpace::new(s.dim)).set(slot, &s.values);
        }
        true
    }

    /// The multi-vectors of the record at `slot`, in name order.
    pub fn multi_of(&self, slot: u32) -> Vec<MultiVector> {
        self.multi
            .iter()
            .filter_map(|(name, space)| Some(MultiVector { name: name.clone(), dim: space.dim(), values: space.get(slot)?.to_vec() }))
            .collect()
    }

    /// Adopts the multi-vector spaces read from a snapshot (their slots are RECORDS positions).
    pub fn restore_multi(&mut self, spaces: Vec<(String, MultiSpace)>) {
        self.multi.extend(spaces);
    }

    fn clear_multi(&mut self, slot: u32) {
        for space in self.multi.values_mut() {
            space.remove(slot);
        }
    }

    /// The record at `slot`: borrowed if it was written since the open, else decoded from
    /// the snapshot (so a caller keeps it only as long as it needs it).
    pub fn record(&self, slot: u32) -> Option<Cow<'_, Record>> {
        self.records.get(slot)
    }

    /// The record at `slot` with its sparse terms and named vectors, its metadata left null.
    pub fn record_terms(&self, slot: u32) -> Option<Cow<'_, Record>> {
        self.records.terms_and_vectors(slot)
    }

    /// The record at `slot` read in place for a result, its metadata left as JSON text.
    pub fn record_view(&self, slot: u32) -> Option<RecordView<'_>> {
        self.records.view(slot)
    }

    /// Whether `slot` holds a record.
    pub fn is_live(&self, slot: u32) -> bool {
        self.records.is_live(slot)
    }

    /// The id of the record at `slot`, read without decoding the rest of it.
    pub fn id_of(&self, slot: u32) -> Option<&str> {
        self.records.id(slot)
    }

    /// The metadata of the record at `slot`, decoded alone.
    pub fn metadata(&self, slot: u32) -> Option<Cow<'_, crate::json::Json>> {
        self.records.metadata(slot)
    }

    /// Whether the record at `slot` is live and passes `filter`: its metadata is decoded only
    /// when the filter's columns cannot answer alone.
    #[inline]
    pub fn passes(&self, filter: &crate::filter::BoundFilter, slot: u32) -> bool {
        self.records.is_live(slot) && filter.matches_lazily(slot, || self.records.metadata(slot))
    }

    /// The record at `slot` encoded as a snapshot stores it (None if there is none).
    pub fn encoding(&self, slot: u32) -> Option<&[u8]> {
        self.records.encoding(slot)
    }

    /// A stored record that did not decode (it read as absent) and is still in place, if any.
    pub fn damage(&self) -> Option<crate::error::Error> {
        self.records.damage()
    }

    /// Decodes every stored record once: `CORRUPT` if one does not decode.
    pub fn verify_records(&self) -> crate::error::Result<()> {
        self.records.verify()
    }

    /// The main vector of record slot `slot`.
    pub fn vector(&self, slot: u32) -> &[f32] {
        self.main.vector(slot)
    }

    pub fn inv_norm(&self, slot: u32) -> f32 {
        self.main.inv_norm(slot)
    }

    /// The main vectors, their liveness and graph.
    pub fn vectors(&self) -> &VectorSpace {
        &self.main
    }

    /// Live records with their slots, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, Cow<'_, Record>)> {
        self.iter_from(0)
    }

    /// Live records with their slots from slot `start` on, in slot order.
    pub fn iter_from(&self, start: u32) -> impl Iterator<Item = (u32, Cow<'_, Record>)> {
        self.slots_from(start).filter_map(|slot| Some((slot, self.records.get(slot)?)))
    }

    /// The slots of the live records, in order.
    pub fn slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.slots_from(0)
    }

    /// The slots of the live records from slot `start` on, in order.
    pub fn slots_from(&self, start: u32) -> impl Iterator<Item = u32> + '_ {
        let start = start.min(self.records.len() as u32);
        (start..self.records.len() as u32).filter(|&slot| self.records.is_live(slot))
    }

    /// The numbering of the slots (see `layout.rs`).
    pub fn layout(&self) -> &crate::layout::Layout {
        &self.layout
    }

    /// The inverted index of the records' sparse terms.
    pub fn sparse(&self) -> &InvertedIndex {
        &self.sparse
    }

    /// Slots that are not live records (tombstones and free slots).
    pub fn dead_slots(&self) -> usize {
        self.main.dead_slots()
    }

    /// Whether compaction has anything to drop, in the main vectors or a named space.
    pub fn has_dead_slots(&self) -> bool {
        self.dead_slots() > 0 || self.named.values().any(|s| s.vectors().dead_slots() > 0)
    }

    /// Whether every graph (main and named) is current and dense, so the snapshot can store
    /// the graphs with node ids equal to the RECORDS order.
    pub fn indexes_storable(&self) -> bool {
        !self.has_dead_slots() && self.main.index_is_current() && self.named.values().all(|s| s.vectors().index_is_current())
    }

    /// The columns `plan` needs, built from the records on first use.
    pub fn filter_columns(&self, plan: &FilterPlan) -> Vec<Arc<Column>> {
        let mut cache = self.columns.lock().unwrap_or_else(|p| p.into_inner());
        let paths = plan.column_paths();
        let mut missing: Vec<&String> = paths.iter().filter(|p| !cache.contains_key(*p)).collect();
        if cache.len() + missing.len() > MAX_COLUMNS {
            cache.clear();
            missing = paths.iter().collect();
        }
        missing.dedup();
        if !missing.is_empty() {
            // Every missing column in one pass, one record's metadata at a time: none is kept.
            let mut built: Vec<Column> = missing.iter().map(|p| Column::build(p, self.records.len(), std::iter::empty())).collect();
            for slot in self.slots() {
                if let Some(metadata) = self.records.metadata(slot) {
                    for column in &mut built {
                        column.set(slot, &metadata);
                    }
                }
            }
            for (path, column) in missing.into_iter().zip(built) {
                cache.insert(path.clone(), Arc::new(column));
            }
        }
        paths.iter().map(|p| cache[p].clone()).collect()
    }

    /// Keeps cached columns in step with a write at `slot` (None: the slot was emptied).
    fn update_columns(&mut self, slot: u32, metadata: Option<&Json>) {
        let cache = self.columns.get_mut().unwrap_or_else(|p| p.into_inner());
        for col in cache.values_mut() {
            let col = Arc::make_mut(col);
            match metadata {
                Some(m) => col.set(slot, m),
                None => col.clear(slot),
            }
        }
    }

    /// Empties record slot `slot` (its main vector is already dead): the record, its
    /// sparse terms, its named vectors, its cached columns.
    fn clear_slot(&mut self, slot: u32) {
        self.expiry.set(slot, None);
        self.clear_multi(slot);
        if let Some(old) = self.records.take(slot) {
            self.sparse.remove(slot, &old.sparse);
            for (name, _) in &old.vectors {
                if let Some(space) = self.named.get_mut(name) {
                    space.remove(slot);
                }
            }
        }
        self.update_columns(slot, None);
    }

    /// A namespace loaded from the snapshot: records in slot order (kept encoded where the
    /// file allows), their main vectors back to back (adopted as the namespace's array, not
    /// copied), and the stored inverted index and id table if there are (else they are built
    /// from the records). Named vectors are taken out of the records when `named` says the
    /// database has named spaces. A record that does not decode is `CORRUPT`.
    pub fn load(dimension: usize, records: RecordStore, main: VectorSpace, sparse: Option<InvertedIndex>, ids: Option<IdIndex>, named: bool) -> crate::error::Result<Namespace> {
        let n = records.len();
        debug_assert_eq!(main.slot_count(), n);
        let mut ns = Namespace::new(dimension);
        ns.main = main;
        match ids {
            Some(ids) if ids.len() == n && resolves_ends(&ids, n, |slot| records.id(slot)) => ns.ids = ids,
            _ => {
                ns.ids.reserve(n);
                for slot in 0..n as u32 {
                    // A snapshot's ids are unique (it is written from an index like this one).
                    if let Some(id) = records.id(slot) {
                        ns.ids.insert_new(id, slot);
                    }
                }
            }
        }
        let rebuild_terms = sparse.is_none();
        if rebuild_terms || named || !records.is_encoded() {
            for slot in 0..n as u32 {
                let Some(record) = records.terms_and_vectors(slot) else { continue };
                if rebuild_terms {
                    ns.sparse.add(slot, &record.sparse);
                }
                for (name, v) in &record.vectors {
                    ns.named.entry(name.clone()).or_insert_with(|| NamedSpace::new(v.len())).set(slot, v);
                }
            }
        }
        if let Some(e) = records.damage() {
            return Err(e);
        }
        ns.records = records;
        if let Some(sparse) = sparse {
            ns.sparse = sparse;
        }
        Ok(ns)
    }

    /// Inserts or replaces, without expiry; the caller has checked the vector's length.
    /// Returns the slot.
    pub fn upsert(&mut self, record: Record, vector: &[f32]) -> u32 {
        self.upsert_until(record, vector, None)
    }

    /// `upsert`, the record expiring at `expires_at` (epoch milliseconds; None: never).
    pub fn upsert_until(&mut self, record: Record, vector: &[f32], expires_at: Option<i64>) -> u32 {
        let existing = self.slot_of(&record.id);
        let slot = self.main.put(existing, vector);
        if self.records.len() < self.main.slot_count() {
            self.records.push_empty();
        }
        match existing {
            Some(old) if old != slot => {
                self.clear_slot(old);
                self.ids.repoint(&record.id, old, slot);
            }
            Some(_) => {}
            None => self.ids.insert_new(&record.id, slot),
        }
        // A write replaces the record's multi-vectors: a `SetMultiVectors` after it gives them.
        self.clear_multi(slot);
        if let Some(old) = self.records.take(slot) {
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
            self.named.entry(name.clone()).or_insert_with(|| NamedSpace::new(v.len())).set(slot, v);
        }
        self.sparse.add(slot, &record.sparse);
        self.records.set(slot, &record);
        self.expiry.set(slot, expires_at);
        self.update_columns(slot, Some(&record.metadata));
        slot
    }

    /// Merges `patch` into the metadata of record `id` (see `Record::merge_metadata`); its
    /// vectors, terms, slot and graph nodes stay as they are. Returns whether it existed.
    pub fn update_metadata(&mut self, id: &str, patch: crate::json::Json) -> bool {
        let Some(slot) = self.slot_of(id) else { return false };
        let Some(mut record) = self.records.get(slot).map(Cow::into_owned) else { return false };
        record.merge_metadata(patch);
        self.records.set(slot, &record);
        self.update_columns(slot, Some(&record.metadata));
        true
    }

    /// Removes a record; returns whether it existed.
    pub fn delete(&mut self, id: &str) -> bool {
        let records = &self.records;
        match self.ids.remove(id, |slot| records.id(slot)) {
            Some(slot) => {
                self.main.remove(slot);
                self.clear_slot(slot);
                true
            }
            None => false,
        }
    }

    /// Reserves room for `n` more records (bulk loads).
    pub fn reserve(&mut self, n: usize) {
        self.ids.reserve(n);
        self.records.reserve(n);
        self.main.reserve(n);
    }

    /// The named vector spaces, by name.
    pub fn named_spaces(&self) -> &BTreeMap<String, NamedSpace> {
        &self.named
    }

    /// Sets each space's quantization as `settings` say (a space whose setting changed learns
    /// or drops its codes), and where an int8 space keeps the vectors written since the
    /// snapshot (`spill_dir`: see `storage/spill.rs`; None: in memory).
    pub fn apply_quantization(&mut self, settings: &Quantizations, spill_dir: Option<&Arc<Path>>) {
        self.main.set_spill_dir(spill_dir.cloned());
        self.main.set_quantization(settings.main);
        for (name, space) in &mut self.named {
            space.vectors_mut().set_spill_dir(spill_dir.cloned());
            space.vectors_mut().set_quantization(settings.of(name));
        }
    }

    /// Uses `mapped` (the same vectors, in the order of the slots) instead of the main
    /// vectors held in memory; ignored unless every slot is live and the vectors agree.
    pub fn use_mapped_vectors(&mut self, mapped: crate::vector::floats::MappedFloats) {
        self.main.use_mapped_vectors(mapped);
    }

    /// Uses `mapped` (the same codes, in the order of the slots) instead of the main
    /// vectors' codes held in memory.
    pub fn use_mapped_codes(&mut self, mapped: crate::storage::mapping::MappedSlice<u8>) {
        self.main.use_mapped_codes(mapped);
    }

    /// Uses `words` (the same level 0, as the file stores it) for the graph of space `name`
    /// ("" the main vectors) instead of its copy in memory; false if they differ.
    pub fn use_mapped_level0(&mut self, name: &str, words: crate::storage::mapping::MappedSlice<u32>) -> bool {
        let space = if name.is_empty() { Some(&mut self.main) } else { self.named.get_mut(name).map(NamedSpace::vectors_mut) };
        space.is_some_and(|s| s.use_mapped_level0(words))
    }

    /// `VectorSpace::advise_walked_pages` for the main vectors and every named space.
    pub fn advise_walked_pages(&self) {
        self.main.advise_walked_pages();
        for space in self.named.values() {
            space.vectors().advise_walked_pages();
        }
    }

    /// Uses `words`, this namespace's id table as the snapshot stores it, instead of the one
    /// it holds now; ignored unless the slots are dense and the table finds the first and the
    /// last record.
    pub fn use_mapped_ids(&mut self, words: crate::storage::mapping::MappedSlice<u32>) {
        let len = self.len();
        if len == 0 || self.slot_count() != len {
            return;
        }
        let Some(table) = IdIndex::from_stored(crate::storage::bulk_section::Words::Mapped(words), len) else { return };
        if resolves_ends(&table, len, |slot| self.records.id(slot)) {
            self.ids = table;
        }
    }

    /// Reads the records from `records` (the same records, in the order of the slots, as a
    /// compaction just wrote them) instead of holding them; ignored unless the slots are
    /// dense and the first and last ids agree.
    pub fn use_encoded_records(&mut self, records: EncodedRecords) {
        self.records.use_encoded(records);
    }

    /// Learns the codes of every quantized space again from the vectors it holds now.
    pub fn refresh_codes(&mut self) {
        self.main.refresh_codes();
        for space in self.named.values_mut() {
            space.vectors_mut().refresh_codes();
        }
    }

    /// Adopts a graph loaded from the snapshot for space `name` ("" is the main vectors);
    /// false if the namespace has no such space.
    pub fn set_index(&mut self, name: &str, graph: HnswGraph) -> bool {
        let space = if name.is_empty() { Some(&mut self.main) } else { self.named.get_mut(name).map(NamedSpace::vectors_mut) };
        match space {
            Some(space) => {
                space.set_index(graph);
                true
            }
            None => false,
        }
    }

    /// Brings every graph (main and named) up to date, building one for a space that holds
    /// more than `threshold` vectors; adds the vectors inserted to `tally`. Stops early, with
    /// the vectors not inserted yet still waiting (scored exactly), once the current job was
    /// cancelled. Returns how many graphs were started.
    pub fn update_indexes(&mut self, params: HnswParams, metric: Metric, threshold: usize, tally: &mut Tally) -> usize {
        self.named.retain(|_, space| !space.is_empty() || space.vectors().graph().is_some());
        let named = self.named.values_mut().map(|s| (s.vectors_mut(), NAMED_SEED));
        let mut built = 0;
        // Slices of about 1% of the work (on every core each), so progress moves and a
        // cancellation is seen soon; large enough that the slices cost nothing in speed.
        let slice = tally.total().map_or(0, |t| t as usize / 100).max(INDEX_SLICE_MIN);
        for (space, seed) in std::iter::once((&mut self.main, MAIN_SEED)).chain(named) {
            if crate::progress::cancelled() {
                return built;
            }
            if space.graph().is_none() {
                if space.len() <= threshold {
                    continue;
                }
                space.start_index(params, seed);
                built += 1;
            }
            while !space.unindexed().is_empty() {
                let before = space.unindexed().len();
                let left = space.update_index_some(metric, slice);
                if !tally.add((before - left) as u64) {
                    return built;
                }
            }
        }
        built
    }

    /// `update_indexes` a slice at a time, for a catch-up in the background: inserts at most
    /// `budget` waiting vectors into the graphs (a space past `threshold` without one starts
    /// an empty graph and fills it so). Returns the graphs started and whether vectors wait
    /// still.
    pub fn catch_up_indexes(&mut self, params: HnswParams, metric: Metric, threshold: usize, budget: usize) -> (usize, bool) {
        let named = self.named.values_mut().map(|s| (s.vectors_mut(), NAMED_SEED));
        let (mut started, mut left) = (0, budget);
        for (space, seed) in std::iter::once((&mut self.main, MAIN_SEED)).chain(named) {
            if space.graph().is_none() && space.len() > threshold {
                space.start_index(params, seed);
                started += 1;
            }
            if space.graph().is_some() && !space.unindexed().is_empty() {
                if left == 0 {
                    return (started, true);
                }
                let before = space.unindexed().len();
                let waiting = space.update_index_some(metric, left);
                left -= before - waiting;
                if waiting > 0 {
                    return (started, true);
                }
            }
        }
        (started, false)
    }

    /// How many vectors wait for a graph: those not inserted yet, and every vector of a
    /// space past `threshold` that has no graph.
    pub fn index_backlog(&self, threshold: usize) -> usize {
        std::iter::once(&self.main)
            .chain(self.named.values().map(|s| s.vectors()))
            .map(|space| match space.graph() {
                Some(_) => space.unindexed().len(),
                None if space.len() > threshold => space.len(),
                None => 0,
            })
            .sum()
    }

    /// A copy with live records only, renumbered densely in slot order; the graphs (if
    /// any) drop their deleted nodes and repair their neighbourhoods instead of being rebuilt.
    /// Stored records stay stored (a snapshot copies their bytes). `CORRUPT` if one of them
    /// does not decode: nothing is changed then.
    pub fn compacted(&mut self, metric: Metric, now: i64) -> crate::error::Result<Namespace> {
        self.records.verify()?;
        let order: Vec<u32> = self.main.live_slots().filter(|&slot| !self.expiry.is_due(slot, now)).collect();
        let (main, remap) = self.main.compacted(&order, metric);
        let dropped = (0..remap.len() as u32).filter(|&s| remap[s as usize].is_none()).collect();
        let expiry = self.expiry.remapped(&remap);
        let mut out = Namespace { main, expiry, layout: self.layout.after_compaction(dropped), ..Namespace::default() };
        out.ids.reserve(order.len());
        let kept: Vec<u32> = self.slots().filter(|&slot| remap[slot as usize].is_some()).collect();
        debug_assert_eq!(kept, order, "records and main vectors are live in the same slots");
        out.records = self.records.reordered(&kept);
        for slot in 0..kept.len() as u32 {
            let record = out.records.terms_and_vectors(slot).ok_or_else(|| out.records.damage().unwrap_or_else(|| crate::error::Error::new(crate::error::Code::Internal, "a compacted record is missing")))?;
            out.ids.insert_new(&record.id, slot);
            out.sparse.add(slot, &record.sparse);
        }
        for (name, space) in &mut self.named {
            let space = space.compacted(&remap, metric);
            if !space.is_empty() {
                out.named.insert(name.clone(), space);
            }
        }
        for (name, space) in &self.multi {
            let space = space.remapped(|slot| remap.get(slot as usize).copied().flatten());
            if !space.is_empty() {
                out.multi.insert(name.clone(), space);
            }
        }
        Ok(out)
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
        assert_eq!(ns.slots().filter_map(|s| ns.id_of(s)).collect::<Vec<_>>(), vec!["c", "b"]);
    }

    #[test]
    fn keeps_indexed_vectors_stable_and_compacts_tombstones() {
        let mut ns = Namespace::new(2);
        for i in 0..50 {
            ns.upsert(rec(&format!("r{i}")), &[i as f32, 1.0]);
        }
        assert_eq!(ns.update_indexes(HnswParams::default(), Metric::L2, 49, &mut crate::progress::Tally::new(crate::progress::Phase::Index, None)), 1);
        let before = ns.slot_of("r3").unwrap();
        ns.upsert(rec("r3"), &[3.0, 1.0]); // same vector: stays in place
        assert_eq!(ns.slot_of("r3"), Some(before));
        ns.upsert(rec("r3"), &[99.0, 1.0]); // new vector: fresh slot, old one tombstoned
        assert_ne!(ns.slot_of("r3"), Some(before));
        ns.delete("r4");
        ns.upsert(rec("new"), &[7.0, 7.0]);
        assert_eq!(ns.update_indexes(HnswParams::default(), Metric::L2, 0, &mut crate::progress::Tally::new(crate::progress::Phase::Index, None)), 0, "a graph is brought up to date, not rebuilt");
        let graph = ns.vectors().graph().unwrap();
        assert!(ns.vectors().index_is_current());
        assert!(!graph.contains(before));
        assert!(graph.contains(ns.slot_of("new").unwrap()));
        assert_eq!(ns.dead_slots(), 2);
        let compact = ns.compacted(Metric::L2, 0).unwrap();
        assert_eq!(compact.dead_slots(), 0);
        assert_eq!(compact.len(), 50);
        assert_eq!(compact.vector(compact.slot_of("r3").unwrap()), &[99.0, 1.0]);
        compact.vectors().graph().unwrap().check_integrity().unwrap();
        assert_eq!(compact.vectors().graph().unwrap().live_len(), 50);
    }
}
