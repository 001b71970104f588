//! A vector space: vectors of one dimension stored contiguously (slot-major) with their
//! inverse norms, which slots are live, and the HNSW graph over them once there is one. A
//! namespace's main vectors are one (its slots are the record slots); each named space is
//! another (with its own slot numbers, mapped to records by `named_space.rs`).
//!
//! The slot rule: without a graph a freed slot is reused by the next vector. Once there is
//! a graph, a slot's vector never changes under it: a replaced or deleted vector leaves a
//! tombstone (marked deleted in the graph), a replacement takes a fresh slot, and the
//! fresh slots wait in `unindexed` until `update_index` inserts them. Tombstones go, and
//! slots are renumbered densely, in `compacted`.
//!
//! A quantized space (`quantize/`) also keeps a code per slot, learned from its vectors once
//! it has a graph (and again when it has doubled, and at compaction): the graph walk and
//! the scan rank candidates by their codes and score the best `k x rescore` again with the
//! float32 vectors, so returned scores are exact.
//!
//! One search serves both ways of answering (as hnswlib's `AlgorithmInterface` serves its
//! brute-force and HNSW indexes): the exact scan, or the graph plus an exact look at the
//! vectors not in it yet, so none is missed. The query planner (`search/plan.rs`) picks.

use super::distance::{self, inverse_norm, Metric};
use super::floats::Floats;
use super::hnsw::{HnswGraph, HnswParams, SliceSpace, Space};
use super::quantize::code_space::CodeSpace;
use super::quantize::{Codes, Quantization};
use super::topk::{Counters, Near, Sink, TopK};
use std::path::Path;
use std::sync::Arc;

/// Outliers (vectors outside the learned code ranges, scored exactly by every search) a
/// space tolerates, or 0.1% of its vectors if more, before it learns its codes again.
const MAX_OUTLIERS: usize = 64;

/// Below this many pending slots the graph catches up on one thread.
pub const PARALLEL_INSERT_MIN: usize = 256;

/// How many threads a bulk graph build uses: every core.
pub fn build_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// How a search runs, as the planner chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Every live vector scored with its float32 vector, whatever the space keeps.
    Exact,
    /// Every live vector scored: by its code in a quantized space, the best `k x rescore`
    /// then scored exactly; otherwise as `Exact`.
    Scan { rescore: usize },
    /// The graph with this beam width (`efSearch`), walked on the codes of a quantized space
    /// with the best `k x rescore` (at most `ef`) scored exactly; a scan when the space has
    /// no graph.
    Graph { ef: usize, rescore: usize },
}

/// Candidates scored exactly for `k` results: `k x rescore`, at least `k`.
fn rescored_count(k: usize, rescore: usize) -> usize {
    k.saturating_mul(rescore.max(1)).max(k)
}

#[derive(Debug, Default)]
pub struct VectorSpace {
    dimension: usize,
    vectors: Floats,
    inv_norms: Vec<f32>,
    /// Which slots hold a vector: read by the scan, one byte a slot.
    live: Vec<bool>,
    live_count: usize,
    /// Freed slots, reused while there is no graph.
    free: Vec<u32>,
    graph: Option<HnswGraph>,
    /// Slots written since the graph last caught up (possibly dead since).
    unindexed: Vec<u32>,
    quantization: Quantization,
    /// A code per slot (dead ones included: the graph walks through tombstones), once
    /// learned.
    codes: Option<Codes>,
    /// Where an int8 space keeps the vectors written since the snapshot once it has codes
    /// (`storage/spill.rs`); None: in memory.
    spill_dir: Option<Arc<Path>>,
}

impl VectorSpace {
    pub fn new(dimension: usize) -> VectorSpace {
        VectorSpace { dimension, vectors: Floats::in_memory(dimension, Vec::new()), ..VectorSpace::default() }
    }

    /// A space whose slots hold `vectors` (slot-major, adopted rather than copied), all live.
    pub fn from_vectors(dimension: usize, vectors: Vec<f32>) -> VectorSpace {
        let inv_norms: Vec<f32> = vectors.chunks_exact(dimension.max(1)).map(inverse_norm).collect();
        let n = inv_norms.len();
        debug_assert_eq!(vectors.len(), n * dimension);
        let vectors = Floats::in_memory(dimension, vectors);
        VectorSpace { dimension, vectors, inv_norms, live: vec![true; n], live_count: n, ..VectorSpace::default() }
    }

