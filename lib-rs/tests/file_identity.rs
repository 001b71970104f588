//! Which file a database is: every path to one file (a symbolic link, a hard link, a
//! relative path) reaches the same writer lock, and a log is replayed only onto the
//! snapshot it belongs with. Each case opens to exactly a committed state or is refused
//! with a code naming the files.

use std::path::{Path, PathBuf};
use vectlite::db::{Database, OpenOptions};
use vectlite::error::Code;
use vectlite::json::Json;
use vectlite::record::{Record, Upsert};
use vectlite::storage::wal::SyncMode;

mod common;
use common::TempPath;

fn temp_dir(name: &str) -> TempPath {
    TempPath::dir(&format!("vl-ident-{name}"))
}

fn opts(dimension: Option<usize>) -> OpenOptions {
    OpenOptions { dimension, sync: SyncMode::Full, ..Default::default() }
}

fn upsert(id: &str) -> Upsert<'static> {
    Upsert {
        namespace: String::new(),
        record: Record { id: id.into(), metadata: Json::Object(vec![]), sparse: vec![], vectors: vec![] },
        vector: vec![1.0, 2.0].into(),
        expires_at: None,
        multi: Vec::new(),
    }
}

fn write(db: &mut Database, id: &str) {
    db.upsert_many(vec![upsert(id)], false).unwrap();
}

fn ids(path: &Path) -> Vec<String> {
    let db = Database::open(path, OpenOptions { read_only: true, ..opts(None) }).unwrap();
    let mut out: Vec<String> = db.namespaces.values().flat_map(|ns| ns.iter().map(|(_, r)| r.id.clone()).collect::<Vec<_>>()).collect();
    out.sort();
    out
}

