//! The graph's binary form, inside the .vdb's HNSW section. All integers little-endian.
//!
//! ```text
//! u8      format version (1)
//! varint  m
//! varint  ef_construction
//! u64     level generator state (later inserts continue the seeded sequence)
//! varint  slot count n
//! u32     entry point id, u32::MAX for an empty graph
//! n x u8  per slot: 0xFF absent, else level (0..=30) | 0x80 if deleted
//! then for each present slot in id order, for each level 0..=its level:
//!   varint  link count (at most 2m on level 0, m above)
//!   count x u32 linked ids
//! ```
//!
//! Decoding validates everything a search relies on (each link names a present node that
//! reaches that level, no self or duplicate links, degrees within bounds, the entry point
//! is a node on the top level), so a damaged section is `CORRUPT`, never a panic later.

use super::{HnswGraph, HnswParams, ABSENT, MAX_LEVEL, MAX_M, MIN_M};
use crate::codec::{Reader, Writer};
use crate::error::Result;
use std::io;

const FORMAT_VERSION: u8 = 1;
const DELETED_FLAG: u8 = 0x80;
/// A sanity bound on a decoded ef_construction (it sizes the build's candidate lists).
const MAX_EF_CONSTRUCTION: u64 = 1 << 20;

impl HnswGraph {
    pub fn encode(&self, w: &mut Writer) {
        // Flushing nothing: the whole encoding accumulates in `w`.
        let _ = self.encode_in_pieces(w, &mut |_| Ok(()));
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
            if level == ABSENT {
                continue;
            }
            for lc in 0..=level as usize {
                let links = self.links(id as u32, lc);
                w.varint(links.len() as u64);
                for l in links {
                    w.u32(l.load(std::sync::atomic::Ordering::Relaxed));
                }
            }
            flush(w)?;
        }
        Ok(())
    }

    /// Reads a graph written by `encode`. It may have at most `node_count_expected` slots
    /// (the vectors its `Space` will hold): more would make a search read past them.
    pub fn decode(r: &mut Reader, node_count_expected: usize) -> Result<HnswGraph> {
        let version = r.u8()?;
        if version != FORMAT_VERSION {
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
        g.grow_to(n);
        for id in 0..n {
            let tag = r.u8()?;
            if tag == ABSENT {
                continue;
            }
            let level = (tag & !DELETED_FLAG) as usize;
            if level > MAX_LEVEL {
                return Err(r.corrupt(&format!("HNSW node {id} has level {level} > {MAX_LEVEL}")));
            }
            g.place(id as u32, level);
            if tag & DELETED_FLAG != 0 {
                g.deleted[id] = true;
                g.live -= 1;
            }
        }
        let mut list = Vec::new();
        let mut sorted = Vec::new();
        for id in 0..n as u32 {
            let level = g.levels[id as usize];
            if level == ABSENT {
                continue;
            }
            for lc in 0..=level as usize {
                g.read_list(r, id, lc, &mut list, &mut sorted)?;
                g.write_links(id, lc, &list);
            }
        }
        g.set_entry_point(g.checked_entry(r, entry)?);
        Ok(g)
    }

    /// Reads and validates one link list into `list`.
    fn read_list(&self, r: &mut Reader, id: u32, lc: usize, list: &mut Vec<u32>, sorted: &mut Vec<u32>) -> Result<()> {
        let count = r.varint()?;
        let max = self.max_links(lc);
        if count > max as u64 {
            return Err(r.corrupt(&format!("HNSW node {id} has {count} links on level {lc}, at most {max} allowed")));
        }
        let bytes = r.take(count as usize * 4)?;
        list.clear();
        list.extend(bytes.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])));
        for &to in list.iter() {
            let reaches = self.levels.get(to as usize).is_some_and(|&l| l != ABSENT && l as usize >= lc);
            if to == id || !reaches {
                return Err(r.corrupt(&format!("HNSW node {id} links to {to} on level {lc}, which is not a node there")));
            }
        }
        sorted.clear();
        sorted.extend_from_slice(list);
        sorted.sort_unstable();
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return Err(r.corrupt(&format!("HNSW node {id} has a duplicate link on level {lc}")));
        }
        Ok(())
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
