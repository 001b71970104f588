//! A namespace's index from record id to slot: an open-addressing table (linear probing)
//! of `(hash, slot)` pairs that keeps no copy of the ids. A candidate's id is read from the
//! namespace's own records through the `key_of` function the caller passes.
//!
//! Why not `HashMap<String, u32>`: it held every id a second time (a 24-byte `String` and a
//! heap block per record, with the bucket about 60 bytes a record); this table costs 8
//! bytes per entry at a load of at most 3/4, about 11-21 bytes a record. At 100,000
//! records that is about 5 MB less for a database whose ids are short.
//!
//! Entries store the id's 32-bit hash, so most probes never touch a record, and growing
//! the table never rehashes an id. Removal shifts the following entries back (no
//! tombstones), so lookups stay short however many deletes there have been.
//!
//! A snapshot stores each namespace's table (the IDS section, `stored_table`), and an open
//! uses it in place in the file's map: nothing is hashed at open. The first change copies
//! it into memory.

use crate::storage::bulk_section::Words;
use crate::storage::mapping::MappedSlice;

/// The slot value of a free entry.
const FREE: u32 = u32::MAX;

/// The smallest table allocated.
const MIN_ENTRIES: usize = 16;

#[derive(Debug, Default, Clone)]
pub struct IdIndex {
    /// `(hash, slot)`; a power-of-two number of entries, or none.
    entries: Vec<(u32, u32)>,
    /// A stored table used in place (two words an entry) until the first change; `entries`
    /// is empty meanwhile.
    mapped: Option<MappedSlice<u32>>,
    len: usize,
}

/// The entries of the table a snapshot stores for `count` ids: room for all of them at a
/// load of at most 3/4, as `reserve` would make.
pub fn stored_entries(count: usize) -> usize {
    (count * 4).div_ceil(3).next_power_of_two().max(MIN_ENTRIES)
}

/// The table a snapshot stores for `ids`, the `count` ids of a namespace's records in file
/// order (the slot of an id is its position), as u32 words: hash, slot, hash, slot...
pub fn stored_table<'a>(count: usize, ids: impl Iterator<Item = &'a str>) -> Vec<u32> {
    let mut index = IdIndex { entries: vec![(0, FREE); stored_entries(count)], mapped: None, len: 0 };
    for (slot, id) in ids.enumerate() {
        index.place(hash_id(id), slot as u32);
        index.len += 1;
    }
    index.entries.iter().flat_map(|&(h, s)| [h, s]).collect()
}

/// The 32-bit hash of an id. Snapshots store tables of it (IDS), so it is part of the file
/// format and written out here rather than borrowed from a hasher that may change: from h = 0,
/// for each 8-byte little-endian word of the id's UTF-8 (the last one zero-padded), then for
/// the byte length as a u64, h = (rotate_left(h, 5) xor word) * 0x9E3779B97F4A7C15
/// (wrapping); the hash is the high half of h xor (h >> 29). A test pins it.
pub fn hash_id(id: &str) -> u32 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let step = |h: u64, word: u64| (h.rotate_left(5) ^ word).wrapping_mul(K);
    let mut chunks = id.as_bytes().chunks_exact(8);
    let mut h = 0u64;
    for c in &mut chunks {
        h = step(h, u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = step(h, u64::from_le_bytes(word));
    }
    // The length, so "a" and "a\0" hash apart.
    h = step(h, id.len() as u64);
    ((h ^ (h >> 29)) >> 32) as u32
}

impl IdIndex {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The table a snapshot stored for `len` ids (`stored_table`), read from its IDS
    /// section; None if its size is not the one stored for `len` ids.
    pub fn from_stored(words: Words, len: usize) -> Option<IdIndex> {
        let entries = stored_entries(len);
        match words {
            Words::Mapped(w) if w.len() == 2 * entries => Some(IdIndex { entries: Vec::new(), mapped: Some(w), len }),
            Words::Memory(w) if w.len() == 2 * entries => {
                let entries: Vec<(u32, u32)> = w.chunks_exact(2).map(|p| (p[0], p[1])).collect();
                // Counted, not trusted: growth is sized by it (see `materialize`).
                let len = entries.iter().filter(|e| e.1 != FREE).count();
                Some(IdIndex { entries, mapped: None, len })
            }
            _ => None,
        }
    }

