//! Multi-vector records (late interaction): written, replaced and deleted with their
//! records, through the WAL and the snapshot, and searched by MaxSim.

use vectlite::codec::{Reader, Writer};
use vectlite::db::{Database, OpenOptions};
use vectlite::error::Code;
use vectlite::filter::FilterPlan;
use vectlite::json::{self, Json};
use vectlite::multi_vector::MultiVector;
use vectlite::record::{Record, Upsert, WalOp, OP_SET_MULTI_VECTORS};
use vectlite::search::{self, options::{MultiVectorQuery, NamespaceSelection, SearchOptions}};
use vectlite::storage::wal::SyncMode;
use vectlite::vector::Metric;

mod common;
use common::TempPath;

const DIM: usize = 4;

fn temp_path(name: &str) -> TempPath {
    TempPath::file(&format!("vl-multi-{name}"), "db.vdb")
}

fn opts(metric: Metric) -> OpenOptions {
    OpenOptions { dimension: Some(2), metric: Some(metric), read_only: false, sync: SyncMode::Full, ..Default::default() }
}

/// A small deterministic generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
    fn tokens(&mut self, n: usize) -> Vec<f32> {
        (0..n * DIM).map(|_| self.next()).collect()
    }
}

fn item(ns: &str, id: &str, i: usize, multi: Vec<MultiVector>) -> Upsert<'static> {
    Upsert {
        namespace: ns.into(),
        record: Record { id: id.into(), metadata: Json::Object(vec![("i".into(), Json::Number(i as f64))]), sparse: vec![], vectors: vec![] },
        vector: vec![i as f32, 1.0].into(),
        expires_at: None,
        multi,
    }
}

fn space(name: &str, values: Vec<f32>) -> Vec<MultiVector> {
    vec![MultiVector { name: name.into(), dim: DIM, values }]
}

/// MaxSim computed the obvious way, in f64.
fn naive(metric: Metric, query: &[f32], doc: &[f32]) -> f64 {
    let sim = |a: &[f32], b: &[f32]| -> f64 {
        let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
        let norm = |v: &[f32]| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
        match metric {
            Metric::Cosine => dot / (norm(a) * norm(b)),
            Metric::Dot => dot,
            Metric::L2 => -a.iter().zip(b).map(|(x, y)| (*x as f64 - *y as f64).powi(2)).sum::<f64>().sqrt(),
            Metric::Manhattan => -a.iter().zip(b).map(|(x, y)| (*x as f64 - *y as f64).abs()).sum::<f64>(),
        }
    };
    query.chunks(DIM).map(|q| doc.chunks(DIM).map(|d| sim(q, d)).fold(f64::NEG_INFINITY, f64::max)).sum()
}

fn late(name: &str, values: Vec<f32>, k: usize) -> SearchOptions {
    SearchOptions { k, multi_vector: Some(MultiVectorQuery { name: name.into(), dim: DIM, values, candidates: None }), ..Default::default() }
}

fn ids(hits: &[search::Hit]) -> Vec<String> {
    hits.iter().map(|h| h.record.id.to_string()).collect()
}

fn stored(db: &Database, ns: &str, id: &str) -> Vec<(String, usize, Vec<f32>)> {
    search::get(db, ns, id).unwrap().multi.iter().map(|(n, d, v)| (n.to_string(), *d, v.to_vec())).collect()
}

