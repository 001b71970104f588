//! After a compaction, the handle moves onto the file it just wrote: its records are read from
//! it (in place in a map, or its encoded bytes read where there are no maps), and the bulk
//! parts of the database (main vectors, their codes, the graphs' level 0, the id tables) are used in place
//! from a map of the new file and their copies in memory are freed, as an open of that file
//! would have it. A part still used from the replaced file's map moves too, so no map keeps
//! the old file alive.

use super::Database;
use crate::storage::format;
use crate::storage::mapping::{MappedSlice, Mapping};
use crate::storage::show;
use crate::storage::source::Source;
use std::sync::Arc;

/// Where a section lies: its offset and its end, or nothing.
type Span = Option<(u64, u64)>;

impl Database {
    /// Where maps are used; otherwise, or should anything not line up with what is in memory
    /// (each part is checked on its first and last element), the copies stay.
    pub(super) fn use_file_in_place(&mut self) {
        let shown = show(&self.paths.main);
        let Ok(Some(mut source)) = self.fs.open_source(&self.paths.main) else { return };
        let src: &mut dyn Source = &mut *source;
        // Records move with or without a map (read into memory, still encoded, where there is none).
        for (name, records) in format::records_in_place(src, &shown) {
            if let Some(ns) = self.namespaces.get_mut(&name) {
                ns.use_encoded_records(records);
            }
        }
        let Some(map) = src.map() else { return };
        let span = |found: crate::error::Result<Option<(u64, u64)>>| found.ok().flatten().map(|(at, len)| (at, at + len));
        let vectors = span(format::locate_vectors(src, &shown).map(Some));
        let codes = span(format::locate_code_bytes(src, &shown));
        let links0 = span(format::locate_links0(src, &shown));
        let ids = span(format::locate_ids(src, &shown));
        self.map_vectors_and_codes(&map, vectors, codes);
        self.map_graphs(&map, links0);
        self.map_id_tables(&map, ids);
        crate::storage::os::release_free_memory();
    }

    /// Asks for huge pages under the mapped sections searches walk at random (see
    /// `VectorSpace::advise_walked_pages`).
    pub(super) fn advise_walked_pages(&self) {
        for ns in self.namespaces.values() {
            ns.advise_walked_pages();
        }
    }

    /// VECTORS and CODE_BYTES: the namespaces that hold records, in name order, densely; the
    /// codes of those that have them, in the same order.
    fn map_vectors_and_codes(&mut self, map: &Arc<Mapping>, vectors: Span, codes: Span) {
        let Some((mut offset, end)) = vectors else { return };
        let (mut code_offset, code_end) = codes.unwrap_or((0, 0));
        let dim = self.dimension;
        for ns in self.namespaces.values_mut().filter(|ns| !ns.is_empty()) {
            let count = ns.len();
            let bytes = (count * dim * 4) as u64;
            if offset + bytes > end || ns.slot_count() != count {
                return;
            }
            if let Some(mapped) = MappedSlice::new(map.clone(), offset as usize, count * dim) {
                ns.use_mapped_vectors(mapped);
            }
            offset += bytes;
            if let Some(stride) = ns.vectors().codes().map(|c| c.stride()) {
                let bytes = (count * stride) as u64;
                if code_offset + bytes > code_end {
                    return;
                }
                if let Some(mapped) = MappedSlice::new(map.clone(), code_offset as usize, count * stride) {
                    ns.use_mapped_codes(mapped);
                }
                code_offset += bytes;
            }
        }
    }

    /// LINKS0: every stored graph's level 0, in the order `stored_graphs` gives.
    fn map_graphs(&mut self, map: &Arc<Mapping>, links0: Span) {
        let Some((mut offset, end)) = links0 else { return };
        let graphs: Vec<(String, String, usize)> = format::stored_graphs(&self.namespaces)
            .iter()
            .map(|g| (g.namespace.clone(), g.space.cloned().unwrap_or_default(), g.graph.level0_words()))
            .collect();
        for (namespace, space, words) in graphs {
            let bytes = (words * 4) as u64;
            if offset + bytes > end {
                return;
            }
            if let (Some(mapped), Some(ns)) = (MappedSlice::new(map.clone(), offset as usize, words), self.namespaces.get_mut(&namespace)) {
                // A graph that does not match stays in memory; the next ones are still checked.
                ns.use_mapped_level0(&space, mapped);
            }
            offset += bytes;
        }
    }

    /// IDS: the id table of each namespace that holds records, in name order.
    fn map_id_tables(&mut self, map: &Arc<Mapping>, ids: Span) {
        let Some((mut offset, end)) = ids else { return };
        for ns in self.namespaces.values_mut().filter(|ns| !ns.is_empty()) {
            let words = 2 * crate::id_index::stored_entries(ns.len());
            let bytes = (words * 4) as u64;
            if offset + bytes > end {
                return;
            }
            if let Some(mapped) = MappedSlice::new(map.clone(), offset as usize, words) {
                ns.use_mapped_ids(mapped);
            }
            offset += bytes;
        }
    }
}