    /// Whether the table is still used in place.
    pub fn is_mapped(&self) -> bool {
        self.mapped.is_some()
    }

    fn table_len(&self) -> usize {
        match &self.mapped {
            Some(words) => words.len() / 2,
            None => self.entries.len(),
        }
    }

    #[inline]
    fn entry(&self, i: usize) -> (u32, u32) {
        match &self.mapped {
            Some(words) => {
                let w = words.as_slice();
                (w[2 * i], w[2 * i + 1])
            }
            None => self.entries[i],
        }
    }

    /// Copies a mapped table into memory before a change.
    fn materialize(&mut self) {
        if let Some(words) = self.mapped.take() {
            self.entries = words.as_slice().chunks_exact(2).map(|p| (p[0], p[1])).collect();
            words.release_pages();
            // The count the table holds, which a damaged stored table could contradict:
            // growth is sized by it, so every insertion still finds a free entry.
            self.len = self.entries.iter().filter(|e| e.1 != FREE).count();
        }
    }

    fn mask(&self) -> usize {
        self.table_len() - 1
    }

    /// The position of the first entry of `hash`'s probe run for which `hit(slot)` holds.
    fn probe(&self, hash: u32, hit: impl Fn(u32) -> bool) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mask = self.mask();
        let mut i = hash as usize & mask;
        // A valid table always has free entries; a damaged stored one might not, and a
        // lookup must end all the same.
        for _ in 0..=mask {
            let (h, slot) = self.entry(i);
            if slot == FREE {
                return None;
            }
            if h == hash && hit(slot) {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// The position of `id`'s entry, if it has one.
    fn find<'r>(&self, id: &str, key_of: impl Fn(u32) -> Option<&'r str>) -> Option<usize> {
        self.probe(hash_id(id), |slot| key_of(slot) == Some(id))
    }

    /// The slot of `id`; `key_of(slot)` gives the id stored at a slot.
    pub fn get<'r>(&self, id: &str, key_of: impl Fn(u32) -> Option<&'r str>) -> Option<u32> {
        self.find(id, key_of).map(|i| self.entry(i).1)
    }

    /// Adds `id` at `slot`. The caller knows `id` has no entry (a second one would hide it).
    pub fn insert_new(&mut self, id: &str, slot: u32) {
        debug_assert_ne!(slot, FREE);
        self.materialize();
        self.reserve(1);
        self.place(hash_id(id), slot);
        self.len += 1;
    }

    /// Points `id`'s entry, now at slot `old`, to slot `new` (its record moved). Compares
    /// slots, not ids, so the record at `old` may already be gone. False if there is no
    /// such entry.
    pub fn repoint(&mut self, id: &str, old: u32, new: u32) -> bool {
        self.materialize();
        match self.probe(hash_id(id), |slot| slot == old) {
            Some(i) => {
                self.entries[i].1 = new;
                true
            }
            None => false,
        }
    }

