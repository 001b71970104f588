//! One namespace's records by slot. The records of the snapshot stay encoded where the file
//! has them (the RECORDS section, in place in a map of the file, or its bytes read where maps
//! are not used) and are decoded when read, one at a time, never kept: an open decodes no
//! record, and the process holds only the records written since. Those are kept decoded.
//!
//! Slots `0..encoded.count()` start as the snapshot's records, all live; a write to one of
//! them puts the record (or its absence) in `changed`. Slots after them are in `tail`.
//!
//! A stored record that does not decode (damage its section's checksum has not caught yet:
//! large sections are verified by `check`, not at open; or a file made to pass its checksums)
//! reads as absent, and the failure is kept by slot (`damage`) for the read that met it to
//! report as `CORRUPT`, until the slot is written or emptied. `verify` (run by `check`, and so
//! by every compaction, snapshot and backup) decodes every stored record once.

use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};
use crate::json::{self, Json};
use crate::record::{Record, RecordView};
use crate::storage::mapping::MappedSlice;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The bytes of a RECORDS section: in place in a map, or read into memory.
#[derive(Clone)]
pub enum SectionBytes {
    Mapped(MappedSlice<u8>),
    Memory(Arc<Vec<u8>>),
}

impl SectionBytes {
    pub fn as_slice(&self) -> &[u8] {
        match self {
            SectionBytes::Mapped(m) => m.as_slice(),
            SectionBytes::Memory(v) => v,
        }
    }
}

/// Where each record of a namespace starts in the RECORDS section, and where the last one
/// ends (count + 1 values): in place in a map, or read into memory.
#[derive(Clone)]
pub enum Offsets {
    Mapped(MappedSlice<u64>),
    Memory(Arc<Vec<u64>>),
}

impl Offsets {
    pub fn as_slice(&self) -> &[u64] {
        match self {
            Offsets::Mapped(m) => m.as_slice(),
            Offsets::Memory(v) => v,
        }
    }
}

/// A namespace's records as the snapshot stores them.
#[derive(Clone)]
pub struct EncodedRecords {
    bytes: SectionBytes,
    offsets: Offsets,
    /// Which stored record each slot holds when that is not record i at slot i (a compaction
    /// in memory renumbered the slots): `HELD` for a slot whose record is held decoded.
    order: Option<Arc<Vec<u32>>>,
    /// The section's offset in the file and the file's name, for errors.
    section_offset: u64,
    file: Arc<str>,
}

/// In `EncodedRecords::order`: the slot's record is not a stored one.
const HELD: u32 = u32::MAX;

impl EncodedRecords {
    /// `offsets` holds count + 1 positions into `bytes` (checked when a record is read).
    pub fn new(bytes: SectionBytes, offsets: Offsets, section_offset: u64, file: &str) -> EncodedRecords {
        EncodedRecords { bytes, offsets, order: None, section_offset, file: file.into() }
    }

    /// Number of slots.
    pub fn count(&self) -> usize {
        match &self.order {
            Some(order) => order.len(),
            None => self.offsets.as_slice().len().saturating_sub(1),
        }
    }

    /// The same stored records in the slots `order` gives: `order[new slot]` is the old slot
    /// whose stored record it holds, or None for a slot held decoded.
    fn reordered(&self, order: impl Iterator<Item = Option<u32>>) -> EncodedRecords {
        let stored = |old: u32| match &self.order {
            Some(o) => o[old as usize],
            None => old,
        };
        let order = order.map(|old| old.map_or(HELD, stored)).collect();
        EncodedRecords { order: Some(Arc::new(order)), ..self.clone() }
    }

    /// The bytes of the record at slot `i`, or an error if its offsets are not in order
    /// inside its namespace's part of the section.
    pub fn raw(&self, i: usize) -> Result<&[u8]> {
        let offsets = self.offsets.as_slice();
        let corrupt = |what: String| Error::corrupt(&self.file, self.section_offset, what);
        let record = match &self.order {
            Some(order) => order[i] as usize,
            None => i,
        };
        if record + 1 >= offsets.len() {
            return Err(corrupt(format!("slot {i} holds no stored record")));
        }
        let (lo, hi) = (offsets[0], offsets[offsets.len() - 1]);
        let (start, end) = (offsets[record], offsets[record + 1]);
        if start < lo || start >= end || end > hi || end > self.bytes.as_slice().len() as u64 {
            return Err(corrupt(format!("record {record} lies at {start}..{end}, outside its namespace's {lo}..{hi}")));
        }
        Ok(&self.bytes.as_slice()[start as usize..end as usize])
    }

