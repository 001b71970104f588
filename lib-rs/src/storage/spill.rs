//! The float32 vectors an int8 space was given since its last snapshot, kept in a file
//! beside the database instead of the heap. A graph build walks the codes
//! (`quantize/code_space.rs`) and never reads them, a search rescores a few through the file,
//! and a compaction streams them into the new snapshot through the file as well: none of it
//! makes them resident, so a bulk build of a quantized space holds its codes and links in
//! memory, not its vectors. The pages live in the OS page cache, which gives them back
//! under memory pressure by writing them out.
//!
//! The file has no name: on Linux it is made unnamed (`O_TMPFILE`); elsewhere it is removed
//! right after it is created. It goes with the process however the process ends, and holds
//! nothing the database needs: the WAL has every vector, and a reopen replays it. It is
//! mapped read-only (shared, so writes through the file show in the map at once), grown by
//! doubling, and only on the targets where snapshots are mapped (`mapping.rs`); elsewhere,
//! when the file cannot be made, or past `MAX_SPILL_FILES` in the process, the vectors stay
//! in memory as before.
//!
//! Every vector written carries a CRC32C kept in memory (4 bytes a vector), checked when it is
//! read through the file: a compaction copying it into a new snapshot fails (the WAL keeps
//! everything) rather than carry a vector the file lost (a failed write-back on a network file
//! system reads back as zeros).

use super::mapping::Mapping;
use crate::checksum::crc32c;
use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// Slots the file first makes room for; it doubles from there.
const FIRST_SLOTS: usize = 4096;

/// Spill files open at once in the process (each holds two descriptors): past this, spaces
/// keep their vectors in memory, so a database with many quantized namespaces cannot run the
/// process out of descriptors (macOS allows 256 by default).
const MAX_SPILL_FILES: usize = 32;

/// Spill files open now.
static OPEN: AtomicUsize = AtomicUsize::new(0);

/// One space's spilled vectors, slot `i` at byte `i * dim * 4`.
pub struct SpillFile {
    file: File,
    dim: usize,
    slots: usize,
    /// Slots the file (and the map) has room for.
    capacity: usize,
    /// The whole file, mapped again each time it grows.
    map: Option<Arc<Mapping>>,
    /// CRC32C of each slot's bytes as written (a slot never written: of zeros).
    crcs: Vec<u32>,
    /// The CRC32C of a slot of zeros.
    zero_crc: u32,
}

impl std::fmt::Debug for SpillFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpillFile").field("dim", &self.dim).field("slots", &self.slots).finish()
    }
}

impl SpillFile {
    /// A new, empty spill file in `dir` for vectors of `dim` values; None where maps are not
    /// used or the file cannot be made (the caller keeps its vectors in memory).
    pub fn create(dir: &Path, dim: usize) -> Option<SpillFile> {
        if dim == 0 || !cfg!(all(unix, target_pointer_width = "64", target_endian = "little")) {
            return None;
        }
        if OPEN.fetch_add(1, Ordering::AcqRel) >= MAX_SPILL_FILES {
            OPEN.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        // From here on a SpillFile exists, whose Drop gives the place back.
        let file = match unnamed_file(dir) {
            Ok(file) => file,
            Err(_) => {
                OPEN.fetch_sub(1, Ordering::AcqRel);
                return None;
            }
        };
        let zero_crc = crc32c(&vec![0u8; dim * 4]);
        let mut spill = SpillFile { file, dim, slots: 0, capacity: 0, map: None, crcs: Vec::new(), zero_crc };
        spill.grow(FIRST_SLOTS).ok()?;
        Some(spill)
    }

    pub fn slots(&self) -> usize {
        self.slots
    }

    fn slot_bytes(&self) -> usize {
        self.dim * 4
    }

    /// Makes room for `slots` slots in all: the file is extended (sparse: the new slots read
    /// as zeros) and mapped again.
    fn grow(&mut self, slots: usize) -> io::Result<()> {
        if slots <= self.capacity {
            return Ok(());
        }
        let capacity = slots.max(2 * self.capacity).max(FIRST_SLOTS);
        let bytes = capacity.checked_mul(self.slot_bytes()).ok_or_else(|| io::Error::other("spill file too large"))?;
        self.file.set_len(bytes as u64)?;
        let map = Mapping::of_file(&self.file)?.ok_or_else(|| io::Error::other("no map"))?;
        // The old map goes now: nothing borrows it (growing takes `&mut self`).
        self.map = Some(map);
        self.capacity = capacity;
        Ok(())
    }

    /// Appends a zeroed slot.
    pub fn push_zeroed(&mut self) -> io::Result<()> {
        self.grow(self.slots + 1)?;
        self.slots += 1;
        self.crcs.push(self.zero_crc);
        Ok(())
    }

    /// Makes room for `n` more slots.
    pub fn reserve(&mut self, n: usize) -> io::Result<()> {
        self.crcs.reserve(n);
        self.grow(self.slots + n)
    }

    /// Writes the vector of `slot` (which exists) through the file.
    pub fn set(&mut self, slot: usize, v: &[f32]) -> io::Result<()> {
        if slot >= self.slots || v.len() != self.dim {
            return Err(io::Error::other(format!("spill slot {slot} of {} with {} values, not {}", self.slots, v.len(), self.dim)));
        }
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_ne_bytes()).collect();
        // A failed write leaves the slot's old checksum, which its bytes may no longer match:
        // the caller stops using the file.
        write_at(&self.file, (slot * self.slot_bytes()) as u64, &bytes)?;
        self.crcs[slot] = crc32c(&bytes);
        Ok(())
    }

