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

use crate::hash::FastHasher;
use std::hash::Hasher;

/// The slot value of a free entry.
const FREE: u32 = u32::MAX;

/// The smallest table allocated.
const MIN_ENTRIES: usize = 16;

#[derive(Debug, Default, Clone)]
pub struct IdIndex {
    /// `(hash, slot)`; a power-of-two number of entries, or none.
    entries: Vec<(u32, u32)>,
    len: usize,
}

/// The 32-bit hash of an id (the high half of the hasher's product: its best-mixed bits).
pub fn hash_id(id: &str) -> u32 {
    let mut h = FastHasher::default();
    h.write(id.as_bytes());
    h.write_u64(id.len() as u64); // "a" and "a\0" hash apart
    (h.finish() >> 32) as u32
}

impl IdIndex {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn mask(&self) -> usize {
        self.entries.len() - 1
    }

    /// The position of the first entry of `hash`'s probe run for which `hit(slot)` holds.
    fn probe(&self, hash: u32, hit: impl Fn(u32) -> bool) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mask = self.mask();
        let mut i = hash as usize & mask;
        loop {
            let (h, slot) = self.entries[i];
            if slot == FREE {
                return None;
            }
            if h == hash && hit(slot) {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// The position of `id`'s entry, if it has one.
    fn find<'r>(&self, id: &str, key_of: impl Fn(u32) -> Option<&'r str>) -> Option<usize> {
        self.probe(hash_id(id), |slot| key_of(slot) == Some(id))
    }

    /// The slot of `id`; `key_of(slot)` gives the id stored at a slot.
    pub fn get<'r>(&self, id: &str, key_of: impl Fn(u32) -> Option<&'r str>) -> Option<u32> {
        self.find(id, key_of).map(|i| self.entries[i].1)
    }

    /// Adds `id` at `slot`. The caller knows `id` has no entry (a second one would hide it).
    pub fn insert_new(&mut self, id: &str, slot: u32) {
        debug_assert_ne!(slot, FREE);
        self.reserve(1);
        self.place(hash_id(id), slot);
        self.len += 1;
    }

    /// Points `id`'s entry, now at slot `old`, to slot `new` (its record moved). Compares
    /// slots, not ids, so the record at `old` may already be gone. False if there is no
    /// such entry.
    pub fn repoint(&mut self, id: &str, old: u32, new: u32) -> bool {
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
        let at = self.find(id, key_of)?;
        let slot = self.entries[at].1;
        // Backward shift: move each following entry of the run into the hole when its home
        // position is not between the hole and where it sits, so no probe sequence breaks.
        let mask = self.mask();
        let mut hole = at;
        let mut j = at;
        loop {
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

    /// Bytes held by the table.
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
