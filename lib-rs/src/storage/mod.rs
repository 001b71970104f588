//! Everything that touches files: the .vdb snapshot format (read in format.rs, written in
//! format_write.rs), the write-ahead log, recovery,
//! advisory locks, and the few OS calls std lacks.

pub mod aligned_writer;
pub mod destination;
pub mod files;
pub mod format;
pub mod format_write;
pub mod lock;
pub mod mapping;
pub mod os;
pub mod recovery;
/// A simulated disk for the crash tests (lib-rs/tests/crash_consistency.rs): not used by
/// the library itself.
#[doc(hidden)]
pub mod sim;
pub mod source;
pub mod spill;
pub mod bulk_section;
mod codes_section;
mod expiry_section;
mod multi_vector_section;
mod records_section;
mod index_sections;
pub mod vfs;
pub mod wal;

use std::path::{Path, PathBuf};

/// The files that make up one database `<name>.vdb`: the snapshot, its log, its lock file,
/// and the temporary files a new snapshot is written to before it is renamed into place.
#[derive(Debug, Clone)]
pub struct DbPaths {
    pub main: PathBuf,
    pub wal: PathBuf,
    pub lock: PathBuf,
}

impl DbPaths {
    pub fn new(main: &Path) -> DbPaths {
        DbPaths { main: main.to_path_buf(), wal: with_suffix(main, "-wal"), lock: with_suffix(main, ".lock") }
    }

    /// A fresh temporary file name beside the snapshot: `<name>.vdb.<8 hex digits>.tmp`,
    /// unpredictable, so nobody can plant a file or a symbolic link there in advance (it is
    /// also created exclusively, see `Vfs::create_new`). Short, so a long database name
    /// still leaves room for it within the usual 255 bytes of a file name.
    pub fn new_temp(&self) -> PathBuf {
        temp_beside(&self.main)
    }

    /// Whether `file_name` (in the snapshot's directory) is one of this database's
    /// temporary files, left behind by a process killed while writing a snapshot.
    pub fn is_temp_name(&self, file_name: &str) -> bool {
        let Some(main) = self.main.file_name().and_then(|n| n.to_str()) else { return false };
        let Some(rest) = file_name.strip_prefix(main) else { return false };
        // `<name>.vdb.tmp` is the fixed name older versions used.
        rest == ".tmp"
            || rest
                .strip_prefix('.')
                .and_then(|r| r.strip_suffix(".tmp"))
                .is_some_and(|hex| hex.len() == 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    }

    /// The directory the files live in.
    pub fn dir(&self) -> &Path {
        self.main.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
    }
}

/// A fresh temporary name beside `path` (see `DbPaths::new_temp`).
pub fn temp_beside(path: &Path) -> PathBuf {
    with_suffix(path, &format!(".{:08x}.tmp", crate::random::random_u64() as u32))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The real path of the database file `path`: absolute, with symbolic links, `.` and `..`
/// resolved. For a file that does not exist yet, its directory's real path and its name.
/// A symbolic link to a missing file is refused rather than replaced by a new file.
pub fn real_path(path: &Path) -> crate::error::Result<PathBuf> {
    use crate::error::{Code, Error};
    match std::fs::canonicalize(path).map(plain) {
        Ok(p) => Ok(p),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::fs::symlink_metadata(path).is_ok() {
                return Err(Error::new(Code::Io, format!("{} is a symbolic link to a missing file", show(path))));
            }
            let Some(name) = path.file_name() else {
                return Err(Error::invalid(format!("{} does not name a file", show(path))));
            };
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            match std::fs::canonicalize(parent).map(plain) {
                Ok(dir) => Ok(dir.join(name)),
                // A missing directory: the caller says so in its own words.
                Err(_) => Ok(std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())),
            }
        }
        // Some volumes cannot say (a RAM disk or virtual file system on Windows): the path
        // made absolute is the best there is.
        Err(_) => Ok(std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())),
    }
}

/// Windows' canonical paths are "verbatim" (`\\?\C:\...`), which the rest of the system
/// neither shows nor expects; a drive path loses the prefix (a UNC one keeps it).
fn plain(path: PathBuf) -> PathBuf {
    if cfg!(windows) {
        if let Some(rest) = path.to_str().and_then(|s| s.strip_prefix(r"\\?\")) {
            if rest.as_bytes().get(1) == Some(&b':') {
                return PathBuf::from(rest);
            }
        }
    }
    path
}

/// Display form of a path for error messages.
pub fn show(path: &Path) -> String {
    path.display().to_string()
}
