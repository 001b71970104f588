//! The HNSW graph (Malkov & Yashunin, "Efficient and robust approximate nearest neighbor
//! search using Hierarchical Navigable Small World graphs", 2016/2018).
//!
//! Nodes are the slots of a `VectorSpace` (`u32`, dense from 0); the graph stores links
//! only and reads vectors through a [`Space`], so vectors live once, in the space.
//!
//! Layout, chosen for the search's memory traffic:
//! - level 0 is one flat array with a fixed stride per node: `[count, n0, n1, .. n(2M-1)]`,
//!   so a node's list is one contiguous read and a node id is its address. A graph loaded
//!   from a snapshot uses that array in place in the file's map (`persist.rs`): an open
//!   reads none of it, and the first change copies it into memory (`materialize`);
//! - the upper levels (about 1 node in M reaches level 1) live in a second flat array,
//!   `level` blocks of `[count, n0 .. n(M-1)]` per node, found through `upper_start`;
//! - links are `AtomicU32`, written under a striped lock per node and read without one:
//!   on x86-64 a relaxed load is a plain load, so the finished graph is searched at full
//!   speed, and during a parallel build a reader sees an older or newer list, never an
//!   invalid id (every value ever written is a node id).
//!
//! The search is bound by memory latency, not arithmetic: at 100k x 384 each scored
//! vector is 1.5 KB fetched from DRAM at a random place. So it scores only unvisited
//! neighbours (epoch-stamped `u16` marks, no clearing), prefetches the head of the next
//! vector while scoring the current one and the link block of the next node to expand,
//! and allocates nothing per visited node (heaps and marks live in a per-thread pool).
//! Backing the space's vector array with transparent huge pages
//! (`madvise(MADV_HUGEPAGE)`) cuts the TLB misses of those random reads: about +20%
//! queries/s measured at 100k x 384 in memory, about +30% at 1M x 384 mapped from the file
//! (`VectorSpace::advise_walked_pages`).
//!
//! Building: Algorithm 1 with the heuristic of Algorithm 4 and keepPrunedConnections
//! (lists stay full: a shrink drops the one worst pruned candidate), M links per new
//! node on every level, at most 2M on level 0 and M above. A parallel build links nodes
//! concurrently; levels are drawn first, in input order, so one thread reproduces the
//! one-by-one build exactly.
//!
//! The files: `build.rs` (insert, the neighbour heuristic, parallel bulk insert),
//! `search.rs` (the beam down the upper levels, the ef-search with the filter inside, scratch buffers),
//! `compact.rs` (dropping deleted nodes and repairing their neighbourhoods),
//! `persist.rs` (binary format and its validation).

mod build;
mod compact;
mod persist;
mod search;
pub use search::Scorer;
pub(crate) use search::prefetch_bytes;

use super::distance::{self, Metric};
use crate::storage::mapping::MappedSlice;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};


/// Build parameters. `m` is the number of links a node gets per level (twice that on
/// level 0); `ef_construction` is the candidate list size used while inserting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HnswParams {
    pub m: usize,
    pub ef_construction: usize,
}

impl Default for HnswParams {
    fn default() -> Self {
        HnswParams { m: 16, ef_construction: 200 }
    }
}

/// Bounds on `m`: below 2 the level distribution degenerates (mL = 1/ln M), above
/// `MAX_M` a node's link block stops being a sensible unit.
pub const MIN_M: usize = 2;
pub const MAX_M: usize = 512;
/// Levels are capped so they fit a byte with room for flags; reaching it needs about
/// M^30 nodes.
pub const MAX_LEVEL: usize = 30;