    fn reader(&self, i: usize) -> Result<Reader<'_>> {
        let raw = self.raw(i)?;
        let at = self.section_offset + (raw.as_ptr() as usize - self.bytes.as_slice().as_ptr() as usize) as u64;
        Ok(Reader::new(raw, at, &self.file))
    }

    /// The record at slot `i`, decoded; it must take exactly its bytes.
    pub fn decode(&self, i: usize) -> Result<Record> {
        let mut r = self.reader(i)?;
        let record = Record::decode(&mut r)?;
        if !r.at_end() {
            return Err(r.corrupt("record holds more bytes than it uses"));
        }
        Ok(record)
    }

    /// The record at slot `i` read in place (`RecordView`); it must take exactly its bytes.
    pub fn view(&self, i: usize) -> Result<RecordView<'_>> {
        let mut r = self.reader(i)?;
        let view = RecordView::read(&mut r)?;
        if !r.at_end() {
            return Err(r.corrupt("record holds more bytes than it uses"));
        }
        Ok(view)
    }

    /// The id of the record at slot `i`, read in place.
    pub fn id(&self, i: usize) -> Result<&str> {
        self.reader(i)?.str()
    }

    /// The metadata of the record at slot `i`, decoded alone.
    pub fn metadata(&self, i: usize) -> Result<Json> {
        metadata_only(&mut self.reader(i)?)
    }

    /// The record at slot `i` without its metadata (left null): what an open or a compaction
    /// needs of it to rebuild the inverted index or the named spaces, without parsing JSON.
    pub fn decode_without_metadata(&self, i: usize) -> Result<Record> {
        without_metadata(&mut self.reader(i)?)
    }
}

/// Where a held record's encoding lies in `Held::bytes`; `EMPTY` for a slot without one.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Span {
    start: u64,
    len: u64,
}

const EMPTY: Span = Span { start: u64::MAX, len: 0 };

impl Span {
    fn is_empty(self) -> bool {
        self.start == u64::MAX
    }
}

/// The records written since the snapshot, each kept as its encoding (`Record::encode`, what
/// a snapshot stores) in one growing buffer and decoded when read, like the stored ones. A
/// record held decoded took its struct (104 bytes) plus a heap block for its id and one per
/// metadata object, about 200 bytes for `{"bucket": 7}` against 25 encoded: 450,000 records
/// written since the last compaction of a 1M x 384 build held 81 MiB of the process's heap.
#[derive(Default)]
struct Held {
    bytes: Vec<u8>,
    /// Bytes of `bytes` no slot points at any more (records replaced or removed).
    dead: usize,
}

/// `Held::bytes` is rewritten without its dead bytes once they pass this and half of it.
const HELD_REWRITE_MIN_DEAD: usize = 1 << 20;

/// Names the buffer of held records in an error (one can only come from a bug).
const HELD_NAME: &str = "records held in memory";

impl Held {
    fn slice(&self, span: Span) -> &[u8] {
        &self.bytes[span.start as usize..(span.start + span.len) as usize]
    }

    fn reader(&self, span: Span) -> Reader<'_> {
        Reader::new(self.slice(span), span.start, HELD_NAME)
    }

    fn push(&mut self, record: &Record) -> Span {
        let start = self.bytes.len() as u64;
        let mut w = Writer { buf: std::mem::take(&mut self.bytes) };
        record.encode(&mut w);
        self.bytes = w.buf;
        Span { start, len: self.bytes.len() as u64 - start }
    }

    fn push_bytes(&mut self, bytes: &[u8]) -> Span {
        let start = self.bytes.len() as u64;
        self.bytes.extend_from_slice(bytes);
        Span { start, len: bytes.len() as u64 }
    }
}

#[derive(Default)]
pub struct RecordStore {
    encoded: Option<EncodedRecords>,
    /// Slots of `encoded` written since: where the record now is in `held`, or EMPTY once
    /// removed.
    changed: HashMap<u32, Span>,
    /// One bit per slot of `encoded`: set when the slot is in `changed` (a read of an
    /// unchanged slot tests a bit, not a hash map).
    changed_bits: Vec<u64>,
    /// Slots after `encoded`'s: where each record is in `held`, or EMPTY.
    tail: Vec<Span>,
    held: Held,
    /// Stored records that did not decode, by slot, until the slot is written or emptied.
    damage: Mutex<BTreeMap<u32, Error>>,
    /// Whether every stored record was decoded once without error (`verify`): the bytes never
    /// change, so once is enough.
    verified: AtomicBool,
}

