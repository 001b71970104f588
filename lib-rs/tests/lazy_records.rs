//! Records read from the snapshot as needed: after a compaction (and at every open of its
//! file) the records stay where the file has them and are decoded one at a time when read.
//! A model of the records checks every read path against writes, compactions and reopens;
//! a record whose bytes pass the section checksum but do not decode is reported, never
//! carried into a new file.

use std::collections::BTreeMap;
use std::path::Path;
use vectlite::db::{Database, OpenOptions};
use vectlite::error::Code;
use vectlite::filter::FilterPlan;
use vectlite::json;
use vectlite::record::{Record, Upsert, WalOp};
use vectlite::search::{self, options::{ListOptions, NamespaceSelection, SearchOptions}};
use vectlite::storage::wal::SyncMode;
use vectlite::vector::Metric;

mod common;
use common::{Rng, TempPath};

fn temp_path(name: &str) -> TempPath {
    TempPath::file(&format!("vl-lazy-{name}"), "db.vdb")
}

fn opts(ann_threshold: usize) -> OpenOptions {
    OpenOptions { dimension: Some(2), metric: Some(Metric::L2), sync: SyncMode::Normal, ann_threshold, ..Default::default() }
}

/// A record as the model keeps it: metadata JSON text, terms, main vector.
#[derive(Clone, Debug, PartialEq)]
struct Model {
    metadata: String,
    term: String,
    vector: [f32; 2],
}

fn upsert(id: &str, m: &Model) -> Upsert<'static> {
    Upsert {
        namespace: String::new(),
        record: Record { id: id.into(), metadata: json::parse(m.metadata.as_bytes(), "t").unwrap(), sparse: vec![(m.term.as_str().into(), 1.0)], vectors: vec![] },
        vector: m.vector.to_vec().into(),
        expires_at: None,
        multi: Vec::new(),
    }
}