fn wal_of(path: &Path) -> PathBuf {
    PathBuf::from(format!("{}-wal", path.display()))
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_a_hard_link_and_a_relative_path_reach_the_same_writer() {
    let dir = temp_dir("links");
    let real = dir.join("real.vdb");
    let mut writer = Database::open(&real, opts(Some(2))).unwrap();
    write(&mut writer, "x");
    std::os::unix::fs::symlink(&real, dir.join("sym.vdb")).unwrap();
    std::fs::hard_link(&real, dir.join("hard.vdb")).unwrap();
    let dotted = dir.join("sub").join("..").join("real.vdb");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    for other in [dir.join("sym.vdb"), dir.join("hard.vdb"), dotted] {
        let err = Database::open(&other, opts(None)).err().unwrap_or_else(|| panic!("{} opened a second writer", other.display()));
        assert_eq!(err.code, Code::Locked, "{}: {}", other.display(), err.message);
    }
    // No second log was started beside the other names.
    assert!(!dir.join("sym.vdb-wal").exists() && !dir.join("hard.vdb-wal").exists());
    drop(writer);
    // Through the link, the writes land in the real database's log.
    let mut via_link = Database::open(&dir.join("sym.vdb"), opts(None)).unwrap();
    write(&mut via_link, "y");
    drop(via_link);
    assert_eq!(ids(&real), ["x", "y"]);
    assert!(std::fs::symlink_metadata(dir.join("sym.vdb")).unwrap().file_type().is_symlink(), "the link is still a link");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_log_from_another_database_is_refused_naming_both_files() {
    let dir = temp_dir("foreign");
    let (a, b) = (dir.join("a.vdb"), dir.join("b.vdb"));
    let mut da = Database::open(&a, opts(Some(2))).unwrap();
    let mut db = Database::open(&b, opts(Some(2))).unwrap();
    write(&mut da, "a1");
    write(&mut db, "b1");
    drop((da, db));
    std::fs::copy(wal_of(&b), wal_of(&a)).unwrap();
    let err = Database::open(&a, opts(None)).err().expect("a foreign log was replayed");
    assert_eq!(err.code, Code::Corrupt);
    assert!(err.message.contains("a.vdb-wal") && err.message.contains("a.vdb ") && err.message.contains("another database"), "{}", err.message);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_older_copy_of_the_file_beside_a_newer_log_is_refused() {
    let dir = temp_dir("older");
    let path = dir.join("app.vdb");
    let mut db = Database::open(&path, opts(Some(2))).unwrap();
    write(&mut db, "x1");
    db.compact().unwrap();
    std::fs::copy(&path, dir.join("old.vdb")).unwrap();
    write(&mut db, "x2");
    db.compact().unwrap();
    write(&mut db, "z1");
    drop(db);
    std::fs::copy(dir.join("old.vdb"), &path).unwrap();
    let err = Database::open(&path, opts(None)).err().expect("an older file opened beside a newer log");
    assert_eq!(err.code, Code::Corrupt);
    assert!(err.message.contains("older"), "{}", err.message);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_log_whose_frames_are_all_in_the_snapshot_opens_takes_writes_and_reopens() {
    let dir = temp_dir("folded");
    let path = dir.join("app.vdb");
    let mut db = Database::open(&path, opts(Some(2))).unwrap();
    write(&mut db, "a");
    write(&mut db, "b");
    let log = std::fs::read(wal_of(&path)).unwrap();
    db.compact().unwrap();
    drop(db);
    // The log of before the compaction, beside the snapshot that holds all of it.
    std::fs::write(wal_of(&path), &log).unwrap();
    for round in 0..3 {
        let mut db = Database::open(&path, opts(None)).unwrap();
        write(&mut db, &format!("c{round}"));
    }
    assert_eq!(ids(&path), ["a", "b", "c0", "c1", "c2"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn a_planted_symbolic_link_at_a_temporary_name_is_never_written_through() {
    let dir = temp_dir("tmp-link");
    let path = dir.join("app.vdb");
    let outside = dir.join("outside.txt");
    std::fs::write(&outside, b"keep me").unwrap();
    // The fixed temporary name older versions used, and a stale random one.
    std::os::unix::fs::symlink(&outside, dir.join("app.vdb.tmp")).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("app.vdb.89abcdef.tmp")).unwrap();
    let mut db = Database::open(&path, opts(Some(2))).unwrap();
    write(&mut db, "a");
    db.compact().unwrap();
    drop(db);
    assert_eq!(std::fs::read(&outside).unwrap(), b"keep me");
    assert!(std::fs::symlink_metadata(&path).unwrap().file_type().is_file(), "app.vdb is a plain file");
    let left: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).filter(|n| n.ends_with(".tmp")).collect();
    assert!(left.is_empty(), "stale temporary names left: {left:?}");
    assert_eq!(ids(&path), ["a"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Copies the committed format 1 fixture into a fresh directory.
fn version_1_fixture(name: &str) -> TempPath {
    let path = TempPath::file(&format!("vl-ident-{name}"), "app.vdb");
    for file in ["app.vdb", "app.vdb-wal"] {
        std::fs::copy(format!("{}/../tests/fixtures/format-v1/{file}", env!("CARGO_MANIFEST_DIR")), path.with_file_name(file)).unwrap();
    }
    path
}

#[cfg(unix)]
#[test]
fn a_version_1_file_upgraded_at_open_keeps_its_writer_locks_and_starts_a_fresh_log() {
    let path = version_1_fixture("upgrade-lock");
    let mut db = Database::open(&path, opts(None)).unwrap();
    let wal = std::fs::read(wal_of(&path)).unwrap();
    assert_eq!(u32::from_le_bytes(wal[8..12].try_into().unwrap()), 2, "the log was started afresh in the current version");
    let mut after = upsert("after");
    after.vector = vec![0.0, 0.0, -1.0, 0.0].into();
    db.upsert_many(vec![after], false).unwrap();
    std::fs::hard_link(&path, path.with_file_name("hard.vdb")).unwrap();
    let err = Database::open(&path.with_file_name("hard.vdb"), opts(None)).err().expect("a second writer through a hard link");
    assert_eq!(err.code, Code::Locked);
    drop(db);
    assert!(ids(&path).contains(&"after".to_string()));
    assert_eq!(ids(&path).len(), 22);
}

#[cfg(unix)]
#[test]
fn a_log_an_older_version_kept_beside_a_symbolic_link_is_not_missed() {
    let path = version_1_fixture("old-link");
    let link = path.with_file_name("link.vdb");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    std::fs::rename(wal_of(&path), wal_of(&link)).unwrap();
    let err = Database::open(&link, opts(None)).err().expect("opened without the log beside the link");
    assert_eq!(err.code, Code::Corrupt);
    assert!(err.message.contains("link.vdb-wal") && err.message.contains("app.vdb-wal"), "{}", err.message);
    // Moved where it belongs, it is read.
    std::fs::rename(wal_of(&link), wal_of(&path)).unwrap();
    assert_eq!(ids(&link).len(), 21);
}
