//! The `.vdb` snapshot file, byte by byte (all integers little-endian).
//!
//! ```text
//! Header, 128 bytes (format version 4)
//!   0  magic "VECTLITE"                     8
//!   8  format version u32 (= 4)             4
//!  12  header length u32 (= 128)            4
//!  16  dimension u32                        4
//!  20  metric u8 (0 cosine, 1 dot, 2 l2,    1, then 3 zero bytes
//!      3 manhattan)
//!  24  last WAL sequence folded in, u64     8
//!  32  section count u32                    4, then 4 zero bytes
//!  40  footer offset u64                    8
//!  48  file length u64                      8
//!  56  database id                         16  random, made once when the database is created
//!  72  snapshot id u64                      8  random, new for every file written
//!  80  parent snapshot id u64               8  the snapshot this one was compacted from (0: none)
//!  88  zero                                36
//! 124  CRC32C of bytes 0..124               4
//! Format version 1 has a 64-byte header: bytes 0..56 as above, a zero u32 at 56 and the
//! CRC32C of bytes 0..60 at 60; it has no identities (read as zero). It is still read.
//! Format version 3 is version 4 without EXPIRY; it is still read.
//! Format version 2 is version 3 with every graph level inline in INDEXES and NAMED_INDEXES
//! (graph format 1) and no LINKS0; it is still read.
//! Sections, each starting at a multiple of 64, zero padding between them
//!   1 SCHEMA   named vector spaces: varint count, then (name, varint dimension); then,
//!              optionally, u8 1 and the database's analyzer as a JSON string
//!   2 RECORDS  varint namespace count, then per namespace: name, varint record count,
//!              records (id, metadata JSON, sparse terms, named vectors; see record.rs)
//!   3 VECTORS  the main vectors of every namespace, in RECORDS order, as contiguous f32:
//!              64-byte aligned, so a memory map could use them in place (the reader
//!              streams them straight into the arrays the namespaces keep)
//!   4 INDEXES  optional: varint count, then per namespace: name and its HNSW graph
//!              (vector/hnsw/persist.rs), whose node ids are the namespace's RECORDS order
//!   6 SPARSE   optional: varint count, then per namespace: name and its inverted index
//!              (sparse/persist.rs), whose slots are the namespace's RECORDS order
//!   7 QUANTIZATION optional: which spaces keep quantized codes (vector/quantize/
//!              settings.rs); absent, every space is unquantized. A reader that does not
//!              know it skips it (after its checksum) and searches the float32 vectors
//!   8 CODES    optional: varint count, then per namespace: name, varint record count, the
//!              main vectors' inverse norms (f32 each, RECORDS order), then u8 0, or u8 1
//!              and the parameters of the main vectors' quantized codes (vector/quantize),
//!              varint outlier count and the outliers' RECORDS positions (varints).
//!              Without it, norms and codes are computed at open
//!   9 CODE_BYTES with CODES: the codes of each namespace CODES gives parameters for, in
//!              that order, each in RECORDS order; like VECTORS, used in place from a map
//!   5 NAMED_INDEXES optional: varint count, then per graph: namespace name, space name and
//!              the HNSW graph of that named vector space, whose node ids number the records
//!              that have a vector in the space, in RECORDS order
//!  10 LINKS0   with a graph: the level 0 of every graph, INDEXES' in their order, then
//!              NAMED_INDEXES', each a fixed-stride u32 array (vector/hnsw/persist.rs); like
//!              VECTORS, used in place from a map
//!  11 IDS      per namespace in RECORDS order, the open-addressing table from record id to
//!              RECORDS position (id_index.rs: `stored_entries(count)` entries of u32 hash,
//!              u32 position), so an open hashes no id; used in place from a map
//!  12 EXPIRY   optional: when records given a time to live expire, per namespace
//!              (expiry_section.rs); absent, no record expires
//!  13 MULTI_VECTORS optional: the records' multi-vectors, per namespace and space
//!              (multi_vector_section.rs); absent, no record has any
//!  14 RECORD_OFFSETS optional: where each record starts in RECORDS, per namespace
//!              (records_section.rs), so RECORDS is used in place and records are decoded
//!              when read; absent (older files), the records are decoded at open
//! Footer at the footer offset
//!   per section: kind u32, zero u32, offset u64, length u64, CRC32C u32, zero u32 (32 bytes)
//!   CRC32C of the section table u32
//! ```
//!
//! Every byte is covered: header and footer by their CRCs, sections by theirs, padding by
//! the rule that it is zero, and the file length by the header. Any damage is `CORRUPT`.

