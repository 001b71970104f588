//! Cross-module tests of a database's life: writes, reopen, compaction, recovery after a
//! crash between compaction steps, and the model check that a reopened database equals
//! what was committed.

use std::collections::BTreeMap;
use vectlite::db::{Database, OpenOptions};
use vectlite::error::Code;
use vectlite::json::Json;
use vectlite::record::{Record, Upsert};
use vectlite::search::{self, options::{NamespaceSelection, SearchOptions}};
use vectlite::storage::wal::SyncMode;
use vectlite::vector::Metric;

mod common;
use common::TempPath;

fn temp_path(name: &str) -> TempPath {
    TempPath::file(&format!("vl-it-{name}"), "db.vdb")
}

fn opts(dimension: Option<usize>) -> OpenOptions {
    OpenOptions { dimension, metric: Some(Metric::L2), read_only: false, sync: SyncMode::Full, ..Default::default() }
}

fn upsert(ns: &str, id: &str, v: [f32; 2], n: f64) -> Upsert<'static> {
    Upsert {
        namespace: ns.into(),
        record: Record {
            id: id.into(),
            metadata: Json::Object(vec![("n".into(), Json::Number(n))]),
            sparse: vec![],
            vectors: vec![],
        },
        vector: v.to_vec().into(),
        expires_at: None,
        multi: Vec::new(),
    }
}

/// Everything observable about the database: (namespace, id) -> (n, vector).
fn contents(db: &Database) -> BTreeMap<(String, String), (f64, Vec<f32>)> {
    let mut out = BTreeMap::new();
    for (name, ns) in &db.namespaces {
        for (slot, r) in ns.iter() {
            let n = r.metadata.get("n").and_then(|v| v.as_f64()).unwrap();
            out.insert((name.clone(), r.id.clone()), (n, ns.vector(slot).to_vec()));
        }
    }
    out
}

#[test]
fn survives_reopen_and_compaction_with_identical_contents() {
    let path = temp_path("reopen");
    let mut db = Database::open(&path, opts(Some(2))).unwrap();
    let mut model = BTreeMap::new();
    for i in 0..200u32 {
        let ns = if i % 3 == 0 { "a" } else { "" };
        let id = format!("id{}", i % 70);
        let v = [i as f32, (i % 7) as f32];
        db.upsert_many(vec![upsert(ns, &id, v, i as f64)], false).unwrap();
        model.insert((ns.to_string(), id), (i as f64, v.to_vec()));
        if i % 11 == 0 {
            let victim = format!("id{}", (i * 7) % 70);
            db.delete_many("", std::slice::from_ref(&victim)).unwrap();
            model.remove(&(String::new(), victim));
        }
        if i == 120 {
            db.compact().unwrap();
        }
    }
    assert_eq!(contents(&db), model);
    drop(db);
    let db = Database::open(&path, opts(None)).unwrap();
    assert_eq!(contents(&db), model);
    let q = SearchOptions { k: 3, namespaces: NamespaceSelection::All, ..Default::default() };
    let (hits, _) = search::search(&db, Some(&[199.0, 3.0]), &q).unwrap();
    assert_eq!(hits.len(), 3);
    assert!(hits[0].score >= hits[1].score && hits[1].score >= hits[2].score);
}

#[test]
fn a_crash_between_rename_and_wal_reset_replays_nothing_twice() {
    let path = temp_path("rename");
    let mut db = Database::open(&path, opts(Some(2))).unwrap();
    db.upsert_many(vec![upsert("", "a", [1.0, 0.0], 1.0)], false).unwrap();
    db.upsert_many(vec![upsert("", "b", [0.0, 1.0], 2.0)], false).unwrap();
    db.delete_many("", &["a".to_string()]).unwrap();
    let wal_before = std::fs::read(path.with_extension("vdb-wal")).unwrap();
    db.compact().unwrap();
    drop(db);
    // Simulate the crash: the new snapshot is in place but the old WAL was never emptied.
    std::fs::write(path.with_extension("vdb-wal"), &wal_before).unwrap();
    let db = Database::open(&path, opts(None)).unwrap();
    let c = contents(&db);
    assert_eq!(c.len(), 1);
    assert!(c.contains_key(&(String::new(), "b".to_string())));
}

