//! An int8 database keeps the vectors written since its snapshot in a spill file, not the
//! heap: every read gives them back exactly (before a compaction, after one, after a reopen
//! that replays the WAL), replacements and deletes land, searches find them, and nothing of
//! the spill file is left in the directory. A model (id -> vector) is checked against the
//! database after every step.

mod common;

use common::{Rng, TempPath};
use std::collections::BTreeMap;
use std::path::Path;
use vectlite::db::{Database, OpenOptions};
use vectlite::json::Json;
use vectlite::record::{Record, Upsert};
use vectlite::search::{self, options::SearchOptions};
use vectlite::vector::hnsw::HnswParams;
use vectlite::vector::quantize::{Quantization, Quantizations};

const DIM: usize = 256;
/// Records of DIM floats in a batch: 4 MiB (where a tail spills) is 4,096 of them.
const BATCH: usize = 1_500;
/// Whether this target spills at all (where snapshots are mapped); elsewhere vectors stay in
/// memory and every check but the spill's own runs the same.
const SPILLS: bool = cfg!(all(unix, target_pointer_width = "64", target_endian = "little"));

fn temp_db(name: &str) -> TempPath {
    TempPath::file(&format!("vl-spill-{name}"), "db.vdb")
}

fn opts(quantization: Quantization) -> OpenOptions {
    OpenOptions {
        dimension: Some(DIM),
        quantization: Some(Quantizations { main: quantization, ..Default::default() }),
        ann_threshold: 256,
        // A small graph: the test runs under emulation too.
        hnsw: HnswParams { m: 8, ef_construction: 64 },
        ..Default::default()
    }
}

/// A vector near one of 32 fixed centres (clustered, like embeddings).
fn vector(rng: &mut Rng) -> Vec<f32> {
    let centre = rng.below(32);
    (0..DIM).map(|d| ((centre * 7919 + d as u64 * 104_729) % 2001) as f32 / 1000.0 - 1.0 + (rng.below(601) as f32 / 1000.0 - 0.3)).collect()
}

fn upsert(id: &str, v: &[f32]) -> Upsert<'static> {
    Upsert {
        namespace: "".into(),
        record: Record { id: id.into(), metadata: Json::Object(vec![]), sparse: vec![], vectors: vec![] },
        vector: v.to_vec().into(),
        expires_at: None,
        multi: Vec::new(),
    }
}

/// Every record of the model is in the database with exactly its vector, and nothing else.
fn assert_matches(db: &Database, model: &BTreeMap<String, Vec<f32>>, when: &str) {
    let ns = &db.namespaces[""];
    assert_eq!(ns.len(), model.len(), "{when}: record count");
    for (id, want) in model {
        let slot = ns.slot_of(id).unwrap_or_else(|| panic!("{when}: {id} missing"));
        assert_eq!(ns.vector(slot), &want[..], "{when}: vector of {id}");
    }
}

