//! Quantized vector spaces against float32 ones on a few thousand clustered vectors: the
//! graph walk and the scan over int8 and binary codes keep recall (with and without
//! filters) and return exact scores; a database keeps its choice across reopen and
//! converts on compaction.

use vectlite::db::{Database, OpenOptions};
use vectlite::error::Code;
use vectlite::json::Json;
use vectlite::record::{Record, Upsert};
use vectlite::search::{self, options::SearchOptions};
use vectlite::vector::distance::{inverse_norm, score, Metric};
use vectlite::vector::hnsw::HnswParams;
use vectlite::vector::quantize::{Quantization, Quantizations};
use vectlite::vector::space::{Method, VectorSpace};

mod common;
use common::TempPath;

const K: usize = 10;

/// Seeded clustered vectors, and queries from the same clusters (not among them): 40
/// centres, Gaussian noise (xorshift64* and Box-Muller).
fn clustered(n: usize, queries: usize, dim: usize, seed: u64) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
    let mut state = seed.max(1);
    let mut uniform = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        ((state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let mut gauss = move || ((-2.0 * uniform().ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos()) as f32;
    let centres: Vec<Vec<f32>> = (0..40).map(|_| (0..dim).map(|_| gauss()).collect()).collect();
    let mut all: Vec<Vec<f32>> = (0..n + queries).map(|i| centres[i % 40].iter().map(|c| c + 0.4 * gauss()).collect()).collect();
    let queries = all.split_off(n);
    (all, queries)
}

fn exact_top(space: &VectorSpace, metric: Metric, q: &[f32], accept: &dyn Fn(u32) -> bool) -> Vec<u32> {
    space.nearest(metric, q, K, Method::Exact, accept).into_iter().map(|(_, s)| s).collect()
}

/// Mean recall@10 of `method` against the exact scan, over `queries`, and a check that
/// every returned score is the exact float32 score of its slot.
fn recall(space: &VectorSpace, metric: Metric, queries: &[Vec<f32>], method: Method, accept: &dyn Fn(u32) -> bool) -> f64 {
    let mut hits = 0usize;
    let mut wanted = 0usize;
    for q in queries {
        let truth = exact_top(space, metric, q, accept);
        let found = space.nearest(metric, q, K, method, accept);
        for &(s, slot) in &found {
            assert!(accept(slot));
            let exact = score(metric, q, inverse_norm(q), space.vector(slot), space.inv_norm(slot));
            assert_eq!(s, exact, "a returned score is the float32 one");
        }
        hits += found.iter().filter(|(_, s)| truth.contains(s)).count();
        wanted += truth.len();
    }
    hits as f64 / wanted as f64
}

fn quantized_space(data: &[Vec<f32>], quantization: Quantization, metric: Metric) -> VectorSpace {
    let mut space = VectorSpace::new(data[0].len());
    space.set_quantization(quantization);
    for v in data {
        space.put(None, v);
    }
    assert!(space.codes().is_none(), "codes are learned with the graph");
    space.build_index(HnswParams::default(), metric, 7);
    assert_eq!(space.codes().map(|c| c.kind()), Some(quantization));
    space
}

#[test]
fn int8_codes_keep_recall_in_the_graph_and_the_scan_with_and_without_filters() {
    let (data, queries) = clustered(4_000, 100, 64, 11);
    for metric in [Metric::Cosine, Metric::Dot, Metric::L2, Metric::Manhattan] {
        let space = quantized_space(&data, Quantization::Int8, metric);
        let mut plain = quantized_space(&data, Quantization::Int8, metric);
        plain.set_quantization(Quantization::None);
        assert!(plain.codes().is_none());
        let all = |_: u32| true;
        // The same graph walked on float32 vectors: what the codes must keep.
        let float = recall(&plain, metric, &queries, Method::Graph { ef: 64, rescore: 1 }, &all);
        let graph = recall(&space, metric, &queries, Method::Graph { ef: 64, rescore: 4 }, &all);
        let scan = recall(&space, metric, &queries, Method::Scan { rescore: 4 }, &all);
        assert!(graph >= 0.95 && graph >= float - 0.01 && scan >= 0.99, "{metric:?}: graph {graph} (float32 {float}), scan {scan}");
        for every in [10, 100] {
            let some = move |slot: u32| slot.is_multiple_of(every);
            let filtered_graph = recall(&space, metric, &queries, Method::Graph { ef: 64 * every as usize / 10, rescore: 4 }, &some);
            let filtered_scan = recall(&space, metric, &queries, Method::Scan { rescore: 4 }, &some);
            assert!(filtered_graph >= 0.95 && filtered_scan >= 0.95, "{metric:?} 1/{every}: graph {filtered_graph}, scan {filtered_scan}");
        }
    }
}

#[test]
fn binary_codes_keep_recall_at_a_thousand_dimensions() {
    let (data, queries) = clustered(2_000, 50, 1_024, 21);
    let space = quantized_space(&data, Quantization::Binary, Metric::Cosine);
    let all = |_: u32| true;
    let graph = recall(&space, Metric::Cosine, &queries, Method::Graph { ef: 100, rescore: 10 }, &all);
    let scan = recall(&space, Metric::Cosine, &queries, Method::Scan { rescore: 10 }, &all);
    assert!(graph >= 0.95 && scan >= 0.95, "graph {graph}, scan {scan}");
}

#[test]
fn exact_ignores_the_codes_and_writes_after_the_graph_are_found() {
    let (data, _) = clustered(1_000, 0, 32, 31);
    let mut space = quantized_space(&data, Quantization::Int8, Metric::L2);
    // A vector far outside the learned ranges: clamped codes, found anyway through its
    // exact score (it waits outside the graph) and by the codes scan's rescoring.
    let outlier: Vec<f32> = vec![50.0; 32];
    let slot = space.put(None, &outlier);
    for method in [Method::Exact, Method::Scan { rescore: 4 }, Method::Graph { ef: 64, rescore: 4 }] {
        assert_eq!(space.nearest(Metric::L2, &outlier, 1, method, |_| true)[0], (-0.0, slot), "{method:?}");
    }
    space.update_index(Metric::L2);
    assert_eq!(space.codes().unwrap().outliers(), &[slot]);
    assert_eq!(space.nearest(Metric::L2, &outlier, 1, Method::Graph { ef: 64, rescore: 4 }, |_| true)[0].1, slot);
    // Enough outliers and the codes are learned again, spanning them.
    for i in 0..MAX_OUTLIERS_PLUS_ONE {
        space.put(None, &[60.0 + i as f32; 32]);
    }
    space.update_index(Metric::L2);
    assert_eq!(space.codes().unwrap().outliers(), &[] as &[u32]);
    assert_eq!(space.nearest(Metric::L2, &outlier, 1, Method::Graph { ef: 64, rescore: 4 }, |_| true)[0], (-0.0, slot));
}

/// One more than the outliers a space of a thousand vectors tolerates.
const MAX_OUTLIERS_PLUS_ONE: usize = 65;

fn temp_path(name: &str) -> TempPath {
    TempPath::file(&format!("vl-q-{name}"), "db.vdb")
}

fn upserts(data: &[Vec<f32>]) -> Vec<Upsert<'static>> {
    data.iter()
        .enumerate()
        .map(|(i, v)| Upsert {
            namespace: "".into(),
            record: Record { id: format!("r{i}"), metadata: Json::Object(vec![("i".into(), Json::Number(i as f64))]), sparse: vec![], vectors: vec![] },
            vector: v.clone().into(),
            expires_at: None,
            multi: Vec::new(),
        })
        .collect()
}

fn codes_kind(db: &Database) -> Option<Quantization> {
    db.namespaces[""].vectors().codes().map(|c| c.kind())
}

#[test]
fn a_database_keeps_its_quantization_and_converts_on_compaction() {
    let path = temp_path("convert");
    let (data, _) = clustered(600, 0, 16, 41);
    let int8 = Quantizations { main: Quantization::Int8, other_named: Quantization::Int8, ..Default::default() };
    let opts = |q: Option<Quantizations>| OpenOptions { dimension: Some(16), quantization: q, ..Default::default() };
    {
        let mut db = Database::open(&path, opts(Some(int8.clone()))).unwrap();
        db.upsert_many(upserts(&data), false).unwrap();
        db.update_indexes();
        assert_eq!(codes_kind(&db), Some(Quantization::Int8));
        let (hits, stats) = search::search(&db, Some(&data[5]), &SearchOptions { k: 3, ..Default::default() }).unwrap();
        assert_eq!(hits[0].record.id, "r5");
        assert!(stats.rescored >= 3, "the codes' candidates were rescored: {}", stats.rescored);
        db.compact().unwrap();
    }
    {
        let db = Database::open(&path, opts(None)).unwrap();
        assert_eq!((db.quantization.clone(), codes_kind(&db)), (int8.clone(), Some(Quantization::Int8)), "stored in the file");
    }
    let Err(err) = Database::open(&path, opts(Some(Quantizations::default()))) else { panic!("opened with another quantization") };
    assert_eq!(err.code, Code::InvalidArgument);
    assert!(err.message.contains("compact({ quantization })"), "{}", err.message);
    {
        let mut db = Database::open(&path, opts(None)).unwrap();
        db.compact_to(Some(Quantizations::default())).unwrap();
        assert_eq!(codes_kind(&db), None);
    }
    {
        let mut db = Database::open(&path, opts(Some(Quantizations::default()))).unwrap();
        assert_eq!(codes_kind(&db), None, "converted to none");
        let binary = Quantizations { main: Quantization::Binary, ..Default::default() };
        db.compact_to(Some(binary.clone())).unwrap();
        assert_eq!(codes_kind(&db), Some(Quantization::Binary));
        let (hits, _) = search::search(&db, Some(&data[9]), &SearchOptions { k: 1, ..Default::default() }).unwrap();
        assert_eq!(hits[0].record.id, "r9");
    }
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}
