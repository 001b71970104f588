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

/// The first bytes of the file at `path` (fewer if it is shorter), or None if unreadable.
fn head(path: &Path, n: usize) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(n);
    std::fs::File::open(path).ok()?.take(n as u64).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// Checks a file destination (`what` names it in messages) against the database `owned`
/// (None when there is no open database, as for `restore`). Returns its real path.
/// `INVALID_ARGUMENT` for a file the database owns, a directory, an existing file without
/// `overwrite` or one that is not a vectlite database, and a destination whose own log or
/// lock name (`<dest>-wal`, `<dest>.lock`) is taken by something that is not its log or lock.
pub fn check_file(dest: &Path, owned: Option<&DbPaths>, overwrite: bool, what: &str) -> Result<PathBuf> {
    let shown = show(dest);
    let real = real_path(dest)?;
    if let Some(role) = owned.and_then(|o| owned_role(&real, o)) {
        return Err(Error::invalid(format!("{what} {shown} is {role}")));
    }
    if real.is_dir() {
        return Err(Error::invalid(format!("{what} {shown} is a directory")));
    }
    if real.exists() {
        if !overwrite {
            return Err(Error::invalid(format!("{what} {shown} already exists (pass {{ overwrite: true }} to replace it)")));
        }
        if head(&real, 8).as_deref() != Some(&super::format::MAGIC[..]) {
            return Err(Error::invalid(format!("{what} {shown} exists and is not a vectlite database: not replaced")));
        }
    }
    // The destination's log is removed and its lock file taken when it is replaced: neither
    // name may hold anything else (another database's file, this database's own).
    let paths = DbPaths::new(&real);
    for (sibling, kind) in [(&paths.wal, "WAL"), (&paths.lock, "lock file")] {
        if let Some(role) = owned.and_then(|o| owned_role(sibling, o)) {
            return Err(Error::invalid(format!("{what} {shown}: its {kind} name {} is {role}", show(sibling))));
        }
        let Some(bytes) = sibling.exists().then(|| head(sibling, 8)).flatten() else { continue };
        let fits = match kind {
            "WAL" => bytes.is_empty() || super::wal::MAGIC.starts_with(&bytes) || bytes.starts_with(super::wal::MAGIC),
            _ => bytes.is_empty(),
        };
        if !fits {
            return Err(Error::invalid(format!("{what} {shown}: {} exists and is not a vectlite {kind}: nothing written", show(sibling))));
        }
    }
    Ok(real)
}

/// Takes a database's writer locks: its lock file, and (unix) the `.vdb` itself if it
/// exists. `LOCKED`, saying `doing`, while a handle has it open for writing.
fn lock_database(paths: &DbPaths, doing: &str) -> Result<(LockFile, Option<LockFile>)> {
    let locked = |e: Error| match e.code {
        Code::Locked => Error::new(Code::Locked, format!("{} is open for writing: close it before {doing} it", show(&paths.main))),
        _ => e,
    };
    let lock = LockFile::acquire(&paths.lock, LockKind::Exclusive).map_err(locked)?;
    let file_lock = match paths.main.is_file() && !cfg!(windows) {
        true => Some(LockFile::acquire_existing(&paths.main, LockKind::Exclusive).map_err(locked)?),
        false => None,
    };
    Ok((lock, file_lock))
}

fn remove_if_there(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("cannot remove", &show(path), e)),
        _ => Ok(()),
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    super::os::sync_dir(dir).map_err(|e| Error::io("cannot fsync directory", &show(dir), e))
}

