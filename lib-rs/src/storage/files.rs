//! The file operations a writer performs around its snapshot: refusing a path whose log an
//! older version kept elsewhere, locking the `.vdb` itself, removing stale temporaries, and
//! writing a file durably (temporary file, fsync, rename, fsync the directory).

use super::lock::LockFile;
use super::os::{self, LockKind};
use super::vfs::Vfs;
use super::{show, DbPaths};
use crate::error::{Code, Error, Result};
use std::path::Path;

/// Refuses to open through a path other than the file's real one (a symbolic link) when a
/// log sits beside that path: older versions kept the log beside the path they were given,
/// and its writes would be missed (the log beside the real path is the one read now).
pub(crate) fn refuse_log_beside_other_name(given: &Path, real: &Path) -> Result<()> {
    let given_wal = DbPaths::new(given).wal;
    let real_wal = DbPaths::new(real).wal;
    let Some(id) = os::path_identity(&given_wal) else { return Ok(()) };
    if os::path_identity(&real_wal) == Some(id) {
        return Ok(());
    }
    Err(Error::new(
        Code::Corrupt,
        format!(
            "{} is beside {}, a path to {}, whose log is {}: move it there (if that has no log of its own) or away, then open again",
            show(&given_wal),
            show(given),
            show(real),
            show(&real_wal)
        ),
    )
    .with_path(&show(&given_wal)))
}

/// Locks the snapshot file now at `path` (see `Database::file_lock`). Only on the real file
/// system, and not on Windows, where a lock over the file would stop readers (its locks
/// are mandatory); there, two writers through hard links are not excluded.
pub(crate) fn lock_snapshot_file(fs: &dyn Vfs, path: &Path) -> Result<Option<LockFile>> {
    if cfg!(windows) || !fs.is_real() {
        return Ok(None);
    }
    match LockFile::acquire_existing(path, LockKind::Exclusive) {
        Ok(lock) => Ok(Some(lock)),
        Err(e) if e.code == Code::Locked => Err(Error::new(
            Code::Locked,
            format!("{} is open for writing through another path to the same file (a hard link)", show(path)),
        )),
        Err(e) => Err(e),
    }
}

/// Removes the temporary files a process killed while writing a snapshot left beside the
/// database. Called under the writer's lock, so no live writer is using them; removing a
/// name removes a symbolic link itself, never what it points to.
pub(crate) fn remove_stale_temps(fs: &dyn Vfs, paths: &DbPaths) {
    if let Ok(names) = fs.list_dir(paths.dir()) {
        for name in names.iter().filter(|n| paths.is_temp_name(n)) {
            let _ = fs.remove(&paths.dir().join(name));
        }
    }
}

/// Writes `bytes` as the new main file: temp file, fsync, rename, fsync the directory.
pub fn write_atomically(fs: &dyn Vfs, paths: &DbPaths, bytes: &[u8]) -> Result<()> {
    let temp = paths.new_temp();
    write_file_durably(fs, &temp, bytes)?;
    rename_durably(fs, &temp, &paths.main)
}

/// Renames the finished temp file over `dest` and fsyncs the directory.
pub(crate) fn rename_durably(fs: &dyn Vfs, temp: &Path, dest: &Path) -> Result<()> {
    if let Err(e) = fs.rename(temp, dest) {
        let _ = fs.remove(temp); // the old file stays in place; the new one is dropped
        return Err(Error::io("cannot rename temp file over", &show(dest), e));
    }
    let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs.sync_dir(dir).map_err(|e| Error::io("cannot fsync directory", &show(dir), e))
}

/// Creates `path` (which must not exist) with `bytes` and fsyncs it; a failed write leaves
/// no file.
pub fn write_file_durably(fs: &dyn Vfs, path: &Path, bytes: &[u8]) -> Result<()> {
    let shown = show(path);
    let f = fs.create_new(path).map_err(|e| Error::io("cannot create", &shown, e))?;
    let done = f.write_at(bytes, 0).map_err(|e| Error::io("cannot write", &shown, e));
    let done = done.and_then(|_| f.sync().map_err(|e| Error::io("cannot fsync", &shown, e)));
    if done.is_err() {
        let _ = fs.remove(path);
    }
    done
}