    /// A space loaded from a snapshot: `vectors` adopted (read, or in place in a map of the
    /// file), and the stored inverse norms and codes when the file has them (else the norms
    /// are computed; codes come with a graph).
    pub fn load(dimension: usize, vectors: Floats, inv_norms: Option<Vec<f32>>, codes: Option<Codes>) -> VectorSpace {
        let inv_norms = inv_norms.unwrap_or_else(|| (0..vectors.slots() as u32).map(|s| inverse_norm(vectors.get(s))).collect());
        let n = inv_norms.len();
        debug_assert_eq!(vectors.slots(), n);
        let mut space = VectorSpace { dimension, vectors, inv_norms, live: vec![true; n], live_count: n, ..VectorSpace::default() };
        if let Some(codes) = codes.filter(|c| c.slots() == space.live.len()) {
            space.quantization = codes.kind();
            space.codes = Some(codes);
        }
        space
    }

    pub fn dimension(&self) -> usize {
        self.dimension
    }

    pub fn quantization(&self) -> Quantization {
        self.quantization
    }

    /// Whether the vectors written since the snapshot are in a spill file.
    pub fn is_spilled(&self) -> bool {
        self.vectors.is_spilled()
    }

    /// The codes, once learned.
    pub fn codes(&self) -> Option<&Codes> {
        self.codes.as_ref()
    }

    /// Sets how the space is quantized: codes are learned now if the space has a graph
    /// (or had codes), else when it gets one; `None` drops them.
    pub fn set_quantization(&mut self, quantization: Quantization) {
        if quantization == self.quantization {
            return;
        }
        let had_codes = self.codes.take().is_some();
        self.quantization = quantization;
        if had_codes || self.graph.is_some() {
            self.train_codes();
        }
    }

    /// Learns the codes again from the vectors held now, if the space has codes.
    pub fn refresh_codes(&mut self) {
        if self.codes.is_some() {
            self.train_codes();
        }
    }

    /// Keeps the vectors written since the snapshot in a spill file in `dir` once the
    /// space has int8 codes (now, if it has them); None keeps them in memory from the next
    /// snapshot on.
    pub fn set_spill_dir(&mut self, dir: Option<Arc<Path>>) {
        self.spill_dir = dir;
        self.spill_if_quantized();
    }

    /// Lets the vectors spill once the space has int8 codes: a build then walks the codes
    /// and never reads them.
    fn spill_if_quantized(&mut self) {
        let int8 = self.codes.as_ref().is_some_and(|c| c.kind() == Quantization::Int8);
        self.vectors.set_spill_dir(self.spill_dir.clone().filter(|_| int8));
    }

    /// Learns the code parameters from the live vectors and encodes every slot. The vectors
    /// are read through the files they are in (one at a time), so learning does not make
    /// a mapped or spilled space resident.
    fn train_codes(&mut self) {
        if self.quantization == Quantization::None {
            self.codes = None;
            self.spill_if_quantized();
            return;
        }
        // The old codes go first: two sets at once were the peak of a compaction.
        self.codes = None;
        let mut buf = vec![0.0f32; self.dimension];
        let mut codes = Codes::train_from(self.quantization, self.dimension, &mut |learn| {
            for slot in self.live_slots() {
                self.vectors.read_into(slot, &mut buf);
                learn(&buf);
            }
        });
        codes.reserve_slots(self.live.len());
        for slot in 0..self.live.len() as u32 {
            self.vectors.read_into(slot, &mut buf);
            codes.set(slot, &buf);
        }
        self.codes = Some(codes);
        self.spill_if_quantized();
    }

    /// Live vectors.
    pub fn len(&self) -> usize {
        self.live_count
    }

    pub fn is_empty(&self) -> bool {
        self.live_count == 0
    }

    /// Slots, live or not: the bound of slot numbers.
    pub fn slot_count(&self) -> usize {
        self.live.len()
    }