#[test]
fn insert_many_is_all_or_nothing() {
    let path = temp_path("insert");
    let mut db = Database::open(&path, opts(Some(2))).unwrap();
    db.upsert_many(vec![upsert("", "a", [1.0, 0.0], 1.0)], true).unwrap();
    let err = db
        .upsert_many(vec![upsert("", "b", [1.0, 0.0], 1.0), upsert("", "a", [1.0, 0.0], 1.0)], true)
        .unwrap_err();
    assert_eq!(err.code, Code::DuplicateId);
    let err = db
        .upsert_many(vec![upsert("", "c", [1.0, 0.0], 1.0), upsert("", "c", [1.0, 0.0], 1.0)], true)
        .unwrap_err();
    assert_eq!(err.code, Code::DuplicateId);
    assert_eq!(db.total_records(), 1);
    drop(db);
    assert_eq!(Database::open(&path, opts(None)).unwrap().total_records(), 1);
}

#[test]
fn refuses_bad_vectors_before_logging_anything() {
    let path = temp_path("bad");
    let mut db = Database::open(&path, opts(Some(2))).unwrap();
    let wal_len = db.wal_len();
    let err = db.upsert_many(vec![upsert("", "a", [f32::NAN, 0.0], 1.0)], false).unwrap_err();
    assert_eq!(err.code, Code::InvalidArgument);
    let mut wrong = upsert("", "b", [1.0, 0.0], 1.0);
    wrong.vector.to_mut().push(3.0);
    assert_eq!(db.upsert_many(vec![wrong], false).unwrap_err().code, Code::DimensionMismatch);
    assert_eq!(db.wal_len(), wal_len);
}

#[test]
fn a_second_writer_is_locked_out_and_readers_replay_the_wal() {
    let path = temp_path("lock");
    let mut db = Database::open(&path, opts(Some(2))).unwrap();
    db.upsert_many(vec![upsert("", "a", [1.0, 0.0], 1.0)], false).unwrap();
    assert_eq!(Database::open(&path, opts(None)).err().unwrap().code, Code::Locked);
    drop(db);
    let ro = OpenOptions { dimension: None, metric: None, read_only: true, sync: SyncMode::Full, ..Default::default() };
    let r1 = Database::open(&path, ro.clone()).unwrap();
    let r2 = Database::open(&path, ro).unwrap();
    assert_eq!(r1.total_records(), 1);
    assert_eq!(r2.total_records(), 1);
}

#[test]
fn the_namespace_star_is_never_written_and_deletes_reach_every_namespace_in_one_transaction() {
    let path = temp_path("star");
    let mut db = Database::open(&path, opts(Some(2))).unwrap();
    let err = db.upsert_many(vec![upsert("*", "a", [1.0, 0.0], 1.0)], false).unwrap_err();
    assert_eq!(err.code, Code::InvalidArgument);
    assert_eq!(db.delete_many("*", &["a".to_string()]).unwrap_err().code, Code::InvalidArgument);
    db.upsert_many(vec![upsert("x", "a", [1.0, 0.0], 1.0), upsert("y", "a", [1.0, 0.0], 2.0), upsert("y", "b", [1.0, 0.0], 3.0)], false).unwrap();
    let groups = vec![("x".to_string(), vec!["a".to_string(), "a".to_string()]), ("y".to_string(), vec!["a".to_string(), "zz".to_string()])];
    assert_eq!(db.delete_in(&groups).unwrap(), 2);
    drop(db);
    let db = Database::open(&path, opts(None)).unwrap();
    assert_eq!(contents(&db).into_keys().collect::<Vec<_>>(), vec![("y".to_string(), "b".to_string())]);
}