/// Writes a new database file at `dest` (a real path from `check_file`), replacing what is
/// there: `write` fills a fresh temporary file beside it (and syncs it), which is then
/// renamed over `dest`; only after that is the old database's log removed. Under the
/// destination's writer lock throughout (`LOCKED` while it is open for writing), so no
/// writer can open it meanwhile. A failure before the rename leaves the old database as it
/// was; a crash between the rename and the log's removal leaves a log of another database
/// beside the new file, which opening refuses (`CORRUPT`, naming both), never replays.
pub fn replace_database_file<T>(dest: &Path, write: impl FnOnce(&Path) -> Result<T>) -> Result<T> {
    let paths = DbPaths::new(dest);
    let lock_was_there = paths.lock.exists();
    let _locks = lock_database(&paths, "replacing")?;
    let temp = paths.new_temp();
    let written = write(&temp).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
        // Nothing is left that was not there: not even the lock file this call created
        // (removed while still held, as `drop_database` does, so an opener retries).
        if !lock_was_there && !cfg!(windows) {
            let _ = std::fs::remove_file(&paths.lock);
        }
    })?;
    if let Err(e) = std::fs::rename(&temp, dest) {
        let _ = std::fs::remove_file(&temp);
        return Err(Error::io("cannot rename temp file over", &show(dest), e));
    }
    sync_dir(paths.dir())?;
    if paths.wal.exists() {
        remove_if_there(&paths.wal)?;
        sync_dir(paths.dir())?;
    }
    Ok(written)
}

/// Deletes the database at `path`: under its writer locks, so no handle can have it open
/// for writing meanwhile, its `.vdb`, WAL and temporary files, then its lock file (while
/// still holding it: an opener that locked the old file sees it was removed, and retries).
/// `LOCKED` while it is open for writing. Whether it existed.
pub fn drop_database(path: &Path) -> Result<bool> {
    let real = real_path(path)?;
    let paths = DbPaths::new(&real);
    let existed = real.is_file();
    if !existed && !paths.wal.exists() {
        return Ok(false);
    }
    let _locks = lock_database(&paths, "dropping")?;
    // The snapshot first: without it, what is left is no database.
    remove_if_there(&real)?;
    remove_if_there(&paths.wal)?;
    if let Ok(entries) = std::fs::read_dir(paths.dir()) {
        for entry in entries.flatten() {
            if entry.file_name().to_str().is_some_and(|n| paths.is_temp_name(n)) {
                remove_if_there(&entry.path())?;
            }
        }
    }
    // Windows removes no file a handle has open: there the lock file stays (empty).
    if !cfg!(windows) {
        remove_if_there(&paths.lock)?;
    }
    sync_dir(paths.dir())?;
    Ok(existed)
}

/// A backup directory checked by `prepare_backup_dir`.
pub struct BackupDir {
    /// Its real path.
    pub path: PathBuf,
    /// The directories `prepare_backup_dir` created, the backup directory first, up to the
    /// outermost (a failed backup removes them again).
    pub created: Vec<PathBuf>,
}

impl BackupDir {
    /// Removes the directories `prepare_backup_dir` created (those still empty).
    pub fn remove_created(&self) {
        for dir in &self.created {
            if std::fs::remove_dir(dir).is_err() {
                return;
            }
        }
    }
}

/// Checks a backup directory: not a file, and empty or absent (then created), or (with
/// `overwrite`) holding only files named in `names` (an earlier backup, which the new one
/// replaces only once it is whole).
pub fn prepare_backup_dir(dir: &Path, owned: &DbPaths, overwrite: bool, names: &[&str]) -> Result<BackupDir> {
    let shown = show(dir);
    let real = real_path(dir)?;
    if let Some(role) = owned_role(&real, owned) {
        return Err(Error::invalid(format!("backup directory {shown} is {role}")));
    }
    if !real.exists() {
        let created: Vec<PathBuf> = real.ancestors().take_while(|a| !a.exists()).map(Path::to_path_buf).collect();
        std::fs::create_dir_all(&real).map_err(|e| Error::io("cannot create backup directory", &shown, e))?;
        return Ok(BackupDir { path: real, created });
    }
    if !real.is_dir() {
        return Err(Error::invalid(format!("backup directory {shown} is a file")));
    }
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(&real).map_err(|e| Error::io("cannot read backup directory", &shown, e))? {
        let entry = entry.map_err(|e| Error::io("cannot read backup directory", &shown, e))?;
        entries.push(entry.file_name().to_string_lossy().into_owned());
    }
    if !entries.is_empty() && !overwrite {
        return Err(Error::invalid(format!("backup directory {shown} is not empty (pass {{ overwrite: true }} to replace a backup in it)")));
    }
    if let Some(other) = entries.iter().find(|e| !names.contains(&e.as_str())) {
        return Err(Error::invalid(format!("backup directory {shown} holds {other:?}, which is not part of a backup: not replaced")));
    }
    Ok(BackupDir { path: real, created: Vec::new() })
}