    /// Tombstones and free slots.
    pub fn dead_slots(&self) -> usize {
        self.live.len() - self.live_count
    }

    pub fn is_live(&self, slot: u32) -> bool {
        self.live.get(slot as usize).copied().unwrap_or(false)
    }

    /// Live slots, in slot order.
    pub fn live_slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.live.iter().enumerate().filter(|(_, live)| **live).map(|(slot, _)| slot as u32)
    }

    #[inline]
    pub fn vector(&self, slot: u32) -> &[f32] {
        self.vectors.get(slot)
    }

    /// The vectors of the slots from `first` on, copied into `out` through the files they
    /// are in (see `Floats::read_run`).
    pub fn read_vectors(&self, first: u32, out: &mut [f32]) -> std::io::Result<()> {
        self.vectors.read_run(first, out)
    }

    /// Uses `mapped` instead of the vectors held now, which it must equal slot for slot (a
    /// file just written from this space); ignored when the space has dead slots or the
    /// first and last vectors differ.
    pub fn use_mapped_vectors(&mut self, mapped: super::floats::MappedFloats) {
        let floats = Floats::mapped(self.dimension, mapped);
        let n = self.live.len();
        if n == 0 || self.live_count != n || floats.slots() != n {
            return;
        }
        let (first, last) = (0, n as u32 - 1);
        if floats.get(first) != self.vector(first) || floats.get(last) != self.vector(last) {
            return;
        }
        self.vectors = floats;
        self.free.clear();
        self.spill_if_quantized();
    }

    /// Uses `words` for the graph's level 0 instead of the copy in memory (see
    /// `HnswGraph::use_mapped_level0`); false without a graph or if they differ.
    pub fn use_mapped_level0(&mut self, words: crate::storage::mapping::MappedSlice<u32>) -> bool {
        self.graph.as_mut().is_some_and(|g| g.use_mapped_level0(words))
    }

    /// Asks for huge pages under what a search walks at random, where it is in place in a
    /// map: the graph's level 0, and the codes, or the float32 vectors of a space without
    /// codes (with codes, the vectors are only read to rescore a few candidates).
    pub fn advise_walked_pages(&self) {
        if let Some(graph) = &self.graph {
            graph.advise_huge_pages();
        }
        match &self.codes {
            Some(codes) => codes.advise_huge_pages(),
            None => self.vectors.advise_huge_pages(),
        }
    }

    /// Uses `mapped` instead of the codes held now, which it must equal slot for slot;
    /// ignored otherwise (checked on the first and last code).
    pub fn use_mapped_codes(&mut self, mapped: crate::storage::mapping::MappedSlice<u8>) {
        let n = self.live.len();
        let Some(codes) = &mut self.codes else { return };
        if n == 0 || self.live_count != n || codes.mapped_slots() != 0 || mapped.len() != n * codes.stride() {
            return;
        }
        let stride = codes.stride();
        let bytes = mapped.as_slice();
        if bytes[..stride] != *codes.code(0) || bytes[(n - 1) * stride..] != *codes.code(n as u32 - 1) {
            return;
        }
        codes.replace_with_mapped(mapped);
    }

    /// Slots whose vectors are in place in a map of the snapshot file.
    pub fn mapped_slots(&self) -> usize {
        self.vectors.mapped_slots()
    }

    /// Bytes of float32 vectors held in memory (mapped ones are the file's pages).
    pub fn vector_memory_bytes(&self) -> usize {
        self.vectors.memory_bytes()
    }

    pub fn inv_norm(&self, slot: u32) -> f32 {
        self.inv_norms[slot as usize]
    }

    /// The vectors as the graph reads them.
    pub fn slices(&self, metric: Metric) -> SliceSpace<'_> {
        SliceSpace { vectors: &self.vectors, inv_norms: &self.inv_norms, dim: self.dimension, metric }
    }

    /// What a graph build compares nodes with: an int8 space's codes once learned (the
    /// float32 vectors are then never read by a build), else the vectors. Binary codes keep
    /// too little of a vector to choose neighbours by.
    fn build_space(&self, metric: Metric) -> Box<dyn Space + '_> {
        match &self.codes {
            Some(codes) if codes.kind() == Quantization::Int8 => Box::new(CodeSpace { codes, floats: self.slices(metric) }),
            _ => Box::new(self.slices(metric)),
        }
    }

    pub fn graph(&self) -> Option<&HnswGraph> {
        self.graph.as_ref()
    }

    /// Slots written since the graph last caught up (possibly dead since): a graph search
    /// scores them exactly.
    pub fn unindexed(&self) -> &[u32] {
        &self.unindexed
    }

    /// Whether every live slot is in the graph (no inserts pending).
    pub fn index_is_current(&self) -> bool {
        self.unindexed.is_empty()
    }

    /// Makes room for `n` more vectors.
    pub fn reserve(&mut self, n: usize) {
        if let Some(codes) = &mut self.codes {
            codes.reserve_slots(self.live.len() + n);
        }
        self.live.reserve(n);
        self.inv_norms.reserve(n);
        self.vectors.reserve(n);
    }

    /// Appends a dead slot.
    fn push_slot(&mut self) -> u32 {
        self.vectors.push_zeroed();
        self.inv_norms.push(0.0);
        self.live.push(false);
        (self.live.len() - 1) as u32
    }

    /// Stores `vector` for an owner whose vector is at `existing` (None: a new owner), by
    /// the slot rule; returns its slot. When that is not `existing`, `existing` is dead
    /// afterwards. The caller has checked the length.
    pub fn put(&mut self, existing: Option<u32>, vector: &[f32]) -> u32 {
        debug_assert_eq!(vector.len(), self.dimension);
        let unchanged = existing.is_some_and(|slot| self.vector(slot) == vector);
        let slot = match existing {
            // Same vector, or no graph that depends on it and not in the file's map:
            // overwrite in place.
            Some(slot) if unchanged || (self.graph.is_none() && !self.vectors.is_mapped(slot)) => slot,
            Some(old) => {
                self.remove(old);
                self.push_slot()
            }
            None if self.graph.is_none() => self.free.pop().unwrap_or_else(|| self.push_slot()),
            None => self.push_slot(),
        };
        if existing != Some(slot) && self.graph.is_some() {
            self.unindexed.push(slot);
        }
        if !unchanged {
            self.vectors.set(slot, vector);
            self.inv_norms[slot as usize] = inverse_norm(vector);
            if let Some(codes) = &mut self.codes {
                codes.set(slot, vector);
            }
        }
        if !std::mem::replace(&mut self.live[slot as usize], true) {
            self.live_count += 1;
        }
        slot
    }

    /// Frees a live slot: reused later without a graph, a tombstone with one.
    pub fn remove(&mut self, slot: u32) {
        if !std::mem::replace(&mut self.live[slot as usize], false) {
            return;
        }
        self.live_count -= 1;
        match self.graph.as_mut() {
            Some(graph) => graph.mark_deleted(slot),
            None if !self.vectors.is_mapped(slot) => self.free.push(slot),
            None => {}
        }
    }

    /// Whether the codes were learned from a much smaller space (and may no longer span its
    /// values) or leave too many outliers.
    fn codes_are_stale(&self) -> bool {
        self.codes.as_ref().is_some_and(|c| 2 * c.trained_on() < self.live_count || c.outliers().len() > MAX_OUTLIERS.max(self.live_count / 1000))
    }

    /// Builds the graph over every live vector, on every core; `seed` (with the slot
    /// count) seeds its levels.
    pub fn build_index(&mut self, params: HnswParams, metric: Metric, seed: u64) {
        let mut graph = HnswGraph::new(params, seed ^ self.live.len() as u64);
        if self.codes.is_none() || self.codes_are_stale() {
            // Learned before the build, which walks them.
            self.train_codes();
        }
        let live: Vec<u32> = self.live_slots().collect();
        graph.insert_many(&live, &*self.build_space(metric), build_threads());
        self.set_index(graph);
    }

    /// Adopts a graph (built here, or loaded from the snapshot: its nodes are these slots).
    pub fn set_index(&mut self, graph: HnswGraph) {
        // Free slots were never inserted; from now on slots are not reused.
        self.free.clear();
        self.unindexed.clear();
        self.graph = Some(graph);
        if self.codes.is_none() {
            self.train_codes();
        }
    }

    /// Starts a graph to be filled a slice at a time (`update_index_some`): an empty graph,
    /// with every live slot waiting in `unindexed` (scored exactly until inserted).
    pub fn start_index(&mut self, params: HnswParams, seed: u64) {
        let live: Vec<u32> = self.live_slots().collect();
        self.set_index(HnswGraph::new(params, seed ^ self.live.len() as u64));
        self.unindexed = live;
    }

    /// Inserts at most `max` of the slots waiting for the graph (the oldest first); returns
    /// how many wait still.
    pub fn update_index_some(&mut self, metric: Metric, max: usize) -> usize {
        if self.unindexed.len() <= max {
            self.update_index(metric);
            return 0;
        }
        let rest = self.unindexed.split_off(max);
        self.update_index(metric);
        self.unindexed = rest;
        self.unindexed.len()
    }

    /// Inserts the slots written since the last call into the graph (on every core when
    /// there are many).
    pub fn update_index(&mut self, metric: Metric) {
        if self.unindexed.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.unindexed);
        let live: Vec<u32> = pending.into_iter().filter(|&s| self.is_live(s)).collect();
        let Some(mut graph) = self.graph.take() else { return };
        if self.codes_are_stale() {
            self.train_codes();
        }
        let threads = if live.len() >= PARALLEL_INSERT_MIN { build_threads() } else { 1 };
        graph.insert_many(&live, &*self.build_space(metric), threads);
        self.graph = Some(graph);
    }

    /// A dense copy holding the live slots listed in `order`, renumbered 0.. in that order;
    /// the graph (brought up to date first) drops its deleted nodes and repairs their
    /// neighbourhoods instead of being rebuilt. Returns the copy and old slot -> new slot.
    pub fn compacted(&mut self, order: &[u32], metric: Metric) -> (VectorSpace, Vec<Option<u32>>) {
        self.update_index(metric);
        let mut out = VectorSpace { quantization: self.quantization, ..VectorSpace::new(self.dimension) };
        out.reserve(order.len());
        let mut remap = vec![None; self.live.len()];
        for &old in order {
            debug_assert!(self.is_live(old));
            out.vectors.push(self.vector(old));
            out.inv_norms.push(self.inv_norms[old as usize]);
            out.live.push(true);
            remap[old as usize] = Some(out.live_count as u32);
            out.live_count += 1;
        }
        if let Some(graph) = &mut self.graph {
            // The repair walks old lists: a mapped level 0 is validated first.
            graph.materialize();
            out.graph = Some(graph.compacted(&remap, &out.slices(metric)));
        }
        if self.codes.is_some() {
            // Learned again from the vectors the space holds now.
            out.train_codes();
        }
        // The copy stays in memory until the new file is mapped (spilling it would write every
        // vector once more); the space spills what is written after that.
        out.spill_dir = self.spill_dir.clone();
        (out, remap)
    }

    /// Finds the vectors nearest `query` among the live slots `accept` lets through and
    /// offers them to `sink`: the exact scan (every accepted vector scored, `k` unused), the
    /// scan of the codes, or the graph's best `k` plus, scored exactly, the accepted slots
    /// not in the graph yet. What codes rank is scored exactly before the sink sees it.
    /// Returns whether the graph was used.
    #[allow(clippy::too_many_arguments)]
    pub fn search<A: Fn(u32) -> bool, S: Sink>(
        &self,
        metric: Metric,
        query: &[f32],
        k: usize,
        method: Method,
        accept: A,
        sink: &mut S,
        counters: &mut Counters,
    ) -> bool {
        match (method, &self.graph, &self.codes) {
            (Method::Graph { ef, rescore }, Some(graph), Some(codes)) => {
                // The beam bounds the candidates: a small efSearch stays a cheap search.
                let wanted = rescored_count(k, rescore).min(ef.max(k));
                let scorer = codes.scorer(metric, query, &self.inv_norms);
                let mut found: Vec<u32> = graph.search_with(&scorer, wanted, ef, &accept, counters).into_iter().map(|(_, s)| s).collect();
                // Outliers not in the graph yet are among the unindexed slots scored below.
                self.add_outliers(codes, &mut found, |s| graph.contains(s) && accept(s));
                self.rescore(metric, query, found.into_iter(), sink, counters);
            }
            (Method::Graph { ef, .. }, Some(graph), None) => {
                for (score, slot) in graph.search(query, k, ef, &self.slices(metric), &accept, counters) {
                    sink.offer(score, slot);
                }
            }
            (Method::Scan { rescore } | Method::Graph { rescore, .. }, _, Some(codes)) => {
                let mut top = TopK::<Near>::new(rescored_count(k, rescore));
                self.scan_codes(codes, metric, query, &accept, &mut top, counters);
                let mut found: Vec<u32> = top.into_sorted().into_iter().map(|n| n.id).collect();
                self.add_outliers(codes, &mut found, &accept);
                self.rescore(metric, query, found.into_iter(), sink, counters);
                return false;
            }
            _ => {
                self.scan(metric, query, accept, sink, counters);
                return false;
            }
        }
        // Vectors written with the graph left behind (a bulk ingest in progress); nothing to
        // do, and nothing computed, in the usual case.
        if !self.unindexed.is_empty() {
            let inv_q = inverse_norm(query);
            for &slot in self.unindexed.iter().filter(|&&s| self.is_live(s) && accept(s)) {
                counters.visited += 1;
                sink.offer(distance::score(metric, query, inv_q, self.vector(slot), self.inv_norms[slot as usize]), slot);
            }
        }
        true
    }

    /// Adds to `found` the live outliers (vectors the codes rank badly) that `accept` lets
    /// through and `found` lacks.
    fn add_outliers(&self, codes: &Codes, found: &mut Vec<u32>, accept: impl Fn(u32) -> bool) {
        let ranked = found.len();
        for &slot in codes.outliers() {
            if self.is_live(slot) && accept(slot) && !found[..ranked].contains(&slot) {
                found.push(slot);
            }
        }
        if found.len() > ranked {
            // An outlier may be listed twice (written twice since the codes were learned).
            found[ranked..].sort_unstable();
            let mut tail = found.split_off(ranked);
            tail.dedup();
            found.extend(tail);
        }
    }

    /// Scores `slots` with their float32 vectors and offers them to `sink`. A vector in the
    /// file's map is read through the file: the codes are what a quantized space keeps
    /// resident, and rescoring would otherwise make every vector's page resident in time.
    fn rescore<S: Sink>(&self, metric: Metric, query: &[f32], slots: impl Iterator<Item = u32>, sink: &mut S, counters: &mut Counters) {
        let inv_q = inverse_norm(query);
        let mut buf = vec![0.0f32; self.dimension];
        for slot in slots {
            counters.rescored += 1;
            let v = if self.vectors.is_mapped(slot) {
                self.vectors.read_into(slot, &mut buf);
                &buf[..]
            } else {
                self.vector(slot)
            };
            sink.offer(distance::score(metric, query, inv_q, v, self.inv_norms[slot as usize]), slot);
        }
    }

    /// The best `k` (score, slot), best first, ties to the lower slot: `search` into a top-k.
    pub fn nearest(&self, metric: Metric, query: &[f32], k: usize, method: Method, accept: impl Fn(u32) -> bool) -> Vec<(f32, u32)> {
        let mut top = TopK::<Near>::new(k);
        self.search(metric, query, k, method, accept, &mut top, &mut Counters::default());
        top.into_sorted().into_iter().map(|n| (n.score, n.id)).collect()
    }

    /// The scan of the codes: every accepted live slot's estimate into `top`.
    fn scan_codes<A: Fn(u32) -> bool>(&self, codes: &Codes, metric: Metric, query: &[f32], accept: &A, top: &mut TopK<Near>, counters: &mut Counters) {
        let scorer = codes.scorer(metric, query, &self.inv_norms);
        for (slot, _) in self.live.iter().enumerate().filter(|(_, live)| **live) {
            if !accept(slot as u32) {
                counters.filtered += 1;
                continue;
            }
            let score = scorer.estimate(slot as u32);
            counters.visited += 1;
            if top.threshold().is_some_and(|t| score < t) {
                continue;
            }
            top.offer(score, slot as u32);
        }
    }

    /// The exact scan: walks the liveness bytes and the contiguous vectors (memory is
    /// streamed), with `accept` asked before a vector is scored, and offers a score only
    /// when it reaches the sink's threshold.
    fn scan<A: Fn(u32) -> bool, S: Sink>(&self, metric: Metric, query: &[f32], accept: A, sink: &mut S, counters: &mut Counters) {
        let inv_q = inverse_norm(query);
        for (slot, _) in self.live.iter().enumerate().filter(|(_, live)| **live) {
            if !accept(slot as u32) {
                counters.filtered += 1;
                continue;
            }
            let v = self.vector(slot as u32);
            let score = distance::score(metric, query, inv_q, v, self.inv_norms[slot]);
            counters.visited += 1;
            if sink.threshold().is_some_and(|t| score < t) {
                continue;
            }
            sink.offer(score, slot as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_slots_without_a_graph_and_tombstones_with_one() {
        let mut s = VectorSpace::new(2);
        let a = s.put(None, &[1.0, 0.0]);
        let b = s.put(None, &[0.0, 1.0]);
        s.remove(a);
        let c = s.put(None, &[3.0, 4.0]);
        assert_eq!((c, s.slot_count(), s.len()), (a, 2, 2));
        assert!((s.inv_norm(c) - 0.2).abs() < 1e-6);
        assert_eq!(s.put(Some(b), &[0.0, 2.0]), b, "no graph: replaced in place");
        s.build_index(HnswParams::default(), Metric::L2, 0);
        assert_eq!(s.put(Some(c), &[3.0, 4.0]), c, "an unchanged vector stays");
        let moved = s.put(Some(c), &[5.0, 5.0]);
        assert_eq!((moved, s.slot_count(), s.dead_slots()), (2, 3, 1));
        assert!(!s.is_live(c) && s.unindexed() == [moved]);
        let fresh = s.put(None, &[6.0, 6.0]);
        assert_eq!(fresh, 3, "freed slots are not reused under a graph");
        s.update_index(Metric::L2);
        let graph = s.graph().unwrap();
        assert!(graph.contains(moved) && graph.contains(fresh) && !graph.contains(c));
        let order: Vec<u32> = s.live_slots().collect();
        let (dense, remap) = s.compacted(&order, Metric::L2);
        assert_eq!((dense.len(), dense.dead_slots()), (3, 0));
        assert_eq!(remap, vec![None, Some(0), Some(1), Some(2)]);
        assert_eq!(dense.vector(1), &[5.0, 5.0]);
        dense.graph().unwrap().check_integrity().unwrap();
    }

    #[test]
    fn exact_and_graph_search_agree_and_see_unindexed_vectors() {
        let mut s = VectorSpace::new(2);
        for i in 0..300 {
            s.put(None, &[(i as f32 * 0.37).sin(), (i as f32 * 0.11).cos()]);
        }
        s.build_index(HnswParams::default(), Metric::L2, 1);
        let pending = s.put(None, &[0.5, 0.5]);
        assert_eq!(s.unindexed(), [pending]);
        let even = |slot: u32| slot.is_multiple_of(2);
        for method in [Method::Exact, Method::Graph { ef: 300, rescore: 1 }] {
            let found = s.nearest(Metric::L2, &[0.5, 0.5], 5, method, even);
            assert_eq!(found[0], (-0.0, pending), "{method:?}");
            assert!(found.iter().all(|&(_, slot)| even(slot)));
        }
        let (exact, graph) = (
            s.nearest(Metric::L2, &[0.1, 0.9], 10, Method::Exact, |_| true),
            s.nearest(Metric::L2, &[0.1, 0.9], 10, Method::Graph { ef: 300, rescore: 1 }, |_| true),
        );
        assert_eq!(exact, graph);
        let mut counters = Counters::default();
        let mut top = TopK::<Near>::new(3);
        assert!(!s.search(Metric::L2, &[0.0, 1.0], 3, Method::Exact, even, &mut top, &mut counters));
        assert_eq!((counters.visited, counters.filtered), (151, 150));
    }
}
