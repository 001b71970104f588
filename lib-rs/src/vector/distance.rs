//! Similarity kernels: dot product, squared L2 and L1, with a portable version, an AVX2+FMA
//! version chosen at run time on x86-64, and a NEON version on aarch64. Cosine is a dot
//! product times the two inverse norms (norms are computed once per stored vector), so every
//! metric streams each vector once.
//!
//! Every score is "higher is better": cosine similarity, dot product, and the negated
//! Euclidean distance for L2 and the negated Manhattan (L1) distance for manhattan.

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Cosine,
    Dot,
    L2,
    Manhattan,
}

impl Metric {
    pub fn parse(name: &str) -> Result<Metric> {
        match name {
            "cosine" => Ok(Metric::Cosine),
            "dot" => Ok(Metric::Dot),
            "l2" => Ok(Metric::L2),
            "manhattan" => Ok(Metric::Manhattan),
            other => Err(Error::invalid(format!(
                "metric must be \"cosine\", \"dot\", \"l2\" or \"manhattan\", found {other:?}"
            ))),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Metric::Cosine => "cosine",
            Metric::Dot => "dot",
            Metric::L2 => "l2",
            Metric::Manhattan => "manhattan",
        }
    }
    pub fn code(self) -> u8 {
        match self {
            Metric::Cosine => 0,
            Metric::Dot => 1,
            Metric::L2 => 2,
            Metric::Manhattan => 3,
        }
    }
    pub fn from_code(code: u8) -> Option<Metric> {
        match code {
            0 => Some(Metric::Cosine),
            1 => Some(Metric::Dot),
            2 => Some(Metric::L2),
            3 => Some(Metric::Manhattan),
            _ => None,
        }
    }
}

/// The score of a stored vector `v` (with precomputed `inv_norm_v`) for query `q`.
#[inline]
pub fn score(metric: Metric, q: &[f32], inv_norm_q: f32, v: &[f32], inv_norm_v: f32) -> f32 {
    match metric {
        Metric::Cosine => dot(q, v) * inv_norm_q * inv_norm_v,
        Metric::Dot => dot(q, v),
        Metric::L2 => -l2_squared(q, v).sqrt(),
        Metric::Manhattan => -l1(q, v),
    }
}

/// 1/‖v‖, or 0 for a zero vector (whose cosine with anything is then 0).
pub fn inverse_norm(v: &[f32]) -> f32 {
    let n = dot(v, v).sqrt();
    if n > 0.0 {
        1.0 / n
    } else {
        0.0
    }
}

