//! A vector section too large to verify at open (more than 64 MiB, used in place from a
//! map): the open defers its checksum, `check` verifies it, and damage in it is refused
//! before a compaction or a snapshot could carry it into a new file.

use std::path::Path;
use vectlite::db::{Database, OpenOptions};
use vectlite::error::Code;
use vectlite::json::Json;
use vectlite::record::{Record, Upsert};
use vectlite::storage::format;
use vectlite::storage::source::{FileSource, Source};
use vectlite::storage::bulk_section::VERIFY_AT_OPEN_BYTES;
use vectlite::storage::wal::SyncMode;

mod common;
use common::TempPath;

const DIM: usize = 1_024;

fn temp_path(name: &str) -> TempPath {
    TempPath::file(&format!("vl-map-{name}"), "big.vdb")
}

fn opts() -> OpenOptions {
    // No graph: the test is about the vectors' bytes, and a graph of this many would be slow.
    OpenOptions { dimension: Some(DIM), sync: SyncMode::Normal, ann_threshold: u32::MAX as usize, ..Default::default() }
}

/// A compacted database whose VECTORS section is just over the limit.
fn large_database(path: &Path) -> usize {
    let n = (VERIFY_AT_OPEN_BYTES as usize / (DIM * 4)) + 10;
    let mut db = Database::open(path, opts()).unwrap();
    let items: Vec<Upsert> = (0..n)
        .map(|i| Upsert {
            namespace: String::new(),
            record: Record { id: format!("r{i}"), metadata: Json::Object(vec![]), sparse: vec![], vectors: vec![] },
            vector: (0..DIM).map(|d| ((i * 31 + d) % 97) as f32).collect::<Vec<f32>>().into(),
            expires_at: None,
            multi: Vec::new(),
        })
        .collect();
    db.upsert_many(items, false).unwrap();
    db.compact().unwrap();
    n
}

fn vectors_section(path: &Path) -> (u64, u64) {
    let mut src = FileSource::new(std::fs::File::open(path).unwrap()).unwrap();
    format::locate_vectors(&mut src as &mut dyn Source, "f").unwrap()
}

