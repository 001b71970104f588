//! A write buffer that hands the file whole 2 MiB blocks at 2 MiB-aligned offsets.
//!
//! The page cache keeps what a write brings in as folios no larger than the write and
//! aligned to their size, so a snapshot written in 2 MiB blocks sits in the cache in 2 MiB
//! folios, which a map of the file can use as huge pages at once (the sections a search walks
//! are advised so, see `VectorSpace::advise_walked_pages`). Written through a 1 MiB
//! `BufWriter`, whose writes fall wherever the buffer happened to fill, a handle moving onto
//! its freshly compacted file got none, and kept the TLB misses of 4 KiB pages until the pages
//! were dropped and read again.

use std::io::{self, Write};

/// The block: the size of an x86-64 or arm64 (4 KiB granule) huge page.
const BLOCK: usize = 2 << 20;

/// Buffers writes into `inner` (which must start at offset 0 of its file) and writes them
/// on in whole blocks; `finish` writes the last, partial one.
pub struct AlignedWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> AlignedWriter<W> {
    pub fn new(inner: W) -> AlignedWriter<W> {
        AlignedWriter { inner, buf: Vec::with_capacity(BLOCK) }
    }

    /// Writes what is buffered and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.inner.write_all(&self.buf)?;
        self.buf.clear();
        Ok(self.inner)
    }
}

impl<W: Write> Write for AlignedWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(BLOCK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == BLOCK {
            self.inner.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(n)
    }

    /// Only full blocks are written before `finish`: flushing a partial one would put the
    /// next writes off the alignment.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records each write's offset and length.
    #[derive(Default)]
    struct Writes {
        bytes: Vec<u8>,
        calls: Vec<(usize, usize)>,
    }

    impl Write for Writes {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            self.calls.push((self.bytes.len(), data.len()));
            self.bytes.extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn writes_whole_aligned_blocks_and_keeps_every_byte_in_order() {
        let mut w = AlignedWriter::new(Writes::default());
        let mut expected = Vec::new();
        // Writes of awkward sizes, one larger than a block.
        for (i, len) in [7usize, 1_000_003, BLOCK + 5, 3, 2_500_000, 0, 11].into_iter().enumerate() {
            let chunk: Vec<u8> = (0..len).map(|j| (i * 31 + j) as u8).collect();
            w.write_all(&chunk).unwrap();
            w.flush().unwrap();
            expected.extend_from_slice(&chunk);
        }
        let out = w.finish().unwrap();
        assert_eq!(out.bytes, expected);
        let (last, blocks) = out.calls.split_last().unwrap();
        for &(at, len) in blocks {
            assert_eq!((at % BLOCK, len), (0, BLOCK), "a write before the last is a whole aligned block");
        }
        assert_eq!(last.0 % BLOCK, 0);
        assert_eq!(last.0 + last.1, expected.len());
    }
}
