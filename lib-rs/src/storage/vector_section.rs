//! Reading the VECTORS section namespace by namespace: in place in a map of the file where
//! maps are used (`mapping.rs`), else read into memory. Its checksum is verified at open by
//! reading the section through the file (its pages go to the OS page cache, not into the
//! process), except for a mapped section larger than `VERIFY_AT_OPEN_BYTES`: reading all of
//! it would make an open cost as much as the vectors weigh, so its checksum is left to
//! `check` (`Unverified`), which verifies it from the map.

use super::format::Entry;
use super::mapping::Mapping;
use super::source::Source;
use crate::checksum::{crc32c, crc32c_append};
use crate::error::{Error, Result};
use crate::vector::floats::{Floats, MappedFloats};
use std::sync::Arc;

/// The largest mapped VECTORS section whose checksum an open verifies (64 MiB: about
/// 40 ms of CRC32C here).
pub const VERIFY_AT_OPEN_BYTES: u64 = 64 << 20;

/// Bytes read at a time when the section is read or verified through the file.
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

pub(super) struct VectorStream {
    entry: Entry,
    map: Option<Arc<Mapping>>,
    dim: usize,
    pos: u64,
    /// The running CRC of what was read into memory.
    crc: u32,
}

impl VectorStream {
    pub fn new(entry: Entry, map: Option<Arc<Mapping>>, dim: usize) -> VectorStream {
        VectorStream { entry, map, dim, pos: 0, crc: 0 }
    }

    /// The next `n` floats: in place in the map, or read.
    pub fn next(&mut self, src: &mut dyn Source, file: &str, n: usize) -> Result<Floats> {
        let bytes = (n as u64).checked_mul(4).filter(|b| self.pos + b <= self.entry.len);
        let Some(bytes) = bytes else {
            return Err(Error::corrupt(file, self.entry.offset, "VECTORS section holds fewer vectors than RECORDS lists"));
        };
        let at = self.entry.offset + self.pos;
        if let Some(map) = &self.map {
            // Sections start at multiples of 64 and hold whole floats: always aligned.
            let mapped = MappedFloats::new(map.clone(), at as usize, n)
                .ok_or_else(|| Error::corrupt(file, at, "VECTORS section lies outside the file"))?;
            self.pos += bytes;
            return Ok(Floats::mapped(self.dim, mapped));
        }
        // Allocated at full size and advised for huge pages before it is filled: the scan
        // streams this array (see bench/RESULTS.md on page sizes).
        let mut out: Vec<f32> = Vec::with_capacity(n);
        crate::storage::os::advise_huge_pages(out.as_ptr() as *const u8, out.capacity() * 4);
        let mut chunk = vec![0u8; CHUNK.min(bytes as usize)];
        let mut left = bytes as usize;
        while left > 0 {
            let take = left.min(chunk.len());
            src.read_at(self.entry.offset + self.pos, &mut chunk[..take]).map_err(|e| Error::io("cannot read", file, e))?;
            self.crc = crc32c_append(self.crc, &chunk[..take]);
            out.extend(chunk[..take].chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])));
            self.pos += take as u64;
            left -= take;
        }
        Ok(Floats::in_memory(self.dim, out))
    }

    /// Checks that the whole section was used and verifies its checksum, or leaves it to
    /// `check` (returned) for a large mapped section.
    pub fn finish(self, src: &mut dyn Source, file: &str) -> Result<Option<Unverified>> {
        let e = self.entry;
        if self.pos != e.len {
            return Err(Error::corrupt(file, e.offset, "VECTORS section holds more data than RECORDS lists"));
        }
        let mut crc = self.crc;
        match self.map {
            Some(map) if e.len > VERIFY_AT_OPEN_BYTES => {
                return Ok(Some(Unverified { map, kind: e.kind, offset: e.offset, len: e.len, crc: e.crc }));
            }
            Some(_) => crc = read_crc(src, file, e)?,
            None => {}
        }
        if crc != e.crc {
            return Err(Error::corrupt(file, e.offset, format!("section {} checksum mismatch", e.kind)));
        }
        Ok(None)
    }
}

/// The CRC32C of a section read through the file, a chunk at a time.
fn read_crc(src: &mut dyn Source, file: &str, e: Entry) -> Result<u32> {
    let mut crc = 0;
    {
        let mut chunk = vec![0u8; CHUNK.min(e.len as usize)];
        let mut pos = 0u64;
        while pos < e.len {
            let take = (e.len - pos).min(chunk.len() as u64) as usize;
            src.read_at(e.offset + pos, &mut chunk[..take]).map_err(|err| Error::io("cannot read", file, err))?;
            crc = crc32c_append(crc, &chunk[..take]);
            pos += take as u64;
        }
    }
    Ok(crc)
}
