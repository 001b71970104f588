//! Writing the `.vdb` snapshot (the layout is described in `format.rs`, which reads it):
//! the small sections built in memory, the vectors streamed from the namespaces, and the
//! records and graphs encoded in pieces, so a compaction holds no second copy of the data.

use super::format::{
    SnapshotHeader, FORMAT_VERSION, HEADER_LEN, MAGIC, SECTION_ALIGN, SECTION_INDEXES, SECTION_NAMED_INDEXES,
    SECTION_CODES, SECTION_CODE_BYTES, SECTION_EXPIRY, SECTION_IDS, SECTION_MULTI_VECTORS, SECTION_LINKS0, SECTION_RECORD_OFFSETS, SECTION_QUANTIZATION, SECTION_RECORDS, SECTION_SCHEMA, SECTION_SPARSE,
    SECTION_VECTORS,
};
use crate::checksum::{crc32c, crc32c_append};
use crate::codec::Writer;
use crate::namespace::Namespace;
use crate::vector::hnsw::HnswGraph;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Gives a snapshot held in memory new identities, its header checksum updated (a restored
/// backup becomes a database of its own). Files of format version 1 have none: unchanged.
pub fn restamp(bytes: &mut [u8], identity: super::format::SnapshotIdentity) {
    let version = bytes.get(8..12).map_or(0, |v| u32::from_le_bytes([v[0], v[1], v[2], v[3]]));
    if bytes.len() < HEADER_LEN || !(2..=FORMAT_VERSION).contains(&version) {
        return;
    }
    bytes[56..72].copy_from_slice(&identity.database);
    bytes[72..80].copy_from_slice(&identity.snapshot.to_le_bytes());
    bytes[80..88].copy_from_slice(&identity.parent.to_le_bytes());
    let crc = crc32c(&bytes[..HEADER_LEN - 4]);
    bytes[HEADER_LEN - 4..HEADER_LEN].copy_from_slice(&crc.to_le_bytes());
}

/// Serialises a whole database into snapshot bytes (small databases and tests; `compact`
/// streams to the file with [`write_snapshot`]).
pub fn encode(
    header: &SnapshotHeader,
    named_dims: &BTreeMap<String, usize>,
    namespaces: &BTreeMap<String, Namespace>,
) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    write_snapshot(header, named_dims, namespaces, &mut out).expect("write to a Vec");
    out
}

