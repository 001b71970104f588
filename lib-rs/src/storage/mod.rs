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

/// The files that make up one database `<name>.vdb`.
#[derive(Debug, Clone)]
pub struct DbPaths {
    pub main: PathBuf,
    pub wal: PathBuf,
    pub lock: PathBuf,
    pub temp: PathBuf,
}

impl DbPaths {
    pub fn new(main: &Path) -> DbPaths {
        let with_suffix = |suffix: &str| {
            let mut s = main.as_os_str().to_owned();
            s.push(suffix);
            PathBuf::from(s)
        };
        DbPaths { main: main.to_path_buf(), wal: with_suffix("-wal"), lock: with_suffix(".lock"), temp: with_suffix(".tmp") }
    }
}

/// Display form of a path for error messages.
pub fn show(path: &Path) -> String {
    path.display().to_string()
}
