//! 1,000 seeded mutations (bit flips, truncations, zeroed pages, appended garbage) of the
//! .vdb, the WAL and a backup. Every open must either fail with CORRUPT or succeed with a
//! state the database really committed: for damage in the snapshot or a backup, the final
//! state; for damage in the WAL, the snapshot plus a prefix of the committed transactions
//! (the tail of a log is indistinguishable from an interrupted write). Never a panic, a hang
//! or a state that was never committed.

use std::collections::BTreeMap;
use std::path::Path;
use vectlite::db::{Database, OpenOptions};
use vectlite::error::Code;
use vectlite::json::Json;
use vectlite::record::{Record, Upsert};

mod common;
use common::{Rng, TempPath};

type State = BTreeMap<(String, String), (f64, Vec<f32>)>;


fn temp_dir(name: &str) -> TempPath {
    TempPath::dir(&format!("vl-corrupt-{name}"))
}

fn opts(dimension: Option<usize>) -> OpenOptions {
    OpenOptions { dimension, ..Default::default() }
}

fn contents(db: &Database) -> State {
    let mut out = BTreeMap::new();
    for (name, ns) in &db.namespaces {
        for (slot, r) in ns.iter() {
            let n = r.metadata.get("n").and_then(|v| v.as_f64()).unwrap_or(f64::NAN);
            out.insert((name.clone(), r.id.clone()), (n, ns.vector(slot).to_vec()));
        }
    }
    out
}

fn upsert(ns: &str, id: String, n: f64, rng: &mut Rng) -> Upsert<'static> {
    let vector = (0..8).map(|_| (rng.below(2000) as f32 - 1000.0) / 100.0).collect();
    let meta = Json::Object(vec![("n".into(), Json::Number(n)), ("s".into(), Json::String("x".repeat((n as usize) % 40)))]);
    Upsert {
        namespace: ns.into(),
        record: Record { id, metadata: meta, sparse: vec![("t".into(), 1.0)], vectors: vec![] },
        vector,
        expires_at: None,
        multi: Vec::new(),
    }
}

/// Builds a database, returning the model state after each committed transaction and the
/// index of the last transaction folded into the snapshot.
fn build(path: &Path) -> (Vec<State>, usize) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut db = Database::open(path, opts(Some(8))).unwrap();
    let mut states = vec![contents(&db)];
    let mut compacted_at = 0;
    for t in 0..60 {
        let ns = if t % 4 == 0 { "b" } else { "" };
        let batch: Vec<Upsert> = (0..1 + rng.below(4)).map(|_| upsert(ns, format!("id{}", rng.below(40)), t as f64, &mut rng)).collect();
        let mut unique = BTreeMap::new();
        for u in batch {
            unique.insert(u.record.id.clone(), u);
        }
        db.upsert_many(unique.into_values().collect(), false).unwrap();
        states.push(contents(&db));
        if t % 7 == 6 {
            let victim = format!("id{}", rng.below(40));
            if db.delete_many("", std::slice::from_ref(&victim)).unwrap() > 0 {
                states.push(contents(&db));
            }
        }
        if t == 30 {
            db.compact().unwrap();
            compacted_at = states.len() - 1;
        }
    }
    (states, compacted_at)
}

fn mutate(bytes: &mut Vec<u8>, rng: &mut Rng) -> &'static str {
    match rng.below(4) {
        0 => {
            let at = rng.below(bytes.len() as u64) as usize;
            bytes[at] ^= 1 << rng.below(8);
            "bit flip"
        }
        1 => {
            let keep = rng.below(bytes.len() as u64) as usize;
            bytes.truncate(keep);
            "truncation"
        }
        2 => {
            let start = rng.below(bytes.len() as u64) as usize & !4095;
            let end = (start + 4096).min(bytes.len());
            bytes[start..end].iter_mut().for_each(|b| *b = 0);
            "zeroed page"
        }
        _ => {
            for _ in 0..1 + rng.below(64) {
                bytes.push(rng.next() as u8);
            }
            "appended garbage"
        }
    }
}

#[test]
fn a_thousand_mutations_are_detected_or_harmless() {
    let dir = temp_dir("main");
    let path = dir.join("db.vdb");
    let (states, compacted_at) = build(&path);
    let final_state = states.last().unwrap().clone();
    let vdb = std::fs::read(&path).unwrap();
    let wal = std::fs::read(dir.join("db.vdb-wal")).unwrap();
    let backup_dir = dir.join("backup");
    {
        let db = Database::open(&path, opts(None)).unwrap();
        assert_eq!(contents(&db), final_state);
        vectlite::backup::backup(&db, &backup_dir, false).unwrap();
    }
    let backup_data = std::fs::read(backup_dir.join("data.vdb")).unwrap();
    let manifest = std::fs::read(backup_dir.join("manifest.json")).unwrap();
    let mut rng = Rng(20261124);
    let (mut detected, mut harmless) = (0, 0);
    for case in 0..1000 {
        let work = temp_dir(&format!("case{}", case % 4));
        let target = rng.below(4);
        let (mut v, mut w, mut b, mut m) = (vdb.clone(), wal.clone(), backup_data.clone(), manifest.clone());
        let what = match target {
            0 => mutate(&mut v, &mut rng),
            1 => mutate(&mut w, &mut rng),
            2 => mutate(&mut b, &mut rng),
            _ => mutate(&mut m, &mut rng),
        };
        let label = format!("case {case}: {what} in {}", ["db.vdb", "db.vdb-wal", "backup data", "backup manifest"][target as usize]);
        let result = if target < 2 {
            std::fs::write(work.join("db.vdb"), &v).unwrap();
            std::fs::write(work.join("db.vdb-wal"), &w).unwrap();
            Database::open(&work.join("db.vdb"), opts(None))
        } else {
            let bk = work.join("bk");
            std::fs::create_dir_all(&bk).unwrap();
            std::fs::write(bk.join("data.vdb"), &b).unwrap();
            std::fs::write(bk.join("manifest.json"), &m).unwrap();
            match vectlite::backup::restore(&bk, &work.join("restored.vdb"), false) {
                Ok(()) => Database::open(&work.join("restored.vdb"), opts(None)),
                Err(e) => {
                    assert!(!work.join("restored.vdb").exists(), "{label}: a failed restore wrote its destination");
                    Err(e)
                }
            }
        };
        match result {
            Err(e) => {
                assert_eq!(e.code, Code::Corrupt, "{label}: {e}");
                detected += 1;
            }
            Ok(db) => {
                let got = contents(&db);
                if target == 1 {
                    let ok = states[compacted_at..].contains(&got);
                    assert!(ok, "{label}: opened with a state that was never committed");
                } else {
                    assert_eq!(got, final_state, "{label}: opened with wrong data");
                }
                harmless += 1;
            }
        }
    }
    eprintln!("corruption: {detected} detected as CORRUPT, {harmless} opened with committed data, 0 wrong");
    let _ = std::fs::remove_dir_all(&dir);
}
