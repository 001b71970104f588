//! Backups and restore. A backup is a directory holding `data.vdb` (a consistent snapshot,
//! indexes included) and `manifest.json` (written last) with the size and CRC32C of every
//! file. `restore` verifies everything before it writes a single byte at the destination.

use crate::checksum::crc32c_append;
use crate::db::{write_file_durably, Database};
use crate::storage::vfs::OsVfs;
use crate::error::{Code, Error, Result};
use crate::json::{self, Json};
use crate::progress::{self, Phase, Tally};
use crate::storage::{destination, format, os, show};
use std::path::Path;

pub const MANIFEST: &str = "manifest.json";
pub const DATA: &str = "data.vdb";
const KIND: &str = "vectlite-backup";
const VERSION: f64 = 1.0;

/// Writes a full backup of `db` into `dir` (created if missing; it must be empty, or with
/// `overwrite` hold only an earlier backup). The new files are written under temporary
/// names and replace an earlier backup only once whole: a failure or an aborted job before
/// that leaves the directory as it was (removed again if this call created it).
pub fn backup(db: &Database, dir: &Path, overwrite: bool) -> Result<Json> {
    let (data_tmp, manifest_tmp) = (format!("{DATA}.tmp"), format!("{MANIFEST}.tmp"));
    let target = destination::prepare_backup_dir(dir, db.paths(), overwrite, &[MANIFEST, &manifest_tmp, DATA, &data_tmp])?;
    let temps = [target.path.join(&data_tmp), target.path.join(&manifest_tmp)];
    let written = temps.iter().try_for_each(|t| destination::remove_file_if_there(t)).and_then(|_| write_backup(db, &target.path, &temps));
    if written.is_err() {
        for temp in &temps {
            let _ = std::fs::remove_file(temp);
        }
        target.remove_created();
    }
    written
}

fn write_backup(db: &Database, dir: &Path, [data_tmp, manifest_tmp]: &[std::path::PathBuf; 2]) -> Result<Json> {
    let shown = show(dir);
    // A backup (and each database restored from it) is a database of its own: its log can
    // never be mistaken for the original's.
    let (len, crc) = db.write_snapshot_file(data_tmp, format::SnapshotIdentity::new_database())?;
    let manifest = Json::Object(vec![
        ("kind".into(), Json::String(KIND.into())),
        ("version".into(), Json::Number(VERSION)),
        ("library".into(), Json::String(env!("CARGO_PKG_VERSION").into())),
        ("createdMs".into(), Json::Number(now_ms())),
        ("dimension".into(), Json::Number(db.dimension as f64)),
        ("metric".into(), Json::String(db.metric.name().into())),
        ("records".into(), Json::Number(db.total_records() as f64)),
        (
            "files".into(),
            Json::Array(vec![Json::Object(vec![
                ("name".into(), Json::String(DATA.into())),
                ("bytes".into(), Json::Number(len as f64)),
                ("crc32c".into(), Json::Number(crc as f64)),
            ])]),
        ),
    ]);
    write_file_durably(&OsVfs, manifest_tmp, manifest.to_json().as_bytes())?;
    // The last moment to abort: from here on the new backup replaces the old one.
    progress::check("backup")?;
    // The old manifest first: a directory left without one is no backup, never a wrong one.
    destination::remove_file_if_there(&dir.join(MANIFEST))?;
    std::fs::rename(data_tmp, dir.join(DATA)).map_err(|e| Error::io("cannot write data in", &shown, e))?;
    std::fs::rename(manifest_tmp, dir.join(MANIFEST)).map_err(|e| Error::io("cannot write manifest in", &shown, e))?;
    os::sync_dir(dir).map_err(|e| Error::io("cannot fsync", &shown, e))?;
    Ok(manifest)
}

fn now_ms() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_millis() as f64)
}