#[cfg(all(unix, target_pointer_width = "64", target_endian = "little"))]
#[test]
fn a_large_mapped_section_is_verified_by_check_and_before_anything_is_written_from_it() {
    let path = temp_path("defer");
    let n = large_database(&path);
    let (offset, len) = vectors_section(&path);
    assert!(len > VERIFY_AT_OPEN_BYTES);
    {
        let db = Database::open(&path, opts()).unwrap();
        assert_eq!(db.namespaces[""].vectors().mapped_slots(), n);
        assert_eq!(db.check().unwrap(), len, "check verifies the deferred section");
        assert_eq!(db.check().unwrap(), 0, "once");
    }
    // One flipped byte in the middle of the vectors: the open (which does not read them)
    // succeeds, and every later use that would trust the bytes refuses.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[(offset + len / 2) as usize] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    let mut db = Database::open(&path, opts()).unwrap();
    let e = db.check().unwrap_err();
    assert_eq!((e.code, e.context.as_ref().and_then(|c| c.offset)), (Code::Corrupt, Some(offset)), "{}", e.message);
    let e = db.compact().unwrap_err();
    assert_eq!(e.code, Code::Corrupt, "a compaction refuses to copy damage: {}", e.message);
    let copy = path.with_file_name("copy.vdb");
    let e = db.write_snapshot_file(&copy, format::SnapshotIdentity::new_database()).unwrap_err();
    assert_eq!(e.code, Code::Corrupt, "{}", e.message);
    assert!(!copy.exists());
    drop(db);
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "the damaged file was left as it was, to recover by hand");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn a_small_section_is_verified_at_open() {
    let path = temp_path("small");
    {
        let mut db = Database::open(&path, OpenOptions { ann_threshold: 0, ..opts() }).unwrap();
        let items: Vec<Upsert> = (0..20)
            .map(|i| Upsert {
                namespace: String::new(),
                record: Record { id: format!("r{i}"), metadata: Json::Object(vec![]), sparse: vec![], vectors: vec![] },
                vector: vec![i as f32; DIM].into(),
                expires_at: None,
                multi: Vec::new(),
            })
            .collect();
        db.upsert_many(items, false).unwrap();
        db.compact().unwrap();
    }
    let (offset, len) = vectors_section(&path);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[(offset + len / 2) as usize] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    let Err(e) = Database::open(&path, opts()) else { panic!("a damaged small file opened") };
    assert_eq!((e.code, e.context.as_ref().and_then(|c| c.offset)), (Code::Corrupt, Some(offset)), "{}", e.message);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

/// Ids of the best 10 for each of a few queries.
fn top_ids(db: &Database, queries: &[Vec<f32>]) -> Vec<Vec<String>> {
    use vectlite::search::{self, options::SearchOptions};
    queries
        .iter()
        .map(|q| {
            let (hits, _) = search::search(db, Some(q), &SearchOptions { k: 10, ..Default::default() }).unwrap();
            hits.iter().map(|h| h.record.id.to_string()).collect()
        })
        .collect()
}

#[cfg(all(unix, target_pointer_width = "64", target_endian = "little"))]
#[test]
fn a_stored_graph_is_searched_in_place_until_the_first_write_copies_it() {
    const SMALL: usize = 16;
    let path = temp_path("graph");
    let small = OpenOptions {
        dimension: Some(SMALL),
        metric: Some(vectlite::vector::Metric::L2),
        sync: SyncMode::Normal,
        ann_threshold: 100,
        ..Default::default()
    };
    // splitmix64 of (i, d): distinct vectors, no structure.
    let unit = |x: u64| {
        let mut z = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f32 / (1u64 << 53) as f32
    };
    let vector = |i: usize| (0..SMALL).map(|d| unit((i * SMALL + d) as u64 + 1)).collect::<Vec<f32>>();
    let queries: Vec<Vec<f32>> = (0..20).map(|i| vector(1_000_000 + i)).collect();
    let before = {
        let mut db = Database::open(&path, small.clone()).unwrap();
        let items: Vec<Upsert> = (0..3_000)
            .map(|i| Upsert {
                namespace: String::new(),
                record: Record { id: format!("r{i}"), metadata: Json::Object(vec![]), sparse: vec![], vectors: vec![] },
                vector: vector(i).into(),
                expires_at: None,
                multi: Vec::new(),
            })
            .collect();
        db.upsert_many(items, false).unwrap();
        db.update_indexes();
        assert!(!db.namespaces[""].vectors().graph().expect("a graph").is_mapped(), "built in memory");
        let built = top_ids(&db, &queries);
        db.compact().unwrap();
        assert!(db.namespaces[""].vectors().graph().unwrap().is_mapped(), "the compaction moved the handle onto the file's copy");
        assert_eq!(top_ids(&db, &queries), built);
        built
    };
    let mut db = Database::open(&path, small).unwrap();
    let graph = db.namespaces[""].vectors().graph().expect("the stored graph");
    assert!(graph.is_mapped(), "level 0 used in place");
    let ns = &db.namespaces[""];
    assert!(ns.ids_in_place(), "the id table used in place");
    assert!((0..3_000).all(|i| ns.slot_of(&format!("r{i}")) == Some(i as u32)) && ns.slot_of("r3000").is_none());
    assert_eq!(top_ids(&db, &queries), before, "the mapped graph finds what the built one found");
    let upsert = |i: usize| Upsert {
        namespace: String::new(),
        record: Record { id: format!("new{i}"), metadata: Json::Object(vec![]), sparse: vec![], vectors: vec![] },
        vector: queries[i].clone().into(),
        expires_at: None,
        multi: Vec::new(),
    };
    db.upsert_many((0..3).map(upsert).collect(), false).unwrap();
    db.update_indexes();
    let graph = db.namespaces[""].vectors().graph().unwrap();
    assert!(!graph.is_mapped(), "a write copies level 0 into memory");
    assert!(!db.namespaces[""].ids_in_place(), "and the id table");
    assert!((0..3).all(|i| db.namespaces[""].slot_of(&format!("new{i}")).is_some()));
    assert_eq!(db.namespaces[""].slot_of("r2999"), Some(2_999));
    graph.check_integrity().unwrap();
    for (i, ids) in top_ids(&db, &queries[..3]).iter().enumerate() {
        assert_eq!(ids[0], format!("new{i}"), "an insert after the copy is found");
    }
    drop(db);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

/// Whether this process still maps a file of `path`'s name that was deleted or renamed over.
#[cfg(target_os = "linux")]
fn maps_a_replaced(path: &Path) -> bool {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let name = path.canonicalize().unwrap_or(path.to_path_buf());
    maps.lines().any(|l| l.contains(name.to_str().unwrap()) && l.ends_with("(deleted)"))
}

#[cfg(target_os = "linux")]
#[test]
fn a_compaction_moves_every_part_used_in_place_onto_the_new_file() {
    const SMALL: usize = 8;
    let path = temp_path("move");
    let small = OpenOptions { dimension: Some(SMALL), sync: SyncMode::Normal, ann_threshold: 100, ..Default::default() };
    let vector = |i: usize, d: usize| ((i * 31 + d * 17) % 101) as f32 / 50.0 - 1.0 + (i as f32) * 1e-4;
    {
        let mut db = Database::open(&path, small.clone()).unwrap();
        let items: Vec<Upsert> = (0..2_000)
            .map(|i| Upsert {
                namespace: if i % 2 == 0 { String::new() } else { "b".into() },
                record: Record {
                    id: format!("r{i}"),
                    metadata: Json::Object(vec![]),
                    sparse: vec![],
                    vectors: vec![("title".into(), (0..4).map(|d| vector(i + 7, d)).collect())],
                },
                vector: (0..SMALL).map(|d| vector(i, d)).collect::<Vec<f32>>().into(),
                expires_at: None,
                multi: Vec::new(),
            })
            .collect();
        db.upsert_many(items, false).unwrap();
        db.compact().unwrap();
    }
    let mut db = Database::open(&path, small).unwrap();
    let in_place = |db: &Database| {
        db.namespaces.values().all(|ns| {
            ns.ids_in_place()
                && ns.vectors().graph().is_some_and(|g| g.is_mapped())
                && ns.named_spaces()["title"].vectors().graph().is_some_and(|g| g.is_mapped())
        })
    };
    assert!(in_place(&db), "an open uses the graphs, named ones too, and the id tables in place");
    // A write that changes no graph and no id: the compaction keeps every part as it was,
    // and each must move onto the new file all the same.
    db.commit(vec![vectlite::record::WalOp::UpdateMetadata {
        namespace: String::new(),
        id: "r0".into(),
        patch: Json::Object(vec![("k".into(), Json::Number(1.0))]),
    }])
    .unwrap();
    db.compact().unwrap();
    assert!(in_place(&db), "in place after the compaction");
    assert!(!maps_a_replaced(&path), "a part still maps the file the compaction replaced");
    assert_eq!(db.namespaces["b"].slot_of("r1999"), Some(999));
    drop(db);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}
