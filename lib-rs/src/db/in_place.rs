//! After a compaction, the handle moves onto the file it just wrote: the bulk parts of the
//! database (main vectors, their codes, the graphs' level 0) are used in place from a map of
//! the new file and their copies in memory are freed, as an open of that file would have it.

use super::Database;
use crate::storage::format;
use crate::storage::mapping::MappedSlice;
use crate::storage::show;

impl Database {
    /// Where maps are used; otherwise, or should anything not line up with what is in
    /// memory (each part is checked on its first and last element), the copies stay.
    pub(super) fn use_file_in_place(&mut self) {
        let shown = show(&self.paths.main);
        let Ok(Some(mut source)) = self.fs.open_source(&self.paths.main) else { return };
        let Some(map) = source.map() else { return };
        let Ok((mut offset, len)) = format::locate_vectors(&mut *source, &shown) else { return };
        let (mut code_offset, code_end) = match format::locate_code_bytes(&mut *source, &shown) {
            Ok(Some((at, len))) => (at, at + len),
            _ => (0, 0),
        };
        let (mut links_offset, links_end) = match format::locate_links0(&mut *source, &shown) {
            Ok(Some((at, len))) => (at, at + len),
            _ => (0, 0),
        };
        let end = offset + len;
        let dim = self.dimension;
        // The writer stores the namespaces that hold records, in name order, densely; the
        // codes of those that have them, in the same order.
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
        // LINKS0: the main graphs of the namespaces whose graphs were stored, then their
        // named spaces' graphs, in the order the writer lists them.
        let mut graphs: Vec<(String, String, usize)> = Vec::new();
        for (name, ns) in self.namespaces.iter().filter(|(_, ns)| !ns.is_empty() && ns.indexes_storable()) {
            if let Some(g) = ns.vectors().graph() {
                graphs.push((name.clone(), String::new(), g.level0_words()));
            }
        }
        for (name, ns) in self.namespaces.iter().filter(|(_, ns)| !ns.is_empty() && ns.indexes_storable()) {
            for (space, s) in ns.named_spaces() {
                if let Some(g) = s.vectors().graph() {
                    graphs.push((name.clone(), space.clone(), g.level0_words()));
                }
            }
        }
        for (ns_name, space, words) in graphs {
            let bytes = (words * 4) as u64;
            if links_offset + bytes > links_end {
                break;
            }
            let Some(mapped) = MappedSlice::new(map.clone(), links_offset as usize, words) else { break };
            if let Some(ns) = self.namespaces.get_mut(&ns_name) {
                if !ns.use_mapped_level0(&space, mapped) {
                    break;
                }
            }
            links_offset += bytes;
        }
        crate::storage::os::release_free_memory();
    }
}
