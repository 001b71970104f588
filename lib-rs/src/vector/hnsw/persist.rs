//! The graph's binary form, inside the .vdb's INDEXES (or NAMED_INDEXES) section, with its
//! level 0 in the LINKS0 bulk section. All integers little-endian.
//!
//! ```text
//! u8      format version (2; 1 kept every level here, still read)
//! varint  m
//! varint  ef_construction
//! u64     level generator state (later inserts continue the seeded sequence)
//! varint  slot count n
//! u32     entry point id, u32::MAX for an empty graph
//! n x u8  per slot: 0xFF absent, else level (0..=30) | 0x80 if deleted
//! then for each present slot in id order, for each level 1..=its level (0..= in version 1):
//!   varint  link count (at most 2m on level 0, m above)
//!   count x u32 linked ids
//! ```
//!
//! Level 0, nearly all of a graph, is `n x (1 + 2m)` u32 words in LINKS0: per slot its link
//! count, its links and zeros up to the fixed stride, exactly the array a search walks, so a
//! mapped file's level 0 is used in place and an open reads none of it. Those words are not
//! validated at open (that would read them all): their section checksum covers them (at open,
//! or in `check` for a large mapped section), a search bounds-checks every link it follows,
//! and the first change to the graph copies them into memory keeping only valid links.
//!
//! Decoding validates everything else a search relies on (each upper link names a present
//! node that reaches that level, no self or duplicate links, degrees within bounds, the entry
//! point is a node on the top level), and a level 0 read into memory the same way, so a
//! damaged section is `CORRUPT`, never a panic later.

use super::{HnswGraph, HnswParams, ABSENT, MAX_LEVEL, MAX_M, MIN_M};
use crate::codec::{Reader, Writer};
use crate::error::Result;
use crate::storage::bulk_section::Words;
use std::io;
use std::sync::atomic::{AtomicU32, Ordering};

/// Level 0 in LINKS0.
const FORMAT_VERSION: u8 = 2;
/// Every level inline.
const FORMAT_VERSION_INLINE: u8 = 1;
const DELETED_FLAG: u8 = 0x80;
/// A sanity bound on a decoded ef_construction (it sizes the build's candidate lists).
const MAX_EF_CONSTRUCTION: u64 = 1 << 20;


impl HnswGraph {
    /// The graph on its own (tests, tools): the section part with its level 0 right after it,
    /// as [`HnswGraph::decode`] reads it.
    pub fn encode(&self, w: &mut Writer) {
        // Flushing nothing: the whole encoding accumulates in `w`.
        let _ = self.encode_in_pieces(w, &mut |_| Ok(()));
        let _ = self.encode_level0_in_pieces(w, &mut |_| Ok(()));
    }

    /// `encode`, calling `flush(w)` every few kilobytes (at node boundaries) so that a
    /// caller streaming to a file can write and clear what is pending: a compaction then
    /// never holds the whole encoding (13 MB and more for 100,000 nodes) in memory.
    pub fn encode_in_pieces(&self, w: &mut Writer, flush: &mut dyn FnMut(&mut Writer) -> io::Result<()>) -> io::Result<()> {
        w.u8(FORMAT_VERSION);
        w.varint(self.params.m as u64);
        w.varint(self.params.ef_construction as u64);
        w.u64(self.rng);
        w.varint(self.len() as u64);
        w.u32(self.entry_point().map_or(u32::MAX, |(id, _)| id));
        for (i, (&level, &deleted)) in self.levels.iter().zip(&self.deleted).enumerate() {
            w.u8(if level == ABSENT { ABSENT } else if deleted { level | DELETED_FLAG } else { level });
            if i % 4096 == 4095 {
                flush(w)?;
            }
        }
        for (id, &level) in self.levels.iter().enumerate() {
            if level == ABSENT || level == 0 {
                continue;
            }
            for lc in 1..=level as usize {
                let links = self.links(id as u32, lc);
                w.varint(links.len() as u64);
                for l in links {
                    w.u32(l.load(Ordering::Relaxed));
                }
            }
            flush(w)?;
        }
        Ok(())
    }

    /// Level 0 as LINKS0 holds it: per slot the count, the links, zeros up to the stride.
    pub fn encode_level0_in_pieces(&self, w: &mut Writer, flush: &mut dyn FnMut(&mut Writer) -> io::Result<()>) -> io::Result<()> {
        for id in 0..self.len() as u32 {
            let links = if self.is_present(id) { self.links(id, 0) } else { &[] };
            w.u32(links.len() as u32);
            for l in links {
                w.u32(l.load(Ordering::Relaxed));
            }
            for _ in links.len() + 1..self.stride0 {
                w.u32(0);
            }
            if id % 1024 == 1023 {
                flush(w)?;
            }
        }
        Ok(())
    }