    /// Removes `id`'s entry; returns its slot.
    pub fn remove<'r>(&mut self, id: &str, key_of: impl Fn(u32) -> Option<&'r str>) -> Option<u32> {
        self.materialize();
        let at = self.find(id, key_of)?;
        let slot = self.entries[at].1;
        // Backward shift: move each following entry of the run into the hole when its home
        // position is not between the hole and where it sits, so no probe sequence breaks.
        let mask = self.mask();
        let mut hole = at;
        let mut j = at;
        // Ends at the first free entry; `mask` steps at most, whatever the table holds.
        for _ in 0..mask {
            j = (j + 1) & mask;
            let (h, s) = self.entries[j];
            if s == FREE {
                break;
            }
            let home = h as usize & mask;
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.entries[hole] = self.entries[j];
                hole = j;
            }
        }
        self.entries[hole] = (0, FREE);
        self.len -= 1;
        Some(slot)
    }

    /// Makes room for `additional` more entries without growing again.
    pub fn reserve(&mut self, additional: usize) {
        self.materialize();
        let needed = self.len + additional;
        if needed * 4 <= self.entries.len() * 3 {
            return;
        }
        let size = (needed * 4).div_ceil(3).next_power_of_two().max(MIN_ENTRIES);
        let old = std::mem::replace(&mut self.entries, vec![(0, FREE); size]);
        for (h, slot) in old {
            if slot != FREE {
                self.place(h, slot);
            }
        }
    }

    fn place(&mut self, hash: u32, slot: u32) {
        let mask = self.mask();
        let mut i = hash as usize & mask;
        while self.entries[i].1 != FREE {
            i = (i + 1) & mask;
        }
        self.entries[i] = (hash, slot);
    }

    /// Bytes held by the table in memory (a mapped one is the file's pages).
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<(u32, u32)>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A model: ids by slot, as a namespace's records are.
    struct Model {
        ids: Vec<Option<String>>,
        index: IdIndex,
        reference: HashMap<String, u32>,
    }

    impl Model {
        fn key<'a>(&'a self) -> impl Fn(u32) -> Option<&'a str> + 'a {
            |slot| self.ids.get(slot as usize).and_then(|s| s.as_deref())
        }

        fn check(&self) {
            assert_eq!(self.index.len(), self.reference.len());
            for (id, slot) in &self.reference {
                assert_eq!(self.index.get(id, self.key()), Some(*slot), "{id}");
            }
        }
    }

    fn rand(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn inserts_moves_and_removes_agree_with_a_hash_map() {
        let mut m = Model { ids: Vec::new(), index: IdIndex::default(), reference: HashMap::new() };
        let mut state = 0x1234_5678_9abc_def0u64;
        for step in 0..60_000 {
            // Few distinct ids, so that the same ids come back after removal and long runs form.
            let id = format!("id{}", rand(&mut state) % 5_000);
            match (m.reference.get(&id).copied(), rand(&mut state) % 3) {
                (None, _) => {
                    let slot = m.ids.len() as u32;
                    m.ids.push(Some(id.clone()));
                    m.index.insert_new(&id, slot);
                    m.reference.insert(id, slot);
                }
                (Some(old), 0) => {
                    // The record moves to a new slot; its old one is emptied first, as a
                    // namespace's tombstone does.
                    m.ids[old as usize] = None;
                    let slot = m.ids.len() as u32;
                    m.ids.push(Some(id.clone()));
                    assert!(m.index.repoint(&id, old, slot));
                    m.reference.insert(id, slot);
                }
                (Some(old), _) => {
                    let key = |slot: u32| m.ids.get(slot as usize).and_then(|s| s.as_deref());
                    assert_eq!(m.index.remove(&id, key), Some(old));
                    m.ids[old as usize] = None;
                    m.reference.remove(&id);
                    assert_eq!(m.index.get(&id, m.key()), None);
                }
            }
            if step % 4_999 == 0 {
                m.check();
            }
        }
        m.check();
        assert_eq!(m.index.get("never", m.key()), None);
        assert!(!m.index.repoint("never", 0, 1));
    }

    #[test]
    fn a_stored_table_finds_every_id_and_takes_changes_after_a_copy() {
        let mut ids: Vec<Option<String>> = (0..3_000).map(|i| Some(format!("doc-{i}"))).collect();
        let words = stored_table(ids.len(), ids.iter().map(|s| s.as_deref().unwrap()));
        assert_eq!(words.len(), 2 * stored_entries(3_000));
        let mut index = IdIndex::from_stored(Words::Memory(words.clone()), ids.len()).unwrap();
        assert!(IdIndex::from_stored(Words::Memory(words), ids.len() + 10_000).is_none(), "a table sized for another count");
        let key = |ids: &Vec<Option<String>>, slot: u32| -> Option<String> { ids.get(slot as usize).cloned().flatten() };
        for (slot, id) in ids.iter().enumerate() {
            let id = id.as_deref().unwrap();
            assert_eq!(index.probe(hash_id(id), |s| key(&ids, s).as_deref() == Some(id)).map(|i| index.entry(i).1), Some(slot as u32));
        }
        let gone = ids[17].take().unwrap();
        assert_eq!(index.remove(&gone, |s| ids.get(s as usize).and_then(|x| x.as_deref())), None, "the record is gone first");
        ids[17] = Some(gone.clone());
        assert_eq!(index.remove(&gone, |s| ids.get(s as usize).and_then(|x| x.as_deref())), Some(17));
        index.insert_new("fresh", 3_000);
        ids.push(Some("fresh".into()));
        assert_eq!(index.get("fresh", |s| ids.get(s as usize).and_then(|x| x.as_deref())), Some(3_000));
        assert_eq!(index.len(), 3_000);
    }

    #[test]
    fn the_stored_hash_is_the_documented_one() {
        // The formula of `hash_id`'s documentation, written out apart from the hasher.
        fn documented(id: &str) -> u32 {
            let step = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let mut h = 0u64;
            for chunk in id.as_bytes().chunks(8) {
                let mut word = [0u8; 8];
                word[..chunk.len()].copy_from_slice(chunk);
                h = step(h, u64::from_le_bytes(word));
            }
            let h = step(h, id.len() as u64);
            ((h ^ (h >> 29)) >> 32) as u32
        }
        for id in ["", "a", "doc-1", "exactly8", "a longer id of several words", "ünïcødé"] {
            assert_eq!(hash_id(id), documented(id), "{id:?}");
        }
        // And a fixed value, so a change to both would show too.
        assert_eq!(hash_id("a"), 1_130_038_137, "got {}", hash_id("a"));
    }

    #[test]
    fn a_damaged_stored_table_without_free_entries_never_hangs() {
        // Every entry taken: a lookup of an absent id must still end, and a write must
        // still find room.
        let entries = stored_entries(10);
        let words: Vec<u32> = (0..entries as u32).flat_map(|i| [i * 7, i]).collect();
        let mut index = IdIndex::from_stored(Words::Memory(words), 10).unwrap();
        assert_eq!(index.len(), entries, "counted");
        assert_eq!(index.get("absent", |_| Some("other")), None);
        index.insert_new("new", 99);
        assert_eq!(index.get("new", |s| (s == 99).then_some("new")), Some(99));
        assert_eq!(index.len(), entries + 1);
        assert_eq!(index.remove("absent", |_| Some("other")), None);
    }

    #[cfg(all(unix, target_pointer_width = "64", target_endian = "little"))]
    #[test]
    fn a_damaged_mapped_table_is_counted_when_copied() {
        use std::io::Write;
        let entries = stored_entries(10);
        let words: Vec<u32> = (0..entries as u32).flat_map(|i| [i * 7, i]).collect();
        let path = std::env::temp_dir().join(format!("vl-ids-{}", std::process::id()));
        std::fs::File::create(&path).unwrap().write_all(&words.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
        let map = crate::storage::mapping::Mapping::of_file(&std::fs::File::open(&path).unwrap()).unwrap().unwrap();
        std::fs::remove_file(&path).unwrap();
        let mut index = IdIndex::from_stored(Words::Mapped(MappedSlice::new(map, 0, words.len()).unwrap()), 10).unwrap();
        assert!(index.is_mapped());
        assert_eq!(index.get("absent", |_| Some("other")), None);
        index.insert_new("new", 99);
        assert!(!index.is_mapped());
        assert_eq!((index.get("new", |s| (s == 99).then_some("new")), index.len()), (Some(99), entries + 1));
    }

    #[test]
    fn an_empty_index_and_growth_from_reserve() {
        let mut index = IdIndex::default();
        let ids: Vec<String> = (0..1_000).map(|i| i.to_string()).collect();
        let key = |slot: u32| ids.get(slot as usize).map(String::as_str);
        assert_eq!(index.get("0", key), None);
        assert_eq!(index.remove("0", key), None);
        index.reserve(1_000);
        let size = index.heap_bytes();
        for (slot, id) in ids.iter().enumerate() {
            index.insert_new(id, slot as u32);
        }
        assert_eq!(index.heap_bytes(), size, "reserve made room for all of them");
        assert!(index.heap_bytes() <= 2048 * 8);
        for (slot, id) in ids.iter().enumerate() {
            assert_eq!(index.get(id, key), Some(slot as u32));
        }
        assert_ne!(hash_id("a"), hash_id("a\0"));
    }
}