/// Verifies the backup in `dir` and writes its database at `dest`, which must not exist
/// unless `overwrite` (then it is replaced under its writer lock, its log removed).
pub fn restore(dir: &Path, dest: &Path, overwrite: bool) -> Result<()> {
    let shown = show(dir);
    if !dir.is_dir() {
        return Err(Error::new(Code::NotFound, format!("backup directory {shown} does not exist")));
    }
    let manifest_path = dir.join(MANIFEST);
    let manifest_shown = show(&manifest_path);
    let text = std::fs::read(&manifest_path)
        .map_err(|_| Error::new(Code::Corrupt, format!("{shown} is not a vectlite backup (no readable {MANIFEST})")))?;
    let manifest = json::parse(&text, "backup manifest").map_err(|e| Error::corrupt(&manifest_shown, 0, e.message))?;
    if manifest.get("kind").and_then(|k| k.as_str()) != Some(KIND) {
        return Err(Error::corrupt(&manifest_shown, 0, "not a vectlite backup manifest"));
    }
    if manifest.get("version").and_then(|v| v.as_f64()).is_none_or(|v| v > VERSION) {
        return Err(Error::corrupt(&manifest_shown, 0, "unsupported backup version"));
    }
    let files = manifest.get("files").and_then(|f| f.as_array()).ok_or_else(|| Error::corrupt(&manifest_shown, 0, "no file list"))?;
    let entry = files
        .iter()
        .find(|f| f.get("name").and_then(|n| n.as_str()) == Some(DATA))
        .ok_or_else(|| Error::corrupt(&manifest_shown, 0, format!("{DATA} is not listed")))?;
    let data_path = dir.join(DATA);
    let data_shown = show(&data_path);
    let bytes = std::fs::read(&data_path).map_err(|e| Error::new(Code::Corrupt, format!("{data_shown}: cannot read ({e})")))?;
    let want_len = entry.get("bytes").and_then(|b| b.as_f64());
    let want_crc = entry.get("crc32c").and_then(|c| c.as_f64());
    if want_len != Some(bytes.len() as f64) {
        return Err(Error::corrupt(&data_shown, bytes.len() as u64, "size differs from the manifest"));
    }
    if want_crc != Some(verify_crc(&bytes)? as f64) {
        return Err(Error::corrupt(&data_shown, 0, "checksum differs from the manifest"));
    }
    let mut bytes = bytes;
    let snap = format::decode(&bytes, &data_shown)?;
    progress::check("restore")?;
    let records: usize = snap.namespaces.iter().map(|n| n.records.len()).sum();
    if manifest.get("records").and_then(|r| r.as_f64()) != Some(records as f64) {
        return Err(Error::corrupt(&manifest_shown, 0, "record count differs from the data"));
    }
    let real = destination::check_file(dest, None, overwrite, "restore destination")?;
    if os::path_identity(&real).is_some() && os::path_identity(&real) == os::path_identity(&data_path) {
        return Err(Error::invalid(format!("restore destination {} is the backup's own data file", show(dest))));
    }
    // Each restored copy is a database of its own (a version 1 file has no identity to renew).
    format::restamp(&mut bytes, format::SnapshotIdentity::new_database());
    destination::replace_database_file(&real, |temp| {
        write_reporting(temp, &bytes)?;
        // The last moment to abort: the file is renamed over the destination next.
        progress::check("restore")
    })
}

/// Bytes between two progress reports (and checks for cancellation) of a restore.
const RESTORE_STEP: usize = 8 << 20;

/// The CRC32C of `bytes`, reported as the `verify` phase.
fn verify_crc(bytes: &[u8]) -> Result<u32> {
    let mut tally = Tally::new(Phase::Verify, Some(bytes.len() as u64));
    let mut crc = 0;
    for chunk in bytes.chunks(RESTORE_STEP) {
        crc = crc32c_append(crc, chunk);
        if !tally.add(chunk.len() as u64) {
            return Err(progress::aborted("restore"));
        }
    }
    Ok(crc)
}

/// Creates `path` with `bytes` and fsyncs it, reported as the `write` phase; a failed or
/// aborted write leaves no file.
fn write_reporting(path: &Path, bytes: &[u8]) -> Result<()> {
    let shown = show(path);
    let file = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(|e| Error::io("cannot create", &shown, e))?;
    let mut tally = Tally::new(Phase::Write, Some(bytes.len() as u64));
    let written = bytes.chunks(RESTORE_STEP).try_for_each(|chunk| {
        use std::io::Write;
        (&file).write_all(chunk).map_err(|e| Error::io("cannot write", &shown, e))?;
        if tally.add(chunk.len() as u64) { Ok(()) } else { Err(progress::aborted("restore")) }
    });
    let written = written.and_then(|_| file.sync_all().map_err(|e| Error::io("cannot fsync", &shown, e)));
    if written.is_err() {
        drop(file);
        let _ = std::fs::remove_file(path);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::OpenOptions;
    use crate::record::{Record, Upsert};
    use crate::storage::wal::SyncMode;

    #[test]
    fn round_trips_and_refuses_tampering() {
        let dir = std::env::temp_dir().join(format!("vl-backup-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let opts = OpenOptions { dimension: Some(2), metric: None, read_only: false, sync: SyncMode::Full, ..Default::default() };
        let mut db = Database::open(&dir.join("a.vdb"), opts.clone()).unwrap();
        let rec = Record { id: "x".into(), metadata: Json::Object(vec![]), sparse: vec![], vectors: vec![] };
        db.upsert_many(vec![Upsert { namespace: String::new(), record: rec, vector: vec![1.0, 2.0].into(), expires_at: None, multi: Vec::new() }], false).unwrap();
        backup(&db, &dir.join("bk"), false).unwrap();
        assert_eq!(backup(&db, &dir.join("bk"), false).unwrap_err().code, Code::InvalidArgument);
        restore(&dir.join("bk"), &dir.join("b.vdb"), false).unwrap();
        let restored = Database::open(&dir.join("b.vdb"), OpenOptions { dimension: None, ..opts }).unwrap();
        assert_eq!(restored.total_records(), 1);
        let mut data = std::fs::read(dir.join("bk").join(DATA)).unwrap();
        data[100] ^= 1;
        std::fs::write(dir.join("bk").join(DATA), &data).unwrap();
        assert_eq!(restore(&dir.join("bk"), &dir.join("c.vdb"), false).unwrap_err().code, Code::Corrupt);
        assert!(!dir.join("c.vdb").exists());
        // Windows removes no directory while a file in it is open: close every handle first.
        drop((db, restored));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