impl RecordStore {
    /// The snapshot's records, left encoded.
    pub fn encoded(records: EncodedRecords) -> RecordStore {
        RecordStore { encoded: Some(records), ..RecordStore::default() }
    }

    /// Records held in memory, one per slot.
    pub fn decoded(records: Vec<Record>) -> RecordStore {
        let mut store = RecordStore::default();
        store.tail = records.iter().map(|r| store.held.push(r)).collect();
        store
    }

    #[inline]
    fn base(&self) -> usize {
        self.encoded.as_ref().map_or(0, EncodedRecords::count)
    }

    /// Number of slots, live or empty.
    pub fn len(&self) -> usize {
        self.base() + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether stored records are read from a snapshot's bytes (some may be held since).
    pub fn is_encoded(&self) -> bool {
        self.encoded.is_some()
    }

    /// Adds an empty slot at the end.
    pub fn push_empty(&mut self) {
        self.tail.push(EMPTY);
    }

    pub fn reserve(&mut self, n: usize) {
        self.tail.reserve(n);
    }

    fn note(&self, slot: u32, e: Error) {
        self.damage.lock().unwrap_or_else(|p| p.into_inner()).entry(slot).or_insert(e);
    }

    fn forget_damage(&mut self, slot: u32) {
        let damage = self.damage.get_mut().unwrap_or_else(|p| p.into_inner());
        if !damage.is_empty() {
            damage.remove(&slot);
        }
    }

    /// A stored record still in place that did not decode, if there is one.
    pub fn damage(&self) -> Option<Error> {
        self.damage.lock().unwrap_or_else(|p| p.into_inner()).values().next().cloned()
    }

    fn is_changed(&self, slot: u32) -> bool {
        self.changed_bits.get(slot as usize / 64).is_some_and(|w| w & (1 << (slot % 64)) != 0)
    }

    fn put_changed(&mut self, slot: u32, span: Span) -> Option<Span> {
        let word = slot as usize / 64;
        if self.changed_bits.len() <= word {
            self.changed_bits.resize(self.base().div_ceil(64).max(word + 1), 0);
        }
        self.changed_bits[word] |= 1 << (slot % 64);
        self.changed.insert(slot, span)
    }

    /// Where slot `slot` is: held in memory (Some(span, EMPTY if none)), or still encoded
    /// in the snapshot (None). Panics past the end, like an index.
    #[inline]
    fn held(&self, slot: u32) -> Option<Span> {
        let base = self.base();
        let i = slot as usize;
        if i >= base {
            return self.tail.get(i - base).copied();
        }
        if !self.is_changed(slot) {
            return None;
        }
        self.changed.get(&slot).copied()
    }

    /// A held record's reader, or None for an empty slot.
    fn held_reader(&self, span: Span) -> Option<Reader<'_>> {
        (!span.is_empty()).then(|| self.held.reader(span))
    }

