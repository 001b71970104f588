//! A record as stored: id, metadata, sparse terms and named vectors (the main vector lives
//! in its namespace's contiguous array), and its binary encoding shared by the WAL and the
//! snapshot.

use crate::codec::{Reader, Writer};
use crate::error::Result;
use crate::json::{self, Json, Key};
use crate::multi_vector::{MultiVector, MAX_TOKENS};
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: String,
    /// Always a JSON object.
    pub metadata: Json,
    /// Sparse terms with their weights, sorted by term (short terms inline, see json_key.rs).
    pub sparse: Vec<(Key, f32)>,
    /// Named vectors, sorted by name; each name's dimension is fixed database-wide.
    pub vectors: Vec<(String, Vec<f32>)>,
}

/// One record to write into a namespace, with its main vector. A write borrows the vector
/// from the caller's batch (logged and copied into the namespace straight from there, no
/// per-record copy); a WAL replay owns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Upsert<'a> {
    pub namespace: String,
    pub record: Record,
    pub vector: Cow<'a, [f32]>,
    /// When the record stops being visible, in epoch milliseconds (None: never). Logged as
    /// a `SetExpiry` operation right after the upsert, so the upsert's own layout stays.
    pub expires_at: Option<i64>,
    /// The record's multi-vector spaces, by name (none: it has none). Logged as a
    /// `SetMultiVectors` operation right after the upsert, like `expires_at`.
    pub multi: Vec<MultiVector>,
}

/// What a WAL frame carries.
#[derive(Debug, Clone, PartialEq)]
pub enum WalOp<'a> {
    Upsert(Upsert<'a>),
    Delete { namespace: String, id: String },
    /// Merges `patch` (an object) into the record's metadata; nothing else of it changes.
    UpdateMetadata { namespace: String, id: String, patch: Json },
    /// Sets (or, with None, clears) when the record expires, in epoch milliseconds.
    SetExpiry { namespace: String, id: String, at: Option<i64> },
    /// Replaces the record's multi-vectors with these (empty: takes them away).
    SetMultiVectors { namespace: String, id: String, spaces: Vec<MultiVector> },
}

impl Record {
    /// Merges `patch`'s keys into the metadata: a key it names takes the patch's value (in
    /// its place, repeats of it dropped), other keys stay, new keys come last.
    pub fn merge_metadata(&mut self, patch: Json) {
        let Json::Object(patch) = patch else { return };
        let Json::Object(fields) = &mut self.metadata else {
            self.metadata = Json::Object(patch);
            return;
        };
        for (key, value) in patch {
            match fields.iter().position(|(k, _)| *k == key) {
                Some(first) => {
                    fields[first].1 = value;
                    let mut i = 0;
                    fields.retain(|(k, _)| {
                        i += 1;
                        i - 1 == first || *k != key
                    });
                }
                None => fields.push((key, value)),
            }
        }
    }

    /// Encodes everything but the main vector.
    pub fn encode(&self, w: &mut Writer) {
        w.str(&self.id);
        w.str(&self.metadata.to_json());
        w.varint(self.sparse.len() as u64);
        for (term, weight) in &self.sparse {
            w.str(term);
            w.f32(*weight);
        }
        w.varint(self.vectors.len() as u64);
        for (name, v) in &self.vectors {
            w.str(name);
            w.varint(v.len() as u64);
            w.f32s(v);
        }
    }

    pub fn decode(r: &mut Reader) -> Result<Record> {
        let id = r.str()?.to_string();
        let meta_at = r.pos();
        let meta_text = r.bytes()?;
        let metadata = json::parse(meta_text, "stored metadata").map_err(|e| bad_metadata(r, &id, meta_at, e))?;
        let (sparse, vectors) = Record::decode_terms_and_vectors(r)?;
        Ok(Record { id, metadata, sparse, vectors })
    }

    /// The sparse terms and named vectors, which follow the id and the metadata.
    #[allow(clippy::type_complexity)]
    pub fn decode_terms_and_vectors(r: &mut Reader) -> Result<(Vec<(Key, f32)>, Vec<(String, Vec<f32>)>)> {
        let n_sparse = r.len(5)?;
        let mut sparse = Vec::with_capacity(n_sparse);
        for _ in 0..n_sparse {
            let term = Key::new(r.str()?);
            sparse.push((term, r.f32()?));
        }
        let n_vectors = r.len(2)?;
        let mut vectors = Vec::with_capacity(n_vectors);
        for _ in 0..n_vectors {
            let name = r.str()?.to_string();
            let dim = r.len(4)?;
            let mut v = Vec::new();
            r.f32s_into(dim, &mut v)?;
            vectors.push((name, v));
        }
        Ok((sparse, vectors))
    }
}

