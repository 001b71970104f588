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

use crate::codec::Reader;
use crate::error::{Error, Result};
use crate::json::{self, Json};
use crate::record::Record;
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

    /// The id of the record at slot `i`, read in place.
    pub fn id(&self, i: usize) -> Result<&str> {
        self.reader(i)?.str()
    }

    /// The metadata of the record at slot `i`, decoded alone.
    pub fn metadata(&self, i: usize) -> Result<Json> {
        let mut r = self.reader(i)?;
        r.str()?;
        let at = r.pos();
        json::parse(r.bytes()?, "stored metadata").map_err(|e| r.corrupt(&format!("metadata (at +{at}): {}", e.message)))
    }

    /// The record at slot `i` without its metadata (left null): what an open or a compaction
    /// needs of it to rebuild the inverted index or the named spaces, without parsing JSON.
    pub fn decode_without_metadata(&self, i: usize) -> Result<Record> {
        let mut r = self.reader(i)?;
        let id = r.str()?.to_string();
        r.bytes()?;
        let (sparse, vectors) = Record::decode_terms_and_vectors(&mut r)?;
        Ok(Record { id, metadata: Json::Null, sparse, vectors })
    }
}

#[derive(Default)]
pub struct RecordStore {
    encoded: Option<EncodedRecords>,
    /// Slots of `encoded` written since: the record now, or None once removed.
    changed: HashMap<u32, Option<Record>>,
    /// One bit per slot of `encoded`: set when the slot is in `changed` (a read of an
    /// unchanged slot tests a bit, not a hash map).
    changed_bits: Vec<u64>,
    /// Slots after `encoded`'s.
    tail: Vec<Option<Record>>,
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

    /// Records held decoded, one per slot.
    pub fn decoded(records: Vec<Record>) -> RecordStore {
        RecordStore { tail: records.into_iter().map(Some).collect(), ..RecordStore::default() }
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
        self.tail.push(None);
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

    fn put_changed(&mut self, slot: u32, record: Option<Record>) -> Option<Option<Record>> {
        let word = slot as usize / 64;
        if self.changed_bits.len() <= word {
            self.changed_bits.resize(self.base().div_ceil(64).max(word + 1), 0);
        }
        self.changed_bits[word] |= 1 << (slot % 64);
        self.changed.insert(slot, record)
    }

    /// Where slot `slot` is: decoded in memory (Some(record or None)), or still encoded
    /// (None). Panics past the end, like an index.
    #[inline]
    fn held(&self, slot: u32) -> Option<Option<&Record>> {
        let base = self.base();
        let i = slot as usize;
        if i >= base {
            return self.tail.get(i - base).map(Option::as_ref);
        }
        if !self.is_changed(slot) {
            return None;
        }
        self.changed.get(&slot).map(Option::as_ref)
    }

    /// The record at `slot`, borrowed if held decoded, else decoded from the snapshot.
    pub fn get(&self, slot: u32) -> Option<Cow<'_, Record>> {
        if slot as usize >= self.len() {
            return None;
        }
        match self.held(slot) {
            Some(held) => held.map(Cow::Borrowed),
            None => self.decode_stored(slot).map(Cow::Owned),
        }
    }

    fn decode_stored(&self, slot: u32) -> Option<Record> {
        let encoded = self.encoded.as_ref()?;
        encoded.decode(slot as usize).map_err(|e| self.note(slot, e)).ok()
    }

    /// The id of the record at `slot`, borrowed.
    pub fn id(&self, slot: u32) -> Option<&str> {
        if slot as usize >= self.len() {
            return None;
        }
        match self.held(slot) {
            Some(held) => held.map(|r| r.id.as_str()),
            None => self.encoded.as_ref()?.id(slot as usize).map_err(|e| self.note(slot, e)).ok(),
        }
    }

