//! Where `snapshot`, `backup` and `restore` may write. Never over a file a database owns
//! (its `.vdb`, `-wal`, `.lock` or a temporary file), whatever path names it: paths are
//! compared after resolving links, and existing files by identity (device and inode), so a
//! hard link is caught too. An existing destination is replaced only when the caller says
//! so, and a database file is replaced under its writer lock, its old log removed with it.

use super::lock::LockFile;
use super::os::{path_identity, LockKind};
use super::{real_path, show, DbPaths};
use crate::error::{Code, Error, Result};
use std::path::{Path, PathBuf};

/// What `dest` is to the database `owned`, if it is one of its files.
fn owned_role(dest: &Path, owned: &DbPaths) -> Option<&'static str> {
    if dest == owned.main {
        return Some("the database file itself");
    }
    if dest == owned.wal {
        return Some("the database's WAL");
    }
    if dest == owned.lock {
        return Some("the database's lock file");
    }
    let in_dir = dest.parent() == Some(owned.dir());
    if in_dir && dest.file_name().and_then(|n| n.to_str()).is_some_and(|n| owned.is_temp_name(n)) {
        return Some("one of the database's temporary files");
    }
    let id = path_identity(dest)?;
    [(&owned.main, "the database file itself (another path to it)"), (&owned.wal, "the database's WAL (another path to it)"), (&owned.lock, "the database's lock file (another path to it)")]
        .into_iter()
        .find(|(p, _)| path_identity(p) == Some(id))
        .map(|(_, role)| role)
}

/// Checks a file destination (`what` names it in messages) against the database `owned`
/// (None when there is no open database, as for `restore`). Returns its real path.
/// `INVALID_ARGUMENT` for a file the database owns, a directory, or an existing file
/// without `overwrite`.
pub fn check_file(dest: &Path, owned: Option<&DbPaths>, overwrite: bool, what: &str) -> Result<PathBuf> {
    let shown = show(dest);
    let real = real_path(dest)?;
    if let Some(role) = owned.and_then(|o| owned_role(&real, o)) {
        return Err(Error::invalid(format!("{what} {shown} is {role}")));
    }
    if real.is_dir() {
        return Err(Error::invalid(format!("{what} {shown} is a directory")));
    }
    if real.exists() && !overwrite {
        return Err(Error::invalid(format!("{what} {shown} already exists (pass {{ overwrite: true }} to replace it)")));
    }
    Ok(real)
}

/// Runs `write`, which replaces or creates the database file `dest` (a real path from
/// `check_file`). When a database is there (the file or a log beside it), its writer lock
/// is held meanwhile (`LOCKED` if it is open for writing) and its log is removed first: the
/// new file is a database of its own, which the old log does not continue.
pub fn replace_database_file<T>(dest: &Path, write: impl FnOnce() -> Result<T>) -> Result<T> {
    let paths = DbPaths::new(dest);
    if !dest.exists() && !paths.wal.exists() {
        return write();
    }
    let _lock = LockFile::acquire(&paths.lock, LockKind::Exclusive).map_err(|e| match e.code {
        Code::Locked => Error::new(Code::Locked, format!("{} is open for writing: close it before replacing it", show(dest))),
        _ => e,
    })?;
    match std::fs::remove_file(&paths.wal) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Error::io("cannot remove", &show(&paths.wal), e)),
        _ => {}
    }
    write()
}

/// Deletes the database at `path`: under its writer lock (and the lock on the file itself),
/// so no handle can have it open for writing meanwhile, its `.vdb`, WAL and temporary
/// files, then the lock file. `LOCKED` while it is open for writing. Whether it existed.
pub fn drop_database(path: &Path) -> Result<bool> {
    let real = real_path(path)?;
    let paths = DbPaths::new(&real);
    let existed = real.is_file();
    if !existed && !paths.wal.exists() {
        return Ok(false);
    }
    let locked = |e: Error| match e.code {
        Code::Locked => Error::new(Code::Locked, format!("{} is open for writing: close it before dropping it", show(path))),
        _ => e,
    };
    let lock = LockFile::acquire(&paths.lock, LockKind::Exclusive).map_err(locked)?;
    let file_lock = if existed && !cfg!(windows) { Some(LockFile::acquire_existing(&real, LockKind::Exclusive).map_err(locked)?) } else { None };
    let remove = |p: &Path| match std::fs::remove_file(p) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("cannot remove", &show(p), e)),
        _ => Ok(()),
    };
    // The snapshot first: without it, what is left is no database.
    remove(&real)?;
    remove(&paths.wal)?;
    if let Ok(entries) = std::fs::read_dir(paths.dir()) {
        for entry in entries.flatten() {
            if entry.file_name().to_str().is_some_and(|n| paths.is_temp_name(n)) {
                remove(&entry.path())?;
            }
        }
    }
    drop(file_lock);
    // Windows removes no file another handle has open: the lock file goes after its lock.
    drop(lock);
    remove(&paths.lock)?;
    Ok(existed)
}