/// Removes `path` if it exists.
pub fn remove_file_if_there(path: &Path) -> Result<()> {
    remove_if_there(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_file_under_any_name_is_refused_and_an_existing_file_needs_overwrite() {
        let dir = std::env::temp_dir().join(format!("vl-dest-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        // Resolved as the database resolves its own path (on Windows without the verbatim prefix).
        let dir = real_path(&dir).unwrap();
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
        // With overwrite, only a vectlite database is replaced.
        assert!(check_file(&dir.join("taken.vdb"), Some(&owned), true, "d").unwrap_err().message.contains("not a vectlite database"));
        std::fs::write(dir.join("taken.vdb"), b"VECTLITE and the rest").unwrap();
        assert_eq!(check_file(&dir.join("taken.vdb"), Some(&owned), true, "d").unwrap(), dir.join("taken.vdb"));
        // A destination whose log name is taken by something else (here the database's own
        // file, through a name ending in -wal) is refused, whatever the destination itself is.
        let odd = DbPaths::new(&dir.join("b-wal"));
        std::fs::write(&odd.main, b"VECTLITE").unwrap();
        let err = check_file(&dir.join("b"), Some(&odd), false, "snapshot destination").unwrap_err();
        assert!(err.message.contains("WAL name") && err.message.contains("the database file itself"), "{}", err.message);
        std::fs::write(dir.join("c-wal"), b"not a log").unwrap();
        assert!(check_file(&dir.join("c"), None, false, "d").unwrap_err().message.contains("is not a vectlite WAL"));
        assert_eq!(check_file(&dir.join("new.vdb"), Some(&owned), false, "d").unwrap(), dir.join("new.vdb"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_replacement_that_fails_before_its_rename_leaves_the_old_database_and_its_log() {
        use crate::db::{Database, OpenOptions};
        use crate::json::Json;
        use crate::record::{Record, Upsert};
        let dir = std::env::temp_dir().join(format!("vl-replace-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("old.vdb");
        let up = |id: &str| Upsert { namespace: String::new(), record: Record { id: id.into(), metadata: Json::Object(vec![]), sparse: vec![], vectors: vec![] }, vector: vec![1.0, 2.0].into(), expires_at: None, multi: Vec::new() };
        let mut db = Database::open(&path, OpenOptions { dimension: Some(2), ..Default::default() }).unwrap();
        db.upsert_many(vec![up("in-wal")], false).unwrap();
        drop(db);
        let before = (std::fs::read(&path).unwrap(), std::fs::read(DbPaths::new(&path).wal).unwrap());
        let err = replace_database_file(&path, |temp| -> Result<()> {
            std::fs::write(temp, b"half").unwrap();
            Err(Error::new(Code::Io, "the disk filled up"))
        })
        .unwrap_err();
        assert_eq!(err.message, "the disk filled up");
        assert_eq!((std::fs::read(&path).unwrap(), std::fs::read(DbPaths::new(&path).wal).unwrap()), before, "the old database changed");
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).filter(|n| n.to_string_lossy().ends_with(".tmp")).collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
        let db = Database::open(&path, OpenOptions::default()).unwrap();
        assert!(db.namespaces[""].contains("in-wal"));
        drop(db);
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
        // Windows removes no file a handle has open: there the (empty) lock file stays.
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        let expected: Vec<String> = if cfg!(windows) { vec!["gone.vdb.lock".into()] } else { vec![] };
        assert_eq!(left, expected, "every file of the database is gone");
        assert!(!drop_database(&path).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
