//! Reading the bulk sections, VECTORS (float32), CODE_BYTES (quantized codes), LINKS0
//! (graphs' level 0), IDS (id tables), RECORDS and RECORD_OFFSETS, one part after another: in place in a map of the file where maps are used
//! (`mapping.rs`), else read into memory. A section's checksum is verified at open, from the
//! map for a mapped one (no copy: its pages stay shared with the OS page cache), except for
//! a mapped section larger than `VERIFY_AT_OPEN_BYTES`: reading all of it would make an open
//! cost as much as the vectors weigh, so its checksum is left to `check` (`Unverified`),
//! which verifies it from the map.

use super::format::Entry;
use super::mapping::{MappedSlice, Mapping};
use super::source::Source;
use crate::checksum::{crc32c, crc32c_append};
use crate::error::{Error, Result};
use crate::record_store::Offsets;
use crate::vector::floats::Floats;
use std::sync::Arc;

/// The largest mapped bulk section whose checksum an open verifies (64 MiB: about 15 ms of
/// CRC32C from a warm page cache on a 2-core AMD EPYC, page faults included).
pub const VERIFY_AT_OPEN_BYTES: u64 = 64 << 20;

/// Bytes read at a time when a section is read or verified through the file.
const CHUNK: usize = 1 << 20;

/// A section in use in place whose checksum is still to verify.
#[derive(Debug, Clone)]
pub struct Unverified {
    pub map: Arc<Mapping>,
    pub kind: u32,
    pub offset: u64,
    pub len: u64,
    pub crc: u32,
}

impl Unverified {
    /// Verifies the checksum from the map; `file` names the file in the error.
    pub fn verify(&self, file: &str) -> Result<()> {
        let bytes = self.map.bytes().get(self.offset as usize..(self.offset + self.len) as usize);
        match bytes {
            Some(b) if crc32c(b) == self.crc => Ok(()),
            _ => Err(Error::corrupt(file, self.offset, format!("section {} checksum mismatch", self.kind))),
        }
    }
}

/// u32 words read from a bulk section (a graph's level 0, an id table): in place, or in
/// memory.
pub enum Words {
    Mapped(MappedSlice<u32>),
    Memory(Vec<u32>),
}

/// Quantized codes read from CODE_BYTES: in place, or in memory.
pub enum CodeBytes {
    Mapped(MappedSlice<u8>),
    Memory(Vec<u8>),
}

pub(super) struct BulkStream {
    entry: Entry,
    map: Option<Arc<Mapping>>,
    name: &'static str,
    pos: u64,
    /// The running CRC of what was read into memory.
    crc: u32,
}

impl BulkStream {
    pub fn new(entry: Entry, map: Option<Arc<Mapping>>, name: &'static str) -> BulkStream {
        BulkStream { entry, map, name, pos: 0, crc: 0 }
    }

