//! Reliability tests on the simulated disk (sim.rs): a power cut at every mutating file
//! operation of a workload, with every crash image POSIX allows for it; one failing
//! operation (EIO, ENOSPC) at every point; a disk that fills up and frees again. Each
//! reopened database must equal a model of what was acknowledged.

use vectlite::db::{Database, OpenOptions};
use vectlite::error::{Code, Result};
use vectlite::json::Json;
use vectlite::multi_vector::MultiVector;
use vectlite::record::{Record, Upsert, WalOp};
use vectlite::storage::sim::{Fault, SimVfs, EIO, ENOSPC};
use vectlite::storage::vfs::Vfs;
use vectlite::storage::wal::SyncMode;
use vectlite::storage::DbPaths;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

mod common;
use common::TempPath;

/// What a database holds: (namespace, id) -> (vector, metadata JSON, expiry, multi-vectors).
type State = BTreeMap<(String, String), (Vec<f32>, String, Option<i64>, Vec<MultiVector>)>;

enum Step {
    Commit(Vec<WalOp<'static>>),
    Compact,
}

fn upsert(ns: &str, id: &str, seed: u32) -> WalOp<'static> {
    let v: Vec<f32> = (0..4).map(|k| ((seed * 7 + k * 13) % 17) as f32 - 8.0).collect();
    let metadata = Json::Object(vec![("n".into(), Json::Number(seed as f64))]);
    WalOp::Upsert(Upsert {
        namespace: ns.into(),
        record: Record { id: id.into(), metadata, sparse: vec![], vectors: vec![] },
        vector: v.into(),
        expires_at: None,
        multi: Vec::new(),
    })
}

/// An upsert that expires in 2100 (never during a test, so no compaction drops it).
fn expiring(ns: &str, id: &str, seed: u32) -> WalOp<'static> {
    let WalOp::Upsert(mut u) = upsert(ns, id, seed) else { unreachable!() };
    u.expires_at = Some(4_102_444_800_000 + seed as i64);
    WalOp::Upsert(u)
}

/// An upsert with multi-vectors in two spaces (token counts varying with `seed`).
fn with_multi(ns: &str, id: &str, seed: u32) -> WalOp<'static> {
    let WalOp::Upsert(mut u) = upsert(ns, id, seed) else { unreachable!() };
    let values = |n: u32, dim: u32| (0..n * dim).map(|i| (seed * 31 + i) as f32 * 0.25).collect::<Vec<f32>>();
    u.multi = vec![
        MultiVector { name: "colbert".into(), dim: 3, values: values(1 + seed % 4, 3) },
        MultiVector { name: "img".into(), dim: 2, values: values(2, 2) },
    ];
    WalOp::Upsert(u)
}

fn set_multi(ns: &str, id: &str, seed: u32) -> WalOp<'static> {
    let spaces = vec![MultiVector { name: "colbert".into(), dim: 3, values: vec![seed as f32, 1.0, 2.0] }];
    WalOp::SetMultiVectors { namespace: ns.into(), id: id.into(), spaces }
}

fn set_expiry(ns: &str, id: &str, at: Option<i64>) -> WalOp<'static> {
    WalOp::SetExpiry { namespace: ns.into(), id: id.into(), at }
}

fn delete(ns: &str, id: &str) -> WalOp<'static> {
    WalOp::Delete { namespace: ns.into(), id: id.into() }
}

fn update(ns: &str, id: &str, key: &str, value: f64) -> WalOp<'static> {
    WalOp::UpdateMetadata { namespace: ns.into(), id: id.into(), patch: Json::Object(vec![(key.into(), Json::Number(value))]) }
}

/// Single upserts, batches, replacements, deletes, metadata updates, mixed transactions, two
/// namespaces and two compactions (each replaces the .vdb and empties the WAL).
fn workload() -> Vec<Step> {
    vec![
        Step::Commit(vec![upsert("", "a", 1)]),
        Step::Commit(vec![upsert("", "b", 2), upsert("", "c", 3), upsert("docs", "x", 4)]),
        Step::Commit(vec![delete("", "a")]),
        Step::Commit(vec![update("", "b", "seen", 1.0), update("docs", "x", "n", 40.0)]),
        Step::Compact,
        Step::Commit(vec![upsert("", "b", 5), delete("docs", "x"), upsert("docs", "y", 6)]),
        Step::Commit(vec![upsert("", "d", 7), update("", "d", "m", 2.0)]),
        Step::Commit(vec![delete("", "c"), upsert("", "e", 8)]),
        Step::Compact,
        Step::Commit(vec![upsert("docs", "z", 9), upsert("", "a", 10)]),
        Step::Commit(vec![delete("", "d")]),
        Step::Commit(vec![expiring("", "f", 11), set_expiry("", "b", Some(4_102_444_800_000))]),
        Step::Compact,
        Step::Commit(vec![set_expiry("", "f", None), expiring("docs", "z", 12)]),
        Step::Commit(vec![with_multi("", "m1", 13), with_multi("docs", "m2", 14), set_multi("", "a", 15)]),
        Step::Compact,
        Step::Commit(vec![with_multi("", "m1", 16), upsert("docs", "m2", 17), delete("", "a")]),
    ]
}