    /// The vector of `slot`, in place in the map (its page becomes resident).
    #[inline]
    pub fn get(&self, slot: usize) -> &[f32] {
        match self.map.as_ref().and_then(|m| m.floats(slot * self.slot_bytes(), self.dim)) {
            Some(v) if slot < self.slots => v,
            _ => panic!("spilled slot {slot} out of range ({} slots)", self.slots),
        }
    }

    /// Copies `out.len() / dim` vectors from `first` on through the file: their pages stay
    /// out of the resident set. Each is checked against the checksum it was written with.
    pub fn read_into(&self, first: usize, out: &mut [f32]) -> io::Result<()> {
        let n = out.len() / self.dim;
        if !out.len().is_multiple_of(self.dim) || first + n > self.slots {
            return Err(io::Error::other(format!("spill read of {} values at slot {first} of {}", out.len(), self.slots)));
        }
        // SAFETY: f32 has no invalid bit patterns and a stricter alignment than u8; the byte
        // view covers exactly `out`.
        let bytes = unsafe { std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<u8>(), out.len() * 4) };
        match &self.map {
            Some(map) => map.read_at(first * self.slot_bytes(), bytes)?,
            None => return Err(io::Error::other("spill file not mapped")),
        }
        for (i, v) in bytes.chunks_exact(self.slot_bytes()).enumerate() {
            if crc32c(v) != self.crcs[first + i] {
                return Err(io::Error::new(io::ErrorKind::InvalidData, format!("the spill file lost the vector of slot {} (checksum mismatch)", first + i)));
            }
        }
        Ok(())
    }

    /// Every slot's vector, in order, read through the file (for when the file fails and
    /// the vectors go back into memory).
    pub fn read_all(&self) -> io::Result<Vec<f32>> {
        let mut out = vec![0.0f32; self.slots * self.dim];
        self.read_into(0, &mut out)?;
        Ok(out)
    }
}

/// Tells each spill file apart when `O_TMPFILE` is not there.
static NEXT: AtomicU64 = AtomicU64::new(0);

fn unnamed_file(dir: &Path) -> io::Result<File> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_TMPFILE is __O_TMPFILE | O_DIRECTORY, whose number differs on arm64.
        #[cfg(target_arch = "aarch64")]
        const O_TMPFILE: i32 = 0o20_040_000;
        #[cfg(not(target_arch = "aarch64"))]
        const O_TMPFILE: i32 = 0o20_200_000;
        if let Ok(file) = std::fs::OpenOptions::new().read(true).write(true).mode(0o600).custom_flags(O_TMPFILE).open(dir) {
            return Ok(file);
        }
    }
    let path = dir.join(format!(".vectlite-spill-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(&path)?;
    if let Err(e) = std::fs::remove_file(&path) {
        // A file left with a name would outlive the process: not used.
        drop(file);
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    Ok(file)
}

impl Drop for SpillFile {
    fn drop(&mut self) {
        OPEN.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(unix)]
fn write_at(file: &File, offset: u64, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.write_all_at(bytes, offset)
}

#[cfg(not(unix))]
fn write_at(_file: &File, _offset: u64, _bytes: &[u8]) -> io::Result<()> {
    Err(io::Error::other("no spill files on this target"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_go_through_the_file_and_read_back_in_place_and_through_the_file() {
        let dir = std::env::temp_dir().join(format!("vl-spill-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let Some(mut s) = SpillFile::create(&dir, 3) else {
            std::fs::remove_dir_all(&dir).unwrap();
            return; // a target without maps
        };
        // Unnamed: nothing is left in the directory.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        for i in 0..10_000 {
            s.push_zeroed().unwrap();
            if i % 3 != 0 {
                s.set(i, &[i as f32, -(i as f32), 0.5]).unwrap();
            }
        }
        assert_eq!(s.slots(), 10_000);
        assert_eq!(s.get(0), &[0.0, 0.0, 0.0], "a slot never written reads as zeros");
        assert_eq!(s.get(9_998), &[9_998.0, -9_998.0, 0.5]);
        let mut out = vec![0.0; 6];
        s.read_into(4, &mut out).unwrap();
        assert_eq!(out, [4.0, -4.0, 0.5, 5.0, -5.0, 0.5]);
        s.set(4, &[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(s.get(4), &[1.0, 2.0, 3.0], "a write shows in the map at once");
        let all = s.read_all().unwrap();
        assert_eq!((all.len(), &all[12..15]), (30_000, &[1.0f32, 2.0, 3.0][..]));
        drop(s);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_vector_the_file_lost_fails_its_read_through_the_file() {
        let dir = std::env::temp_dir().join(format!("vl-spill-crc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let Some(mut s) = SpillFile::create(&dir, 2) else {
            std::fs::remove_dir_all(&dir).unwrap();
            return;
        };
        for i in 0..3 {
            s.push_zeroed().unwrap();
            s.set(i, &[1.0, i as f32]).unwrap();
        }
        // The page cache losing a write looks like this: other bytes behind the checksum.
        write_at(&s.file, 8, &[0u8; 8]).unwrap();
        let mut out = [0.0f32; 6];
        let e = s.read_into(0, &mut out).unwrap_err();
        assert!(e.to_string().contains("slot 1"), "{e}");
        let mut one = [0.0f32; 2];
        s.read_into(2, &mut one).unwrap();
        assert_eq!(one, [1.0, 2.0]);
        assert!(s.set(3, &[0.0, 0.0]).is_err(), "a slot past the end is refused, not written");
        assert!(s.read_into(2, &mut out).is_err(), "a read past the end is refused");
        drop(s);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_directory_that_cannot_hold_the_file_gives_none() {
        assert!(SpillFile::create(Path::new("/nonexistent/vectlite/spill"), 4).is_none());
    }
}