/// A kernel family's public function: the AVX2+FMA version on x86-64 CPUs that have it, the
/// NEON version on aarch64, the portable one elsewhere (the CPU is asked once; the std macros
/// cache the answer).
macro_rules! fastest_kernel {
    ($(#[$doc:meta])* $name:ident: $avx2:ident, $neon:ident, $portable:ident) => {
        $(#[$doc])*
        #[inline]
        pub fn $name(a: &[f32], b: &[f32]) -> f32 {
            debug_assert_eq!(a.len(), b.len());
            #[cfg(target_arch = "x86_64")]
            {
                if has_avx2_fma() {
                    // SAFETY: the CPU supports AVX2 and FMA (checked at run time just above).
                    return unsafe { x86::$avx2(a, b) };
                }
            }
            #[cfg(target_arch = "aarch64")]
            {
                if has_neon() {
                    // SAFETY: the CPU supports NEON (checked at run time just above; it is part
                    // of every ARMv8-A CPU, so this always holds in practice).
                    return unsafe { arm::$neon(a, b) };
                }
            }
            $portable(a, b)
        }
    };
}

fastest_kernel!(
    /// The dot product.
    dot: dot_avx2, dot_neon, dot_portable
);
fastest_kernel!(
    /// The squared Euclidean distance.
    l2_squared: l2_squared_avx2, l2_squared_neon, l2_squared_portable
);
fastest_kernel!(
    /// The Manhattan distance, sum of |a_i - b_i|.
    l1: l1_avx2, l1_neon, l1_portable
);

/// Asks the CPU to start loading the cache line holding `ptr` into L1 (a hint; a no-op
/// off x86-64). The graph search issues it for the next neighbour's vector while it
/// scores the current one, hiding part of the memory latency.
#[inline(always)]
pub fn prefetch(ptr: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and reads nothing architecturally, so any address,
    // even a dangling or null one, is allowed; SSE is part of the x86-64 baseline.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(ptr.cast::<i8>())
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = ptr;
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn has_avx2_fma() -> bool {
    // The std macro caches its answer, so this is a load and a test.
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

#[cfg(target_arch = "aarch64")]
#[inline]
fn has_neon() -> bool {
    std::arch::is_aarch64_feature_detected!("neon")
}

/// Eight independent accumulators let the compiler vectorise and hide the add latency;
/// a single running sum would be a serial dependency chain.
pub fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        sum += x * y;
    }
    sum
}

pub fn l2_squared_portable(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..8 {
            let d = x[i] - y[i];
            acc[i] += d * d;
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        let d = x - y;
        sum += d * d;
    }
    sum
}

pub fn l1_portable(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..8 {
            acc[i] += (x[i] - y[i]).abs();
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        sum += (x - y).abs();
    }
    sum
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// Sums the eight lanes of a register.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn hsum(v: __m256) -> f32 {
        let hi = _mm256_extractf128_ps(v, 1);
        let lo = _mm256_castps256_ps128(v);
        let s = _mm_add_ps(hi, lo);
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        _mm_cvtss_f32(s)
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        // SAFETY (whole body): every load reads 8 floats at i..i+8 with i + 8 <= n, inside
        // both slices; unaligned loads are used, so no alignment is assumed.
        unsafe {
            while i + 32 <= n {
                for (j, slot) in acc.iter_mut().enumerate() {
                    let x = _mm256_loadu_ps(pa.add(i + 8 * j));
                    let y = _mm256_loadu_ps(pb.add(i + 8 * j));
                    *slot = _mm256_fmadd_ps(x, y, *slot);
                }
                i += 32;
            }
            while i + 8 <= n {
                acc[0] = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), acc[0]);
                i += 8;
            }
            let total = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
            let mut sum = hsum(total);
            while i < n {
                sum += *pa.add(i) * *pb.add(i);
                i += 1;
            }
            sum
        }
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn l2_squared_avx2(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        // SAFETY (whole body): as in dot_avx2, every access stays below n.
        unsafe {
            while i + 32 <= n {
                for (j, slot) in acc.iter_mut().enumerate() {
                    let d = _mm256_sub_ps(_mm256_loadu_ps(pa.add(i + 8 * j)), _mm256_loadu_ps(pb.add(i + 8 * j)));
                    *slot = _mm256_fmadd_ps(d, d, *slot);
                }
                i += 32;
            }
            while i + 8 <= n {
                let d = _mm256_sub_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)));
                acc[0] = _mm256_fmadd_ps(d, d, acc[0]);
                i += 8;
            }
            let total = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
            let mut sum = hsum(total);
            while i < n {
                let d = *pa.add(i) - *pb.add(i);
                sum += d * d;
                i += 1;
            }
            sum
        }
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn l1_avx2(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        // |x| clears the sign bit: and-not with -0.0 (the sign bit alone).
        let sign = _mm256_set1_ps(-0.0);
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        // SAFETY (whole body): as in dot_avx2, every access stays below n.
        unsafe {
            while i + 32 <= n {
                for (j, slot) in acc.iter_mut().enumerate() {
                    let d = _mm256_sub_ps(_mm256_loadu_ps(pa.add(i + 8 * j)), _mm256_loadu_ps(pb.add(i + 8 * j)));
                    *slot = _mm256_add_ps(*slot, _mm256_andnot_ps(sign, d));
                }
                i += 32;
            }
            while i + 8 <= n {
                let d = _mm256_sub_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)));
                acc[0] = _mm256_add_ps(acc[0], _mm256_andnot_ps(sign, d));
                i += 8;
            }
            let total = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
            let mut sum = hsum(total);
            while i < n {
                sum += (*pa.add(i) - *pb.add(i)).abs();
                i += 1;
            }
            sum
        }
    }
}

#[cfg(target_arch = "aarch64")]
mod arm {
    use std::arch::aarch64::*;

