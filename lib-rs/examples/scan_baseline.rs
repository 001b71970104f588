//! The plain-Rust reference for bench/scan.ts: an exact cosine top-k scan over the same
//! data vectlite searches, with no database around it, plus the machine's memory streaming
//! bandwidth. Prints one JSON object on stdout.
//!
//! ```text
//! cargo run --release --example scan_baseline -- --n 100000 --dim 384 --seconds 1.5
//! ```
//!
//! The data is bit-identical to bench/common.ts's `randomVectors` (xorshift32, values
//! `x / 2^23 - 1`), so the top-10 of the check query can be compared id for id.
//!
//! Variants, all single-threaded, cosine with precomputed inverse norms (as vectlite stores):
//! - `simd`: `vectlite::vector::distance::dot` (AVX2+FMA when the CPU has it), the
//!   well-written baseline the benchmark's ratio is taken against;
//! - `portable`: `distance::dot_portable` (8 independent accumulators, compiler-vectorised);
//! - `naive`: `a.iter().zip(b).map(|(x, y)| x * y).sum()`, what one writes first.
//!
//! `bandwidth` sums the data array (8 accumulators) to measure bytes/s streamed from memory.
//!
//! The data array is advised for transparent huge pages before it is first touched, as
//! vectlite does with its own vector arrays (`storage::os::advise_huge_pages`), so both scan
//! the same kind of memory. `simd4k` and `bandwidth4k` run on a second copy without the
//! advice (4 KiB pages), to show what the pages alone are worth. `anonHugeKB` reports how
//! much of the process the kernel actually backed with huge pages.

use std::hint::black_box;
use std::time::{Duration, Instant};
use vectlite::vector::distance;

struct Args {
    n: usize,
    dim: usize,
    queries: usize,
    seed: u32,
    query_seed: u32,
    k: usize,
    seconds: f64,
    variants: Vec<String>,
}

fn parse_args() -> Args {
    let mut a = Args {
        n: 100_000,
        dim: 384,
        queries: 64,
        seed: 42,
        query_seed: 7,
        k: 10,
        seconds: 1.5,
        variants: [
            "simd",
            "simd4k",
            "portable",
            "naive",
            "bandwidth",
            "bandwidth4k",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let value = argv.get(i + 1).cloned().unwrap_or_default();
        let num = || {
            value
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("{} needs a number, found {value:?}", argv[i]))
        };
        match argv[i].as_str() {
            "--n" => a.n = num() as usize,
            "--dim" => a.dim = num() as usize,
            "--queries" => a.queries = num() as usize,
            "--seed" => a.seed = num() as u32,
            "--query-seed" => a.query_seed = num() as u32,
            "--k" => a.k = num() as usize,
            "--seconds" => a.seconds = num(),
            "--variants" => a.variants = value.split(',').map(str::to_string).collect(),
            other => panic!("unknown argument {other:?}"),
        }
        i += 2;
    }
    a
}

/// Same generator as bench/common.ts: xorshift32, top 24 bits mapped exactly onto [-1, 1).
/// With `huge_pages`, the array is advised for transparent huge pages before first touch.
fn random_vectors(count: usize, dim: usize, seed: u32, huge_pages: bool) -> Vec<f32> {
    let mut out: Vec<f32> = Vec::with_capacity(count * dim);
    if huge_pages {
        vectlite::storage::os::advise_huge_pages(out.as_ptr() as *const u8, count * dim * 4);
    }
    let mut s = if seed == 0 { 0x9E37_79B9 } else { seed };
    out.extend((0..count * dim).map(|_| {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        (s >> 8) as f32 / 8_388_608.0 - 1.0
    }));
    out
}

/// AnonHugePages of this process in kB (Linux), or -1 when unknown.
fn anon_huge_kb() -> i64 {
    std::fs::read_to_string("/proc/self/smaps_rollup")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("AnonHugePages:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(-1)
}

fn naive_dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Exact top-k by cosine: a sorted array of at most k (score, index), best first.
fn scan<F: Fn(&[f32], &[f32]) -> f32>(
    data: &[f32],
    inv_norms: &[f32],
    dim: usize,
    q: &[f32],
    k: usize,
    dot: F,
) -> Vec<(f32, u32)> {
    let qn = dot(q, q).sqrt();
    let inv_q = if qn > 0.0 { 1.0 / qn } else { 0.0 };
    let mut top: Vec<(f32, u32)> = Vec::with_capacity(k + 1);
    let mut threshold = f32::NEG_INFINITY;
    for (i, row) in data.chunks_exact(dim).enumerate() {
        let s = dot(q, row) * inv_q * inv_norms[i];
        if top.len() < k || s > threshold {
            let pos = top.partition_point(|&(t, _)| t >= s);
            top.insert(pos, (s, i as u32));
            top.truncate(k);
            if top.len() == k {
                threshold = top[k - 1].0;
            }
        }
    }
    top
}

/// Runs `one` (one query per call, cycling through the query set) for at least `seconds`.
fn timed<F: FnMut(usize)>(seconds: f64, mut one: F) -> (usize, Duration) {
    one(0); // warm-up: caches, branch predictors, lazy CPU-feature detection
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut done = 0;
    while done == 0 || start.elapsed() < budget {
        one(done);
        done += 1;
    }
    (done, start.elapsed())
}

fn sum_stream(data: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        for j in 0..8 {
            acc[j] += c[j];
        }
    }
    acc.iter().sum::<f32>() + chunks.remainder().iter().sum::<f32>()
}

