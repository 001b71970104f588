//! The RECORDS section and RECORD_OFFSETS beside it. RECORDS: varint namespace count, then
//! per namespace its name, varint record count and the records (record.rs), back to back.
//! RECORD_OFFSETS: per namespace in the same order, record count + 1 u64 values, where each
//! record starts in the RECORDS section and where the last one ends.
//!
//! With RECORD_OFFSETS an open decodes no record: the section stays where it is (in place in
//! a map of the file, or its bytes read where maps are not used) and each record is decoded
//! when it is read (record_store.rs). An open reads only the namespace names and counts and
//! the first and last offset of each namespace, which must fit the section exactly. Files
//! without it (written before it existed) have their records decoded at open.

use super::bulk_section::{BulkStream, CodeBytes, Unverified};
use super::format::{Entry, LoadedNamespace};
use super::source::Source;
use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};
use crate::namespace::Namespace;
use crate::record::Record;
use crate::record_store::{EncodedRecords, Offsets, RecordStore, SectionBytes};
use super::mapping::{MappedSlice, Mapping};
use crate::vector::floats::Floats;
use std::sync::Arc;

/// A namespace as RECORDS gives it: its name, its records and (read from VECTORS in step)
/// its main vectors.
pub(super) struct NamespaceRecords {
    pub name: String,
    pub records: RecordStore,
    pub vectors: Floats,
}

/// Reads RECORDS (and RECORD_OFFSETS when the file has it), taking each namespace's main
/// vectors from `vectors` as it goes; `map` is the file's map, if it is mapped. Returns the
/// namespaces in file order, and the sections used in place whose checksums are left to
/// `check`.
pub(super) fn read(
    src: &mut dyn Source,
    map: Option<Arc<Mapping>>,
    file: &str,
    records_at: Entry,
    offsets_at: Option<Entry>,
    vectors: &mut BulkStream,
    dim: usize,
) -> Result<(Vec<NamespaceRecords>, Vec<Unverified>)> {
    let mut unverified = Vec::new();
    let (bytes, mut offsets) = match offsets_at {
        Some(at) => {
            let mut stream = BulkStream::new(records_at, map.clone(), "RECORDS");
            let bytes = match stream.bytes(src, file, records_at.len as usize)? {
                CodeBytes::Mapped(m) => SectionBytes::Mapped(m),
                CodeBytes::Memory(v) => SectionBytes::Memory(Arc::new(v)),
            };
            unverified.extend(stream.finish(file)?);
            (bytes, Some(BulkStream::new(at, map, "RECORD_OFFSETS")))
        }
        None => (SectionBytes::Memory(Arc::new(records_at.read(src, file)?)), None),
    };
    let data = bytes.as_slice();
    let mut r = Reader::new(data, records_at.offset, file);
    let mut out: Vec<NamespaceRecords> = Vec::new();
    for _ in 0..r.len(2)? {
        let at = records_at.offset + r.pos() as u64;
        let name = r.str()?.to_string();
        // Written in name order (a BTreeMap's): the index sections find their namespace by
        // binary search, so opening stays linear in the file however many namespaces it has.
        if out.last().is_some_and(|prev| prev.name >= name) {
            return Err(Error::corrupt(file, at, format!("namespace {name:?} out of order or repeated")));
        }
        let count = r.len(4)?;
        let records = match offsets.as_mut() {
            Some(stream) => {
                let offsets = stream.u64s(src, file, count + 1)?;
                let (first, end) = {
                    let o = offsets.as_slice();
                    (o[0], o[count])
                };
                if first != r.pos() as u64 || end < first || end > data.len() as u64 {
                    return Err(r.corrupt(&format!("records of namespace {name:?} said to lie at {first}..{end}")));
                }
                r.take((end - first) as usize)?;
                RecordStore::encoded(EncodedRecords::new(bytes.clone(), offsets, records_at.offset, file))
            }
            None => {
                let mut recs = Vec::with_capacity(count);
                for _ in 0..count {
                    recs.push(Record::decode(&mut r)?);
                }
                RecordStore::decoded(recs)
            }
        };
        let vecs = vectors.floats(src, file, count.checked_mul(dim).ok_or_else(|| r.corrupt("record count too large"))?, dim)?;
        out.push(NamespaceRecords { name, records, vectors: vecs });
    }
    if !r.at_end() {
        return Err(Error::corrupt(file, records_at.offset, "RECORDS section holds more data than its count says"));
    }
    if let Some(stream) = offsets {
        unverified.extend(stream.finish(file)?);
    }
    Ok((out, unverified))
}