use crate::checksum::crc32c;
use crate::codec::Reader;
use crate::error::{Code, Error, Result};
use crate::sparse::InvertedIndex;
use super::source::{FileSource, SliceSource, Source};
use crate::vector::hnsw::HnswGraph;
use crate::vector::floats::Floats;
use crate::vector::quantize::Codes;
use super::bulk_section::BulkStream;
pub use super::bulk_section::Unverified;
use crate::vector::Metric;
use super::mapping::Mapping;
use std::borrow::Cow;
use std::collections::BTreeMap;

pub use super::records_section::in_place as records_in_place;
pub use super::format_write::{encode, restamp, stored_graphs, write_snapshot, StoredGraph};

pub const MAGIC: &[u8; 8] = b"VECTLITE";
pub const FORMAT_VERSION: u32 = 4;
/// The header length of the current format version.
pub const HEADER_LEN: usize = 128;
/// The header length of format version 1.
pub const HEADER_LEN_V1: usize = 64;
pub const SECTION_ALIGN: usize = 64;
pub(super) const SECTION_ENTRY_LEN: usize = 32;
pub(super) const SECTION_SCHEMA: u32 = 1;
pub(super) const SECTION_RECORDS: u32 = 2;
pub(super) const SECTION_VECTORS: u32 = 3;
pub(super) const SECTION_INDEXES: u32 = 4;
pub(super) const SECTION_NAMED_INDEXES: u32 = 5;
pub(super) const SECTION_SPARSE: u32 = 6;
pub(super) const SECTION_QUANTIZATION: u32 = 7;
pub(super) const SECTION_CODES: u32 = 8;
pub(super) const SECTION_CODE_BYTES: u32 = 9;
pub(super) const SECTION_LINKS0: u32 = 10;
pub(super) const SECTION_IDS: u32 = 11;
pub(super) const SECTION_EXPIRY: u32 = 12;
pub(super) const SECTION_MULTI_VECTORS: u32 = 13;
pub(super) const SECTION_RECORD_OFFSETS: u32 = 14;

#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotHeader {
    pub dimension: u32,
    pub metric: Metric,
    pub last_seq: u64,
    /// The database's text analyzer (JSON), stored at the end of the SCHEMA section.
    pub analyzer: Option<String>,
    /// Which vector spaces keep quantized codes (the QUANTIZATION section).
    pub quantization: crate::vector::quantize::Quantizations,
    /// Which database this file belongs to, and which of its snapshots it is: the WAL names
    /// the snapshot it continues, so a log is never replayed onto another file.
    pub identity: SnapshotIdentity,
}

/// The identities in a snapshot header. All zero in files of format version 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SnapshotIdentity {
    /// Made once when a database is created; kept by every compaction of it.
    pub database: [u8; 16],
    /// New for every snapshot file written.
    pub snapshot: u64,
    /// The snapshot of the same database this one was compacted from (whose log it folded
    /// in), or 0. A log of that snapshot may continue past this one (see recovery.rs).
    pub parent: u64,
}

impl SnapshotIdentity {
    /// A new database's first snapshot.
    pub fn new_database() -> SnapshotIdentity {
        SnapshotIdentity { database: crate::random::random_id(), snapshot: crate::random::random_u64(), parent: 0 }
    }

    /// The next snapshot of the same database (a file of format version 1 gets its
    /// database id now).
    pub fn next_snapshot(&self) -> SnapshotIdentity {
        if self.is_legacy() {
            return SnapshotIdentity::new_database();
        }
        SnapshotIdentity { database: self.database, snapshot: crate::random::random_u64(), parent: self.snapshot }
    }

    /// A file of format version 1, which records no identity.
    pub fn is_legacy(&self) -> bool {
        self.database == [0; 16]
    }
}

pub struct LoadedNamespace {
    pub name: String,
    pub records: crate::record_store::RecordStore,
    pub vectors: Floats,
    /// The id table stored for the records (IDS), if the file has one.
    pub ids: Option<crate::id_index::IdIndex>,
    /// The main vectors' inverse norms and quantized codes, when the file stores them.
    pub inv_norms: Option<Vec<f32>>,
    pub codes: Option<Codes>,
    pub index: Option<HnswGraph>,
    /// Graphs of named vector spaces, by space name.
    pub named_indexes: Vec<(String, HnswGraph)>,
    /// The stored inverted index, if the snapshot has one for this namespace.
    pub sparse: Option<InvertedIndex>,
    /// (RECORDS position, instant) of the records that expire, in position order.
    pub expiry: Vec<(u32, i64)>,
    /// The multi-vector spaces, their slots being RECORDS positions.
    pub multi: Vec<(String, crate::multi_vector::MultiSpace)>,
}

