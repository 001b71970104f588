//! Reading the index sections of a snapshot into its namespaces: INDEXES and NAMED_INDEXES
//! (the HNSW graphs, their level 0 from the LINKS0 bulk section, in place where the file is
//! mapped) and SPARSE (the inverted indexes). Layouts: `format.rs`.

use super::bulk_section::{BulkStream, Unverified, Words};
use super::format::{find_namespace, Entry, LoadedNamespace};
use super::mapping::Mapping;
use super::source::Source;
use crate::codec::Reader;
use crate::error::{Error, Result};
use crate::sparse::InvertedIndex;
use crate::vector::hnsw::HnswGraph;
use std::sync::Arc;

/// Where each section lies (None: absent).
pub(super) struct IndexEntries {
    pub indexes: Option<Entry>,
    pub named_indexes: Option<Entry>,
    pub links0: Option<Entry>,
    pub sparse: Option<Entry>,
}

/// Reads the graphs and inverted indexes into `namespaces`; returns LINKS0 when it is used
/// in place with its checksum left to `check`.
pub(super) fn read(
    src: &mut dyn Source,
    file: &str,
    at: IndexEntries,
    map: Option<Arc<Mapping>>,
    namespaces: &mut [LoadedNamespace],
) -> Result<Option<Unverified>> {
    let mut links0 = at.links0.map(|e| BulkStream::new(e, map.clone(), "LINKS0"));
    if let Some(at) = at.indexes {
        let (off, bytes) = (at.offset, at.read_from(map.as_deref(), src, file)?);
        let mut r = Reader::new(&bytes, off, file);
        for _ in 0..r.len(2)? {
            let at = r.pos();
            let name = r.str()?;
            let ns = find_namespace(namespaces, name)
                .ok_or_else(|| Error::corrupt(file, off + at as u64, format!("index for unknown namespace {name:?}")))?;
            if ns.index.is_some() {
                return Err(Error::corrupt(file, off + at as u64, format!("two indexes for namespace {name:?}")));
            }
            let nodes = ns.records.len();
            ns.index = Some(HnswGraph::decode_from(&mut r, nodes, Some(&mut |words| level0(src, file, &mut links0, words)))?);
        }
        if !r.at_end() {
            return Err(Error::corrupt(file, off, "INDEXES section holds more data than its count says"));
        }
    }
    if let Some(at) = at.named_indexes {
        let (off, bytes) = (at.offset, at.read_from(map.as_deref(), src, file)?);
        let mut r = Reader::new(&bytes, off, file);
        for _ in 0..r.len(3)? {
            let at = off + r.pos() as u64;
            let ns_name = r.str()?;
            let space = r.str()?.to_string();
            let ns = find_namespace(namespaces, ns_name)
                .ok_or_else(|| Error::corrupt(file, at, format!("named index for unknown namespace {ns_name:?}")))?;
            if ns.named_indexes.iter().any(|(s, _)| *s == space) {
                return Err(Error::corrupt(file, at, format!("two indexes for vector space {space:?} of namespace {ns_name:?}")));
            }
            let records = &ns.records;
            let nodes = (0..records.len() as u32).filter_map(|slot| records.terms_and_vectors(slot)).filter(|r| r.vectors.iter().any(|(n, _)| *n == space)).count();
            if nodes == 0 {
                return Err(Error::corrupt(file, at, format!("index for vector space {space:?}, which no record of {ns_name:?} uses")));
            }
            let graph = HnswGraph::decode_from(&mut r, nodes, Some(&mut |words| level0(src, file, &mut links0, words)))?;
            ns.named_indexes.push((space, graph));
        }
        if !r.at_end() {
            return Err(Error::corrupt(file, off, "NAMED_INDEXES section holds more data than its count says"));
        }
    }
    let unverified = match links0 {
        Some(stream) => stream.finish(file)?,
        None => None,
    };
    if let Some(at) = at.sparse {
        let (off, bytes) = (at.offset, at.read_from(map.as_deref(), src, file)?);
        let mut r = Reader::new(&bytes, off, file);
        for _ in 0..r.len(2)? {
            let at = off + r.pos() as u64;
            let name = r.str()?;
            let ns = find_namespace(namespaces, name)
                .ok_or_else(|| Error::corrupt(file, at, format!("sparse index for unknown namespace {name:?}")))?;
            if ns.sparse.is_some() {
                return Err(Error::corrupt(file, at, format!("two sparse indexes for namespace {name:?}")));
            }
            ns.sparse = Some(InvertedIndex::decode(&mut r, ns.records.len())?);
        }
        if !r.at_end() {
            return Err(Error::corrupt(file, off, "SPARSE section holds more data than its count says"));
        }
    }
    Ok(unverified)
}

/// The next graph's level 0 from LINKS0.
fn level0(src: &mut dyn Source, file: &str, links0: &mut Option<BulkStream>, words: usize) -> Result<Words> {
    match links0 {
        Some(stream) => stream.words(src, file, words),
        None => Err(Error::corrupt(file, 0, "a graph keeps its level 0 in a LINKS0 section the file does not have")),
    }
}
