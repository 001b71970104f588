//! Where a vector space keeps its float32 vectors, slot-major: the first `base_slots` slots
//! in place in a read-only map of the snapshot they were loaded from (nothing read at open,
//! pages made resident as searches touch them), the slots written since in memory. A mapped
//! slot is never written: the space gives a changed vector a fresh slot instead (the slot
//! rule of `space.rs`).

use crate::storage::mapping::MappedSlice;

/// Floats in place in a map, kept alive by it.
pub type MappedFloats = MappedSlice<f32>;

/// The vectors of one space.
#[derive(Debug, Default)]
pub struct Floats {
    dim: usize,
    base: Option<MappedFloats>,
    base_slots: usize,
    tail: Vec<f32>,
}

impl Floats {
    /// Slots held in memory.
    pub fn in_memory(dim: usize, values: Vec<f32>) -> Floats {
        debug_assert!(dim == 0 || values.len().is_multiple_of(dim));
        Floats { dim, base: None, base_slots: 0, tail: values }
    }

    /// Slots in place in a map.
    pub fn mapped(dim: usize, base: MappedFloats) -> Floats {
        let base_slots = base.len().checked_div(dim).unwrap_or(0);
        Floats { dim, base: Some(base), base_slots, tail: Vec::new() }
    }

    pub fn slots(&self) -> usize {
        self.base_slots + self.tail.len().checked_div(self.dim).unwrap_or(0)
    }

    /// Whether `slot` is in the map (and so never written).
    #[inline]
    pub fn is_mapped(&self, slot: u32) -> bool {
        (slot as usize) < self.base_slots
    }

    /// Slots in the map.
    pub fn mapped_slots(&self) -> usize {
        self.base_slots
    }

    #[inline]
    pub fn get(&self, slot: u32) -> &[f32] {
        let (s, dim) = (slot as usize, self.dim);
        match &self.base {
            Some(base) if s < self.base_slots => &base.as_slice()[s * dim..(s + 1) * dim],
            _ => {
                let s = s - self.base_slots;
                &self.tail[s * dim..(s + 1) * dim]
            }
        }
    }

    /// Copies the vector of `slot` into `out`, reading a mapped one through the file so its
    /// page does not become resident (a rescoring read of a quantized space).
    pub fn read_into(&self, slot: u32, out: &mut [f32]) {
        let (s, dim) = (slot as usize, self.dim);
        match &self.base {
            Some(base) if s < self.base_slots => {
                if base.read_through_file(s * dim, out).is_err() {
                    out.copy_from_slice(&base.as_slice()[s * dim..(s + 1) * dim]);
                }
            }
            _ => out.copy_from_slice(self.get(slot)),
        }
    }

    /// Writes the vector of an in-memory slot.
    pub fn set(&mut self, slot: u32, v: &[f32]) {
        debug_assert!(!self.is_mapped(slot), "a mapped slot is never written");
        let s = slot as usize - self.base_slots;
        self.tail[s * self.dim..(s + 1) * self.dim].copy_from_slice(v);
    }

    /// Appends a zeroed slot in memory.
    pub fn push_zeroed(&mut self) {
        self.grow(self.dim);
        self.tail.resize(self.tail.len() + self.dim, 0.0);
    }

    /// Appends a vector in memory.
    pub fn push(&mut self, v: &[f32]) {
        self.grow(v.len());
        self.tail.extend_from_slice(v);
    }

    /// Makes room for `slots` more slots in memory.
    pub fn reserve(&mut self, slots: usize) {
        self.grow(slots * self.dim);
    }

    /// Grows the in-memory part by doubling; a new allocation is advised for huge pages
    /// before anything touches it (the graph's random reads then miss the TLB less).
    fn grow(&mut self, floats: usize) {
        let need = self.tail.len() + floats;
        if need > self.tail.capacity() {
            self.tail.reserve(need.max(2 * self.tail.capacity()) - self.tail.len());
            let cap = self.tail.capacity();
            crate::storage::os::advise_huge_pages(self.tail.as_ptr() as *const u8, cap * 4);
        }
    }

    /// Bytes of vectors held in memory (the map's pages are the file's, not counted).
    pub fn memory_bytes(&self) -> usize {
        self.tail.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn mapped_slots_come_first_and_written_ones_follow_in_memory() {
        let path = std::env::temp_dir().join(format!("vl-floats-{}", std::process::id()));
        let bytes: Vec<u8> = [1.0f32, 2.0, 3.0, 4.0].iter().flat_map(|x| x.to_le_bytes()).collect();
        std::fs::File::create(&path).unwrap().write_all(&bytes).unwrap();
        let map = crate::storage::mapping::Mapping::of_file(&std::fs::File::open(&path).unwrap()).unwrap();
        std::fs::remove_file(&path).unwrap();
        let Some(map) = map else { return };
        let mut f = Floats::mapped(2, MappedFloats::new(map, 0, 4).unwrap());
        f.push(&[5.0, 6.0]);
        f.push_zeroed();
        f.set(3, &[7.0, 8.0]);
        assert_eq!((f.slots(), f.mapped_slots(), f.is_mapped(1), f.is_mapped(2)), (4, 2, true, false));
        assert_eq!([f.get(0), f.get(1), f.get(2), f.get(3)], [&[1.0, 2.0][..], &[3.0, 4.0], &[5.0, 6.0], &[7.0, 8.0]]);
    }
}