pub struct Snapshot {
    pub header: SnapshotHeader,
    pub named_dims: BTreeMap<String, usize>,
    pub namespaces: Vec<LoadedNamespace>,
    /// Large sections used in place whose checksums were not verified at open (`check`
    /// verifies them).
    pub unverified: Vec<Unverified>,
}

/// Reads and verifies the header alone (enough to learn dimension and metric).
pub fn decode_header(bytes: &[u8], file: &str) -> Result<(SnapshotHeader, u32, u64)> {
    check_header(bytes, bytes.len() as u64, file).map(|(h, count, footer, _)| (h, count, footer))
}

/// Where the VECTORS section of a file lies: (offset, length). Reads the header and the
/// section table only.
pub fn locate_vectors(src: &mut dyn Source, file: &str) -> Result<(u64, u64)> {
    locate(src, file, SECTION_VECTORS)?.ok_or_else(|| Error::corrupt(file, 0, "no VECTORS section"))
}

/// Where the CODE_BYTES section of a file lies, if it has one.
pub fn locate_code_bytes(src: &mut dyn Source, file: &str) -> Result<Option<(u64, u64)>> {
    locate(src, file, SECTION_CODE_BYTES)
}

/// Where the IDS section of a file lies, if it has one.
pub fn locate_ids(src: &mut dyn Source, file: &str) -> Result<Option<(u64, u64)>> {
    locate(src, file, SECTION_IDS)
}

/// Where the LINKS0 section of a file lies, if it has one.
pub fn locate_links0(src: &mut dyn Source, file: &str) -> Result<Option<(u64, u64)>> {
    locate(src, file, SECTION_LINKS0)
}

pub(super) fn locate(src: &mut dyn Source, file: &str, kind: u32) -> Result<Option<(u64, u64)>> {
    let head = src.read_vec(0, (src.len() as usize).min(HEADER_LEN)).map_err(|e| Error::io("cannot read", file, e))?;
    let (_, count, footer_offset, header_len) = check_header(&head, src.len(), file)?;
    let sections = read_section_table(src, file, count, footer_offset, header_len)?;
    Ok(sections.iter().find(|e| e.kind == kind).map(|at| (at.offset, at.len)))
}

/// The header length of a format version (None for a version this library does not know).
pub fn header_len_of(version: u32) -> Option<usize> {
    match version {
        1 => Some(HEADER_LEN_V1),
        2..=4 => Some(HEADER_LEN),
        _ => None,
    }
}

/// Verifies the first bytes of a file (at least the header's length, or all there is)
/// against the file's actual length `actual_len`. Returns the header, the section count,
/// the footer offset and the header length (where the sections may start).
fn check_header(bytes: &[u8], actual_len: u64, file: &str) -> Result<(SnapshotHeader, u32, u64, usize)> {
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err(Error::corrupt(file, 0, "not a vectlite database (bad magic)"));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or([0; 4]));
    if version > FORMAT_VERSION {
        return Err(Error::new(
            Code::Corrupt,
            format!("{file}: format version {version} is newer than this library reads ({FORMAT_VERSION}); upgrade vectlite"),
        ));
    }
    let Some(header_len) = header_len_of(version) else {
        return Err(Error::corrupt(file, 8, "bad format version"));
    };
    if bytes.len() < header_len {
        return Err(Error::corrupt(file, bytes.len() as u64, "file shorter than its header"));
    }
    let stored_crc = u32::from_le_bytes(bytes[header_len - 4..header_len].try_into().unwrap_or([0; 4]));
    if crc32c(&bytes[..header_len - 4]) != stored_crc {
        return Err(Error::corrupt(file, (header_len - 4) as u64, "header checksum mismatch"));
    }
    let mut r = Reader::new(&bytes[..header_len], 0, file);
    r.take(12)?;
    if r.u32()? as usize != header_len {
        return Err(Error::corrupt(file, 12, "bad header length"));
    }
    let dimension = r.u32()?;
    let metric = Metric::from_code(r.u8()?).ok_or_else(|| Error::corrupt(file, 20, "unknown metric"))?;
    r.take(3)?;
    let last_seq = r.u64()?;
    let section_count = r.u32()?;
    r.take(4)?;
    let footer_offset = r.u64()?;
    let file_len = r.u64()?;
    if file_len != actual_len {
        return Err(Error::corrupt(
            file,
            actual_len.min(file_len),
            format!("file is {actual_len} bytes, header says {file_len} (truncated or appended to)"),
        ));
    }
    if dimension == 0 {
        return Err(Error::corrupt(file, 16, "dimension 0"));
    }
    let mut identity = SnapshotIdentity::default();
    if version >= 2 {
        identity.database.copy_from_slice(r.take(16)?);
        identity.snapshot = r.u64()?;
        identity.parent = r.u64()?;
        if identity.is_legacy() {
            return Err(Error::corrupt(file, 56, "zero database id"));
        }
    }
    Ok((SnapshotHeader { dimension, metric, last_seq, analyzer: None, quantization: Default::default(), identity }, section_count, footer_offset, header_len))
}