/// Where the graph reads vectors: ids are the vector space's slot numbers.
pub trait Space: Sync {
    fn dim(&self) -> usize;
    /// score(query, id): higher is better (cosine similarity, dot, -L2 or -L1), exactly as
    /// `distance::score`.
    fn score(&self, query: &[f32], inv_norm_query: f32, id: u32) -> f32;
    fn vector(&self, id: u32) -> &[f32];
    fn inv_norm(&self, id: u32) -> f32;
    fn metric(&self) -> Metric;
    /// The same vectors as contiguous slot-major arrays, if the space has them: the
    /// search then scores without a virtual call per vector.
    fn as_slices(&self) -> Option<SliceSpace<'_>> {
        None
    }
    /// Node `id` as a query against the other nodes: what a build scores a node's
    /// neighbourhood with, and what the neighbour heuristic compares candidates with. By
    /// default its float32 vector; a quantized space's build (`CodeSpace`) walks codes.
    fn node_scorer(&self, id: u32) -> Box<dyn Scorer + '_> {
        Box::new(search::Query { v: self.vector(id), inv: self.inv_norm(id), space: self })
    }
}

/// A [`Space`] over borrowed slot-major vectors and their inverse norms, the layout
/// `VectorSpace::slices` returns.
#[derive(Clone, Copy)]
pub struct SliceSpace<'a> {
    pub vectors: &'a crate::vector::floats::Floats,
    pub inv_norms: &'a [f32],
    pub dim: usize,
    pub metric: Metric,
}

impl Space for SliceSpace<'_> {
    fn dim(&self) -> usize {
        self.dim
    }
    #[inline]
    fn score(&self, query: &[f32], inv_norm_query: f32, id: u32) -> f32 {
        distance::score(self.metric, query, inv_norm_query, self.vector(id), self.inv_norms[id as usize])
    }
    #[inline]
    fn vector(&self, id: u32) -> &[f32] {
        self.vectors.get(id)
    }
    #[inline]
    fn inv_norm(&self, id: u32) -> f32 {
        self.inv_norms[id as usize]
    }
    fn metric(&self) -> Metric {
        self.metric
    }
    fn as_slices(&self) -> Option<SliceSpace<'_>> {
        Some(*self)
    }
    fn node_scorer(&self, id: u32) -> Box<dyn Scorer + '_> {
        // Scored by the concrete space: no virtual call per vector inside the walk.
        Box::new(search::Query { v: self.vector(id), inv: self.inv_norm(id), space: self })
    }
}

/// Mapped words read as the atomics level 0 is made of. Only loads ever touch them: every
/// store goes through `block_to_write`, which refuses a mapped level 0 (copied into memory
/// by `materialize` before any link is written).
fn as_atomics(words: &[u32]) -> &[AtomicU32] {
    // SAFETY: AtomicU32 has the size, alignment and bit validity of u32. The words are only
    // ever loaded, with Relaxed or Acquire ordering, which std documents as allowed on
    // read-only memory (the `atomic` module's notes on read-only memory).
    unsafe { std::slice::from_raw_parts(words.as_ptr().cast::<AtomicU32>(), words.len()) }
}

/// `levels[id]` of a slot that was never inserted.
const ABSENT: u8 = u8::MAX;
/// The packed entry point of an empty graph.
const NO_ENTRY: u64 = u64::MAX;
/// Link lists are guarded by a fixed array of locks, node `i` by lock `i % LOCK_STRIPES`:
/// a writer holds one at a time, so stripes cannot deadlock, and 4096 of them make two
/// builders collide rarely.
const LOCK_STRIPES: usize = 4096;

/// The graph. `Send + Sync`: searches take `&self` and may run concurrently.
pub struct HnswGraph {
    params: HnswParams,
    /// 1/ln(M): the level of a new node is floor(-ln(U) * ml).
    ml: f64,
    /// Top level per slot, `ABSENT` for slots never inserted.
    levels: Vec<u8>,
    /// Deleted nodes still carry links (search walks through them) but are never returned.
    deleted: Vec<bool>,
    live: usize,
    /// Level 0: `stride0 = 1 + 2M` words per slot, in memory or (`mapped0`) in place.
    links0: Vec<AtomicU32>,
    /// Level 0 of a graph loaded from a map, used until the first change (`links0` is empty
    /// meanwhile). Its words were never validated: a search bounds-checks each link it
    /// reads, and `materialize` drops invalid ones before anything builds on them.
    mapped0: Option<MappedSlice<u32>>,
    stride0: usize,
    /// Levels 1..=level of node `i` start at `upper_start[i]`, `stride1 = 1 + M` words each.
    upper: Vec<AtomicU32>,
    upper_start: Vec<u32>,
    stride1: usize,
    /// `(level << 32) | id` of the entry point, or `NO_ENTRY`.
    entry: AtomicU64,
    /// Held by an insert that raises the top level, for its whole insertion.
    entry_lock: Mutex<()>,
    locks: Box<[Mutex<()>]>,
    /// splitmix64 state for levels: single-threaded builds are reproducible from the seed.
    rng: u64,
}

