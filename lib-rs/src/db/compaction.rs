//! Compaction and snapshots of a `Database`: folding the WAL into a new `.vdb`, and writing
//! consistent copies of it (snapshot, backup), each through a temporary file renamed into
//! place, so that a crash, a failure or an aborted job (progress.rs) leaves the old file whole.

use super::Database;
use crate::error::{Error, Result};
use crate::progress;
use crate::storage::files::lock_snapshot_file;
use crate::storage::format::{self, SnapshotHeader, SnapshotIdentity};
use crate::storage::os;
use crate::storage::show;
use crate::storage::aligned_writer::AlignedWriter;
use crate::storage::vfs::FileWriter;
use crate::vector::quantize::Quantizations;
use std::path::Path;
use std::sync::Arc;

impl Database {
    /// Folds the WAL into a new snapshot: write a fresh temporary file beside the .vdb
    /// (`<name>.vdb.<8 hex>.tmp`), fsync, rename over the .vdb, fsync the directory, then
    /// start the WAL afresh, naming the new snapshot. A crash at any point leaves the old or
    /// the new state whole (a log of the old snapshot beside the new one is skipped: the new
    /// snapshot holds its frames).
    pub fn compact(&mut self) -> Result<()> {
        self.compact_to(None)
    }

    /// `compact`, converting every vector space to `quantization` when given (codes are
    /// learned again from the vectors in any case).
    /// A compaction that fails or is aborted before its new file replaces the old one keeps
    /// the quantization the database had.
    pub fn compact_to(&mut self, quantization: Option<Quantizations>) -> Result<()> {
        self.writable()?;
        if let Some(wal) = self.wal.as_mut() {
            wal.sync()?;
        }
        let before = self.quantization.clone();
        if let Some(q) = quantization {
            self.quantization = q;
        }
        let mut renamed = false;
        let result = self.compact_now(&mut renamed);
        if result.is_err() && !renamed && self.quantization != before {
            self.quantization = before;
            for ns in self.namespaces.values_mut() {
                ns.apply_quantization(&self.quantization, self.spill_dir.as_ref());
            }
        }
        result
    }

    /// Sets `renamed` once the new file has replaced the old one (a failure after that, a
    /// directory fsync, leaves the new file in place).
    fn compact_now(&mut self, renamed: &mut bool) -> Result<()> {
        // Checksums first: damage must not pass into the new file, and the phases of a
        // compaction come in the order they are documented (verify, index, write).
        self.check()?;
        for ns in self.namespaces.values_mut() {
            ns.apply_quantization(&self.quantization, self.spill_dir.as_ref());
            ns.refresh_codes();
        }
        self.compact_memory()?;
        progress::check("compact")?;
        let identity = self.identity.next_snapshot();
        let (len, _) = self.write_snapshot_over(&self.paths.main, identity, renamed)?;
        // A new file: lock it (nobody else can have it open yet). Failing to is no reason to
        // fail a compaction that is done; the lock file still keeps other paths out.
        if let Ok(lock) = lock_snapshot_file(&*self.fs, &self.paths.main) {
            self.file_lock = lock;
        }
        self.identity = identity;
        self.snapshot_seq = self.next_seq - 1;
        self.snapshot_len = len;
        self.upserts_since_snapshot = 0;
        self.use_file_in_place();
        self.advise_walked_pages();
        let base = self.wal_base();
        if let Some(wal) = self.wal.as_mut() {
            wal.reset_to(base)?;
        }
        os::release_free_memory();
        Ok(())
    }

    /// Streams the snapshot, with `identity`, into a fresh temporary file beside `dest`,
    /// fsyncs it, renames it over `dest` (then sets `renamed`) and fsyncs the directory.
    /// Returns the file's length and CRC32C.
    pub fn write_snapshot_over(&self, dest: &Path, identity: SnapshotIdentity, renamed: &mut bool) -> Result<(u64, u32)> {
        let temp = crate::storage::temp_beside(dest);
        let written = self.write_snapshot_file(&temp, identity)?;
        // The last moment to abort: after the rename the new file is the database.
        if let Err(e) = progress::check("compact") {
            let _ = self.fs.remove(&temp);
            return Err(e);
        }
        if let Err(e) = self.fs.rename(&temp, dest) {
            let _ = self.fs.remove(&temp); // the old file stays in place; the new one is dropped
            return Err(Error::io("cannot rename temp file over", &show(dest), e));
        }
        *renamed = true;
        let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        self.fs.sync_dir(dir).map_err(|e| Error::io("cannot fsync directory", &show(dir), e))?;
        Ok(written)
    }


    /// Streams the snapshot into a new file at `path` (which must not exist) and fsyncs it:
    /// length and CRC32C. On failure (a full disk, say) the partial file is removed, not
    /// left to take space.
    pub fn write_snapshot_file(&self, path: &Path, identity: SnapshotIdentity) -> Result<(u64, u32)> {
        // Damage in the file must not pass into a new file under fresh checksums.
        self.check()?;
        let shown = show(path);
        let file = self.fs.create_new(path).map_err(|e| Error::io("cannot create", &shown, e))?;
        let result = self.write_snapshot_into(file, &shown, identity);
        if result.is_err() {
            let _ = self.fs.remove(path);
        }
        result
    }

    fn write_snapshot_into(&self, file: Arc<dyn crate::storage::vfs::VfsFile>, shown: &str, identity: SnapshotIdentity) -> Result<(u64, u32)> {
        let mut w = AlignedWriter::new(FileWriter { file, pos: 0 });
        let header = SnapshotHeader {
            dimension: self.dimension as u32,
            metric: self.metric,
            last_seq: self.next_seq - 1,
            analyzer: self.analyzer.clone(),
            quantization: self.quantization.clone(),
            identity,
        };
        let written = format::write_snapshot(&header, &self.named_dims, &self.namespaces, &mut w).map_err(|e| written_error(shown, e))?;
        // A stored record that did not decode was left out: that file must not replace this
        // one (`check` decoded them all before, so this is a last guard).
        if let Some(e) = self.namespaces.values().find_map(crate::namespace::Namespace::damage) {
            return Err(e);
        }
        let file = w.finish().map_err(|e| written_error(shown, e))?.file;
        file.sync().map_err(|e| Error::io("cannot fsync", shown, e))?;
        // The end of the phase, whatever the file's size (reports come every few MB).
        progress::report(progress::Phase::Write, written.0, Some(written.0));
        Ok(written)
    }
}

/// A failed snapshot write: `ABORTED` when the job was cancelled (see `FileWriter`).
fn written_error(shown: &str, e: std::io::Error) -> Error {
    if progress::cancelled() {
        progress::aborted("writing")
    } else {
        Error::io("cannot write", shown, e)
    }
}