    /// The record at `slot`, decoded from memory or from the snapshot.
    pub fn get(&self, slot: u32) -> Option<Cow<'_, Record>> {
        if slot as usize >= self.len() {
            return None;
        }
        match self.held(slot) {
            Some(span) => self.held_reader(span).and_then(|mut r| Record::decode(&mut r).ok()).map(Cow::Owned),
            None => self.decode_stored(slot).map(Cow::Owned),
        }
    }

    /// The record at `slot` read in place, for a result: what `get` would decode, with the
    /// metadata left as its checked JSON text.
    pub fn view(&self, slot: u32) -> Option<RecordView<'_>> {
        if slot as usize >= self.len() {
            return None;
        }
        match self.held(slot) {
            Some(span) => RecordView::read(&mut self.held_reader(span)?).ok(),
            None => self.encoded.as_ref()?.view(slot as usize).map_err(|e| self.note(slot, e)).ok(),
        }
    }

    fn decode_stored(&self, slot: u32) -> Option<Record> {
        let encoded = self.encoded.as_ref()?;
        encoded.decode(slot as usize).map_err(|e| self.note(slot, e)).ok()
    }

    /// The id of the record at `slot`, read in place.
    pub fn id(&self, slot: u32) -> Option<&str> {
        if slot as usize >= self.len() {
            return None;
        }
        match self.held(slot) {
            Some(span) => self.held_reader(span)?.str().ok(),
            None => self.encoded.as_ref()?.id(slot as usize).map_err(|e| self.note(slot, e)).ok(),
        }
    }

    /// The metadata of the record at `slot`.
    pub fn metadata(&self, slot: u32) -> Option<Cow<'_, Json>> {
        if slot as usize >= self.len() {
            return None;
        }
        match self.held(slot) {
            Some(span) => metadata_only(&mut self.held_reader(span)?).ok().map(Cow::Owned),
            None => self.encoded.as_ref()?.metadata(slot as usize).map_err(|e| self.note(slot, e)).ok().map(Cow::Owned),
        }
    }

    /// The record at `slot` with its sparse terms and named vectors, its metadata left null
    /// (no JSON is parsed).
    pub fn terms_and_vectors(&self, slot: u32) -> Option<Cow<'_, Record>> {
        if slot as usize >= self.len() {
            return None;
        }
        match self.held(slot) {
            Some(span) => without_metadata(&mut self.held_reader(span)?).ok().map(Cow::Owned),
            None => self.encoded.as_ref()?.decode_without_metadata(slot as usize).map_err(|e| self.note(slot, e)).ok().map(Cow::Owned),
        }
    }

    /// Whether `slot` holds a record.
    #[inline]
    pub fn is_live(&self, slot: u32) -> bool {
        (slot as usize) < self.len() && self.held(slot).is_none_or(|span| !span.is_empty())
    }

    /// The record at `slot` encoded as a snapshot stores it (a compaction copies these
    /// bytes), None for an empty slot or a stored record whose offsets are damaged.
    pub fn encoding(&self, slot: u32) -> Option<&[u8]> {
        if slot as usize >= self.len() {
            return None;
        }
        match self.held(slot) {
            Some(span) => (!span.is_empty()).then(|| self.held.slice(span)),
            None => self.encoded.as_ref()?.raw(slot as usize).map_err(|e| self.note(slot, e)).ok(),
        }
    }

    /// Decodes every stored record still in place once (later calls return at once): a
    /// record that does not decode is `CORRUPT`, before a compaction or a copy could leave
    /// it out or carry its bytes into a new file.
    pub fn verify(&self) -> Result<()> {
        if let Some(e) = self.damage() {
            return Err(e);
        }
        let Some(encoded) = &self.encoded else { return Ok(()) };
        if self.verified.load(Ordering::Acquire) {
            return Ok(());
        }
        for slot in 0..encoded.count() as u32 {
            if self.held(slot).is_none() {
                encoded.decode(slot as usize).inspect_err(|e| self.note(slot, e.clone()))?;
            }
        }
        self.verified.store(true, Ordering::Release);
        Ok(())
    }

    /// Points `slot` at `span` (EMPTY: no record); the bytes it pointed at become dead.
    fn point(&mut self, slot: u32, span: Span) {
        let base = self.base();
        let i = slot as usize;
        let old = if i >= base {
            std::mem::replace(&mut self.tail[i - base], span)
        } else {
            self.forget_damage(slot);
            self.put_changed(slot, span).unwrap_or(EMPTY)
        };
        if !old.is_empty() {
            self.held.dead += old.len as usize;
            if self.held.dead > HELD_REWRITE_MIN_DEAD && self.held.dead > self.held.bytes.len() / 2 {
                self.rewrite_held();
            }
        }
    }

    /// Copies the live held records into a buffer of their own, dropping the dead bytes.
    fn rewrite_held(&mut self) {
        let old = std::mem::take(&mut self.held);
        self.held.bytes.reserve(old.bytes.len() - old.dead);
        for span in self.tail.iter_mut().chain(self.changed.values_mut()) {
            if !span.is_empty() {
                *span = self.held.push_bytes(old.slice(*span));
            }
        }
    }

    /// Empties `slot` and returns the record it held, with its sparse terms and named
    /// vectors but its metadata left null (what points at the slot can then be removed; no
    /// JSON is parsed, and a stored record whose metadata does not decode still gives them).
    pub fn take(&mut self, slot: u32) -> Option<Record> {
        if slot as usize >= self.len() {
            return None;
        }
        let taken = match self.held(slot) {
            Some(span) => self.held_reader(span).and_then(|mut r| without_metadata(&mut r).ok()),
            None => self.encoded.as_ref()?.decode_without_metadata(slot as usize).ok(),
        };
        self.point(slot, EMPTY);
        taken
    }

    /// Puts `record` in `slot` (which exists).
    pub fn set(&mut self, slot: u32, record: &Record) {
        let span = self.held.push(record);
        self.point(slot, span);
    }

    /// The live records' store after a compaction in memory: `order[new slot]` is the old
    /// slot. Stored records stay stored (a later snapshot copies their bytes); held ones are
    /// copied.
    pub fn reordered(&self, order: &[u32]) -> RecordStore {
        let Some(encoded) = &self.encoded else {
            let mut out = RecordStore::default();
            out.tail = order.iter().filter_map(|&old| self.encoding(old)).map(|bytes| out.held.push_bytes(bytes)).collect();
            return out;
        };
        let stored = |old: u32| self.held(old).is_none();
        let mut out = RecordStore::encoded(encoded.reordered(order.iter().map(|&old| stored(old).then_some(old))));
        for (new, &old) in order.iter().enumerate() {
            if let Some(span) = self.held(old).filter(|s| !s.is_empty()) {
                let copy = out.held.push_bytes(self.held.slice(span));
                out.put_changed(new as u32, copy);
            }
        }
        out
    }

    /// Uses `records` (the same records, in the order of the slots) instead of those held now,
    /// which are dropped: after a compaction wrote them, the handle reads them from the new
    /// file. Ignored unless every slot is live and the first and last ids agree.
    pub fn use_encoded(&mut self, records: EncodedRecords) {
        let n = self.len();
        if n == 0 || records.count() != n || !(0..n as u32).all(|s| self.is_live(s)) {
            return;
        }
        let agrees = |i: usize| records.id(i).ok().is_some_and(|id| self.id(i as u32) == Some(id));
        if agrees(0) && agrees(n - 1) {
            *self = RecordStore::encoded(records);
        }
    }
}