/// Writes a whole database as a snapshot to `w`; returns the file's length and CRC32C.
/// Only the small sections and the id tables (8 to 16 bytes a record) are built in memory:
/// the vectors, most of the file, and the graphs stream from the namespaces, so a compaction
/// needs no second copy of them.
pub fn write_snapshot(
    header: &SnapshotHeader,
    named_dims: &BTreeMap<String, usize>,
    namespaces: &BTreeMap<String, Namespace>,
    w: &mut dyn Write,
) -> io::Result<(u64, u32)> {
    let mut schema = Writer::new();
    schema.varint(named_dims.len() as u64);
    for (name, dim) in named_dims {
        schema.str(name);
        schema.varint(*dim as u64);
    }
    if let Some(analyzer) = &header.analyzer {
        schema.u8(1);
        schema.str(analyzer);
    }
    let live: Vec<(&String, &Namespace)> = namespaces.iter().filter(|(_, ns)| !ns.is_empty()).collect();
    // Records are encoded in pieces too: built in memory, 100,000 records' ids and metadata
    // (and the doubling of the buffer that held them) were a few MB on top of the database
    // at the moment of a compaction.
    let record_namespaces = live.clone();
    let records = Body::Pieces(Box::new(move |w, flush| super::records_section::encode(&record_namespaces, w, flush)));
    let record_offsets = super::records_section::offsets(&live);
    // Each namespace's id table, for RECORDS positions: built here once (the length, the
    // checksum and the write each go over it).
    let id_tables: Vec<Vec<u32>> =
        live.iter().map(|(_, ns)| crate::id_index::stored_table(ns.len(), ns.slots().map(|s| ns.id_of(s).unwrap_or_default()))).collect();
    let codes = codes_section(live.clone());
    let code_bytes = code_bytes_section(live.clone());
    let vectors = vectors_section(live.clone());
    let all = stored_graphs(namespaces);
    let stored: Vec<(&String, &HnswGraph)> = all.iter().filter(|g| g.space.is_none()).map(|g| (g.namespace, g.graph)).collect();
    let named: Vec<(&String, &String, &HnswGraph)> = all.iter().filter_map(|g| Some((g.namespace, g.space?, g.graph))).collect();
    // Level 0 of every graph, in the order INDEXES and NAMED_INDEXES list them.
    let graphs: Vec<&HnswGraph> = all.iter().map(|g| g.graph).collect();
    let indexes = Body::Pieces(Box::new(move |w, flush| {
        w.varint(stored.len() as u64);
        for (name, graph) in &stored {
            w.str(name);
            graph.encode_in_pieces(w, flush)?;
        }
        Ok(())
    }));
    let any_graph = !graphs.is_empty();
    let links0 = Body::Pieces(Box::new(move |w, flush| {
        for graph in &graphs {
            graph.encode_level0_in_pieces(w, flush)?;
        }
        Ok(())
    }));
    let named_indexes = Body::Pieces(Box::new(move |w, flush| {
        w.varint(named.len() as u64);
        for (ns_name, space, graph) in &named {
            w.str(ns_name);
            w.str(space);
            graph.encode_in_pieces(w, flush)?;
        }
        Ok(())
    }));
    // Inverted indexes are stored for namespaces without tombstones (slots = RECORDS order).
    let dense: Vec<&(&String, &Namespace)> = live.iter().filter(|(_, ns)| ns.dead_slots() == 0).collect();
    let mut sparse = Writer::new();
    sparse.varint(dense.len() as u64);
    for (name, ns) in dense {
        sparse.str(name);
        ns.sparse().encode(&mut sparse);
    }
    let mut sections = vec![
        (SECTION_SCHEMA, Body::Bytes(schema.buf)),
        (SECTION_RECORDS, records),
        (SECTION_VECTORS, vectors),
        (SECTION_INDEXES, indexes),
        (SECTION_NAMED_INDEXES, named_indexes),
        (SECTION_SPARSE, Body::Bytes(sparse.buf)),
        (SECTION_CODES, codes),
    ];
    if live.iter().any(|(_, ns)| ns.vectors().codes().is_some()) {
        sections.push((SECTION_CODE_BYTES, code_bytes));
    }
    if any_graph {
        sections.push((SECTION_LINKS0, links0));
    }
    if !id_tables.is_empty() {
        sections.push((SECTION_IDS, Body::Words(id_tables)));
        sections.push((SECTION_RECORD_OFFSETS, Body::Words(record_offsets)));
    }
    if let Some(expiry) = super::expiry_section::encode(&live) {
        sections.push((SECTION_EXPIRY, Body::Bytes(expiry)));
    }
    if let Some(multi) = super::multi_vector_section::encode(&live) {
        sections.push((SECTION_MULTI_VECTORS, Body::Bytes(multi)));
    }
    // Written only when a space is quantized: other files stay readable, byte for byte, by
    // readers that predate quantization.
    if !header.quantization.is_none() {
        let mut q = Writer::new();
        header.quantization.encode(&mut q);
        sections.push((SECTION_QUANTIZATION, Body::Bytes(q.buf)));
    }
    let mut out = CrcWriter { inner: w, crc: 0, written: 0 };
    assemble(header, &sections, &mut out)?;
    Ok((out.written, out.crc))
}

/// A graph a snapshot stores: of a namespace's main vectors (`space` None) or of one of its
/// named vector spaces.
pub struct StoredGraph<'a> {
    pub namespace: &'a String,
    pub space: Option<&'a String>,
    pub graph: &'a HnswGraph,
}

/// The graphs a snapshot of `namespaces` stores, in the order of LINKS0: every main graph (in
/// namespace order), then every named space's graph (by namespace, then space). A graph is
/// stored only when its node ids equal the RECORDS order (no tombstones, no pending inserts);
/// otherwise it is rebuilt at open. `compact` makes sure it is.
pub fn stored_graphs(namespaces: &BTreeMap<String, Namespace>) -> Vec<StoredGraph<'_>> {
    let storable = || namespaces.iter().filter(|(_, ns)| !ns.is_empty() && ns.indexes_storable());
    let main = storable().filter_map(|(name, ns)| Some(StoredGraph { namespace: name, space: None, graph: ns.vectors().graph()? }));
    let named = storable().flat_map(|(name, ns)| {
        ns.named_spaces().iter().filter_map(move |(space, s)| Some(StoredGraph { namespace: name, space: Some(space), graph: s.vectors().graph()? }))
    });
    main.chain(named).collect()
}