/// Checks a backup directory: not a file, and empty or absent, or (with `overwrite`) holding
/// only an earlier backup's files `names`, which are removed. Returns its real path.
pub fn prepare_backup_dir(dir: &Path, owned: &DbPaths, overwrite: bool, names: &[&str]) -> Result<PathBuf> {
    let shown = show(dir);
    let real = real_path(dir)?;
    if let Some(role) = owned_role(&real, owned) {
        return Err(Error::invalid(format!("backup directory {shown} is {role}")));
    }
    if !real.exists() {
        std::fs::create_dir_all(&real).map_err(|e| Error::io("cannot create backup directory", &shown, e))?;
        return Ok(real);
    }
    if !real.is_dir() {
        return Err(Error::invalid(format!("backup directory {shown} is a file")));
    }
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(&real).map_err(|e| Error::io("cannot read backup directory", &shown, e))? {
        let entry = entry.map_err(|e| Error::io("cannot read backup directory", &shown, e))?;
        entries.push(entry.file_name().to_string_lossy().into_owned());
    }
    if entries.is_empty() {
        return Ok(real);
    }
    if !overwrite {
        return Err(Error::invalid(format!("backup directory {shown} is not empty (pass {{ overwrite: true }} to replace a backup in it)")));
    }
    if let Some(other) = entries.iter().find(|e| !names.contains(&e.as_str())) {
        return Err(Error::invalid(format!("backup directory {shown} holds {other:?}, which is not part of a backup: not replaced")));
    }
    // The manifest first: a directory left without one is no backup, never a wrong one.
    for name in names {
        match std::fs::remove_file(real.join(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Error::io("cannot remove", &show(&real.join(name)), e)),
            _ => {}
        }
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_file_under_any_name_is_refused_and_an_existing_file_needs_overwrite() {
        let dir = std::env::temp_dir().join(format!("vl-dest-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let dir = std::fs::canonicalize(&dir).unwrap();
        let owned = DbPaths::new(&dir.join("app.vdb"));
        for p in [&owned.main, &owned.wal, &owned.lock] {
            std::fs::write(p, b"x").unwrap();
        }
        let refused = |dest: PathBuf| {
            let err = check_file(&dest, Some(&owned), true, "snapshot destination").unwrap_err();
            assert_eq!(err.code, Code::InvalidArgument, "{}: {}", dest.display(), err.message);
            err.message
        };
        assert!(refused(owned.main.clone()).contains("the database file itself"));
        assert!(refused(dir.join("sub/../app.vdb-wal")).contains("WAL"));
        assert!(refused(owned.lock.clone()).contains("lock file"));
        assert!(refused(owned.new_temp()).contains("temporary"));
        std::fs::hard_link(&owned.wal, dir.join("other-name")).unwrap();
        assert!(refused(dir.join("other-name")).contains("another path"));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&owned.wal, dir.join("link")).unwrap();
            assert!(refused(dir.join("link")).contains("WAL"));
        }
        std::fs::write(dir.join("taken.vdb"), b"x").unwrap();
        let err = check_file(&dir.join("taken.vdb"), Some(&owned), false, "snapshot destination").unwrap_err();
        assert!(err.message.contains("overwrite"), "{}", err.message);
        assert_eq!(check_file(&dir.join("taken.vdb"), Some(&owned), true, "d").unwrap(), dir.join("taken.vdb"));
        assert_eq!(check_file(&dir.join("new.vdb"), Some(&owned), false, "d").unwrap(), dir.join("new.vdb"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_database_is_dropped_only_when_no_writer_has_it() {
        use crate::db::{Database, OpenOptions};
        let dir = std::env::temp_dir().join(format!("vl-drop-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("gone.vdb");
        let db = Database::open(&path, OpenOptions { dimension: Some(2), ..Default::default() }).unwrap();
        std::fs::write(DbPaths::new(&path).new_temp(), b"").unwrap();
        assert_eq!(drop_database(&path).unwrap_err().code, Code::Locked);
        assert!(path.exists());
        drop(db);
        assert!(drop_database(&path).unwrap());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "every file of the database is gone");
        assert!(!drop_database(&path).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