/// The metadata of the record `r` reads, decoded alone.
fn metadata_only(r: &mut Reader) -> Result<Json> {
    r.str()?;
    let at = r.pos();
    json::parse(r.bytes()?, "stored metadata").map_err(|e| r.corrupt(&format!("metadata (at +{at}): {}", e.message)))
}

/// A record read from `r` without its metadata (left null).
fn without_metadata(r: &mut Reader) -> Result<Record> {
    let id = r.str()?.to_string();
    r.bytes()?;
    let (sparse, vectors) = Record::decode_terms_and_vectors(r)?;
    Ok(Record { id, metadata: Json::Null, sparse, vectors })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Writer;

    fn rec(id: &str, meta: &str) -> Record {
        Record { id: id.into(), metadata: json::parse(meta.as_bytes(), "t").unwrap(), sparse: vec![("t".into(), 1.5)], vectors: vec![] }
    }

    fn encode(records: &[Record]) -> EncodedRecords {
        let mut w = Writer::new();
        let mut offsets = vec![];
        for r in records {
            offsets.push(w.buf.len() as u64);
            r.encode(&mut w);
        }
        offsets.push(w.buf.len() as u64);
        EncodedRecords::new(SectionBytes::Memory(Arc::new(w.buf)), Offsets::Memory(Arc::new(offsets)), 0, "t")
    }

    #[test]
    fn reads_stored_records_and_keeps_writes_apart() {
        let records = vec![rec("a", r#"{"n":1}"#), rec("b", r#"{"n":2}"#), rec("c", r#"{"n":3}"#)];
        let mut store = RecordStore::encoded(encode(&records));
        assert_eq!(store.len(), 3);
        assert_eq!(store.get(1).unwrap().as_ref(), &records[1]);
        assert_eq!(store.id(2), Some("c"));
        assert_eq!(store.metadata(0).unwrap().to_json(), r#"{"n":1}"#);
        assert_eq!(store.encoding(0), Some(encode(&records[..1]).raw(0).unwrap()));
        let mut changed = records[0].clone();
        changed.metadata = json::parse(br#"{"n":9}"#, "t").unwrap();
        store.set(0, &changed);
        assert_eq!(store.metadata(0).unwrap().to_json(), r#"{"n":9}"#);
        assert_eq!(store.get(0).unwrap().as_ref(), &changed);
        let mut w = Writer::new();
        changed.encode(&mut w);
        assert_eq!(store.encoding(0), Some(&w.buf[..]), "a changed record is copied as it is now");
        let taken = store.take(1).unwrap();
        assert_eq!((taken.id.as_str(), &taken.sparse, taken.metadata.clone()), ("b", &records[1].sparse, Json::Null));
        assert!(!store.is_live(1) && store.get(1).is_none() && store.id(1).is_none() && store.encoding(1).is_none());
        store.push_empty();
        store.set(3, &rec("d", "{}"));
        assert_eq!(store.id(3), Some("d"));
        assert_eq!(store.terms_and_vectors(3).unwrap().sparse, rec("d", "{}").sparse);
        assert!(store.get(4).is_none() && !store.is_live(4));
        assert!(store.damage().is_none());
        // Read in place: the stored and the held record give their id and metadata text as
        // encoded, and their terms.
        for (slot, record) in [(0, &changed), (2, &records[2])] {
            let view = store.view(slot).unwrap();
            assert_eq!((view.id, view.metadata, &view.sparse), (record.id.as_str(), record.metadata.to_json().as_str(), &record.sparse));
        }
        assert!(store.view(1).is_none() && store.view(4).is_none());
    }

    #[test]
    fn a_record_that_does_not_decode_reads_as_absent_and_is_reported() {
        let records = vec![rec("a", "{}"), rec("b", "{}")];
        let good = encode(&records);
        let mut bytes = good.bytes.as_slice().to_vec();
        let at = good.offsets.as_slice()[1] as usize;
        bytes[at + 2] = b'!'; // the length of the second record's metadata, past its end
        let bad = EncodedRecords::new(SectionBytes::Memory(Arc::new(bytes)), good.offsets.clone(), 100, "f.vdb");
        let store = RecordStore::encoded(bad);
        assert!(store.get(0).is_some());
        assert!(store.get(1).is_none());
        let e = store.damage().unwrap();
        assert!(e.message.contains("f.vdb"), "{}", e.message);
        // Read in place for a result, metadata text that is not JSON is refused (handed on, it
        // would break the result's JSON), and reported.
        let mut bytes = good.bytes.as_slice().to_vec();
        assert_eq!(&bytes[at + 3..at + 5], b"{}");
        bytes[at + 4] = b','; // "{,"
        let store = RecordStore::encoded(EncodedRecords::new(SectionBytes::Memory(Arc::new(bytes)), good.offsets.clone(), 100, "f.vdb"));
        assert_eq!(store.view(0).map(|v| v.metadata), Some("{}"));
        assert!(store.view(1).is_none());
        let e = store.damage().unwrap();
        assert!(e.message.contains("f.vdb") && e.message.contains("metadata"), "{}", e.message);
        // A stored record must take exactly its bytes, read in place as decoded.
        let mut bytes = good.bytes.as_slice().to_vec();
        bytes.push(0);
        let mut offsets = good.offsets.as_slice().to_vec();
        *offsets.last_mut().unwrap() += 1;
        let store = RecordStore::encoded(EncodedRecords::new(SectionBytes::Memory(Arc::new(bytes)), Offsets::Memory(Arc::new(offsets)), 0, "t"));
        assert!(store.view(0).is_some() && store.view(1).is_none() && store.get(1).is_none());
        assert!(store.damage().unwrap().message.contains("more bytes than it uses"));
        // Offsets out of order are damage too, not a panic.
        let swapped = EncodedRecords::new(good.bytes.clone(), Offsets::Memory(Arc::new(vec![5, 2, 999])), 0, "t");
        let store = RecordStore::encoded(swapped);
        assert!(store.get(0).is_none() && store.get(1).is_none() && store.id(0).is_none());
        assert!(store.damage().is_some());
    }

    #[test]
    fn records_written_again_and_again_keep_one_live_copy_each() {
        let mut store = RecordStore::decoded(vec![rec("a", "{}"), rec("b", "{}")]);
        let big = format!(r#"{{"text":"{}"}}"#, "x".repeat(10_000));
        for round in 0..1_000 {
            store.set((round % 2) as u32, &rec(if round % 2 == 0 { "a" } else { "b" }, &big));
            // Never more than the rewrite threshold and twice the live bytes.
            assert!(store.held.bytes.len() <= HELD_REWRITE_MIN_DEAD + 2 * 2 * 10_100, "{} bytes at round {round}", store.held.bytes.len());
        }
        store.set(1, &rec("b", r#"{"n":2}"#));
        assert_eq!(store.get(0).unwrap().metadata.to_json(), big);
        assert_eq!(store.metadata(1).unwrap().to_json(), r#"{"n":2}"#);
        let moved = store.reordered(&[1, 0]);
        assert_eq!((moved.id(0), moved.id(1)), (Some("b"), Some("a")));
        assert_eq!(moved.get(1).unwrap().metadata.to_json(), big);
    }
}