/// The CODES section: per namespace, the main vectors' inverse norms and quantized codes in
/// RECORDS order (dead slots skipped), so an open computes neither.
fn codes_section<'a>(live: Vec<(&'a String, &'a Namespace)>) -> Body<'a> {
    Body::Pieces(Box::new(move |w, flush| {
        w.varint(live.len() as u64);
        for (name, ns) in &live {
            let space = ns.vectors();
            w.str(name);
            w.varint(ns.len() as u64);
            for slot in ns.slots() {
                w.f32(space.inv_norm(slot));
            }
            flush(w)?;
            let Some(codes) = space.codes() else {
                w.u8(0);
                continue;
            };
            w.u8(1);
            codes.encode_params(w);
            let outliers: std::collections::HashSet<u32> = codes.outliers().iter().copied().filter(|&s| space.is_live(s)).collect();
            let positions: Vec<u64> = ns.slots().enumerate().filter(|(_, slot)| outliers.contains(slot)).map(|(i, _)| i as u64).collect();
            w.varint(positions.len() as u64);
            for p in positions {
                w.varint(p);
            }
        }
        Ok(())
    }))
}

/// The main vectors of every record, namespace after namespace, read through the files
/// they are in a run of consecutive slots at a time: writing them does not make the old
/// snapshot's map or a spill file resident (most of a compaction's reading).
fn vectors_section<'a>(live: Vec<(&'a String, &'a Namespace)>) -> Body<'a> {
    // Counted as the encoder counts them: the live slots.
    let len = live.iter().map(|(_, ns)| (ns.slots().count() * ns.vectors().dimension() * 4) as u64).sum();
    Body::Sized(
        len,
        Box::new(move |w, flush| {
            for (_, ns) in &live {
                let dim = ns.vectors().dimension().max(1);
                let mut buf = vec![0.0f32; (PIECE_BYTES / 4 / dim).max(1) * dim];
                let mut slots = ns.slots().peekable();
                while let Some(first) = slots.next() {
                    let mut n = 1;
                    while n < buf.len() / dim && slots.peek() == Some(&(first + n as u32)) {
                        slots.next();
                        n += 1;
                    }
                    let run = &mut buf[..n * dim];
                    ns.vectors().read_vectors(first, run)?;
                    for v in run.iter() {
                        w.buf.extend_from_slice(&v.to_le_bytes());
                    }
                    flush(w)?;
                }
            }
            Ok(())
        }),
    )
}

/// The CODE_BYTES section: the codes of every namespace that has them, in namespace order,
/// each in RECORDS order.
fn code_bytes_section<'a>(live: Vec<(&'a String, &'a Namespace)>) -> Body<'a> {
    Body::Pieces(Box::new(move |w, flush| {
        for (_, ns) in &live {
            if let Some(codes) = ns.vectors().codes() {
                for slot in ns.slots() {
                    w.buf.extend_from_slice(codes.code(slot));
                    flush(w)?;
                }
            }
        }
        Ok(())
    }))
}

/// Encodes a section into the writer, calling the flush function now and then so what is
/// pending can be written out and cleared.
type Encode<'a> = Box<dyn Fn(&mut Writer, &mut dyn FnMut(&mut Writer) -> io::Result<()>) -> io::Result<()> + 'a>;

