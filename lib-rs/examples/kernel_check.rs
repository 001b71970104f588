//! Checks, without threads, that the fast distance kernels this CPU runs (AVX2+FMA on
//! x86-64, NEON on aarch64) agree with the portable ones. `cargo test` covers the same on
//! the host; this exists for emulators whose thread support the test harness trips over
//! (qemu-user 7.2 hangs in pthread_create here), so scripts/build-targets.sh runs it under
//! qemu-aarch64 to verify the NEON kernels.
//!
//! ```text
//! cargo run --release --example kernel_check
//! ```
use vectlite::vector::distance::{dot, dot_portable, l2_squared, l2_squared_portable};

fn main() {
    let mut s: u32 = 12345;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        (s % 2000) as f32 / 1000.0 - 1.0
    };
    let mut checked = 0;
    for n in [0usize, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 384, 768, 1536] {
        let a: Vec<f32> = (0..n).map(|_| next()).collect();
        let b: Vec<f32> = (0..n).map(|_| next()).collect();
        let tol = 1e-4 * (n as f32 + 1.0);
        let (d, dp) = (dot(&a, &b), dot_portable(&a, &b));
        let (l, lp) = (l2_squared(&a, &b), l2_squared_portable(&a, &b));
        if (d - dp).abs() > tol || (l - lp).abs() > tol {
            eprintln!("kernel_check: MISMATCH at n={n}: dot {d} vs {dp}, l2 {l} vs {lp}");
            std::process::exit(1);
        }
        checked += 1;
    }
    let kernel = if is_arm_neon() {
        "neon"
    } else if cfg!(target_arch = "x86_64") && is_x86_avx2() {
        "avx2+fma"
    } else {
        "portable"
    };
    println!("kernel_check: {kernel} kernels equal the portable ones on {checked} lengths ({})", std::env::consts::ARCH);
}

#[cfg(target_arch = "x86_64")]
fn is_x86_avx2() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

#[cfg(not(target_arch = "x86_64"))]
fn is_x86_avx2() -> bool {
    false
}

#[cfg(target_arch = "aarch64")]
fn is_arm_neon() -> bool {
    std::arch::is_aarch64_feature_detected!("neon")
}

#[cfg(not(target_arch = "aarch64"))]
fn is_arm_neon() -> bool {
    false
}