/// The files in the database's directory.
fn files(path: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// The share of the exact top 10 (by a scan of the model) a default search finds.
fn recall(db: &Database, model: &BTreeMap<String, Vec<f32>>, queries: &[Vec<f32>]) -> f64 {
    let mut found = 0;
    for q in queries {
        let mut exact: Vec<(f32, &String)> = model.iter().map(|(id, v)| (v.iter().zip(q).map(|(a, b)| a * b).sum::<f32>() / (norm(v) * norm(q)), id)).collect();
        exact.sort_by(|a, b| b.0.total_cmp(&a.0));
        let (hits, _) = search::search(db, Some(q), &SearchOptions { k: 10, ..Default::default() }).unwrap();
        found += hits.iter().filter(|h| exact[..10].iter().any(|(_, id)| **id == h.record.id)).count();
    }
    found as f64 / (10 * queries.len()) as f64
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

#[test]
fn spilled_vectors_read_back_exactly_through_writes_compaction_and_reopen() {
    let path = temp_db("model");
    let mut rng = Rng(7);
    let mut model: BTreeMap<String, Vec<f32>> = BTreeMap::new();
    let queries: Vec<Vec<f32>> = (0..30).map(|_| vector(&mut rng)).collect();
    {
        let mut db = Database::open(&path, opts(Quantization::Int8)).unwrap();
        // 6,000 x 256 floats: 6 MB written since the (empty) snapshot, past the spill's 4 MiB.
        for batch in 0..4 {
            let items: Vec<Upsert> = (0..BATCH)
                .map(|i| {
                    let id = format!("r{}", batch * BATCH + i);
                    let v = vector(&mut rng);
                    model.insert(id.clone(), v.clone());
                    upsert(&id, &v)
                })
                .collect();
            db.upsert_many(items, false).unwrap();
        }
        let space = db.namespaces[""].vectors();
        assert_eq!(space.is_spilled(), SPILLS, "the vectors went to a spill file");
        assert_eq!(space.vector_memory_bytes() == 0, SPILLS);
        assert_eq!(files(&path), ["db.vdb", "db.vdb-wal", "db.vdb.lock"], "the spill file has no name");
        assert_matches(&db, &model, "spilled");
        let r = recall(&db, &model, &queries);
        assert!(r >= 0.9, "recall@10 of a graph built on the codes: {r}");

        // Replacements take fresh slots, deletes leave tombstones: both over spilled slots.
        let mut replaced = Vec::new();
        for i in (0..4 * BATCH).step_by(97) {
            let id = format!("r{i}");
            let v = vector(&mut rng);
            model.insert(id.clone(), v.clone());
            replaced.push(upsert(&id, &v));
        }
        db.upsert_many(replaced, false).unwrap();
        let gone: Vec<String> = (5..4 * BATCH).step_by(131).map(|i| format!("r{i}")).filter(|id| model.remove(id).is_some()).collect();
        db.delete_many("", &gone).unwrap();
        assert_matches(&db, &model, "after replacements and deletes");
        // A replaced vector is what a search finds now.
        let (hits, _) = search::search(&db, Some(&model["r97"]), &SearchOptions { k: 1, ..Default::default() }).unwrap();
        assert_eq!(hits[0].record.id, "r97");
    }
    {
        // A reopen replays the WAL into a spill file again.
        let mut db = Database::open(&path, opts(Quantization::Int8)).unwrap();
        db.update_indexes();
        assert_eq!(db.namespaces[""].vectors().is_spilled(), SPILLS);
        assert_matches(&db, &model, "reopened");
        db.compact().unwrap();
        assert!(!db.namespaces[""].vectors().is_spilled(), "after a compaction the vectors are the new file's");
        assert_matches(&db, &model, "compacted");
        // Writes after the compaction spill again once there are enough of them.
        let items: Vec<Upsert> = (0..3 * BATCH)
            .map(|i| {
                let id = format!("late{i}");
                let v = vector(&mut rng);
                model.insert(id.clone(), v.clone());
                upsert(&id, &v)
            })
            .collect();
        db.upsert_many(items, false).unwrap();
        assert_eq!(db.namespaces[""].vectors().is_spilled(), SPILLS);
        assert_matches(&db, &model, "written after the compaction");
        db.compact().unwrap();
    }
    {
        let db = Database::open(&path, opts(Quantization::Int8)).unwrap();
        assert_matches(&db, &model, "reopened after the compaction");
        let r = recall(&db, &model, &queries);
        assert!(r >= 0.9, "recall@10 after compaction: {r}");
    }
    assert_eq!(files(&path), ["db.vdb", "db.vdb-wal", "db.vdb.lock"]);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn a_named_space_converted_to_float32_stops_spilling() {
    let path = temp_db("converted");
    let mut rng = Rng(5);
    let int8 = Quantizations { main: Quantization::Int8, other_named: Quantization::Int8, ..Default::default() };
    let mut db = Database::open(&path, OpenOptions { quantization: Some(int8), ..opts(Quantization::Int8) }).unwrap();
    let named = |prefix: &str, rng: &mut Rng| -> Vec<Upsert<'static>> {
        (0..3 * BATCH)
            .map(|i| {
                let mut u = upsert(&format!("{prefix}{i}"), &vector(rng));
                u.record.vectors = vec![("t".into(), vector(rng))];
                u
            })
            .collect()
    };
    db.upsert_many(named("r", &mut rng), false).unwrap();
    db.update_indexes();
    let spilled = |db: &Database| db.namespaces[""].named_spaces()["t"].vectors().is_spilled();
    assert_eq!(spilled(&db), SPILLS, "the int8 named space spilled");
    db.compact_to(Some(Quantizations::default())).unwrap();
    db.upsert_many(named("s", &mut rng), false).unwrap();
    db.update_indexes();
    assert!(!spilled(&db), "float32 vectors stay in memory");
    assert!(!db.namespaces[""].vectors().is_spilled());
    drop(db);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn float32_and_binary_spaces_keep_their_vectors_in_memory() {
    for q in [Quantization::None, Quantization::Binary] {
        let path = temp_db(q.name());
        let mut rng = Rng(3);
        let mut db = Database::open(&path, opts(q)).unwrap();
        let items: Vec<Upsert> = (0..3 * BATCH).map(|i| upsert(&format!("r{i}"), &vector(&mut rng))).collect();
        db.upsert_many(items, false).unwrap();
        assert!(!db.namespaces[""].vectors().is_spilled(), "{}", q.name());
        drop(db);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