/// A section's content: bytes built in memory, u32 arrays written as little-endian, or an
/// encoder run on demand in pieces (the records, the vectors and the graphs: each pass,
/// length (unless known), CRC and write, encodes them again, which is cheap next to holding
/// a copy).
enum Body<'a> {
    Bytes(Vec<u8>),
    /// An encoder whose length is known without running it.
    Sized(u64, Encode<'a>),
    Words(Vec<Vec<u32>>),
    Pieces(Encode<'a>),
}

/// Bytes a streamed section gathers before handing them on.
pub(super) const PIECE_BYTES: usize = 64 * 1024;

impl Body<'_> {
    fn len(&self) -> u64 {
        match self {
            Body::Bytes(b) => b.len() as u64,
            Body::Words(parts) => parts.iter().map(|p| p.len() as u64 * 4).sum(),
            Body::Sized(len, _) => *len,
            Body::Pieces(_) => {
                let mut len = 0u64;
                // The closure never fails.
                let _ = self.each_chunk(&mut |c| {
                    len += c.len() as u64;
                    Ok(())
                });
                len
            }
        }
    }

    /// Calls `f` with the section's bytes, in order, in pieces.
    fn each_chunk(&self, f: &mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        match self {
            Body::Bytes(b) => f(b),
            Body::Words(parts) => little_endian(parts.iter().map(|p| p.iter().map(|v| v.to_le_bytes())), f),
            Body::Pieces(encode) | Body::Sized(_, encode) => {
                let mut w = Writer::with_capacity(PIECE_BYTES + 4096);
                encode(&mut w, &mut |w: &mut Writer| {
                    if w.buf.len() >= PIECE_BYTES {
                        f(&w.buf)?;
                        w.buf.clear();
                    }
                    Ok(())
                })?;
                f(&w.buf)
            }
        }
    }

    fn crc(&self) -> u32 {
        let mut crc = 0;
        // The closure never fails.
        let _ = self.each_chunk(&mut |c| {
            crc = crc32c_append(crc, c);
            Ok(())
        });
        crc
    }
}

/// Writes parts of 4-byte values to `f` in pieces of about 64 KB.
fn little_endian<P: Iterator<Item = [u8; 4]>>(parts: impl Iterator<Item = P>, f: &mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    for part in parts {
        for v in part {
            buf.extend_from_slice(&v);
            if buf.len() >= 64 * 1024 {
                f(&buf)?;
                buf.clear();
            }
        }
    }
    f(&buf)
}

/// Passes writes through, keeping a running CRC32C and length of everything written.
struct CrcWriter<'w> {
    inner: &'w mut dyn Write,
    crc: u32,
    written: u64,
}

impl Write for CrcWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc = crc32c_append(self.crc, &buf[..n]);
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes header, sections (each at a multiple of 64, zero padding between) and footer.
/// Every offset is known from the sections' lengths first, so the file is written in one
/// forward pass.
fn assemble(header: &SnapshotHeader, sections: &[(u32, Body)], w: &mut dyn Write) -> io::Result<()> {
    let align = |pos: u64| pos.div_ceil(SECTION_ALIGN as u64) * SECTION_ALIGN as u64;
    let mut table = Writer::new();
    let mut pos = HEADER_LEN as u64;
    for (kind, body) in sections {
        pos = align(pos);
        table.u32(*kind);
        table.u32(0);
        table.u64(pos);
        table.u64(body.len());
        table.u32(body.crc());
        table.u32(0);
        pos += body.len();
    }
    let footer_offset = pos;
    let file_len = footer_offset + table.buf.len() as u64 + 4;

    let mut h = Writer::with_capacity(HEADER_LEN);
    h.buf.extend_from_slice(MAGIC);
    h.u32(FORMAT_VERSION);
    h.u32(HEADER_LEN as u32);
    h.u32(header.dimension);
    h.u8(header.metric.code());
    h.buf.extend_from_slice(&[0, 0, 0]);
    h.u64(header.last_seq);
    h.u32(sections.len() as u32);
    h.u32(0);
    h.u64(footer_offset);
    h.u64(file_len);
    h.buf.extend_from_slice(&header.identity.database);
    h.u64(header.identity.snapshot);
    h.u64(header.identity.parent);
    h.buf.resize(HEADER_LEN - 4, 0);
    let crc = crc32c(&h.buf);
    h.u32(crc);
    w.write_all(&h.buf)?;

    let zeros = [0u8; SECTION_ALIGN];
    let mut pos = HEADER_LEN as u64;
    for (_, body) in sections {
        let pad = (align(pos) - pos) as usize;
        w.write_all(&zeros[..pad])?;
        body.each_chunk(&mut |c| w.write_all(c))?;
        pos = align(pos) + body.len();
    }
    let table_crc = crc32c(&table.buf);
    w.write_all(&table.buf)?;
    w.write_all(&table_crc.to_le_bytes())?;
    Ok(())
}