#[test]
fn multi_vectors_are_written_replaced_deleted_and_kept_through_the_wal_and_the_snapshot() {
    let path = temp_path("lifecycle");
    let mut db = Database::open(&path, opts(Metric::Cosine)).unwrap();
    let mut rng = Rng(1);
    let (a, b, c) = (rng.tokens(3), rng.tokens(1), rng.tokens(5));
    let mut both = space("colbert", a.clone());
    both.push(MultiVector { name: "img".into(), dim: 2, values: vec![1.0, 2.0, 3.0, 4.0] });
    db.upsert_many(vec![item("", "a", 0, both), item("", "b", 1, space("colbert", b.clone())), item("", "plain", 2, vec![])], false).unwrap();
    assert_eq!(stored(&db, "", "a"), vec![("colbert".into(), DIM, a.clone()), ("img".into(), 2, vec![1.0, 2.0, 3.0, 4.0])]);
    // A write replaces the record's multi-vectors with its own: none, here.
    db.upsert_many(vec![item("", "b", 1, vec![]), item("", "c", 3, space("colbert", c.clone()))], false).unwrap();
    assert!(stored(&db, "", "b").is_empty());
    db.delete_many("", &["a".into()]).unwrap();
    let check = |db: &Database| {
        assert!(search::get(db, "", "a").is_none());
        assert!(stored(db, "", "b").is_empty());
        assert_eq!(stored(db, "", "c"), vec![("colbert".into(), DIM, c.clone())]);
        let (hits, _) = search::search(db, None, &late("colbert", c[..DIM].to_vec(), 10)).unwrap();
        assert_eq!(ids(&hits), vec!["c"], "only records with the space are candidates");
        assert_eq!(db.multi_dims.get("colbert"), Some(&DIM));
    };
    check(&db);
    drop(db);
    let mut db = Database::open(&path, opts(Metric::Cosine)).unwrap();
    check(&db); // replayed from the WAL
    assert_eq!(db.multi_dims.get("img"), Some(&2));
    db.compact().unwrap();
    check(&db);
    assert_eq!(db.namespaces[""].multi_spaces()["colbert"].len(), 1, "the compaction drops the deleted records' vectors");
    drop(db);
    let mut db = Database::open(&path, opts(Metric::Cosine)).unwrap();
    check(&db); // from the snapshot
    // The space's dimension stays fixed: a record of another is refused, naming it.
    let err = db.upsert_many(vec![item("", "d", 4, vec![MultiVector { name: "colbert".into(), dim: 3, values: vec![0.0; 3] }])], false).unwrap_err();
    assert_eq!(err.code, Code::DimensionMismatch);
    assert!(err.message.contains("\"d\"") && err.message.contains("colbert"), "{}", err.message);
    for bad in [vec![], vec![0.0; DIM * 4097]] {
        let err = db.upsert_many(vec![item("", "d", 4, space("colbert", bad))], false).unwrap_err();
        assert_eq!(err.code, Code::InvalidArgument);
    }
    let err = db.upsert_many(vec![item("", "d", 4, space("colbert", vec![f32::NAN; DIM]))], false).unwrap_err();
    assert_eq!(err.code, Code::InvalidArgument);
    assert!(search::get(&db, "", "d").is_none(), "nothing was written");
}

#[test]
fn max_sim_scores_equal_a_naive_computation_for_every_metric_and_both_strategies() {
    for metric in [Metric::Cosine, Metric::Dot, Metric::L2, Metric::Manhattan] {
        let path = temp_path(&format!("score-{}", metric.name()));
        let mut db = Database::open(&path, opts(metric)).unwrap();
        let mut rng = Rng(7);
        let docs: Vec<Vec<f32>> = (0..300).map(|i| rng.tokens(1 + i % 9)).collect();
        db.upsert_many(docs.iter().enumerate().map(|(i, d)| item("", &format!("r{i}"), i, space("colbert", d.clone()))).collect(), false).unwrap();
        let query = rng.tokens(4);
        let mut expected: Vec<(f64, String)> = docs.iter().enumerate().map(|(i, d)| (naive(metric, &query, d), format!("r{i}"))).collect();
        expected.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut exact = late("colbert", query.clone(), 10);
        exact.exact = true;
        let (hits, _) = search::search(&db, None, &exact).unwrap();
        for (hit, (score, id)) in hits.iter().zip(&expected) {
            assert_eq!(&hit.record.id, id, "{metric:?}");
            assert!((hit.score as f64 - score).abs() < 1e-4 * score.abs().max(1.0), "{metric:?} {id}: {} vs {score}", hit.score);
        }
        // With a shortlist smaller than the space, returned scores are still exact MaxSim.
        let mut short = late("colbert", query.clone(), 10);
        short.multi_vector.as_mut().unwrap().candidates = Some(50);
        let (hits, _) = search::search(&db, None, &short).unwrap();
        assert_eq!(hits.len(), 10);
        for h in &hits {
            let i: usize = h.record.id[1..].parse().unwrap();
            assert!((h.score as f64 - naive(metric, &query, &docs[i])).abs() < 1e-4 * h.score.abs().max(1.0) as f64);
        }
    }
}