fn model_record(rng: &mut Rng, i: u64) -> Model {
    let tag = rng.below(4);
    Model { metadata: format!(r#"{{"n":{i},"tag":"t{tag}","nested":{{"x":[{tag},"s"]}}}}"#), term: format!("w{}", rng.below(3)), vector: [rng.below(100) as f32, rng.below(100) as f32] }
}

/// Every read agrees with the model: get, count and list with and without a filter, exact
/// and graph search (ids and scores), keyword search.
fn agree(db: &Database, model: &BTreeMap<String, Model>) {
    let all = NamespaceSelection::One(String::new());
    assert_eq!(search::count(db, &all, None), model.len());
    for (id, m) in model {
        let hit = search::get(db, "", id).unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(hit.record.metadata, json::parse(m.metadata.as_bytes(), "t").unwrap().to_json(), "{id}");
        assert_eq!(hit.record.sparse[0].0.as_ref() as &str, m.term.as_str());
        assert_eq!(hit.vector, &m.vector);
    }
    assert!(search::get(db, "", "never").is_none());
    let filter = || FilterPlan::parse(&json::parse(br#"{"tag":{"$in":["t1","t2"]},"nested.x":{"$ne":3}}"#, "t").unwrap()).unwrap();
    let wanted: Vec<&String> = model.iter().filter(|(_, m)| m.metadata.contains("\"t1\"") || m.metadata.contains("\"t2\"")).map(|(id, _)| id).collect();
    assert_eq!(search::count(db, &all, Some(&filter())), wanted.len());
    let listed = search::list(db, &ListOptions { filter: Some(filter()), ..Default::default() }).unwrap();
    let mut ids: Vec<String> = listed.hits.iter().map(|h| h.record.id.to_string()).collect();
    ids.sort();
    assert_eq!(ids.iter().collect::<Vec<_>>(), wanted);
    // Paged by cursor: the same records, each once.
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = search::list(db, &ListOptions { limit: 7, after, ..Default::default() }).unwrap();
        paged.extend(page.hits.iter().map(|h| h.record.id.to_string()));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    paged.sort();
    assert_eq!(paged, model.keys().cloned().collect::<Vec<_>>());
    let q = [50.0f32, 50.0];
    let mut expected: Vec<(f32, &String)> = model.iter().map(|(id, m)| (-((m.vector[0] - q[0]).powi(2) + (m.vector[1] - q[1]).powi(2)).sqrt(), id)).collect();
    expected.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let k = 10.min(model.len());
    let (hits, _) = search::search(db, Some(&q), &SearchOptions { k, exact: true, filter: None, ..Default::default() }).unwrap();
    let got: Vec<f32> = hits.iter().map(|h| h.score).collect();
    assert_eq!(got, expected[..k].iter().map(|e| e.0).collect::<Vec<_>>());
    let (filtered, _) = search::search(db, Some(&q), &SearchOptions { k: 5, exact: true, filter: Some(filter()), ..Default::default() }).unwrap();
    assert!(filtered.iter().all(|h| wanted.iter().any(|w| w.as_str() == h.record.id)));
    let (keyword, _) = search::search(db, None, &SearchOptions { k: 1_000, sparse: Some(vec![("w1".into(), 1.0)]), ..Default::default() }).unwrap();
    assert_eq!(keyword.len(), model.values().filter(|m| m.term == "w1").count());
}

#[test]
fn reads_and_writes_over_records_left_in_the_file_agree_with_a_model() {
    // The third run deletes nothing, so its compactions copy stored records' bytes beside
    // records written since (the other runs renumber them in memory first).
    for (seed, ann_threshold, deletes) in [(7u64, usize::MAX, true), (99, 50, true), (5, usize::MAX, false)] {
        let path = temp_path(&format!("model-{seed}"));
        let mut rng = Rng(seed);
        let mut model: BTreeMap<String, Model> = BTreeMap::new();
        let mut db = Database::open(&path, opts(ann_threshold)).unwrap();
        let mut next_id = 0u64;
        for round in 0..12 {
            for _ in 0..40 {
                match rng.below(10) {
                    0..=3 => {
                        next_id += 1;
                        let m = model_record(&mut rng, next_id);
                        let id = format!("r{next_id}");
                        db.upsert_many(vec![upsert(&id, &m)], false).unwrap();
                        model.insert(id, m);
                    }
                    4..=5 if !model.is_empty() => {
                        let id = model.keys().nth(rng.below(model.len() as u64) as usize).unwrap().clone();
                        let n = 1_000 + rng.below(10);
                        let m = model_record(&mut rng, n);
                        db.upsert_many(vec![upsert(&id, &m)], false).unwrap();
                        model.insert(id, m);
                    }
                    6..=7 if !model.is_empty() => {
                        let id = model.keys().nth(rng.below(model.len() as u64) as usize).unwrap().clone();
                        let tag = rng.below(4);
                        let patch = json::parse(format!(r#"{{"tag":"t{tag}","extra":true}}"#).as_bytes(), "t").unwrap();
                        db.commit(vec![WalOp::UpdateMetadata { namespace: String::new(), id: id.clone(), patch: patch.clone() }]).unwrap();
                        let m = model.get_mut(&id).unwrap();
                        let mut record = Record { id: id.clone(), metadata: json::parse(m.metadata.as_bytes(), "t").unwrap(), sparse: vec![], vectors: vec![] };
                        record.merge_metadata(patch);
                        m.metadata = record.metadata.to_json();
                    }
                    8 if deletes && !model.is_empty() => {
                        let id = model.keys().nth(rng.below(model.len() as u64) as usize).unwrap().clone();
                        assert_eq!(db.delete_many("", std::slice::from_ref(&id)).unwrap(), 1);
                        model.remove(&id);
                    }
                    _ => {}
                }
            }
            agree(&db, &model);
            match round % 3 {
                0 => {
                    db.compact().unwrap();
                    assert!(db.namespaces.get("").is_none_or(|ns| ns.records_in_place()), "a compaction leaves the records in the new file");
                }
                1 => {
                    drop(db);
                    db = Database::open(&path, opts(ann_threshold)).unwrap();
                }
                _ => {}
            }
            agree(&db, &model);
        }
        db.compact().unwrap();
        drop(db);
        let db = Database::open(&path, OpenOptions { read_only: true, ..opts(ann_threshold) }).unwrap();
        assert!(db.namespaces[""].records_in_place(), "an open of a compacted file decodes no record");
        agree(&db, &model);
    }
}

/// The file's section table: (kind, offset, length, crc) and where each entry lies.
fn sections(bytes: &[u8]) -> (usize, Vec<(u32, usize, usize, usize)>) {
    let count = u32::from_le_bytes(bytes[32..36].try_into().unwrap()) as usize;
    let footer = u64::from_le_bytes(bytes[40..48].try_into().unwrap()) as usize;
    let entries = (0..count)
        .map(|i| {
            let e = footer + i * 32;
            let kind = u32::from_le_bytes(bytes[e..e + 4].try_into().unwrap());
            let offset = u64::from_le_bytes(bytes[e + 8..e + 16].try_into().unwrap()) as usize;
            let len = u64::from_le_bytes(bytes[e + 16..e + 24].try_into().unwrap()) as usize;
            (kind, offset, len, e)
        })
        .collect();
    (footer, entries)
}

/// Damages the metadata of record `victim` in place and gives RECORDS a checksum that
/// matches again (damage a checksum would not see: the file as a faulty disk or another
/// program could leave it).
fn damage_record_behind_a_good_checksum(path: &Path, victim: &str) {
    let mut bytes = std::fs::read(path).unwrap();
    let (footer, entries) = sections(&bytes);
    let &(_, offset, len, entry) = entries.iter().find(|e| e.0 == 2).unwrap();
    let needle = [&[victim.len() as u8][..], victim.as_bytes()].concat();
    let at = offset + bytes[offset..offset + len].windows(needle.len()).position(|w| w == needle).unwrap() + needle.len();
    assert_eq!(bytes[at + 1], b'{', "the metadata follows the id");
    bytes[at + 1] = b'!';
    let crc = vectlite::checksum::crc32c(&bytes[offset..offset + len]);
    bytes[entry + 24..entry + 28].copy_from_slice(&crc.to_le_bytes());
    let table_end = footer + entries.len() * 32;
    let table_crc = vectlite::checksum::crc32c(&bytes[footer..table_end]);
    bytes[table_end..table_end + 4].copy_from_slice(&table_crc.to_le_bytes());
    std::fs::write(path, bytes).unwrap();
}

/// A compacted database of 50 records `id-00`..`id-49`, record `id-17` damaged behind a good
/// checksum; returns the file's bytes.
fn damaged_database(path: &Path) -> Vec<u8> {
    {
        let mut db = Database::open(path, opts(usize::MAX)).unwrap();
        let items: Vec<Upsert> = (0..50).map(|i| upsert(&format!("id-{i:02}"), &Model { metadata: format!(r#"{{"n":{i}}}"#), term: "w".into(), vector: [i as f32, 0.0] })).collect();
        db.upsert_many(items, false).unwrap();
        db.compact().unwrap();
    }
    damage_record_behind_a_good_checksum(path, "id-17");
    std::fs::read(path).unwrap()
}

#[test]
fn a_record_that_does_not_decode_is_reported_by_reads_check_and_compaction() {
    let path = temp_path("damage");
    let before = damaged_database(&path);
    let mut db = Database::open(&path, opts(usize::MAX)).unwrap();
    assert!(db.namespaces[""].records_in_place());
    // Records around it read as they are.
    assert_eq!(search::get(&db, "", "id-16").unwrap().record.metadata, r#"{"n":16}"#);
    assert_eq!(search::count(&db, &NamespaceSelection::All, None), 50);
    // A read that meets it fails, naming the file, and so does everything after.
    let listed = search::list(&db, &ListOptions::default());
    let e = listed.err().expect("a list over the damaged record fails");
    assert_eq!(e.code, Code::Corrupt);
    assert!(e.message.contains("db.vdb"), "{}", e.message);
    assert_eq!(search::intact(&db, &NamespaceSelection::All).unwrap_err().code, Code::Corrupt);
    assert_eq!(db.check().unwrap_err().code, Code::Corrupt);
    assert_eq!(db.compact().unwrap_err().code, Code::Corrupt);
    drop(db);
    assert_eq!(std::fs::read(&path).unwrap(), before, "the compaction left the file as it was");
    // A search that only scores it (no metadata read) answers; one returning it fails.
    let db = Database::open(&path, opts(usize::MAX)).unwrap();
    let near = |x: f32, k: usize| search::search(&db, Some(&[x, 0.0]), &SearchOptions { k, exact: true, ..Default::default() });
    assert_eq!(near(40.0, 1).unwrap().0[0].record.id, "id-40");
    assert_eq!(near(17.0, 3).err().unwrap().code, Code::Corrupt);
}

#[test]
fn damage_no_read_has_met_is_found_before_a_compaction_or_a_copy_could_drop_or_carry_it() {
    let path = temp_path("unmet");
    let before = damaged_database(&path);
    let dir = path.parent().unwrap();
    // A fresh open: check decodes every stored record.
    let db = Database::open(&path, opts(usize::MAX)).unwrap();
    assert_eq!(db.check().unwrap_err().code, Code::Corrupt);
    drop(db);
    // A compaction with nothing to drop (the bytes would be copied as they are), and one
    // after a delete (records renumbered in memory): both refused, the file unchanged.
    for delete_first in [false, true] {
        let mut db = Database::open(&path, opts(usize::MAX)).unwrap();
        if delete_first {
            assert_eq!(db.delete_many("", &["id-03".to_string()]).unwrap(), 1);
        }
        assert_eq!(db.compact().unwrap_err().code, Code::Corrupt);
        // The handle goes on: a write after the refused compaction lands in its own slot.
        db.upsert_many(vec![upsert("late", &Model { metadata: "{}".into(), term: "w".into(), vector: [99.0, 0.0] })], false).unwrap();
        assert_eq!(search::get(&db, "", "late").unwrap().vector, &[99.0, 0.0]);
        assert_eq!(search::get(&db, "", "id-18").unwrap().vector, &[18.0, 0.0], "no record moved onto another's vector");
        drop(db);
        let leftovers: Vec<_> = std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().ends_with(".tmp")).collect();
        assert!(leftovers.is_empty(), "no temporary file left");
    }
    let snapshot = vectlite::storage::format::read_file(std::fs::File::open(&path).unwrap(), "f").unwrap();
    assert_eq!(snapshot.namespaces[0].records.len(), 50, "the snapshot on disk is the damaged one, whole");
    assert_eq!(&std::fs::read(&path).unwrap()[..128], &before[..128]);
}

#[test]
fn a_damaged_record_refuses_a_merge_but_can_be_replaced_or_deleted_which_repairs_the_database() {
    for replace in [true, false] {
        let path = temp_path(&format!("repair-{replace}"));
        damaged_database(&path);
        let mut db = Database::open(&path, opts(usize::MAX)).unwrap();
        let patch = json::parse(br#"{"x":1}"#, "t").unwrap();
        let merge = db.commit(vec![WalOp::UpdateMetadata { namespace: String::new(), id: "id-17".into(), patch }]);
        assert_eq!(merge.unwrap_err().code, Code::Corrupt, "a merge into metadata that does not decode");
        if replace {
            db.upsert_many(vec![upsert("id-17", &Model { metadata: r#"{"n":"new"}"#.into(), term: "w".into(), vector: [17.0, 1.0] })], false).unwrap();
        } else {
            assert_eq!(db.delete_many("", &["id-17".to_string()]).unwrap(), 1);
        }
        search::intact(&db, &NamespaceSelection::All).unwrap();
        assert_eq!(search::list(&db, &ListOptions::default()).unwrap().hits.len(), if replace { 50 } else { 49 });
        db.check().unwrap();
        db.compact().unwrap();
        drop(db);
        let db = Database::open(&path, opts(usize::MAX)).unwrap();
        db.check().unwrap();
        assert_eq!(search::get(&db, "", "id-17").map(|h| h.record.metadata.to_string()), replace.then(|| r#"{"n":"new"}"#.to_string()));
        assert_eq!(search::count(&db, &NamespaceSelection::All, None), if replace { 50 } else { 49 });
    }
}
