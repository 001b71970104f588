//! Where the memory of an ingest goes, without a JavaScript runtime around it: writes
//! 100,000 x 384 records with `{ "bucket": i % 100 }` metadata in batches of 10,000 through
//! the same path the FFI write takes (JSON records + one vector buffer -> `abi::input::upserts`
//! -> `Database::upsert_many`), and prints after each batch the malloc heap in use, the free
//! heap malloc keeps (holes between live blocks that cannot go back to the kernel) and the
//! resident set.
//!
//! ```text
//! cargo run --release --example ingest_memory            # graph included
//! cargo run --release --example ingest_memory -- --no-graph
//! ```
//!
//! The heap figures come from glibc's `mallinfo2` (Linux with glibc only; elsewhere only
//! the resident set is printed, and only on Linux).

use std::path::Path;
use vectlite::db::{Database, OpenOptions};

const N: usize = 100_000;
const DIM: usize = 384;
const BATCH: usize = 10_000;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn heap_mib() -> Option<(f64, f64)> {
    #[repr(C)]
    struct MallInfo2 {
        arena: usize,
        ordblks: usize,
        smblks: usize,
        hblks: usize,
        hblkhd: usize,
        usmblks: usize,
        fsmblks: usize,
        uordblks: usize,
        fordblks: usize,
        keepcost: usize,
    }
    extern "C" {
        fn mallinfo2() -> MallInfo2;
    }
    // SAFETY: mallinfo2 takes nothing and returns a plain struct (glibc 2.33 and later).
    let m = unsafe { mallinfo2() };
    Some((m.uordblks as f64 / 1048576.0, m.fordblks as f64 / 1048576.0))
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn heap_mib() -> Option<(f64, f64)> {
    None
}

fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn report(what: &str) {
    let heap = heap_mib().map_or(String::new(), |(used, free)| format!("heap in use {used:7.1} MiB, free {free:6.1} MiB, "));
    let rss = rss_mib().map_or("n/a".to_string(), |r| format!("{r:.1} MiB"));
    println!("{what:>16}: {heap}resident {rss}");
}

fn main() {
    let no_graph = std::env::args().any(|a| a == "--no-graph");
    let dir = std::env::temp_dir().join(format!("vectlite-ingest-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("ingest.vdb");
    let mut opts = OpenOptions { dimension: Some(DIM), ..OpenOptions::default() };
    if no_graph {
        opts.ann_threshold = usize::MAX / 2;
    }
    report("start");
    let mut db = Database::open(Path::new(&path), opts).expect("open");
    let analyzer = db.text_analyzer();
    let mut seed = 1u64;
    let mut vectors = vec![0f32; BATCH * DIM];
    for start in (0..N).step_by(BATCH) {
        for v in vectors.iter_mut() {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            *v = ((seed >> 40) as f32) / 16777216.0 - 0.5;
        }
        let items: Vec<String> = (start..start + BATCH).map(|i| format!("{{\"id\":\"{i}\",\"metadata\":{{\"bucket\":{}}}}}", i % 100)).collect();
        let json = format!("[{}]", items.join(","));
        let parsed = vectlite::json::parse(json.as_bytes(), "records").expect("records JSON");
        let upserts = vectlite::abi::input::upserts(parsed, &vectors, DIM, &analyzer).expect("records");
        db.upsert_many(upserts, false).expect("write");
        report(&format!("{} records", start + BATCH));
    }
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}
