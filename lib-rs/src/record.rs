//! A record as stored: id, metadata, sparse terms and named vectors (the main vector lives
//! in its namespace's contiguous array), and its binary encoding shared by the WAL and the
//! snapshot.

use crate::codec::{Reader, Writer};
use crate::error::Result;
use crate::json::{self, Json, Key};
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
}

/// What a WAL frame carries.
#[derive(Debug, Clone, PartialEq)]
pub enum WalOp<'a> {
    Upsert(Upsert<'a>),
    Delete { namespace: String, id: String },
}

impl Record {
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
        let metadata = json::parse(meta_text, "stored metadata")
            .map_err(|e| r.corrupt(&format!("metadata of record {id:?} (at +{meta_at}): {}", e.message)))?;
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
        Ok(Record { id, metadata, sparse, vectors })
    }
}

pub const OP_UPSERT: u8 = 1;
pub const OP_DELETE: u8 = 2;

impl WalOp<'_> {
    pub fn kind(&self) -> u8 {
        match self {
            WalOp::Upsert(_) => OP_UPSERT,
            WalOp::Delete { .. } => OP_DELETE,
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
                Ok(WalOp::Upsert(Upsert { namespace, record, vector: Cow::Owned(vector) }))
            }
            OP_DELETE => {
                let namespace = r.str()?.to_string();
                let id = r.str()?.to_string();
                Ok(WalOp::Delete { namespace, id })
            }
            other => Err(r.corrupt(&format!("unknown operation kind {other}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        });
        let mut w = Writer::new();
        op.encode_payload(&mut w);
        let mut r = Reader::new(&w.buf, 0, "t");
        assert_eq!(WalOp::decode_payload(op.kind(), &mut r).unwrap(), op);
        assert!(r.at_end());
    }
}
