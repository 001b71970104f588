//! Records with a time to live: invisible to every read from their instant on, through the
//! WAL and the snapshot, and dropped by a compaction.

use vectlite::db::{Database, OpenOptions};
use vectlite::error::Code;
use vectlite::expiry::now_ms;
use vectlite::json::Json;
use vectlite::record::{Record, Upsert};
use vectlite::search::{self, options::{ListOptions, NamespaceSelection, SearchOptions}};
use vectlite::storage::wal::SyncMode;
use vectlite::txn::TxnOp;
use vectlite::vector::Metric;

mod common;
use common::TempPath;

/// Far enough ahead that no test run reaches it.
const FUTURE: i64 = 4_102_444_800_000; // 2100-01-01
const PAST: i64 = 1_000;

fn temp_path(name: &str) -> TempPath {
    TempPath::file(&format!("vl-expiry-{name}"), "db.vdb")
}

fn opts(ann_threshold: usize) -> OpenOptions {
    OpenOptions { dimension: Some(2), metric: Some(Metric::L2), read_only: false, sync: SyncMode::Full, ann_threshold, ..Default::default() }
}

fn item(id: &str, i: usize, expires_at: Option<i64>) -> Upsert<'static> {
    Upsert {
        namespace: String::new(),
        record: Record { id: id.into(), metadata: Json::Object(vec![("i".into(), Json::Number(i as f64))]), sparse: vec![("word".into(), 1.0)], vectors: vec![] },
        vector: vec![i as f32, 1.0].into(),
        expires_at,
        multi: Vec::new(),
    }
}

/// What every read path sees: (get, count, list, exact search, graph search, keyword search) ids.
fn seen(db: &Database) -> Vec<Vec<String>> {
    let ids = |hits: Vec<search::Hit>| {
        let mut v: Vec<String> = hits.iter().map(|h| h.record.id.to_string()).collect();
        v.sort();
        v
    };
    let all = NamespaceSelection::One(String::new());
    let got: Vec<String> = (0..40).map(|i| format!("r{i}")).filter(|id| search::get(db, "", id).is_some()).collect();
    let counted = vec![search::count(db, &all, None).to_string()];
    let listed = ids(search::list(db, &ListOptions::default()).unwrap().hits);
    let exact = ids(search::search(db, Some(&[0.0, 1.0]), &SearchOptions { k: 100, exact: true, ..Default::default() }).unwrap().0);
    let graph = ids(search::search(db, Some(&[0.0, 1.0]), &SearchOptions { k: 100, ef_search: Some(200), ..Default::default() }).unwrap().0);
    let keyword = ids(search::search(db, None, &SearchOptions { k: 100, sparse: Some(vec![("word".into(), 1.0)]), ..Default::default() }).unwrap().0);
    vec![got, counted, listed, exact, graph, keyword]
}

fn expect(db: &Database, visible: &[usize]) {
    let mut ids: Vec<String> = visible.iter().map(|i| format!("r{i}")).collect();
    ids.sort();
    let seen = seen(db);
    assert_eq!(seen[1], vec![visible.len().to_string()], "count");
    for (what, i) in [("get", 0), ("list", 2), ("exact search", 3), ("graph search", 4), ("keyword search", 5)] {
        let mut got = seen[i].clone();
        got.sort();
        assert_eq!(got, ids, "{what}");
    }
}

#[test]
fn expired_records_are_invisible_everywhere_and_dropped_by_compaction() {
    let path = temp_path("reads");
    let mut db = Database::open(&path, opts(8)).unwrap();
    // r0..r29: r0..r9 already expired, r10..r19 expiring in 2100, the rest never.
    let items: Vec<Upsert> = (0..30)
        .map(|i| item(&format!("r{i}"), i, match i {
            0..=9 => Some(PAST + i as i64),
            10..=19 => Some(FUTURE),
            _ => None,
        }))
        .collect();
    db.upsert_many(items, false).unwrap();
    db.update_indexes();
    assert!(db.namespaces[""].vectors().graph().is_some(), "the graph path must be tested");
    let visible: Vec<usize> = (10..30).collect();
    expect(&db, &visible);
    assert_eq!(search::get(&db, "", "r10").unwrap().expires_at, Some(FUTURE));
    assert_eq!(search::get(&db, "", "r25").unwrap().expires_at, None);

    // An expired id can be inserted again; deleting an expired record counts nothing.
    db.upsert_many(vec![item("r0", 0, None)], true).unwrap();
    assert_eq!(db.delete_many("", &["r1".into()]).unwrap(), 0);
    let visible: Vec<usize> = std::iter::once(0).chain(10..30).collect();
    expect(&db, &visible);

    // Replayed from the WAL, then from the snapshot a compaction writes.
    drop(db);
    let mut db = Database::open(&path, opts(8)).unwrap();
    expect(&db, &visible);
    assert_eq!(db.total_records(), 29, "expired records stay stored until a compaction");
    db.compact().unwrap();
    assert_eq!(db.total_records(), 21, "the compaction drops every expired record");
    expect(&db, &visible);
    drop(db);
    let db = Database::open(&path, opts(8)).unwrap();
    expect(&db, &visible);
    assert_eq!(search::get(&db, "", "r15").unwrap().expires_at, Some(FUTURE));
}

#[test]
fn an_upsert_replaces_the_expiry_and_set_expiry_changes_it() {
    let path = temp_path("set");
    let mut db = Database::open(&path, opts(1000)).unwrap();
    db.upsert_many(vec![item("r0", 0, Some(FUTURE)), item("r1", 1, None), item("r2", 2, Some(PAST))], false).unwrap();
    db.upsert_many(vec![item("r0", 0, None)], false).unwrap();
    assert_eq!(search::get(&db, "", "r0").unwrap().expires_at, None, "an upsert without expiry clears it");
    let set = |id: &str, at: Option<i64>| TxnOp::SetExpiry { namespace: String::new(), id: id.into(), at };
    // r2 is expired: it is not there to be given a new instant.
    assert_eq!(db.commit_transaction(vec![set("r1", Some(PAST)), set("r0", Some(FUTURE)), set("r2", None), set("zz", None)]).unwrap(), 2);
    expect(&db, &[0]);
    assert_eq!(search::get(&db, "", "r0").unwrap().expires_at, Some(FUTURE));
    assert_eq!(db.commit_transaction(vec![set("r0", None)]).unwrap(), 1);
    assert_eq!(search::get(&db, "", "r0").unwrap().expires_at, None);
    let bad = TxnOp::Upsert { item: item("r9", 9, Some(-1)), insert_only: false };
    assert_eq!(db.commit_transaction(vec![bad]).unwrap_err().code, Code::InvalidArgument);
    drop(db);
    let db = Database::open(&path, opts(1000)).unwrap();
    expect(&db, &[0]);
    assert_eq!(search::get(&db, "", "r0").unwrap().expires_at, None);
}

#[test]
fn a_record_expires_while_the_handle_is_open() {
    let path = temp_path("clock");
    let mut db = Database::open(&path, opts(1000)).unwrap();
    db.upsert_many(vec![item("r0", 0, Some(now_ms() + 150)), item("r1", 1, None)], false).unwrap();
    expect(&db, &[0, 1]);
    std::thread::sleep(std::time::Duration::from_millis(200));
    expect(&db, &[1]);
}