    /// Words of LINKS0 that `encode_level0_in_pieces` writes.
    pub fn level0_words(&self) -> usize {
        self.len() * self.stride0
    }

    /// Reads a graph written by `encode`. It may have at most `node_count_expected` slots
    /// (the vectors its `Space` will hold): more would make a search read past them.
    pub fn decode(r: &mut Reader, node_count_expected: usize) -> Result<HnswGraph> {
        HnswGraph::decode_from(r, node_count_expected, None)
    }

    /// Reads a graph of a snapshot section: `level0(words)` yields its level 0 from LINKS0
    /// (not called for a version 1 graph, which holds it inline). Without `level0`, the
    /// words follow in `r` (`encode`).
    pub fn decode_from(r: &mut Reader, node_count_expected: usize, level0: Option<&mut dyn FnMut(usize) -> Result<Words>>) -> Result<HnswGraph> {
        let version = r.u8()?;
        if version != FORMAT_VERSION && version != FORMAT_VERSION_INLINE {
            return Err(r.corrupt(&format!("unknown HNSW format version {version}")));
        }
        let m = r.varint()?;
        if !(MIN_M as u64..=MAX_M as u64).contains(&m) {
            return Err(r.corrupt(&format!("HNSW m = {m} outside {MIN_M}..={MAX_M}")));
        }
        let ef = r.varint()?;
        if !(m..=MAX_EF_CONSTRUCTION).contains(&ef) {
            return Err(r.corrupt(&format!("HNSW ef_construction = {ef} outside {m}..={MAX_EF_CONSTRUCTION}")));
        }
        let rng = r.u64()?;
        let n = r.len(1)?;
        if n > node_count_expected {
            return Err(r.corrupt(&format!("HNSW graph has {n} slots but there are {node_count_expected} vectors")));
        }
        let entry = r.u32()?;
        let mut g = HnswGraph::new(HnswParams { m: m as usize, ef_construction: ef as usize }, rng);
        let inline = version == FORMAT_VERSION_INLINE;
        if inline {
            g.grow_to(n);
        } else {
            g.grow_slots(n);
        }
        let tags_at = r.pos();
        let tags = r.take(n)?;
        let level_of = |tag: u8| (tag & !DELETED_FLAG) as usize;
        if let Some(id) = tags.iter().position(|&t| t != ABSENT && level_of(t) > MAX_LEVEL) {
            return Err(r.corrupt_at(tags_at + id, &format!("HNSW node {id} has level {} > {MAX_LEVEL}", level_of(tags[id]))));
        }
        // One allocation for every node's upper-level lists, not one growth per node.
        let upper_levels: usize = tags.iter().filter(|&&t| t != ABSENT).map(|&t| level_of(t)).sum();
        g.upper.reserve_exact(upper_levels * g.stride1);
        for (id, &tag) in tags.iter().enumerate() {
            if tag == ABSENT {
                continue;
            }
            g.place(id as u32, level_of(tag));
            if tag & DELETED_FLAG != 0 {
                g.deleted[id] = true;
                g.live -= 1;
            }
        }
        let first_inline_level = if inline { 0 } else { 1 };
        let mut list = Vec::new();
        let mut sorted = Vec::new();
        let upper_nodes = UpperNodes::of(&g);
        for id in 0..n as u32 {
            let level = g.levels[id as usize];
            if level == ABSENT {
                continue;
            }
            for lc in first_inline_level..=level as usize {
                g.read_list(r, id, lc, &mut list)?;
                let reaches = |to: u32| if lc == 1 { upper_nodes.contains(to) } else { g.reaches(to, lc) };
                check_list(id, lc, &list, reaches, &mut sorted).map_err(|m| r.corrupt(&m))?;
                g.write_links(id, lc, &list);
            }
        }
        if !inline {
            let words = g.level0_words();
            let level0 = match level0 {
                Some(from_section) => from_section(words)?,
                None => Words::Memory(r.take(words * 4)?.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()),
            };
            match level0 {
                Words::Mapped(words) => g.mapped0 = Some(words),
                Words::Memory(words) => g.adopt_level0(words).map_err(|m| r.corrupt(&m))?,
            }
        }
        g.set_entry_point(g.checked_entry(r, entry)?);
        Ok(g)
    }