#[test]
fn filters_namespaces_expiry_and_bad_queries() {
    let path = temp_path("filters");
    let mut db = Database::open(&path, opts(Metric::Dot)).unwrap();
    let mut rng = Rng(3);
    let mut items = Vec::new();
    for i in 0..40 {
        let mut u = item(if i % 2 == 0 { "even" } else { "odd" }, &format!("r{i}"), i, space("colbert", rng.tokens(3)));
        if i % 5 == 0 {
            u.expires_at = Some(1_000); // expired already
        }
        items.push(u);
    }
    db.upsert_many(items, false).unwrap();
    let query = rng.tokens(2);
    let mut o = late("colbert", query.clone(), 100);
    o.namespaces = NamespaceSelection::All;
    o.filter = Some(FilterPlan::parse(&json::parse(br#"{"i":{"$lt":20}}"#, "f").unwrap()).unwrap());
    let (hits, _) = search::search(&db, None, &o).unwrap();
    let mut got: Vec<usize> = hits.iter().map(|h| h.record.id[1..].parse().unwrap()).collect();
    got.sort();
    assert_eq!(got, (0..20).filter(|i| i % 5 != 0).collect::<Vec<_>>(), "the filter applies and expired records stay hidden");
    o.namespaces = NamespaceSelection::One("odd".into());
    o.exact = true;
    let (hits, _) = search::search(&db, None, &o).unwrap();
    assert!(hits.iter().all(|h| h.namespace == "odd" && h.record.id[1..].parse::<usize>().unwrap() % 2 == 1));
    // The query replaces the main query vector; a wrong dimension or an unknown space is refused.
    assert_eq!(search::search(&db, Some(&[1.0, 0.0]), &late("colbert", query.clone(), 5)).err().unwrap().code, Code::InvalidArgument);
    let mut wrong = late("colbert", vec![0.0; 3], 5);
    wrong.multi_vector.as_mut().unwrap().dim = 3;
    assert_eq!(search::search(&db, None, &wrong).err().unwrap().code, Code::DimensionMismatch);
    assert_eq!(search::search(&db, None, &late("nope", query, 5)).err().unwrap().code, Code::InvalidArgument);
}

#[test]
fn a_corrupt_multi_vector_operation_is_refused() {
    let good = WalOp::SetMultiVectors { namespace: String::new(), id: "a".into(), spaces: space("colbert", vec![1.0; DIM * 2]) };
    let mut w = Writer::new();
    good.encode_payload(&mut w);
    assert_eq!(WalOp::decode_payload(OP_SET_MULTI_VECTORS, &mut Reader::new(&w.buf, 0, "t")).unwrap(), good);
    // A count larger than the bytes left, a zero dimension, a zero count: CORRUPT, no huge allocation.
    for (dim, count) in [(DIM as u64, 1u64 << 40), (0, 1), (DIM as u64, 0), (1 << 40, 2)] {
        let mut w = Writer::new();
        w.str("");
        w.str("a");
        w.varint(1);
        w.str("colbert");
        w.varint(dim);
        w.varint(count);
        w.f32s(&[1.0; 8]);
        let err = WalOp::decode_payload(OP_SET_MULTI_VECTORS, &mut Reader::new(&w.buf, 0, "t")).unwrap_err();
        assert_eq!(err.code, Code::Corrupt, "{dim} x {count}");
    }
    let mut w = Writer::new();
    w.str("");
    w.str("a");
    w.varint(1 << 50);
    assert_eq!(WalOp::decode_payload(OP_SET_MULTI_VECTORS, &mut Reader::new(&w.buf, 0, "t")).unwrap_err().code, Code::Corrupt);
}

#[test]
fn undoing_an_ingest_restores_the_old_multi_vectors() {
    let path = temp_path("undo");
    let mut db = Database::open(&path, opts(Metric::Cosine)).unwrap();
    let old = vec![1.0; DIM * 2];
    db.upsert_many(vec![item("", "a", 0, space("colbert", old.clone()))], false).unwrap();
    db.begin_undo().unwrap();
    db.upsert_many(vec![item("", "a", 1, space("colbert", vec![2.0; DIM])), item("", "b", 2, space("colbert", vec![3.0; DIM]))], false).unwrap();
    db.apply_undo().unwrap();
    assert_eq!(stored(&db, "", "a"), vec![("colbert".into(), DIM, old.clone())]);
    assert!(search::get(&db, "", "b").is_none());
    drop(db);
    let db = Database::open(&path, opts(Metric::Cosine)).unwrap();
    assert_eq!(stored(&db, "", "a"), vec![("colbert".into(), DIM, old)]);
}