fn apply(model: &mut State, ops: &[WalOp]) {
    for op in ops {
        match op {
            WalOp::Upsert(u) => {
                model.insert((u.namespace.clone(), u.record.id.clone()), (u.vector.to_vec(), u.record.metadata.to_json(), u.expires_at, u.multi.clone()));
            }
            WalOp::Delete { namespace, id } => {
                model.remove(&(namespace.clone(), id.clone()));
            }
            WalOp::UpdateMetadata { namespace, id, patch } => {
                if let Some((_, metadata, _, _)) = model.get_mut(&(namespace.clone(), id.clone())) {
                    let mut r = Record { id: id.clone(), metadata: vectlite::json::parse(metadata.as_bytes(), "model").unwrap(), sparse: vec![], vectors: vec![] };
                    r.merge_metadata(patch.clone());
                    *metadata = r.metadata.to_json();
                }
            }
            WalOp::SetExpiry { namespace, id, at } => {
                if let Some((_, _, expiry, _)) = model.get_mut(&(namespace.clone(), id.clone())) {
                    *expiry = *at;
                }
            }
            WalOp::SetMultiVectors { namespace, id, spaces } => {
                if let Some((_, _, _, multi)) = model.get_mut(&(namespace.clone(), id.clone())) {
                    *multi = spaces.clone();
                }
            }
        }
    }
}

fn state_of(db: &Database) -> State {
    let mut out = State::new();
    for (name, ns) in &db.namespaces {
        for (slot, rec) in ns.iter() {
            out.insert((name.clone(), rec.id.clone()), (ns.vector(slot).to_vec(), rec.metadata.to_json(), ns.expiry().get(slot), ns.multi_of(slot)));
        }
    }
    out
}

/// A real directory for the lock file; the database files themselves live on the SimVfs.
fn test_dir(name: &str) -> TempPath {
    TempPath::dir(&format!("vl-fault-{name}"))
}

/// The database's temporary files on `disk`.
fn temps_of(disk: &SimVfs, path: &Path) -> Vec<String> {
    let paths = DbPaths::new(path);
    disk.list_dir(paths.dir()).unwrap_or_default().into_iter().filter(|n| paths.is_temp_name(n)).collect()
}

fn open(disk: &SimVfs, path: &Path, create: bool) -> Result<Database> {
    let opts = OpenOptions { dimension: create.then_some(4), sync: SyncMode::Full, ..Default::default() };
    Database::open_in(Arc::new(disk.clone()), path, opts)
}

fn run_step(db: &mut Database, step: &Step) -> Result<()> {
    match step {
        Step::Commit(ops) => db.commit(ops.clone()),
        Step::Compact => db.compact(),
    }
}

/// Runs the workload up to its first error (the process dies there). Returns the state
/// the acknowledged steps made and the operations of the step that was cut short.
fn run_until_crash(disk: &SimVfs, path: &Path) -> (State, Vec<WalOp<'static>>) {
    let mut acked = State::new();
    let Ok(mut db) = open(disk, path, true) else { return (acked, vec![]) };
    for step in workload() {
        match run_step(&mut db, &step) {
            Ok(()) => {
                if let Step::Commit(ops) = &step {
                    apply(&mut acked, ops);
                }
            }
            Err(_) => return (acked, if let Step::Commit(ops) = step { ops } else { vec![] }),
        }
    }
    (acked, vec![])
}

