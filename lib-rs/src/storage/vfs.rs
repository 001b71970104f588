//! The file operations a database performs on its `.vdb`, its `.vdb-wal` and the temporary
//! files new snapshots are written to (`<name>.vdb.<16 hex digits>.tmp`), behind one trait. `OsVfs` is the real file system; the tests put `storage::sim::SimVfs` in its
//! place to cut the power at every write or fsync of a workload, or to fail one with ENOSPC
//! or EIO, and check what survives. The lock file stays on the real file system:
//! it is about processes, not durability.

use super::source::{FileSource, Source};
use crate::progress::{self, Phase};
use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;
use std::sync::Arc;

/// A file open for writing at explicit offsets (the WAL, a snapshot being written).
pub trait VfsFile: Send + Sync {
    /// The file's length in bytes.
    fn size(&self) -> io::Result<u64>;
    fn write_at(&self, bytes: &[u8], offset: u64) -> io::Result<()>;
    fn set_len(&self, len: u64) -> io::Result<()>;
    /// fsync: the file's contents (not its directory entry) are durable when this returns.
    fn sync(&self) -> io::Result<()>;
}

pub trait Vfs: Send + Sync {
    fn exists(&self, path: &Path) -> bool;
    /// The whole file, or None when it does not exist.
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>>;
    /// The file for reading section by section, or None when it does not exist.
    fn open_source(&self, path: &Path) -> io::Result<Option<Box<dyn Source>>>;
    /// Opens for reading and writing, creating an empty file if missing (never truncates).
    fn open_rw(&self, path: &Path) -> io::Result<Arc<dyn VfsFile>>;
    /// Creates a new, empty file; fails if anything exists at `path`, a symbolic link
    /// included (`O_CREAT | O_EXCL`), so a temporary file is never written through a link.
    fn create_new(&self, path: &Path) -> io::Result<Arc<dyn VfsFile>>;
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes a file; a missing one is not an error.
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// The names of the entries in `dir`.
    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>>;
    /// Makes creations, renames and removals in `dir` durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
    /// How much of a WAL transaction is encoded before it is written: a 10,000 x 384 batch is
    /// written in pieces of about 1 MiB instead of being assembled as one 15 MB buffer (a
    /// transient that raised the peak memory of a bulk build). The simulated disk asks for
    /// tiny pieces, so that two- and three-operation transactions are written in several and
    /// a power cut or failure between pieces is among the cases its tests check.
    fn write_piece_bytes(&self) -> usize {
        1 << 20
    }
    /// Whether this is the operating system's file system (locks apply to its files).
    fn is_real(&self) -> bool {
        false
    }
    /// Device and inode of the file `path` names now (None where unknown).
    fn identity(&self, _path: &Path) -> Option<(u64, u64)> {
        None
    }
}

/// Sequential writes into a `VfsFile` (under an `AlignedWriter`, for the snapshot encoder).
pub struct FileWriter {
    pub file: Arc<dyn VfsFile>,
    pub pos: u64,
}

/// A `FileWriter` reports its position to the current job (see progress.rs) each time it
/// passes a multiple of this many bytes.
const REPORT_EVERY: u64 = 8 << 20;

impl io::Write for FileWriter {
    /// Fails once the current job was cancelled (checked every `REPORT_EVERY` bytes), so a
    /// long write stops early; the caller removes the partial file.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write_at(buf, self.pos)?;
        let before = self.pos;
        self.pos += buf.len() as u64;
        if before / REPORT_EVERY != self.pos / REPORT_EVERY && !progress::report(Phase::Write, self.pos, None) {
            return Err(io::Error::other("aborted"));
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The operating system's file system.
pub struct OsVfs;

struct OsFile(File);

impl VfsFile for OsFile {
    fn size(&self) -> io::Result<u64> {
        Ok(self.0.metadata()?.len())
    }
    fn write_at(&self, bytes: &[u8], offset: u64) -> io::Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileExt;
            self.0.write_all_at(bytes, offset)
        }
        #[cfg(not(unix))]
        {
            use std::io::{Seek, SeekFrom, Write};
            let mut f = &self.0;
            f.seek(SeekFrom::Start(offset))?;
            f.write_all(bytes)
        }
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }
    fn sync(&self) -> io::Result<()> {
        // fdatasync: the data and the metadata needed to read it back (the length), without
        // the timestamps that fsync would also write.
        self.0.sync_data()
    }
}

impl Vfs for OsVfs {
    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
    fn open_source(&self, path: &Path) -> io::Result<Option<Box<dyn Source>>> {
        match File::open(path) {
            Ok(f) => Ok(Some(Box::new(FileSource::new(f)?))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
    fn open_rw(&self, path: &Path) -> io::Result<Arc<dyn VfsFile>> {
        let f = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
        Ok(Arc::new(OsFile(f)))
    }
    fn create_new(&self, path: &Path) -> io::Result<Arc<dyn VfsFile>> {
        Ok(Arc::new(OsFile(OpenOptions::new().write(true).create_new(true).open(path)?)))
    }
    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            if let Some(name) = entry?.file_name().to_str() {
                out.push(name.to_string());
            }
        }
        Ok(out)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        super::os::sync_dir(dir)
    }
    fn identity(&self, path: &Path) -> Option<(u64, u64)> {
        super::os::path_identity(path)
    }
    fn is_real(&self) -> bool {
        true
    }
}
