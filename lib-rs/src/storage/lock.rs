//! The advisory lock on `<name>.vdb.lock`: exclusive for a writer, so a database has one
//! writer at a time. Read-only handles take no lock (they read a consistent state beside
//! the writer, see `Database::open_in`); `LockKind::Shared` remains for tools that want to
//! keep writers out.
//! The lock lives in its own file because `compact` replaces the .vdb by rename, which
//! would silently drop a lock held on the old inode.

use super::os::{self, LockKind};
use crate::error::{Code, Error, Result};
use std::fs::{File, OpenOptions};
use std::path::Path;

pub struct LockFile {
    file: File,
}

impl LockFile {
    /// Takes the lock once, without waiting: `LOCKED` if another handle holds it.
    /// (Waiting with `lockTimeoutMs` happens in TypeScript, so the event loop stays free.)
    pub fn acquire(path: &Path, kind: LockKind) -> Result<LockFile> {
        // A database being dropped removes its lock file while holding the lock: whoever
        // locked that file meanwhile holds a lock on nothing, sees the name now points
        // elsewhere (or nowhere), and takes the lock again on the current file.
        let mut attempts = 0;
        loop {
            let lock = LockFile::acquire_once(path, kind)?;
            let current = os::file_identity(&lock.file).is_none() || os::file_identity(&lock.file) == os::path_identity(path);
            attempts += 1;
            if current || attempts >= 10 {
                return Ok(lock);
            }
        }
    }

    fn acquire_once(path: &Path, kind: LockKind) -> Result<LockFile> {
        let shown = super::show(path);
        let file = match OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path) {
            Ok(f) => f,
            // A reader in a read-only directory can still lock an existing lock file.
            Err(_) if kind == LockKind::Shared => {
                File::open(path).map_err(|e| Error::io("cannot open lock file", &shown, e))?
            }
            Err(e) => return Err(Error::io("cannot open lock file", &shown, e)),
        };
        match os::try_lock(&file, kind) {
            Ok(true) => Ok(LockFile { file }),
            Ok(false) => Err(Error::new(
                Code::Locked,
                format!(
                    "{shown} is locked by another {} (a database has one writer at a time; readOnly handles open beside it)",
                    if kind == LockKind::Exclusive { "writer" } else { "reader" }
                ),
            )),
            Err(e) => Err(Error::io("cannot lock", &shown, e)),
        }
    }
}

impl LockFile {
    /// Takes the lock on an existing file (a database's snapshot) without waiting: `LOCKED`
    /// if another open file holds it. Opened for writing (never created or truncated): on
    /// NFS an exclusive lock needs a file open for writing.
    pub fn acquire_existing(path: &Path, kind: LockKind) -> Result<LockFile> {
        let shown = super::show(path);
        let file = OpenOptions::new().read(true).write(true).open(path).map_err(|e| Error::io("cannot open", &shown, e))?;
        match os::try_lock(&file, kind) {
            Ok(true) => Ok(LockFile { file }),
            Ok(false) => Err(Error::new(Code::Locked, format!("{shown} is locked"))),
            Err(e) => Err(Error::io("cannot lock", &shown, e)),
        }
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        os::unlock(&self.file);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_exclude_and_readers_share() {
        let dir = std::env::temp_dir().join(format!("vl-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.vdb.lock");
        let writer = LockFile::acquire(&path, LockKind::Exclusive).unwrap();
        assert_eq!(LockFile::acquire(&path, LockKind::Exclusive).err().unwrap().code, Code::Locked);
        assert_eq!(LockFile::acquire(&path, LockKind::Shared).err().unwrap().code, Code::Locked);
        drop(writer);
        let r1 = LockFile::acquire(&path, LockKind::Shared).unwrap();
        let r2 = LockFile::acquire(&path, LockKind::Shared).unwrap();
        assert_eq!(LockFile::acquire(&path, LockKind::Exclusive).err().unwrap().code, Code::Locked);
        // Windows removes no directory while a file in it is open: close every handle first.
        drop((r1, r2));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
