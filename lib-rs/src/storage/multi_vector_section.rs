//! The MULTI_VECTORS section: the records' multi-vectors. Per namespace that has any, in
//! RECORDS order: name, varint space count; per space its name, varint dimension, varint
//! entry count, then per entry the varint RECORDS position (strictly increasing), the varint
//! vector count (1 to `MAX_TOKENS`) and the f32 values. A space's dimension is the same in
//! every namespace. The means a search ranks candidates by are derived at open.

use super::format::{find_namespace, LoadedNamespace};
use crate::codec::{Reader, Writer};
use crate::error::Result;
use crate::multi_vector::{MultiSpace, MAX_TOKENS};
use crate::namespace::Namespace;
use std::collections::BTreeMap;

/// The section's bytes for the namespaces a snapshot stores, or None when no record of
/// them has multi-vectors (the section is left out).
pub fn encode(live: &[(&String, &Namespace)]) -> Option<Vec<u8>> {
    let with: Vec<&(&String, &Namespace)> = live.iter().filter(|(_, ns)| ns.multi_spaces().values().any(|s| !s.is_empty())).collect();
    if with.is_empty() {
        return None;
    }
    let mut w = Writer::new();
    w.varint(with.len() as u64);
    for (name, ns) in with {
        w.str(name);
        // RECORDS holds the live records in slot order: a record's position is its rank.
        let positions: Vec<u32> = ns.slots().collect();
        let spaces: Vec<_> = ns.multi_spaces().iter().filter(|(_, s)| !s.is_empty()).collect();
        w.varint(spaces.len() as u64);
        for (space_name, space) in spaces {
            w.str(space_name);
            w.varint(space.dim() as u64);
            let entries: Vec<(usize, &[f32])> = positions.iter().enumerate().filter_map(|(p, &slot)| Some((p, space.get(slot)?))).collect();
            w.varint(entries.len() as u64);
            for (position, values) in entries {
                w.varint(position as u64);
                w.varint((values.len() / space.dim()) as u64);
                w.f32s(values);
            }
        }
    }
    Some(w.buf)
}

/// Reads the section into the loaded namespaces' `multi`.
pub fn read(r: &mut Reader, namespaces: &mut [LoadedNamespace]) -> Result<()> {
    let mut dims: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..r.len(2)? {
        let name = r.str()?.to_string();
        let ns = find_namespace(namespaces, &name).ok_or_else(|| r.corrupt(&format!("multi-vectors of namespace {name:?}, which RECORDS does not hold")))?;
        if !ns.multi.is_empty() {
            return Err(r.corrupt(&format!("multi-vectors of namespace {name:?} repeated")));
        }
        for _ in 0..r.len(3)? {
            let space_name = r.str()?.to_string();
            let dim = r.varint()?;
            let fixed = *dims.entry(space_name.clone()).or_insert(dim as usize);
            if space_name.is_empty() || dim == 0 || dim > crate::db::MAX_DIMENSION as u64 || fixed as u64 != dim || ns.multi.iter().any(|(n, _)| *n == space_name) {
                return Err(r.corrupt(&format!("multi-vector space {space_name:?} of namespace {name:?}: dimension {dim}")));
            }
            let dim = dim as usize;
            let mut space = MultiSpace::new(dim);
            let mut previous: Option<u64> = None;
            let mut values = Vec::new();
            // An entry takes at least a position, a count and one vector.
            for _ in 0..r.len(2 + 4 * dim)? {
                let position = r.varint()?;
                let count = r.varint()?;
                let fits = count.checked_mul(4 * dim as u64).is_some_and(|b| b <= r.remaining() as u64);
                if position >= ns.records.len() as u64 || previous.is_some_and(|p| position <= p) || count == 0 || count > MAX_TOKENS as u64 || !fits {
                    return Err(r.corrupt(&format!("multi-vectors {space_name:?} of namespace {name:?}: position {position}, {count} vectors")));
                }
                previous = Some(position);
                values.clear();
                r.f32s_into(count as usize * dim, &mut values)?;
                space.set(position as u32, &values);
            }
            ns.multi.push((space_name, space));
        }
    }
    if !r.at_end() {
        return Err(r.corrupt("MULTI_VECTORS section holds more data than it describes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::format::{decode, encode, SnapshotHeader};
    use super::*;
    use crate::error::Code;
    use crate::json::Json;
    use crate::multi_vector::MultiVector;
    use crate::record::Record;
    use crate::vector::Metric;

    fn snapshot() -> Vec<u8> {
        let mut ns = Namespace::new(1);
        for i in 0..4 {
            ns.upsert(Record { id: format!("r{i}"), metadata: Json::Object(vec![]), sparse: vec![], vectors: vec![] }, &[i as f32]);
        }
        ns.set_multi("r1", &[MultiVector { name: "c".into(), dim: 2, values: vec![1.0, 2.0, 3.0, 4.0] }]);
        ns.set_multi("r3", &[MultiVector { name: "c".into(), dim: 2, values: vec![5.0, 6.0] }]);
        let map = BTreeMap::from([("n".to_string(), ns)]);
        let identity = crate::storage::format::SnapshotIdentity { database: [1; 16], snapshot: 2, parent: 1 };
        let header = SnapshotHeader { dimension: 1, metric: Metric::L2, last_seq: 1, analyzer: None, quantization: Default::default(), identity };
        encode(&header, &BTreeMap::new(), &map)
    }

    /// A section with namespace "n", space "c" of dimension `dim`, these (position, count) entries.
    fn section(dim: u64, entries: &[(u64, u64)]) -> Vec<u8> {
        let mut w = Writer::new();
        w.varint(1);
        w.str("n");
        w.varint(1);
        w.str("c");
        w.varint(dim);
        w.varint(entries.len() as u64);
        for &(p, c) in entries {
            w.varint(p);
            w.varint(c);
            w.f32s(&vec![0.5; (c * dim) as usize]);
        }
        w.buf
    }

    #[test]
    fn the_section_round_trips_and_refuses_what_does_not_fit() {
        let snap = decode(&snapshot(), "f").unwrap();
        let (name, space) = &snap.namespaces[0].multi[0];
        assert_eq!((name.as_str(), space.get(1), space.get(3), space.get(0)), ("c", Some(&[1.0, 2.0, 3.0, 4.0][..]), Some(&[5.0, 6.0][..]), None));
        let read_into = |bytes: &[u8]| {
            let mut namespaces = decode(&snapshot(), "f").unwrap().namespaces;
            namespaces[0].multi.clear();
            read(&mut Reader::new(bytes, 0, "f"), &mut namespaces).map(|()| namespaces)
        };
        assert!(read_into(&section(2, &[(0, 1), (3, 2)])).is_ok());
        let mut trailing = section(2, &[(0, 1)]);
        trailing.push(0);
        let bad = [section(2, &[(1, 1), (1, 1)]), section(2, &[(4, 1)]), section(2, &[(0, 0)]), section(0, &[]), trailing];
        for bytes in bad {
            assert_eq!(read_into(&bytes).err().map(|e| e.code), Some(Code::Corrupt));
        }
        // A vector count past the bytes left.
        let mut w = Writer::new();
        w.varint(1);
        w.str("n");
        w.varint(1);
        w.str("c");
        w.varint(2);
        w.varint(1);
        w.varint(0);
        w.varint(1 << 40);
        assert_eq!(read_into(&w.buf).err().map(|e| e.code), Some(Code::Corrupt));
    }
}