fn bad_metadata(r: &Reader, id: &str, at: usize, e: crate::error::Error) -> crate::error::Error {
    r.corrupt(&format!("metadata of record {id:?} (at +{at}): {}", e.message))
}

/// A stored record read in place for a result: its id and its metadata's JSON text borrowed
/// from the encoding (the text checked, not parsed: a result hands it on as it is, instead
/// of building it and writing it again), its terms and named vectors decoded.
pub struct RecordView<'a> {
    pub id: &'a str,
    /// JSON text as stored (an object, as `Record::encode` writes it), checked by `json::check`.
    pub metadata: &'a str,
    pub sparse: Vec<(Key, f32)>,
    pub vectors: Vec<(String, Vec<f32>)>,
}

impl<'a> RecordView<'a> {
    /// Reads a record `Record::encode` wrote; whatever `Record::decode` refuses, this does.
    pub fn read(r: &mut Reader<'a>) -> Result<RecordView<'a>> {
        let id = r.str()?;
        let meta_at = r.pos();
        let meta_text = r.bytes()?;
        json::check(meta_text, "stored metadata").map_err(|e| bad_metadata(r, id, meta_at, e))?;
        // Checked JSON is valid UTF-8.
        let metadata = std::str::from_utf8(meta_text).map_err(|_| r.corrupt("metadata is not UTF-8"))?;
        let (sparse, vectors) = Record::decode_terms_and_vectors(r)?;
        Ok(RecordView { id, metadata, sparse, vectors })
    }
}

/// Operation kinds share the WAL frame's kind byte with the commit frame
/// (`wal::KIND_COMMIT`, 3), which no operation may take.
pub const OP_UPSERT: u8 = 1;
pub const OP_DELETE: u8 = 2;
pub const OP_UPDATE_METADATA: u8 = 4;
pub const OP_SET_EXPIRY: u8 = 5;
pub const OP_SET_MULTI_VECTORS: u8 = 6;
const _: () = {
    let commit = crate::storage::wal::KIND_COMMIT;
    assert!(OP_UPSERT != commit && OP_DELETE != commit && OP_UPDATE_METADATA != commit && OP_SET_EXPIRY != commit);
    assert!(OP_SET_MULTI_VECTORS != commit);
};

impl WalOp<'_> {
    pub fn kind(&self) -> u8 {
        match self {
            WalOp::Upsert(_) => OP_UPSERT,
            WalOp::Delete { .. } => OP_DELETE,
            WalOp::UpdateMetadata { .. } => OP_UPDATE_METADATA,
            WalOp::SetExpiry { .. } => OP_SET_EXPIRY,
            WalOp::SetMultiVectors { .. } => OP_SET_MULTI_VECTORS,
        }
    }

    pub fn encode_payload(&self, w: &mut Writer) {
        match self {
            WalOp::Upsert(u) => {
                w.str(&u.namespace);
                w.varint(u.vector.len() as u64);
                w.f32s(&u.vector);
                u.record.encode(w);
            }
            WalOp::Delete { namespace, id } => {
                w.str(namespace);
                w.str(id);
            }
            WalOp::UpdateMetadata { namespace, id, patch } => {
                w.str(namespace);
                w.str(id);
                w.str(&patch.to_json());
            }
            WalOp::SetExpiry { namespace, id, at } => {
                w.str(namespace);
                w.str(id);
                match at {
                    Some(ms) => {
                        w.u8(1);
                        w.u64(*ms as u64);
                    }
                    None => w.u8(0),
                }
            }
            WalOp::SetMultiVectors { namespace, id, spaces } => {
                w.str(namespace);
                w.str(id);
                w.varint(spaces.len() as u64);
                for s in spaces {
                    w.str(&s.name);
                    w.varint(s.dim as u64);
                    w.varint(s.count() as u64);
                    w.f32s(&s.values);
                }
            }
        }
    }