    /// A NEON kernel summing `$lane(acc, x, y)` over 4-float lanes of `a` and `b` (four
    /// accumulators of four lanes, 16 floats per step, so the add latency is hidden), and
    /// `$tail(x, y)` over the last floats.
    macro_rules! neon_sum {
        ($(#[$doc:meta])* $name:ident, |$acc:ident, $x:ident, $y:ident| $lane:expr, |$tx:ident, $ty:ident| $tail:expr) => {
            $(#[$doc])*
            /// # Safety
            /// The CPU must support NEON.
            #[target_feature(enable = "neon")]
            pub unsafe fn $name(a: &[f32], b: &[f32]) -> f32 {
                let n = a.len().min(b.len());
                let (pa, pb) = (a.as_ptr(), b.as_ptr());
                let mut i = 0;
                // SAFETY (whole body): every load reads 4 floats at i..i+4 with i + 4 <= n,
                // inside both slices; vld1q_f32 has no alignment requirement beyond f32's.
                unsafe {
                    let mut acc = [vdupq_n_f32(0.0); 4];
                    while i + 16 <= n {
                        for (j, slot) in acc.iter_mut().enumerate() {
                            let ($acc, $x, $y) = (*slot, vld1q_f32(pa.add(i + 4 * j)), vld1q_f32(pb.add(i + 4 * j)));
                            *slot = $lane;
                        }
                        i += 16;
                    }
                    while i + 4 <= n {
                        let ($acc, $x, $y) = (acc[0], vld1q_f32(pa.add(i)), vld1q_f32(pb.add(i)));
                        acc[0] = $lane;
                        i += 4;
                    }
                    let mut sum = vaddvq_f32(vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3])));
                    while i < n {
                        let ($tx, $ty) = (*pa.add(i), *pb.add(i));
                        sum += $tail;
                        i += 1;
                    }
                    sum
                }
            }
        };
    }

    neon_sum!(
        /// The dot product.
        dot_neon, |acc, x, y| vfmaq_f32(acc, x, y), |x, y| x * y
    );
    neon_sum!(
        /// The squared L2 distance.
        l2_squared_neon, |acc, x, y| { let d = vsubq_f32(x, y); vfmaq_f32(acc, d, d) }, |x, y| (x - y) * (x - y)
    );
    neon_sum!(
        /// The L1 distance.
        l1_neon, |acc, x, y| vaddq_f32(acc, vabdq_f32(x, y)), |x, y| (x - y).abs()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo_random(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).max(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 2000) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    /// Which fast kernel `dot`/`l2_squared` run here, so a test run says what it covered.
    fn fast_kernel() -> &'static str {
        #[cfg(target_arch = "x86_64")]
        if has_avx2_fma() {
            return "avx2+fma";
        }
        #[cfg(target_arch = "aarch64")]
        if has_neon() {
            return "neon";
        }
        "portable only"
    }

    #[test]
    fn fast_kernels_equal_the_portable_ones() {
        eprintln!("distance kernels under test: {}", fast_kernel());
        for n in [0, 1, 7, 8, 9, 31, 32, 33, 100, 384, 1536] {
            let a = pseudo_random(n, 1 + n as u32);
            let b = pseudo_random(n, 7 + n as u32);
            let tol = 1e-4 * (n as f32 + 1.0);
            assert!((dot(&a, &b) - dot_portable(&a, &b)).abs() <= tol, "dot n={n}");
            assert!((l2_squared(&a, &b) - l2_squared_portable(&a, &b)).abs() <= tol, "l2 n={n}");
            assert!((l1(&a, &b) - l1_portable(&a, &b)).abs() <= tol, "l1 n={n}");
            let simple: f32 = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum();
            assert!((l1_portable(&a, &b) - simple).abs() <= tol, "l1 portable n={n}");
        }
    }

    #[test]
    fn scores_are_higher_for_closer_vectors() {
        let q = [1.0, 0.0];
        let near = [0.9, 0.1];
        let far = [-1.0, 0.0];
        for metric in [Metric::Cosine, Metric::Dot, Metric::L2, Metric::Manhattan] {
            let s_near = score(metric, &q, inverse_norm(&q), &near, inverse_norm(&near));
            let s_far = score(metric, &q, inverse_norm(&q), &far, inverse_norm(&far));
            assert!(s_near > s_far, "{metric:?}");
        }
        let c = score(Metric::Cosine, &q, 1.0, &[2.0, 0.0], 0.5);
        assert!((c - 1.0).abs() < 1e-6);
        assert_eq!(score(Metric::Manhattan, &[1.0, -2.0, 0.5], 0.0, &[0.0, 1.0, 0.5], 0.0), -4.0);
        assert_eq!(Metric::parse("manhattan").unwrap(), Metric::Manhattan);
        assert_eq!(Metric::from_code(Metric::Manhattan.code()), Some(Metric::Manhattan));
    }
}