impl std::fmt::Debug for HnswGraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HnswGraph")
            .field("params", &self.params)
            .field("slots", &self.len())
            .field("live", &self.live)
            .field("entry", &self.entry_point())
            .finish()
    }
}

impl HnswGraph {
    pub fn new(params: HnswParams, seed: u64) -> HnswGraph {
        let m = params.m.clamp(MIN_M, MAX_M);
        let params = HnswParams { m, ef_construction: params.ef_construction.max(m) };
        HnswGraph {
            params,
            ml: 1.0 / (m as f64).ln(),
            levels: Vec::new(),
            deleted: Vec::new(),
            live: 0,
            links0: Vec::new(),
            mapped0: None,
            stride0: 1 + 2 * m,
            upper: Vec::new(),
            upper_start: Vec::new(),
            stride1: 1 + m,
            entry: AtomicU64::new(NO_ENTRY),
            entry_lock: Mutex::new(()),
            locks: (0..LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
            rng: seed,
        }
    }

    /// The parameters in effect (`m` clamped to `MIN_M..=MAX_M`, `ef_construction >= m`).
    pub fn params(&self) -> HnswParams {
        self.params
    }

    /// Node slots: one past the highest id inserted (deleted and never-used slots count).
    pub fn len(&self) -> usize {
        self.levels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    /// Nodes inserted and not deleted.
    pub fn live_len(&self) -> usize {
        self.live
    }

    /// Inserted and not deleted.
    pub fn contains(&self, id: u32) -> bool {
        self.is_present(id) && !self.deleted[id as usize]
    }

    /// Marks a node deleted: never returned by search, still used for navigation until
    /// `compacted` drops it. Unknown or already deleted ids are ignored.
    pub fn mark_deleted(&mut self, id: u32) {
        if self.contains(id) {
            self.deleted[id as usize] = true;
            self.live -= 1;
        }
    }

    /// Asks for huge pages under level 0 when it is in place in a map (see
    /// `MappedSlice::advise_huge_pages`).
    pub fn advise_huge_pages(&self) {
        if let Some(words) = &self.mapped0 {
            words.advise_huge_pages();
        }
    }

    /// Whether level 0 is still used in place in the snapshot's map.
    pub fn is_mapped(&self) -> bool {
        self.mapped0.is_some()
    }

    /// Bytes held by the graph's arrays (not the vectors, which the vector space owns, nor a
    /// mapped level 0, which is the file's pages).
    pub fn memory_bytes(&self) -> usize {
        self.levels.capacity()
            + self.deleted.capacity()
            + 4 * (self.links0.capacity() + self.upper.capacity() + self.upper_start.capacity())
    }

    fn is_present(&self, id: u32) -> bool {
        self.levels.get(id as usize).is_some_and(|&l| l != ABSENT)
    }

    fn max_links(&self, level: usize) -> usize {
        if level == 0 {
            2 * self.params.m
        } else {
            self.params.m
        }
    }

    /// The entry point and the top level, `None` for an empty graph.
    fn entry_point(&self) -> Option<(u32, usize)> {
        match self.entry.load(Ordering::Acquire) {
            NO_ENTRY => None,
            packed => Some((packed as u32, (packed >> 32) as usize)),
        }
    }

    fn set_entry_point(&self, entry: Option<(u32, usize)>) {
        let packed = entry.map_or(NO_ENTRY, |(id, level)| ((level as u64) << 32) | id as u64);
        self.entry.store(packed, Ordering::Release);
    }

    /// The whole block of `id` at `level`: `[count, links..]`. The node must reach `level`.
    #[inline]
    fn block(&self, id: u32, level: usize) -> &[AtomicU32] {
        if level == 0 {
            let start = id as usize * self.stride0;
            match &self.mapped0 {
                Some(map) => as_atomics(&map.as_slice()[start..start + self.stride0]),
                None => &self.links0[start..start + self.stride0],
            }
        } else {
            let start = self.upper_start[id as usize] as usize + (level - 1) * self.stride1;
            &self.upper[start..start + self.stride1]
        }
    }

    /// `block` for a writer: never a mapped level 0 (read-only memory: a store would fault),
    /// which every change copies into memory first (`materialize`).
    #[inline]
    fn block_to_write(&self, id: u32, level: usize) -> &[AtomicU32] {
        assert!(level > 0 || self.mapped0.is_none(), "a mapped level 0 is never written");
        self.block(id, level)
    }

    /// The current links of `id` at `level`. Without the node's lock this may be a list
    /// that is being rewritten; every id in it is still a node.
    #[inline]
    fn links(&self, id: u32, level: usize) -> &[AtomicU32] {
        let block = self.block(id, level);
        let count = (block[0].load(Ordering::Acquire) as usize).min(block.len() - 1);
        &block[1..1 + count]
    }

    /// Replaces the links of `id` at `level`; the caller holds the node's lock.
    fn write_links(&self, id: u32, level: usize, ids: &[u32]) {
        let block = self.block_to_write(id, level);
        debug_assert!(ids.len() < block.len());
        for (slot, &n) in block[1..].iter().zip(ids) {
            slot.store(n, Ordering::Relaxed);
        }
        block[0].store(ids.len() as u32, Ordering::Release);
    }

    fn lock(&self, id: u32) -> MutexGuard<'_, ()> {
        // A panic in another builder cannot leave a list invalid (every stored value is
        // a node id), so a poisoned lock is still usable.
        self.locks[id as usize % LOCK_STRIPES].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next level from the seeded generator: floor(-ln(U) * mL), U uniform in (0, 1].
    fn random_level(&mut self) -> usize {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let u = ((z >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
        ((-u.ln() * self.ml) as usize).min(MAX_LEVEL)
    }

    /// Copies a mapped level 0 into memory before the graph changes, keeping of each list
    /// only the links a search may follow (to another present node, once each, at most 2M):
    /// the mapped words were never validated, and an insertion builds on them.
    pub fn materialize(&mut self) {
        let Some(map) = self.mapped0.take() else { return };
        let words = map.as_slice();
        self.links0 = words.iter().map(|&w| AtomicU32::new(w)).collect();
        map.release_pages();
        // `seen[to] == id + 1`: `to` is already in the list of `id` (no clearing per node).
        let mut seen = vec![0u32; self.len()];
        let mut list = Vec::with_capacity(self.max_links(0));
        for id in 0..self.len() as u32 {
            list.clear();
            if self.is_present(id) {
                for link in self.links(id, 0) {
                    let to = link.load(Ordering::Relaxed);
                    if to != id && self.is_present(to) && seen[to as usize] != id + 1 {
                        seen[to as usize] = id + 1;
                        list.push(to);
                    }
                }
            }
            self.write_links(id, 0, &list);
        }
    }

    /// Uses `words`, this graph's level 0 as `encode_level0_in_pieces` wrote it, in place of
    /// the copy in memory (which is freed); checked on the length and the first and last
    /// node's block, false (and nothing changed) if they differ.
    pub fn use_mapped_level0(&mut self, words: MappedSlice<u32>) -> bool {
        let n = self.len();
        // A level 0 mapped from an older file is compared and replaced like one in memory.
        if n == 0 || words.len() != self.level0_words() {
            return false;
        }
        let same = |id: u32| {
            let stored = &words.as_slice()[id as usize * self.stride0..(id as usize + 1) * self.stride0];
            let links = if self.is_present(id) { self.links(id, 0) } else { &[] };
            stored[0] as usize == links.len()
                && stored[1..1 + links.len()].iter().zip(links).all(|(w, l)| *w == l.load(Ordering::Relaxed))
                && stored[1 + links.len()..].iter().all(|&w| w == 0)
        };
        if !same(0) || !same(n as u32 - 1) {
            return false;
        }
        self.mapped0 = Some(words);
        self.links0 = Vec::new();
        true
    }

    /// Makes room for slot `id`; new slots are absent and unlinked.
    fn grow_to(&mut self, slots: usize) {
        self.materialize();
        if slots <= self.levels.len() {
            return;
        }
        self.grow_slots(slots);
        self.links0.resize_with(slots * self.stride0, || AtomicU32::new(0));
    }

    /// `grow_to` without level 0's array (a decoder that brings level 0 along).
    fn grow_slots(&mut self, slots: usize) {
        self.levels.resize(slots, ABSENT);
        self.deleted.resize(slots, false);
        self.upper_start.resize(slots, 0);
    }

    /// Registers `id` before it is linked: a new node draws its level and gets empty link
    /// blocks (returns true); a present one (a reused slot whose vector changed) keeps its
    /// level and will be relinked (returns false). Either way it is live afterwards.
    fn prepare(&mut self, id: u32) -> bool {
        self.grow_to(id as usize + 1);
        let i = id as usize;
        if self.levels[i] == ABSENT {
            let level = self.random_level();
            self.place(id, level);
            true
        } else {
            if self.deleted[i] {
                self.deleted[i] = false;
                self.live += 1;
            }
            false
        }
    }

    /// Registers absent slot `id` as a live node on levels `0..=level`, with empty lists.
    fn place(&mut self, id: u32, level: usize) {
        self.levels[id as usize] = level as u8;
        if level > 0 {
            self.upper_start[id as usize] = u32::try_from(self.upper.len()).expect("upper-level links exceed 2^32 words");
            let words = level * self.stride1;
            self.upper.resize_with(self.upper.len() + words, || AtomicU32::new(0));
        }
        self.live += 1;
    }

    /// Every link points at a present node on that level, no self links, no duplicates,
    /// degrees within bounds, levels and the entry point consistent, counts right.
    pub fn check_integrity(&self) -> std::result::Result<(), String> {
        let n = self.len();
        let mut top: Option<usize> = None;
        let mut live = 0;
        for id in 0..n as u32 {
            let level = self.levels[id as usize];
            if level == ABSENT {
                if self.block(id, 0)[0].load(Ordering::Relaxed) != 0 {
                    return Err(format!("absent slot {id} has level-0 links"));
                }
                continue;
            }
            let level = level as usize;
            if level > MAX_LEVEL {
                return Err(format!("node {id} has level {level} > {MAX_LEVEL}"));
            }
            if !self.deleted[id as usize] {
                live += 1;
            }
            top = top.max(Some(level));
            if level > 0 && self.upper_start[id as usize] as usize + level * self.stride1 > self.upper.len() {
                return Err(format!("node {id}: upper link blocks run past the array"));
            }
            for lc in 0..=level {
                self.check_list(id, lc)?;
            }
        }
        if live != self.live {
            return Err(format!("live count {} but {live} live nodes", self.live));
        }
        match (self.entry_point(), top) {
            (None, None) => Ok(()),
            (Some((e, el)), Some(t)) if self.is_present(e) && self.levels[e as usize] as usize == el && el == t => Ok(()),
            (entry, top) => Err(format!("entry point {entry:?} does not match the top level {top:?}")),
        }
    }

    fn check_list(&self, id: u32, lc: usize) -> std::result::Result<(), String> {
        let block = self.block(id, lc);
        let count = block[0].load(Ordering::Relaxed) as usize;
        if count > self.max_links(lc) {
            return Err(format!("node {id} level {lc}: {count} links > {}", self.max_links(lc)));
        }
        let mut seen = HashSet::new();
        for a in &block[1..1 + count] {
            let to = a.load(Ordering::Relaxed);
            if to == id {
                return Err(format!("node {id} level {lc}: links to itself"));
            }
            if !self.is_present(to) || (self.levels[to as usize] as usize) < lc {
                return Err(format!("node {id} level {lc}: link to {to}, which is not on that level"));
            }
            if !seen.insert(to) {
                return Err(format!("node {id} level {lc}: duplicate link to {to}"));
            }
        }
        Ok(())
    }
}
