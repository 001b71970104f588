//! Where a vector space keeps its float32 vectors, slot-major: the first `base_slots` slots
//! in place in a read-only map of the snapshot they were loaded from (nothing read at open,
//! pages made resident as searches touch them), the slots written since in memory or, for
//! an int8 space, in a spill file (`storage/spill.rs`). A mapped slot is never written: the
//! space gives a changed vector a fresh slot instead (the slot rule of `space.rs`).

use crate::storage::mapping::MappedSlice;
use crate::storage::spill::SpillFile;
use std::path::Path;
use std::sync::Arc;

/// Floats in place in a map, kept alive by it.
pub type MappedFloats = MappedSlice<f32>;

/// The slots written since the snapshot.
#[derive(Debug)]
enum Tail {
    Memory(Vec<f32>),
    Spilled(SpillFile),
}

impl Default for Tail {
    fn default() -> Self {
        Tail::Memory(Vec::new())
    }
}

/// The vectors of one space.
#[derive(Debug, Default)]
pub struct Floats {
    dim: usize,
    base: Option<MappedFloats>,
    base_slots: usize,
    tail: Tail,
    /// Where the tail moves to a spill file once it holds `SPILL_MIN_BYTES`.
    spill_dir: Option<Arc<Path>>,
}

/// A tail spills only from this size on: a small one is not worth a file (nor a descriptor
/// per namespace of a database with thousands of them).
const SPILL_MIN_BYTES: usize = 4 << 20;

impl Floats {
    /// Slots held in memory.
    pub fn in_memory(dim: usize, values: Vec<f32>) -> Floats {
        debug_assert!(dim == 0 || values.len().is_multiple_of(dim));
        Floats { dim, base: None, base_slots: 0, tail: Tail::Memory(values), spill_dir: None }
    }

    /// Asks for huge pages under the slots in place in a map (see
    /// `MappedSlice::advise_huge_pages`).
    pub fn advise_huge_pages(&self) {
        if let Some(base) = &self.base {
            base.advise_huge_pages();
        }
    }

    /// Slots in place in a map.
    pub fn mapped(dim: usize, base: MappedFloats) -> Floats {
        let base_slots = base.len().checked_div(dim).unwrap_or(0);
        Floats { dim, base: Some(base), base_slots, tail: Tail::default(), spill_dir: None }
    }

    pub fn slots(&self) -> usize {
        self.base_slots + self.tail_slots()
    }

    fn tail_slots(&self) -> usize {
        match &self.tail {
            Tail::Memory(v) => v.len().checked_div(self.dim).unwrap_or(0),
            Tail::Spilled(f) => f.slots(),
        }
    }

    /// Whether the slots written since the snapshot are in a spill file.
    pub fn is_spilled(&self) -> bool {
        matches!(self.tail, Tail::Spilled(_))
    }

    /// Keeps the slots written since the snapshot in a spill file in `dir` once they take
    /// `SPILL_MIN_BYTES` (now, if they do); None: in memory (a spilled tail comes back).
    pub fn set_spill_dir(&mut self, dir: Option<Arc<Path>>) {
        self.spill_dir = dir;
        if self.spill_dir.is_none() {
            self.unspill();
        }
        self.spill_when_due();
    }

    fn spill_when_due(&mut self) {
        if let (Some(dir), Tail::Memory(values)) = (&self.spill_dir, &self.tail) {
            if values.len() * 4 >= SPILL_MIN_BYTES {
                let dir = dir.clone();
                if !self.spill_to(&dir) {
                    // No spill file here (a read-only directory, a target without maps):
                    // memory it is, without trying again at every write.
                    self.spill_dir = None;
                }
            }
        }
    }

    /// Moves the slots written since the snapshot (and those to come) into a spill file in
    /// `dir`; false (nothing changes) where one cannot be made.
    fn spill_to(&mut self, dir: &Path) -> bool {
        let Tail::Memory(values) = &self.tail else { return true };
        let Some(mut file) = SpillFile::create(dir, self.dim) else { return false };
        let n = values.len() / self.dim.max(1);
        let copied = file.reserve(n).is_ok()
            && (0..n).all(|i| file.push_zeroed().is_ok() && file.set(i, &values[i * self.dim..(i + 1) * self.dim]).is_ok());
        if copied {
            self.tail = Tail::Spilled(file);
        }
        copied
    }