fn main() {
    let args = parse_args();
    let (n, dim, k) = (args.n, args.dim, args.k);
    let t0 = Instant::now();
    let data = random_vectors(n, dim, args.seed, true);
    let wants_4k = args.variants.iter().any(|v| v.ends_with("4k"));
    let data_4k = if wants_4k {
        random_vectors(n, dim, args.seed, false)
    } else {
        Vec::new()
    };
    let queries = random_vectors(args.queries, dim, args.query_seed, false);
    let inv_norms: Vec<f32> = data.chunks_exact(dim).map(distance::inverse_norm).collect();
    let gen_ms = t0.elapsed().as_secs_f64() * 1e3;
    let query = |i: usize| &queries[(i % args.queries) * dim..(i % args.queries + 1) * dim];
    let scanned_bytes = (n * dim * 4) as f64;

    let mut parts: Vec<String> = Vec::new();
    for variant in &args.variants {
        let (count, elapsed, top) = match variant.as_str() {
            "simd" => run_scan(&args, &data, &inv_norms, &query, distance::dot),
            "simd4k" => run_scan(&args, &data_4k, &inv_norms, &query, distance::dot),
            "portable" => run_scan(&args, &data, &inv_norms, &query, distance::dot_portable),
            "naive" => run_scan(&args, &data, &inv_norms, &query, naive_dot),
            "bandwidth" | "bandwidth4k" => {
                let array = if variant == "bandwidth" {
                    &data
                } else {
                    &data_4k
                };
                let (count, elapsed) = timed(args.seconds, |_| {
                    black_box(sum_stream(black_box(array)));
                });
                let secs = elapsed.as_secs_f64();
                parts.push(format!(
                    "\"{variant}\":{{\"passes\":{count},\"seconds\":{secs:.4},\"bytesPerPass\":{},\"gbPerSec\":{:.3}}}",
                    n * dim * 4,
                    scanned_bytes * count as f64 / secs / 1e9
                ));
                continue;
            }
            other => panic!("unknown variant {other:?}"),
        };
        let secs = elapsed.as_secs_f64();
        let ids: Vec<String> = top.iter().map(|(_, i)| i.to_string()).collect();
        parts.push(format!(
            "\"{variant}\":{{\"queries\":{count},\"seconds\":{secs:.4},\"qps\":{:.3},\"gbPerSec\":{:.3},\"top0\":[{}]}}",
            count as f64 / secs,
            scanned_bytes * count as f64 / secs / 1e9,
            ids.join(",")
        ));
    }
    let avx2 = has_avx2_fma();
    println!(
        "{{\"n\":{n},\"dim\":{dim},\"k\":{k},\"queries\":{},\"avx2fma\":{avx2},\"anonHugeKB\":{},\"generateMs\":{gen_ms:.1},{}}}",
        args.queries,
        anon_huge_kb(),
        parts.join(",")
    );
}

#[cfg(target_arch = "x86_64")]
fn has_avx2_fma() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

#[cfg(not(target_arch = "x86_64"))]
fn has_avx2_fma() -> bool {
    false
}

/// Times one scan variant; also returns the top-k of query 0 for the cross-check.
fn run_scan<'q, F: Fn(&[f32], &[f32]) -> f32 + Copy>(
    args: &Args,
    data: &[f32],
    inv_norms: &[f32],
    query: &impl Fn(usize) -> &'q [f32],
    dot: F,
) -> (usize, Duration, Vec<(f32, u32)>) {
    let top0 = scan(data, inv_norms, args.dim, query(0), args.k, dot);
    let (count, elapsed) = timed(args.seconds, |i| {
        black_box(scan(
            black_box(data),
            inv_norms,
            args.dim,
            query(i),
            args.k,
            dot,
        ));
    });
    (count, elapsed, top0)
}