/// Reads and verifies a whole snapshot held in memory.
pub fn decode(bytes: &[u8], file: &str) -> Result<Snapshot> {
    read(&mut SliceSource(bytes), file)
}

/// Reads and verifies a snapshot file, one section at a time: the vectors go straight from
/// the file into the arrays the namespaces keep.
pub fn read_file(f: std::fs::File, file: &str) -> Result<Snapshot> {
    let mut src = FileSource::new(f).map_err(|e| Error::io("cannot read", file, e))?;
    read(&mut src, file)
}

/// Reads and verifies a snapshot from any source (a file of the database's `Vfs`).
pub fn read(src: &mut dyn Source, file: &str) -> Result<Snapshot> {
    let io_err = |e: std::io::Error| Error::io("cannot read", file, e);
    let head = src.read_vec(0, (src.len() as usize).min(HEADER_LEN)).map_err(io_err)?;
    let (mut header, section_count, footer_offset, header_len) = check_header(&head, src.len(), file)?;
    let sections = read_section_table(src, file, section_count, footer_offset, header_len)?;
    let find = |kind: u32| sections.iter().find(|e| e.kind == kind).copied();
    // Sections this reader does not use (a kind it does not know, a second one of a kind)
    // are checked against their checksums all the same: every byte of the file is covered.
    let known = [
        SECTION_SCHEMA,
        SECTION_RECORDS,
        SECTION_VECTORS,
        SECTION_INDEXES,
        SECTION_NAMED_INDEXES,
        SECTION_SPARSE,
        SECTION_QUANTIZATION,
        SECTION_CODES,
        SECTION_CODE_BYTES,
        SECTION_LINKS0,
        SECTION_IDS,
        SECTION_EXPIRY,
        SECTION_MULTI_VECTORS,
        SECTION_RECORD_OFFSETS,
    ];
    for (i, e) in sections.iter().enumerate() {
        if !known.contains(&e.kind) || sections[..i].iter().any(|p| p.kind == e.kind) {
            e.read(src, file)?;
        }
    }
    let schema_at = find(SECTION_SCHEMA).ok_or_else(|| Error::corrupt(file, footer_offset, "no SCHEMA section"))?;
    let records_at = find(SECTION_RECORDS).ok_or_else(|| Error::corrupt(file, footer_offset, "no RECORDS section"))?;
    let vectors_at = find(SECTION_VECTORS).ok_or_else(|| Error::corrupt(file, footer_offset, "no VECTORS section"))?;

    let schema = schema_at.read(src, file)?;
    let mut r = Reader::new(&schema, schema_at.offset, file);
    let mut named_dims = BTreeMap::new();
    for _ in 0..r.len(2)? {
        let name = r.str()?.to_string();
        let dim = r.varint()? as usize;
        named_dims.insert(name, dim);
    }
    if !r.at_end() {
        let at = schema_at.offset + r.pos() as u64;
        if r.u8()? != 1 {
            return Err(Error::corrupt(file, at, "unknown field in the SCHEMA section"));
        }
        let text = r.str()?;
        let analyzer = crate::text::Analyzer::parse(text.as_bytes())
            .map_err(|e| Error::corrupt(file, at, format!("stored analyzer does not parse: {}", e.message)))?;
        header.analyzer = Some(analyzer.to_json());
        if !r.at_end() {
            return Err(Error::corrupt(file, schema_at.offset, "SCHEMA section holds more data than it describes"));
        }
    }

    if let Some(at) = find(SECTION_QUANTIZATION) {
        let bytes = at.read(src, file)?;
        header.quantization = crate::vector::quantize::Quantizations::decode(&mut Reader::new(&bytes, at.offset, file))?;
    }

    let dim = header.dimension as usize;
    let map = src.map();
    let mut vectors = BulkStream::new(vectors_at, map.clone(), "VECTORS");
    let (read, mut unverified) = super::records_section::read(src, map.clone(), file, records_at, find(SECTION_RECORD_OFFSETS), &mut vectors, dim)?;
    let mut namespaces: Vec<LoadedNamespace> = read.into_iter().map(LoadedNamespace::from).collect();
    unverified.extend(vectors.finish(file)?);
    if let Some(at) = find(SECTION_IDS) {
        let mut tables = BulkStream::new(at, map.clone(), "IDS");
        for ns in &mut namespaces {
            let count = ns.records.len();
            let words = tables.words(src, file, 2 * crate::id_index::stored_entries(count))?;
            ns.ids = crate::id_index::IdIndex::from_stored(words, count);
        }
        unverified.extend(tables.finish(file)?);
    }
    if let Some(at) = find(SECTION_EXPIRY) {
        let bytes = at.read(src, file)?;
        super::expiry_section::read(&mut Reader::new(&bytes, at.offset, file), &mut namespaces)?;
    }
    if let Some(at) = find(SECTION_MULTI_VECTORS) {
        let bytes = at.read(src, file)?;
        super::multi_vector_section::read(&mut Reader::new(&bytes, at.offset, file), &mut namespaces)?;
    }
    let mut code_bytes = find(SECTION_CODE_BYTES).map(|e| BulkStream::new(e, map.clone(), "CODE_BYTES"));
    match find(SECTION_CODES) {
        Some(at) => {
            let (off, bytes) = (at.offset, at.read_from(map.as_deref(), src, file)?);
            super::codes_section::read(&mut Reader::new(&bytes, off, file), &mut namespaces, dim, src, &mut code_bytes)?;
            if let Some(stream) = code_bytes {
                unverified.extend(stream.finish(file)?);
            }
        }
        None if code_bytes.is_some() => return Err(Error::corrupt(file, footer_offset, "CODE_BYTES section without CODES")),
        None => {}
    }
    let entries = super::index_sections::IndexEntries {
        indexes: find(SECTION_INDEXES),
        named_indexes: find(SECTION_NAMED_INDEXES),
        links0: find(SECTION_LINKS0),
        sparse: find(SECTION_SPARSE),
    };
    unverified.extend(super::index_sections::read(src, file, entries, map, &mut namespaces)?);
    Ok(Snapshot { header, named_dims, namespaces, unverified })
}