    /// The spill file failed (a full disk): its vectors come back into memory, where the
    /// slots go on. Panics only if they cannot be read back either, when nothing else could
    /// keep them.
    fn unspill(&mut self) {
        if let Tail::Spilled(file) = &self.tail {
            let values = file.read_all().unwrap_or_else(|e| panic!("vectors of the spill file cannot be read back: {e}"));
            self.tail = Tail::Memory(values);
        }
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
                match &self.tail {
                    Tail::Memory(v) => &v[s * dim..(s + 1) * dim],
                    Tail::Spilled(f) => f.get(s),
                }
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
            _ => match &self.tail {
                Tail::Spilled(f) if f.read_into(s - self.base_slots, out).is_ok() => {}
                _ => out.copy_from_slice(self.get(slot)),
            },
        }
    }

    /// Copies the vectors of the slots from `first` on into `out` (whole vectors), reading
    /// mapped and spilled ones through their files: a compaction streams every vector this
    /// way without making the map's or the spill file's pages resident. A spilled vector that
    /// does not read back as written is an error (see `storage/spill.rs`).
    pub fn read_run(&self, first: u32, out: &mut [f32]) -> std::io::Result<()> {
        let dim = self.dim.max(1);
        if !out.len().is_multiple_of(dim) {
            return Err(std::io::Error::other("a run of vectors must hold whole vectors"));
        }
        let (mut slot, mut done) = (first as usize, 0);
        while done < out.len() {
            let part = &mut out[done..];
            let in_base = self.base_slots.saturating_sub(slot);
            let n = if in_base > 0 { in_base.min(part.len() / dim) } else { part.len() / dim };
            let part = &mut part[..n * dim];
            let read = match (&self.base, &self.tail) {
                (Some(base), _) if in_base > 0 => base.read_through_file(slot * dim, part).is_ok(),
                (_, Tail::Spilled(f)) if in_base == 0 => {
                    f.read_into(slot - self.base_slots, part)?;
                    true
                }
                _ => false,
            };
            if !read {
                for (i, v) in part.chunks_exact_mut(dim).enumerate() {
                    v.copy_from_slice(self.get((slot + i) as u32));
                }
            }
            slot += n;
            done += n * dim;
        }
        Ok(())
    }

    /// Writes the vector of an in-memory slot.
    pub fn set(&mut self, slot: u32, v: &[f32]) {
        debug_assert!(!self.is_mapped(slot), "a mapped slot is never written");
        let s = slot as usize - self.base_slots;
        if let Tail::Spilled(f) = &mut self.tail {
            if f.set(s, v).is_ok() {
                return;
            }
            self.unspill();
        }
        if let Tail::Memory(values) = &mut self.tail {
            values[s * self.dim..(s + 1) * self.dim].copy_from_slice(v);
        }
    }

    /// Appends a zeroed slot (in the spill file once the tail is spilled).
    pub fn push_zeroed(&mut self) {
        if let Tail::Spilled(f) = &mut self.tail {
            if f.push_zeroed().is_ok() {
                return;
            }
            self.unspill();
        }
        self.grow(self.dim);
        if let Tail::Memory(values) = &mut self.tail {
            values.resize(values.len() + self.dim, 0.0);
        }
        self.spill_when_due();
    }

    /// Appends a vector.
    pub fn push(&mut self, v: &[f32]) {
        self.push_zeroed();
        let slot = (self.slots() - 1) as u32;
        self.set(slot, v);
    }

    /// Makes room for `slots` more slots.
    pub fn reserve(&mut self, slots: usize) {
        if let Tail::Spilled(f) = &mut self.tail {
            // Only room: a failure shows again at the push that needs it.
            let _ = f.reserve(slots);
            return;
        }
        self.grow(slots * self.dim);
    }

    /// Grows the in-memory part by doubling; a new allocation is advised for huge pages
    /// before anything touches it (the graph's random reads then miss the TLB less).
    fn grow(&mut self, floats: usize) {
        let Tail::Memory(values) = &mut self.tail else { return };
        let need = values.len() + floats;
        if need > values.capacity() {
            values.reserve(need.max(2 * values.capacity()) - values.len());
            let cap = values.capacity();
            crate::storage::os::advise_huge_pages(values.as_ptr() as *const u8, cap * 4);
        }
    }

    /// Bytes of vectors held in memory (the map's pages and the spill file's are files',
    /// not counted).
    pub fn memory_bytes(&self) -> usize {
        match &self.tail {
            Tail::Memory(v) => v.capacity() * 4,
            Tail::Spilled(_) => 0,
        }
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
