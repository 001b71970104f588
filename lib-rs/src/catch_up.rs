//! Graphs brought up to date without surprises: an open never spends minutes building one.
//! A read-only handle never builds or extends a graph (the vectors not in one are scored
//! exactly, as during a bulk ingest). A writer extends its graphs at open only when few
//! vectors wait (`OPEN_CATCH_UP`); more wait after an interrupted import, and then a
//! background job (abi/database.rs) inserts them a slice at a time under the write lock,
//! between which reads and writes go on. The graph reaches the file at the next compaction
//! (or the compaction on close).

use crate::db::Database;

/// At most this many waiting vectors are inserted into the graphs inside an open (about a
/// second at 100,000 x 384); more are left to the background catch-up.
pub const OPEN_CATCH_UP: usize = 2_000;

/// Vectors inserted per slice of the background catch-up: about 25 ms of the write lock at
/// 100,000 x 384.
pub const CATCH_UP_SLICE: usize = 64;

impl Database {
    /// How many vectors wait for a graph (counting every vector of a space past the
    /// threshold that has none).
    pub fn index_backlog(&self) -> usize {
        self.namespaces.values().map(|ns| ns.index_backlog(self.ann_threshold)).sum()
    }

    /// Sets each space's quantization (as the file says) and, for a writer with a small
    /// backlog, brings the graphs up to date: what an open does. Returns whether vectors
    /// still wait, for the background catch-up.
    pub fn settle_indexes_at_open(&mut self) -> bool {
        for ns in self.namespaces.values_mut() {
            ns.apply_quantization(&self.quantization, self.spill_dir.as_ref());
        }
        if self.read_only {
            return false;
        }
        if self.index_backlog() <= OPEN_CATCH_UP {
            self.update_indexes();
            return false;
        }
        true
    }

    /// One slice of the background catch-up; returns whether vectors still wait.
    pub fn catch_up_indexes(&mut self, budget: usize) -> bool {
        let mut left = budget;
        for ns in self.namespaces.values_mut() {
            let before = ns.index_backlog(self.ann_threshold);
            if before == 0 {
                continue;
            }
            if left == 0 {
                return true;
            }
            let (started, waiting) = ns.catch_up_indexes(self.hnsw, self.metric, self.ann_threshold, left);
            self.index_builds += started;
            if waiting {
                return true;
            }
            left = left.saturating_sub(before);
        }
        false
    }
}