    /// A level 0 read into memory, validated list by list as the inline lists are.
    fn adopt_level0(&mut self, words: Vec<u32>) -> std::result::Result<(), String> {
        debug_assert_eq!(words.len(), self.level0_words());
        let mut sorted = Vec::new();
        for (id, block) in words.chunks_exact(self.stride0).enumerate() {
            let count = block[0] as usize;
            let id = id as u32;
            if !self.is_present(id) && count > 0 {
                return Err(format!("HNSW slot {id} is absent but has level-0 links"));
            }
            if count > self.max_links(0) {
                return Err(format!("HNSW node {id} has {count} links on level 0, at most {} allowed", self.max_links(0)));
            }
            check_list(id, 0, &block[1..1 + count], |to| self.reaches(to, 0), &mut sorted)?;
        }
        self.links0 = words.into_iter().map(AtomicU32::new).collect();
        Ok(())
    }

    /// Reads one inline link list into `list` (its length checked against the level's bound).
    fn read_list(&self, r: &mut Reader, id: u32, lc: usize, list: &mut Vec<u32>) -> Result<()> {
        let count = r.varint()?;
        let max = self.max_links(lc);
        if count > max as u64 {
            return Err(r.corrupt(&format!("HNSW node {id} has {count} links on level {lc}, at most {max} allowed")));
        }
        let bytes = r.take(count as usize * 4)?;
        list.clear();
        list.extend(bytes.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])));
        Ok(())
    }

    /// Whether `to` is a node that reaches level `lc`.
    fn reaches(&self, to: u32, lc: usize) -> bool {
        self.levels.get(to as usize).is_some_and(|&l| l != ABSENT && l as usize >= lc)
    }

    /// The entry point must be a node on the top level, and absent only for an empty graph.
    fn checked_entry(&self, r: &Reader, entry: u32) -> Result<Option<(u32, usize)>> {
        let top = self.levels.iter().filter(|&&l| l != ABSENT).max().map(|&l| l as usize);
        match top {
            None if entry == u32::MAX => Ok(None),
            Some(top) if self.levels.get(entry as usize).is_some_and(|&l| l as usize == top) => Ok(Some((entry, top))),
            _ => Err(r.corrupt(&format!("HNSW entry point {entry} is not a node on the top level"))),
        }
    }
}

/// Each link of `id`'s list on level `lc` names another node that `reaches` that level, once.
fn check_list(id: u32, lc: usize, list: &[u32], reaches: impl Fn(u32) -> bool, sorted: &mut Vec<u32>) -> std::result::Result<(), String> {
    for &to in list {
        if to == id || !reaches(to) {
            return Err(format!("HNSW node {id} links to {to} on level {lc}, which is not a node there"));
        }
    }
    // An open checks tens of thousands of lists of a few dozen links: each link marks one of
    // 1,024 bits by its low bits, and only a list where two links share a bit (about one in
    // ten) is compared pair by pair; a long list is sorted.
    let duplicate = if list.len() <= 32 {
        let mut bits = [0u64; 16];
        let shared = list.iter().fold(false, |shared, &to| {
            let (word, bit) = ((to as usize / 64) % 16, to % 64);
            let seen = bits[word] >> bit & 1 == 1;
            bits[word] |= 1 << bit;
            shared || seen
        });
        shared && list.iter().enumerate().any(|(i, a)| list[i + 1..].contains(a))
    } else {
        sorted.clear();
        sorted.extend_from_slice(list);
        sorted.sort_unstable();
        sorted.windows(2).any(|w| w[0] == w[1])
    };
    if duplicate {
        return Err(format!("HNSW node {id} has a duplicate link on level {lc}"));
    }
    Ok(())
}

/// The nodes that reach level 1, one bit each: nearly every upper link is on level 1, and
/// its target is looked up here, in an eighth of the bytes of the levels array, which stays
/// in the CPU's cache where a million nodes' levels do not.
struct UpperNodes(Vec<u64>);

impl UpperNodes {
    fn of(g: &HnswGraph) -> UpperNodes {
        let mut bits = vec![0u64; g.levels.len().div_ceil(64)];
        for (id, &l) in g.levels.iter().enumerate() {
            if l != ABSENT && l >= 1 {
                bits[id / 64] |= 1 << (id % 64);
            }
        }
        UpperNodes(bits)
    }

    fn contains(&self, id: u32) -> bool {
        self.0.get(id as usize / 64).is_some_and(|w| w >> (id % 64) & 1 == 1)
    }
}