    pub fn decode_payload(kind: u8, r: &mut Reader) -> Result<WalOp<'static>> {
        match kind {
            OP_UPSERT => {
                let namespace = r.str()?.to_string();
                let dim = r.len(4)?;
                let mut vector = Vec::new();
                r.f32s_into(dim, &mut vector)?;
                let record = Record::decode(r)?;
                Ok(WalOp::Upsert(Upsert { namespace, record, vector: Cow::Owned(vector), expires_at: None, multi: Vec::new() }))
            }
            OP_DELETE => {
                let namespace = r.str()?.to_string();
                let id = r.str()?.to_string();
                Ok(WalOp::Delete { namespace, id })
            }
            OP_UPDATE_METADATA => {
                let namespace = r.str()?.to_string();
                let id = r.str()?.to_string();
                let at = r.pos();
                let patch = json::parse(r.bytes()?, "metadata patch")
                    .ok()
                    .filter(|p| p.as_object().is_some())
                    .ok_or_else(|| r.corrupt(&format!("metadata patch of record {id:?} (at +{at}) is not a JSON object")))?;
                Ok(WalOp::UpdateMetadata { namespace, id, patch })
            }
            OP_SET_EXPIRY => {
                let namespace = r.str()?.to_string();
                let id = r.str()?.to_string();
                let at = r.pos();
                let at = match r.u8()? {
                    0 => None,
                    1 => Some(r.u64()? as i64),
                    flag => return Err(r.corrupt(&format!("expiry of record {id:?} (at +{at}) has flag {flag}"))),
                };
                Ok(WalOp::SetExpiry { namespace, id, at })
            }
            OP_SET_MULTI_VECTORS => {
                let namespace = r.str()?.to_string();
                let id = r.str()?.to_string();
                // Each space takes at least a name length, a dim, a count and one value.
                let n = r.len(7)?;
                let mut spaces = Vec::with_capacity(n);
                for _ in 0..n {
                    let at = r.pos();
                    let name = r.str()?.to_string();
                    let (dim, count) = (r.varint()?, r.varint()?);
                    let fits = dim.checked_mul(count).and_then(|v| v.checked_mul(4)).is_some_and(|b| b <= r.remaining() as u64);
                    if name.is_empty() || dim == 0 || dim > crate::db::MAX_DIMENSION as u64 || count == 0 || count > MAX_TOKENS as u64 || !fits {
                        return Err(r.corrupt(&format!("multi-vectors {name:?} of record {id:?} (at +{at}): {count} vectors of dimension {dim}")));
                    }
                    let mut values = Vec::new();
                    r.f32s_into((dim * count) as usize, &mut values)?;
                    spaces.push(MultiVector { name, dim: dim as usize, values });
                }
                Ok(WalOp::SetMultiVectors { namespace, id, spaces })
            }
            other => Err(r.corrupt(&format!("unknown operation kind {other}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_replaces_the_keys_it_names_in_place_and_appends_new_ones() {
        let mut r = Record { id: "a".into(), metadata: json::parse(br#"{"a":1,"b":{"x":1},"a":2,"c":3}"#, "t").unwrap(), sparse: vec![], vectors: vec![] };
        r.merge_metadata(json::parse(br#"{"b":null,"d":[1],"a":"new"}"#, "t").unwrap());
        assert_eq!(r.metadata.to_json(), r#"{"a":"new","b":null,"c":3,"d":[1]}"#);
        r.merge_metadata(json::parse(b"{}", "t").unwrap());
        assert_eq!(r.metadata.to_json(), r#"{"a":"new","b":null,"c":3,"d":[1]}"#);
    }

    #[test]
    fn ops_round_trip() {
        let op = WalOp::Upsert(Upsert {
            namespace: "ns".into(),
            vector: vec![1.0, 2.0, 3.0].into(),
            record: Record {
                id: "a".into(),
                metadata: json::parse(br#"{"k":[1,"x",null]}"#, "t").unwrap(),
                sparse: vec![("auth".into(), 2.0)],
                vectors: vec![("title".into(), vec![0.5, 0.25])],
            },
            expires_at: None,
            multi: Vec::new(),
        });
        let patch = WalOp::UpdateMetadata { namespace: "ns".into(), id: "a".into(), patch: json::parse(br#"{"k":2,"n":{"x":null}}"#, "t").unwrap() };
        let expiry = WalOp::SetExpiry { namespace: "ns".into(), id: "a".into(), at: Some(-5) };
        let cleared = WalOp::SetExpiry { namespace: "ns".into(), id: "a".into(), at: None };
        let multi = WalOp::SetMultiVectors {
            namespace: "ns".into(),
            id: "a".into(),
            spaces: vec![MultiVector { name: "colbert".into(), dim: 2, values: vec![1.0, -2.5, 0.0, 3.0] }],
        };
        for op in [op, patch, expiry, cleared, multi] {
            let mut w = Writer::new();
            op.encode_payload(&mut w);
            let mut r = Reader::new(&w.buf, 0, "t");
            assert_eq!(WalOp::decode_payload(op.kind(), &mut r).unwrap(), op);
            assert!(r.at_end());
        }
    }
}
