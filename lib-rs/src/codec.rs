//! Little-endian encoding for the file format and the WAL, and a bounds-checked reader
//! whose every failure is a `CORRUPT` error naming the file and the offset.

use crate::error::{Error, Result};

/// Appends little-endian values to a byte vector.
#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Writer { buf: Vec::new() }
    }
    pub fn with_capacity(n: usize) -> Self {
        Writer { buf: Vec::with_capacity(n) }
    }
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn f32(&mut self, v: f32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn f32s(&mut self, values: &[f32]) {
        self.buf.reserve(values.len() * 4);
        for v in values {
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }
    /// LEB128 unsigned varint: small counts and lengths take one byte.
    pub fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }
    /// A length-prefixed byte string.
    pub fn bytes(&mut self, b: &[u8]) {
        self.varint(b.len() as u64);
        self.buf.extend_from_slice(b);
    }
    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    /// Pads with zeros up to a multiple of `align` (so vectors can be used in place).
    pub fn align(&mut self, align: usize) {
        while !self.buf.len().is_multiple_of(align) {
            self.buf.push(0);
        }
    }
}

/// Reads little-endian values, refusing to run past the end.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf[0]` within the file, so errors point at the real byte.
    base: u64,
    file: &'a str,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8], base: u64, file: &'a str) -> Self {
        Reader { buf, pos: 0, base, file }
    }
    /// The file being read, as errors name it.
    pub fn file(&self) -> &'a str {
        self.file
    }
    pub fn pos(&self) -> usize {
        self.pos
    }
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
    pub fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }
    pub fn corrupt(&self, message: &str) -> Error {
        self.corrupt_at(self.pos, message)
    }
    /// `corrupt`, naming the byte at `pos` of this reader's buffer.
    pub fn corrupt_at(&self, pos: usize, message: &str) -> Error {
        Error::corrupt(self.file, self.base + pos as u64, message)
    }
    /// Inlined, with the error built out of line: an open decodes millions of small values.
    #[inline]
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.short(n));
        }
        let slice = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }
    #[cold]
    #[inline(never)]
    fn short(&self, n: usize) -> Error {
        self.corrupt(&format!("needs {n} bytes, {} left", self.remaining()))
    }
    #[inline]
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    pub fn f32(&mut self) -> Result<f32> {
        Ok(f32::from_bits(self.u32()?))
    }
    /// Reads `n` f32 values into `out`.
    pub fn f32s_into(&mut self, n: usize, out: &mut Vec<f32>) -> Result<()> {
        let bytes = self.take(n.checked_mul(4).ok_or_else(|| self.corrupt("vector too long"))?)?;
        out.reserve(n);
        out.extend(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])));
        Ok(())
    }
    pub fn varint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= ((b & 0x7F) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.corrupt("varint longer than 10 bytes"))
    }
    /// A varint count or length, checked against the bytes left so a bad value cannot
    /// make us allocate gigabytes.
    pub fn len(&mut self, min_item_size: usize) -> Result<usize> {
        let n = self.varint()?;
        let max = (self.remaining() / min_item_size.max(1)) as u64;
        if n > max {
            return Err(self.corrupt(&format!("length {n} exceeds the {} bytes left", self.remaining())));
        }
        Ok(n as usize)
    }
    pub fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.len(1)?;
        self.take(n)
    }
    pub fn str(&mut self) -> Result<&'a str> {
        let at = self.pos;
        let b = self.bytes()?;
        std::str::from_utf8(b).map_err(|_| Error::corrupt(self.file, self.base + at as u64, "invalid UTF-8"))
    }
    /// Skips zero padding up to a multiple of `align` (relative to the buffer start).
    pub fn align(&mut self, align: usize) -> Result<()> {
        while !self.pos.is_multiple_of(align) {
            if self.u8()? != 0 {
                return Err(self.corrupt("non-zero padding"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_values() {
        let mut w = Writer::new();
        w.u8(7);
        w.u32(0xDEAD_BEEF);
        w.u64(u64::MAX - 3);
        w.varint(300);
        w.str("héllo");
        w.align(8);
        w.f32s(&[1.5, -2.25]);
        let mut r = Reader::new(&w.buf, 0, "t");
        assert_eq!(r.u8().unwrap(), 7);
        assert_eq!(r.u32().unwrap(), 0xDEAD_BEEF);
        assert_eq!(r.u64().unwrap(), u64::MAX - 3);
        assert_eq!(r.varint().unwrap(), 300);
        assert_eq!(r.str().unwrap(), "héllo");
        r.align(8).unwrap();
        let mut v = Vec::new();
        r.f32s_into(2, &mut v).unwrap();
        assert_eq!(v, vec![1.5, -2.25]);
        assert!(r.at_end());
    }

    #[test]
    fn refuses_to_read_past_the_end() {
        let mut w = Writer::new();
        w.varint(1_000_000);
        let mut r = Reader::new(&w.buf, 100, "f.vdb");
        let err = r.bytes().unwrap_err();
        assert!(err.message.contains("f.vdb"), "{}", err.message);
    }
}