/// Encodes the records of the namespaces that hold any, in name order (the RECORDS body):
/// each record's encoding is copied as the namespace holds it.
pub(super) fn encode(namespaces: &[(&String, &Namespace)], w: &mut Writer, flush: &mut dyn FnMut(&mut Writer) -> std::io::Result<()>) -> std::io::Result<()> {
    w.varint(namespaces.len() as u64);
    for (name, ns) in namespaces {
        w.str(name);
        w.varint(ns.len() as u64);
        for slot in ns.slots() {
            // A stored record whose offsets are damaged is left out: the namespace's damage
            // then fails the write (see `Database::write_snapshot_file`).
            if let Some(bytes) = ns.encoding(slot) {
                w.buf.extend_from_slice(bytes);
            }
            flush(w)?;
        }
    }
    Ok(())
}

/// RECORD_OFFSETS for what `encode` writes, as little-endian u32 pairs (one u64 each).
pub(super) fn offsets(namespaces: &[(&String, &Namespace)]) -> Vec<Vec<u32>> {
    let mut scratch = Writer::new();
    scratch.varint(namespaces.len() as u64);
    let mut pos = scratch.buf.len() as u64;
    let mut out = Vec::with_capacity(namespaces.len());
    for (name, ns) in namespaces {
        scratch.buf.clear();
        scratch.str(name);
        scratch.varint(ns.len() as u64);
        pos += scratch.buf.len() as u64;
        let mut words = Vec::with_capacity(2 * (ns.len() + 1));
        let mut push = |at: u64| words.extend([at as u32, (at >> 32) as u32]);
        for slot in ns.slots() {
            push(pos);
            pos += ns.encoding(slot).map_or(0, |bytes| bytes.len() as u64);
        }
        push(pos);
        out.push(words);
    }
    out
}

impl From<NamespaceRecords> for LoadedNamespace {
    fn from(n: NamespaceRecords) -> LoadedNamespace {
        LoadedNamespace {
            name: n.name,
            records: n.records,
            vectors: n.vectors,
            ids: None,
            inv_norms: None,
            codes: None,
            index: None,
            named_indexes: Vec::new(),
            sparse: None,
            expiry: Vec::new(),
            multi: Vec::new(),
        }
    }
}

/// Each namespace's records as the file behind `src` (a snapshot just written) stores them,
/// by name: in place in its map, or read into memory where maps are not used (still encoded:
/// a few bytes a record instead of a decoded record). Empty if the file has no RECORD_OFFSETS
/// or they do not fit.
pub fn in_place(src: &mut dyn Source, file: &str) -> Vec<(String, EncodedRecords)> {
    let map = src.map();
    let locate = |src: &mut dyn Source, kind| super::format::locate(src, file, kind).ok().flatten();
    let (Some((at, len)), Some((offsets_at, offsets_len))) =
        (locate(src, super::format::SECTION_RECORDS), locate(src, super::format::SECTION_RECORD_OFFSETS))
    else {
        return Vec::new();
    };
    let (Ok(len), Ok(offsets_len)) = (usize::try_from(len), usize::try_from(offsets_len)) else { return Vec::new() };
    let (bytes, all_offsets) = match &map {
        Some(map) => match MappedSlice::<u8>::new(map.clone(), at as usize, len) {
            Some(section) => (SectionBytes::Mapped(section), None),
            None => return Vec::new(),
        },
        None => {
            let (Ok(section), Ok(raw)) = (src.read_vec(at, len), src.read_vec(offsets_at, offsets_len)) else { return Vec::new() };
            let offsets: Vec<u64> = raw.chunks_exact(8).map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])).collect();
            (SectionBytes::Memory(Arc::new(section)), Some(offsets))
        }
    };
    let mut r = Reader::new(bytes.as_slice(), at, file);
    let mut out = Vec::new();
    let mut next = 0usize; // the next namespace's first offset, in values
    let Ok(n) = r.len(2) else { return Vec::new() };
    for _ in 0..n {
        let (Ok(name), Ok(count)) = (r.str().map(str::to_string), r.len(4)) else { return Vec::new() };
        if (next + count + 1) * 8 > offsets_len {
            return Vec::new();
        }
        let offsets = match (&map, &all_offsets) {
            (Some(map), _) => match MappedSlice::<u64>::new(map.clone(), offsets_at as usize + next * 8, count + 1) {
                Some(slice) => Offsets::Mapped(slice),
                None => return Vec::new(),
            },
            (None, Some(all)) => Offsets::Memory(Arc::new(all[next..next + count + 1].to_vec())),
            (None, None) => return Vec::new(),
        };
        next += count + 1;
        let (first, end) = (offsets.as_slice()[0], offsets.as_slice()[count]);
        if first != r.pos() as u64 || end < first || r.take((end - first) as usize).is_err() {
            return Vec::new();
        }
        out.push((name, EncodedRecords::new(bytes.clone(), offsets, at, file)));
    }
    out
}