/// The namespace called `name` (RECORDS lists them in name order).
pub(super) fn find_namespace<'a>(namespaces: &'a mut [LoadedNamespace], name: &str) -> Option<&'a mut LoadedNamespace> {
    let i = namespaces.binary_search_by(|n| n.name.as_str().cmp(name)).ok()?;
    Some(&mut namespaces[i])
}

/// One section's place in the file, from the footer.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    pub kind: u32,
    pub offset: u64,
    pub len: u64,
    pub crc: u32,
}

impl Entry {
    /// The section's bytes, checked against its CRC.
    pub(super) fn read(&self, src: &mut dyn Source, file: &str) -> Result<Vec<u8>> {
        Ok(self.read_from(None, src, file)?.into_owned())
    }

    /// `read`, in place in `map` when the file is mapped: a section decoded once at open
    /// (a graph's upper levels, the norms) is then neither copied nor held twice, and its
    /// pages stay in the OS page cache, shared, instead of a heap buffer freed right after.
    pub(super) fn read_from<'m>(&self, map: Option<&'m Mapping>, src: &mut dyn Source, file: &str) -> Result<Cow<'m, [u8]>> {
        let len = usize::try_from(self.len).map_err(|_| Error::corrupt(file, self.offset, "section too large"))?;
        let bytes = match map.and_then(|m| m.bytes().get(self.offset as usize..)?.get(..len)) {
            Some(mapped) => Cow::Borrowed(mapped),
            None => Cow::Owned(src.read_vec(self.offset, len).map_err(|e| Error::io("cannot read", file, e))?),
        };
        if crc32c(&bytes) != self.crc {
            return Err(Error::corrupt(file, self.offset, format!("section {} checksum mismatch", self.kind)));
        }
        Ok(bytes)
    }
}

