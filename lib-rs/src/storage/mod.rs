//! Everything that touches files: the .vdb snapshot format (read in format.rs, written in
//! format_write.rs), the write-ahead log, recovery,
//! advisory locks, and the few OS calls std lacks.

pub mod format;
pub mod format_write;
pub mod lock;
pub mod os;
pub mod recovery;
#[cfg(test)]
mod fault_tests;
#[cfg(test)]
pub mod sim;
pub mod source;
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

    /// A fresh temporary file name beside the snapshot: `<name>.vdb.<16 hex digits>.tmp`,
    /// unpredictable, so nobody can plant a file or a symbolic link there in advance (it is
    /// also created exclusively, see `Vfs::create_new`).
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
                .is_some_and(|hex| hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    }

    /// The directory the files live in.
    pub fn dir(&self) -> &Path {
        self.main.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
    }
}

/// A fresh temporary name beside `path` (see `DbPaths::new_temp`).
pub fn temp_beside(path: &Path) -> PathBuf {
    with_suffix(path, &format!(".{:016x}.tmp", crate::random::random_u64()))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Display form of a path for error messages.
pub fn show(path: &Path) -> String {
    path.display().to_string()
}