    /// The metadata of the record at `slot`.
    pub fn metadata(&self, slot: u32) -> Option<Cow<'_, Json>> {
        if slot as usize >= self.len() {
            return None;
        }
        match self.held(slot) {
            Some(held) => held.map(|r| Cow::Borrowed(&r.metadata)),
            None => self.encoded.as_ref()?.metadata(slot as usize).map_err(|e| self.note(slot, e)).ok().map(Cow::Owned),
        }
    }

    /// The record at `slot` with its sparse terms and named vectors, its metadata left
    /// null if it is decoded from the snapshot (no JSON is parsed).
    pub fn terms_and_vectors(&self, slot: u32) -> Option<Cow<'_, Record>> {
        if slot as usize >= self.len() {
            return None;
        }
        match self.held(slot) {
            Some(held) => held.map(Cow::Borrowed),
            None => self.encoded.as_ref()?.decode_without_metadata(slot as usize).map_err(|e| self.note(slot, e)).ok().map(Cow::Owned),
        }
    }

    /// Whether `slot` holds a record.
    #[inline]
    pub fn is_live(&self, slot: u32) -> bool {
        (slot as usize) < self.len() && self.held(slot).is_none_or(|held| held.is_some())
    }

    /// The bytes of the record at `slot` as the snapshot stores them, if it is unchanged
    /// since (a compaction copies them as they are).
    pub fn stored_bytes(&self, slot: u32) -> Option<&[u8]> {
        if slot as usize >= self.base() || self.held(slot).is_some() {
            return None;
        }
        self.encoded.as_ref()?.raw(slot as usize).ok()
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

    /// Takes the record out of `slot`, leaving it empty. A stored record whose metadata does
    /// not decode still gives its id, terms and named vectors (metadata null), so what
    /// points at the slot can be removed.
    pub fn take(&mut self, slot: u32) -> Option<Record> {
        let base = self.base();
        let i = slot as usize;
        if i >= base {
            return self.tail.get_mut(i - base)?.take();
        }
        let taken = match self.held(slot) {
            Some(_) => self.put_changed(slot, None).flatten(),
            None => {
                let stored = self.decode_stored(slot).or_else(|| self.encoded.as_ref()?.decode_without_metadata(i).ok());
                self.put_changed(slot, None);
                stored
            }
        };
        self.forget_damage(slot);
        taken
    }

    /// Puts `record` in `slot` (which exists).
    pub fn set(&mut self, slot: u32, record: Record) {
        let base = self.base();
        let i = slot as usize;
        if i >= base {
            self.tail[i - base] = Some(record);
        } else {
            self.put_changed(slot, Some(record));
            self.forget_damage(slot);
        }
    }

    /// The record at `slot`, to change in place (decoded into memory first if stored).
    pub fn get_mut(&mut self, slot: u32) -> Option<&mut Record> {
        let base = self.base();
        let i = slot as usize;
        if i >= base {
            return self.tail.get_mut(i - base)?.as_mut();
        }
        if self.held(slot).is_none() {
            let record = self.decode_stored(slot)?;
            self.put_changed(slot, Some(record));
        }
        self.changed.get_mut(&slot)?.as_mut()
    }

    /// The live records' store after a compaction in memory: `order[new slot]` is the old
    /// slot. Stored records stay stored (a later snapshot copies their bytes); held ones are
    /// cloned.
    pub fn reordered(&self, order: &[u32]) -> RecordStore {
        let Some(encoded) = &self.encoded else {
            return RecordStore::decoded(order.iter().filter_map(|&old| self.get(old).map(Cow::into_owned)).collect());
        };
        let stored = |old: u32| self.held(old).is_none();
        let mut out = RecordStore::encoded(encoded.reordered(order.iter().map(|&old| stored(old).then_some(old))));
        for (new, &old) in order.iter().enumerate() {
            if let Some(Some(record)) = self.held(old) {
                out.put_changed(new as u32, Some(record.clone()));
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
        assert!(store.stored_bytes(0).is_some());
        store.get_mut(0).unwrap().metadata = json::parse(br#"{"n":9}"#, "t").unwrap();
        assert_eq!(store.metadata(0).unwrap().to_json(), r#"{"n":9}"#);
        assert!(store.stored_bytes(0).is_none(), "a changed record is not copied from the file");
        assert_eq!(store.take(1).unwrap(), records[1]);
        assert!(!store.is_live(1) && store.get(1).is_none() && store.id(1).is_none());
        store.push_empty();
        store.set(3, rec("d", "{}"));
        assert_eq!(store.id(3), Some("d"));
        assert!(store.get(4).is_none() && !store.is_live(4));
        assert!(store.damage().is_none());
    }

    #[test]
    fn a_record_that_does_not_decode_reads_as_absent_and_is_reported() {
        let records = vec![rec("a", "{}"), rec("b", "{}")];
        let good = encode(&records);
        let mut bytes = good.bytes.as_slice().to_vec();
        let at = good.offsets.as_slice()[1] as usize;
        bytes[at + 2] = b'!'; // inside "{}" of the second record's metadata
        let bad = EncodedRecords::new(SectionBytes::Memory(Arc::new(bytes)), good.offsets.clone(), 100, "f.vdb");
        let store = RecordStore::encoded(bad);
        assert!(store.get(0).is_some());
        assert!(store.get(1).is_none());
        let e = store.damage().unwrap();
        assert!(e.message.contains("f.vdb"), "{}", e.message);
        // Offsets out of order are damage too, not a panic.
        let swapped = EncodedRecords::new(good.bytes.clone(), Offsets::Memory(Arc::new(vec![5, 2, 999])), 0, "t");
        let store = RecordStore::encoded(swapped);
        assert!(store.get(0).is_none() && store.get(1).is_none() && store.id(0).is_none());
        assert!(store.damage().is_some());
    }
}