    /// The next `n` floats (`dim` a vector): in place in the map, or read.
    pub fn floats(&mut self, src: &mut dyn Source, file: &str, n: usize, dim: usize) -> Result<Floats> {
        let at = self.advance(file, n, 4)?;
        if let Some(map) = &self.map {
            // Sections start at multiples of 64 and hold whole floats: always aligned.
            let mapped = MappedSlice::new(map.clone(), at as usize, n).ok_or_else(|| self.outside(file))?;
            return Ok(Floats::mapped(dim, mapped));
        }
        // Allocated at full size and advised for huge pages before it is filled: the scan
        // streams this array (see bench/RESULTS.md on page sizes).
        let mut out: Vec<f32> = Vec::with_capacity(n);
        crate::storage::os::advise_huge_pages(out.as_ptr() as *const u8, out.capacity() * 4);
        self.read(src, file, at, n * 4, &mut |chunk| out.extend(chunk.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))))?;
        Ok(Floats::in_memory(dim, out))
    }

    /// The next `n` bytes: in place in the map, or read.
    pub fn bytes(&mut self, src: &mut dyn Source, file: &str, n: usize) -> Result<CodeBytes> {
        let at = self.advance(file, n, 1)?;
        if let Some(map) = &self.map {
            return MappedSlice::new(map.clone(), at as usize, n).map(CodeBytes::Mapped).ok_or_else(|| self.outside(file));
        }
        let mut out = Vec::with_capacity(n);
        self.read(src, file, at, n, &mut |chunk| out.extend_from_slice(chunk))?;
        Ok(CodeBytes::Memory(out))
    }

    /// The next `n` u32 words: in place in the map, or read.
    pub fn words(&mut self, src: &mut dyn Source, file: &str, n: usize) -> Result<Words> {
        let at = self.advance(file, n, 4)?;
        if let Some(map) = &self.map {
            // Sections start at multiples of 64 and hold whole words: always aligned.
            return MappedSlice::new(map.clone(), at as usize, n).map(Words::Mapped).ok_or_else(|| self.outside(file));
        }
        let mut out: Vec<u32> = Vec::with_capacity(n);
        self.read(src, file, at, n * 4, &mut |chunk| out.extend(chunk.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))))?;
        Ok(Words::Memory(out))
    }

    /// The next `n` u64 values: in place in the map, or read.
    pub fn u64s(&mut self, src: &mut dyn Source, file: &str, n: usize) -> Result<Offsets> {
        let at = self.advance(file, n, 8)?;
        if let Some(map) = &self.map {
            // Sections start at multiples of 64 and hold whole values: always aligned.
            return MappedSlice::new(map.clone(), at as usize, n).map(Offsets::Mapped).ok_or_else(|| self.outside(file));
        }
        let mut out: Vec<u64> = Vec::with_capacity(n);
        self.read(src, file, at, n * 8, &mut |chunk| out.extend(chunk.chunks_exact(8).map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))))?;
        Ok(Offsets::Memory(Arc::new(out)))
    }

    /// Claims the next `n` values of `size` bytes; returns their file offset.
    fn advance(&mut self, file: &str, n: usize, size: u64) -> Result<u64> {
        let bytes = (n as u64).checked_mul(size).filter(|b| self.pos + b <= self.entry.len);
        let Some(bytes) = bytes else {
            return Err(Error::corrupt(file, self.entry.offset, format!("{} section holds less than the file describes", self.name)));
        };
        let at = self.entry.offset + self.pos;
        self.pos += bytes;
        Ok(at)
    }

    fn outside(&self, file: &str) -> Error {
        Error::corrupt(file, self.entry.offset, format!("{} section lies outside the file", self.name))
    }

    /// Reads `len` bytes at `at` through the file, in chunks, into `f` and the running CRC.
    fn read(&mut self, src: &mut dyn Source, file: &str, at: u64, len: usize, f: &mut dyn FnMut(&[u8])) -> Result<()> {
        let mut chunk = vec![0u8; CHUNK.min(len)];
        let mut done = 0;
        while done < len {
            let take = (len - done).min(chunk.len());
            src.read_at(at + done as u64, &mut chunk[..take]).map_err(|e| Error::io("cannot read", file, e))?;
            self.crc = crc32c_append(self.crc, &chunk[..take]);
            f(&chunk[..take]);
            done += take;
        }
        Ok(())
    }

    /// Checks that the whole section was used and verifies its checksum, or leaves it to
    /// `check` (returned) for a large mapped section.
    pub fn finish(self, file: &str) -> Result<Option<Unverified>> {
        let e = self.entry;
        if self.pos != e.len {
            return Err(Error::corrupt(file, e.offset, format!("{} section holds more than the file describes", self.name)));
        }
        if let Some(map) = self.map {
            let section = Unverified { map, kind: e.kind, offset: e.offset, len: e.len, crc: e.crc };
            if e.len > VERIFY_AT_OPEN_BYTES {
                return Ok(Some(section));
            }
            return section.verify(file).map(|()| None);
        }
        if self.crc != e.crc {
            return Err(Error::corrupt(file, e.offset, format!("section {} checksum mismatch", e.kind)));
        }
        Ok(None)
    }
}