#[test]
fn a_power_cut_at_every_operation_keeps_every_acknowledged_write() {
    let dir = test_dir("crash");
    let path = dir.join("c.vdb");
    let clean = SimVfs::new();
    let (expected, _) = run_until_crash(&clean, &path);
    let total = clean.ops();
    assert!(total > 40, "the workload performs {total} file operations");
    let mut images = 0;
    for n in 1..=total + 1 {
        let disk = SimVfs::new();
        disk.set_fault(Fault::CrashAt(n));
        let (acked, inflight) = run_until_crash(&disk, &path);
        if n > total {
            assert_eq!(acked, expected, "no fault fired: the whole workload is acknowledged");
        }
        let mut with_inflight = acked.clone();
        apply(&mut with_inflight, &inflight);
        for kept in 0..=disk.pending_count() {
            for torn in [false, true] {
                let image = disk.crash_image(kept, torn);
                images += 1;
                let at = format!("cut at operation {n} of {total}, {kept} unsynced writes kept, torn {torn}");
                if !image.exists(&path) {
                    assert!(acked.is_empty(), "{at}: the database file is gone but writes were acknowledged");
                    continue;
                }
                let db = open(&image, &path, false).unwrap_or_else(|e| panic!("{at}: reopening failed: {e:?}"));
                let got = state_of(&db);
                assert!(got == acked || got == with_inflight, "{at}: reopened state {got:?}, acknowledged {acked:?}");
                drop(db);
                // The recovered database takes writes and keeps them.
                if kept == 0 && !torn {
                    let mut db = open(&image, &path, false).unwrap();
                    db.commit(vec![upsert("", "after", 99)]).unwrap();
                    drop(db);
                    let db = open(&image.crash_image(0, false), &path, false).unwrap();
                    assert!(db.namespaces.get("").is_some_and(|ns| ns.contains("after")), "{at}: a write after recovery was lost");
                }
            }
        }
    }
    assert!(images > 2 * total as usize);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs the workload through errors: a failed step must fail with IO and change nothing,
/// the database must go on working. Returns the model of what succeeded.
fn run_through_errors(disk: &SimVfs, path: &Path, at: &str) -> (Database, State) {
    let mut db = match open(disk, path, true) {
        Ok(db) => db,
        Err(e) => {
            assert_eq!(e.code, Code::Io, "{at}: open failed with {e:?}");
            disk.free_space();
            open(disk, path, true).unwrap_or_else(|e| panic!("{at}: a second open failed too: {e:?}"))
        }
    };
    let mut model = State::new();
    for (i, step) in workload().iter().enumerate() {
        match run_step(&mut db, step) {
            Ok(()) => {
                if let Step::Commit(ops) = step {
                    apply(&mut model, ops);
                }
            }
            Err(e) => assert_eq!(e.code, Code::Io, "{at}: step {i} failed with {e:?}"),
        }
        assert_eq!(state_of(&db), model, "{at}: after step {i} the open database differs from what succeeded");
        // A failed compaction removes its partial file rather than leave it taking space.
        assert_eq!(temps_of(disk, path), Vec::<String>::new(), "{at}: after step {i} a temp file is left behind");
    }
    (db, model)
}

#[test]
fn a_failing_write_or_fsync_anywhere_fails_with_io_and_loses_nothing() {
    let dir = test_dir("eio");
    let path = dir.join("e.vdb");
    let clean = SimVfs::new();
    let _ = run_through_errors(&clean, &path, "no fault");
    let total = clean.ops();
    for code in [EIO, ENOSPC] {
        for n in 1..=total {
            let at = format!("errno {code} at operation {n} of {total}");
            let disk = SimVfs::new();
            disk.set_fault(Fault::FailAt(n, code));
            let (mut db, mut model) = run_through_errors(&disk, &path, &at);
            // Still usable after the error.
            let extra = vec![upsert("", "last", 50)];
            db.commit(extra.clone()).unwrap_or_else(|e| panic!("{at}: a write after the error failed: {e:?}"));
            apply(&mut model, &extra);
            drop(db);
            // What a power cut right now keeps, and what a clean reopen sees: both the model.
            for image in [disk.crash_image(0, false), disk.crash_image(usize::MAX, false)] {
                let db = open(&image, &path, false).unwrap_or_else(|e| panic!("{at}: reopening failed: {e:?}"));
                assert_eq!(state_of(&db), model, "{at}: reopened state differs from what succeeded");
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_full_disk_fails_writes_with_io_until_space_is_freed() {
    let dir = test_dir("full");
    let path = dir.join("f.vdb");
    let clean = SimVfs::new();
    let _ = run_through_errors(&clean, &path, "no fault");
    let total = clean.ops();
    for n in 1..=total {
        let at = format!("disk full from operation {n} of {total}");
        let disk = SimVfs::new();
        disk.set_fault(Fault::DiskFullFrom(n));
        let (mut db, mut model) = run_through_errors(&disk, &path, &at);
        let full = vec![upsert("", "full", 60)];
        let still_full = disk.disk_full();
        match db.commit(full.clone()) {
            Ok(()) => {
                assert!(!still_full, "{at}: a write to a full disk succeeded");
                apply(&mut model, &full);
            }
            Err(e) => assert_eq!(e.code, Code::Io, "{at}: {e:?}"),
        }
        disk.free_space();
        let extra = vec![upsert("", "freed", 61)];
        db.commit(extra.clone()).unwrap_or_else(|e| panic!("{at}: a write after freeing space failed: {e:?}"));
        apply(&mut model, &extra);
        db.compact().unwrap_or_else(|e| panic!("{at}: compaction after freeing space failed: {e:?}"));
        drop(db);
        let db = open(&disk.crash_image(0, false), &path, false).unwrap();
        assert_eq!(state_of(&db), model, "{at}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