/// Verifies the footer, section bounds and the zero padding; sections' checksums are
/// checked as each one is read.
fn read_section_table(src: &mut dyn Source, file: &str, count: u32, footer_offset: u64, header_len: usize) -> Result<Vec<Entry>> {
    let table_len = count as u64 * SECTION_ENTRY_LEN as u64;
    let file_len = src.len();
    if footer_offset > file_len || count > 64 || footer_offset + table_len + 4 != file_len {
        return Err(Error::corrupt(file, footer_offset, "bad footer offset or section count"));
    }
    let io_err = |e: std::io::Error| Error::io("cannot read", file, e);
    let footer = src.read_vec(footer_offset, table_len as usize + 4).map_err(io_err)?;
    let (table, stored) = footer.split_at(table_len as usize);
    if crc32c(table) != u32::from_le_bytes(stored.try_into().unwrap_or([0; 4])) {
        return Err(Error::corrupt(file, footer_offset, "section table checksum mismatch"));
    }
    let mut r = Reader::new(table, footer_offset, file);
    let mut out = Vec::new();
    let mut cursor = header_len as u64;
    let check_padding = |src: &mut dyn Source, from: u64, to: u64| -> Result<()> {
        let gap = src.read_vec(from, (to - from) as usize).map_err(io_err)?;
        match gap.iter().position(|&b| b != 0) {
            Some(p) => Err(Error::corrupt(file, from + p as u64, "non-zero padding")),
            None => Ok(()),
        }
    };
    for i in 0..count as usize {
        let kind = r.u32()?;
        r.u32()?;
        let offset = r.u64()?;
        let len = r.u64()?;
        let crc = r.u32()?;
        r.u32()?;
        let entry_at = footer_offset + (i * SECTION_ENTRY_LEN) as u64;
        if !offset.is_multiple_of(SECTION_ALIGN as u64) || offset < cursor || offset - cursor >= SECTION_ALIGN as u64 || len > footer_offset.saturating_sub(offset) {
            return Err(Error::corrupt(file, entry_at, "section out of bounds"));
        }
        check_padding(src, cursor, offset)?;
        out.push(Entry { kind, offset, len, crc });
        cursor = offset + len;
    }
    if footer_offset - cursor >= SECTION_ALIGN as u64 {
        return Err(Error::corrupt(file, cursor, "gap before the footer"));
    }
    check_padding(src, cursor, footer_offset)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::format_write::PIECE_BYTES;
    use super::*;
    use crate::codec::Writer;
    use crate::json::{Json, Key};
    use crate::namespace::Namespace;
    use crate::record::Record;

    const TEST_IDENTITY: SnapshotIdentity = SnapshotIdentity { database: [7; 16], snapshot: 3, parent: 2 };

    fn sample() -> Vec<u8> {
        let mut ns = Namespace::new(3);
        for i in 0..5 {
            let rec = Record {
                id: format!("r{i}"),
                metadata: Json::Object(vec![("i".into(), Json::Number(i as f64))]),
                sparse: vec![("t".into(), 1.0)],
                vectors: vec![],
            };
            ns.upsert(rec, &[i as f32, 1.0, 2.0]);
        }
        let mut map = BTreeMap::new();
        map.insert("ns".to_string(), ns);
        let mut dims = BTreeMap::new();
        dims.insert("title".to_string(), 2);
        encode(&SnapshotHeader { dimension: 3, metric: Metric::L2, last_seq: 9, analyzer: Some("{\"version\":1,\"steps\":[{\"type\":\"lowercase\"}]}".into()), quantization: Default::default(), identity: TEST_IDENTITY }, &dims, &map)
    }

    #[test]
    fn round_trips() {
        let bytes = sample();
        let snap = decode(&bytes, "f").unwrap();
        assert_eq!(snap.header, SnapshotHeader { dimension: 3, metric: Metric::L2, last_seq: 9, analyzer: Some("{\"version\":1,\"steps\":[{\"type\":\"lowercase\"}]}".into()), quantization: Default::default(), identity: TEST_IDENTITY });
        assert_eq!(snap.named_dims.get("title"), Some(&2));
        assert_eq!(snap.namespaces.len(), 1);
        assert_eq!(snap.namespaces[0].records.len(), 5);
        assert_eq!(snap.namespaces[0].vectors.get(1), &[1.0, 1.0, 2.0]);
    }

    #[test]
    fn stores_norms_codes_and_outliers_as_they_are_without_learning_them_again() {
        use crate::vector::hnsw::HnswParams;
        use crate::vector::quantize::{Quantization, Quantizations};
        let mut ns = Namespace::new(4);
        let rec = |i: u32| Record { id: format!("r{i}"), metadata: Json::Object(vec![]), sparse: vec![], vectors: vec![] };
        for i in 0..300u32 {
            ns.upsert(rec(i), &[(i as f32).sin(), (i as f32).cos(), 0.5, i as f32 / 300.0]);
        }
        ns.apply_quantization(&Quantizations { main: Quantization::Int8, ..Default::default() }, None);
        ns.update_indexes(HnswParams::default(), Metric::L2, 0, &mut crate::progress::Tally::new(crate::progress::Phase::Index, None));
        ns.delete("r7");
        ns.upsert(rec(1000), &[40.0, 0.0, 0.5, 0.0]);
        let before = ns.vectors().codes().unwrap().clone();
        assert_eq!((before.trained_on(), before.outliers().len()), (300, 1));
        let mut map = BTreeMap::new();
        map.insert("".to_string(), ns);
        let header = SnapshotHeader { dimension: 4, metric: Metric::L2, last_seq: 1, analyzer: None, quantization: Default::default(), identity: TEST_IDENTITY };
        let snap = decode(&encode(&header, &BTreeMap::new(), &map), "f").unwrap();
        let loaded = &snap.namespaces[0];
        let codes = loaded.codes.as_ref().unwrap();
        // Stored as they were (learned from 300 vectors, one outlier), in RECORDS order.
        assert_eq!((codes.trained_on(), codes.outliers(), codes.slots()), (300, &[299u32][..], 300));
        let ns = &map[""];
        for (position, slot) in ns.slots().enumerate() {
            assert_eq!(codes.code(position as u32), before.code(slot));
            assert_eq!(loaded.inv_norms.as_ref().unwrap()[position], ns.inv_norm(slot));
        }
    }

    #[test]
    fn a_graph_streamed_in_pieces_reads_back_identical() {
        use crate::vector::hnsw::HnswParams;
        // 3,000 nodes: about 400 KB of graph, written in many 64 KiB pieces.
        let mut ns = Namespace::new(2);
        for i in 0..3000u32 {
            let rec = Record { id: format!("r{i}"), metadata: Json::Object(vec![]), sparse: vec![], vectors: vec![] };
            ns.upsert(rec, &[(i as f32 * 0.37).sin(), (i as f32 * 0.11).cos()]);
        }
        assert_eq!(ns.update_indexes(HnswParams::default(), Metric::L2, 0, &mut crate::progress::Tally::new(crate::progress::Phase::Index, None)), 1);
        let mut whole = Writer::new();
        ns.vectors().graph().unwrap().encode(&mut whole);
        assert!(whole.buf.len() > 4 * PIECE_BYTES);
        let map = BTreeMap::from([("ns".to_string(), ns)]);
        let bytes = encode(&SnapshotHeader { dimension: 2, metric: Metric::L2, last_seq: 1, analyzer: None, quantization: Default::default(), identity: TEST_IDENTITY }, &BTreeMap::new(), &map);
        let snap = decode(&bytes, "f").unwrap();
        let loaded = snap.namespaces[0].index.as_ref().unwrap();
        loaded.check_integrity().unwrap();
        let mut again = Writer::new();
        loaded.encode(&mut again);
        assert_eq!(again.buf, whole.buf);
    }

    #[test]
    fn stores_the_graphs_of_named_spaces() {
        use crate::vector::hnsw::HnswParams;
        let mut ns = Namespace::new(2);
        for i in 0..40 {
            // Odd records have no "title" vector: the space's node ids skip them.
            let vectors = if i % 2 == 0 { vec![("title".to_string(), vec![i as f32, 1.0, 0.5])] } else { vec![] };
            let rec = Record { id: format!("r{i}"), metadata: Json::Object(vec![]), sparse: vec![], vectors };
            ns.upsert(rec, &[i as f32, 1.0]);
        }
        assert_eq!(ns.update_indexes(HnswParams::default(), Metric::L2, 10, &mut crate::progress::Tally::new(crate::progress::Phase::Index, None)), 2, "the main graph and the title graph");
        let mut map = BTreeMap::new();
        map.insert("ns".to_string(), ns);
        let dims = BTreeMap::from([("title".to_string(), 3)]);
        let bytes = encode(&SnapshotHeader { dimension: 2, metric: Metric::L2, last_seq: 1, analyzer: None, quantization: Default::default(), identity: TEST_IDENTITY }, &dims, &map);
        let snap = decode(&bytes, "f").unwrap();
        let loaded = &snap.namespaces[0];
        assert!(loaded.index.is_some());
        assert_eq!(loaded.named_indexes.len(), 1);
        let (space, graph) = &loaded.named_indexes[0];
        assert_eq!(space, "title");
        assert_eq!(graph.len(), 20);
        graph.check_integrity().unwrap();
        for i in (0..bytes.len()).step_by(7) {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x01;
            assert_eq!(decode(&damaged, "f").err().map(|e| e.code), Some(Code::Corrupt), "byte {i}");
        }
    }

    #[test]
    fn stores_the_inverted_index_equal_to_a_rebuild() {
        let mut ns = Namespace::new(1);
        for i in 0..300u32 {
            let sparse: Vec<(Key, f32)> = (0..(i % 7)).map(|t| (format!("t{}", (i * 31 + t) % 50).into(), 1.0 + (t as f32) * 0.37)).collect();
            let mut sparse = sparse;
            sparse.sort_by(|a, b| a.0.cmp(&b.0));
            sparse.dedup_by(|a, b| a.0 == b.0);
            ns.upsert(Record { id: format!("r{i}"), metadata: Json::Object(vec![]), sparse, vectors: vec![] }, &[i as f32]);
        }
        for i in (0..300).step_by(4) {
            ns.delete(&format!("r{i}"));
        }
        let ns = ns.compacted(Metric::L2, 0).unwrap();
        let map = BTreeMap::from([("ns".to_string(), ns)]);
        let bytes = encode(&SnapshotHeader { dimension: 1, metric: Metric::L2, last_seq: 1, analyzer: None, quantization: Default::default(), identity: TEST_IDENTITY }, &BTreeMap::new(), &map);
        let snap = decode(&bytes, "f").unwrap();
        let loaded = snap.namespaces.into_iter().next().unwrap();
        let stored = loaded.sparse.expect("no SPARSE section");
        let values: Vec<f32> = (0..loaded.records.len() as u32).flat_map(|s| loaded.vectors.get(s).to_vec()).collect();
        let space = || crate::vector::space::VectorSpace::from_vectors(1, values.clone());
        let records = || decode(&bytes, "f").unwrap().namespaces.into_iter().next().unwrap().records;
        let rebuilt = Namespace::load(1, records(), space(), None, None, false).unwrap();
        assert_eq!(&stored, rebuilt.sparse());
        assert_eq!(&stored, map["ns"].sparse());
        let from_stored = Namespace::load(1, records(), space(), Some(stored), None, false).unwrap();
        assert_eq!(from_stored.sparse(), rebuilt.sparse());
    }

    #[test]
    fn a_section_of_a_kind_the_reader_does_not_use_is_still_checksummed() {
        let mut bytes = sample();
        let footer = u64::from_le_bytes(bytes[40..48].try_into().unwrap()) as usize;
        let count = u32::from_le_bytes(bytes[32..36].try_into().unwrap()) as usize;
        // Relabel the last section as a kind no reader knows, keeping the footer valid.
        let entry = footer + (count - 1) * SECTION_ENTRY_LEN;
        bytes[entry..entry + 4].copy_from_slice(&99u32.to_le_bytes());
        let crc = crc32c(&bytes[footer..footer + count * SECTION_ENTRY_LEN]);
        let at = footer + count * SECTION_ENTRY_LEN;
        bytes[at..at + 4].copy_from_slice(&crc.to_le_bytes());
        assert!(decode(&bytes, "f").is_ok(), "an intact unknown section is skipped");
        let offset = u64::from_le_bytes(bytes[entry + 8..entry + 16].try_into().unwrap()) as usize;
        bytes[offset] ^= 1;
        assert_eq!(decode(&bytes, "f").err().map(|e| e.code), Some(Code::Corrupt), "a damaged unknown section is found");
    }

    #[test]
    fn every_flipped_byte_is_corrupt() {
        let bytes = sample();
        for i in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x10;
            let err = decode(&damaged, "f").err().unwrap_or_else(|| panic!("flip at {i} went unnoticed"));
            assert_eq!(err.code, Code::Corrupt, "byte {i}");
        }
    }

    #[test]
    fn truncation_and_garbage_are_corrupt() {
        let bytes = sample();
        for cut in [0, 10, 63, 64, bytes.len() / 2, bytes.len() - 1] {
            assert_eq!(decode(&bytes[..cut], "f").err().unwrap().code, Code::Corrupt);
        }
        let mut longer = bytes.clone();
        longer.extend_from_slice(b"junk");
        assert_eq!(decode(&longer, "f").err().unwrap().code, Code::Corrupt);
    }
}
