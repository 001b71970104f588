//! Backups and restore. A backup is a directory holding `data.vdb` (a consistent snapshot,
//! indexes included) and `manifest.json` (written last) with the size and CRC32C of every
//! file. `restore` verifies everything before it writes a single byte at the destination.

use crate::checksum::crc32c;
use crate::db::{write_file_durably, Database};
use crate::storage::vfs::OsVfs;
use crate::error::{Code, Error, Result};
use crate::json::{self, Json};
use crate::storage::{destination, format, os, show};
use std::path::Path;

pub const MANIFEST: &str = "manifest.json";
pub const DATA: &str = "data.vdb";
const KIND: &str = "vectlite-backup";
const VERSION: f64 = 1.0;

/// Writes a full backup of `db` into `dir` (created if missing; it must be empty, or with
/// `overwrite` hold only an earlier backup, which is replaced).
pub fn backup(db: &Database, dir: &Path, overwrite: bool) -> Result<Json> {
    let shown = show(dir);
    let manifest_tmp = format!("{MANIFEST}.tmp");
    let dir = &destination::prepare_backup_dir(dir, db.paths(), overwrite, &[MANIFEST, &manifest_tmp, DATA])?;
    // A backup (and each database restored from it) is a database of its own: its log can
    // never be mistaken for the original's.
    let (len, crc) = db.write_snapshot_file(&dir.join(DATA), format::SnapshotIdentity::new_database())?;
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
    let tmp = dir.join(manifest_tmp);
    write_file_durably(&OsVfs, &tmp, manifest.to_json().as_bytes())?;
    std::fs::rename(&tmp, dir.join(MANIFEST)).map_err(|e| Error::io("cannot write manifest in", &shown, e))?;
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
    if want_crc != Some(crc32c(&bytes) as f64) {
        return Err(Error::corrupt(&data_shown, 0, "checksum differs from the manifest"));
    }
    let mut bytes = bytes;
    let snap = format::decode(&bytes, &data_shown)?;
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
    destination::replace_database_file(&real, |temp| write_file_durably(&OsVfs, temp, &bytes))
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
        db.upsert_many(vec![Upsert { namespace: String::new(), record: rec, vector: vec![1.0, 2.0].into() }], false).unwrap();
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
