//! The kernels quantized codes are scored with: the integer dot product of 8-bit codes with
//! a 16-bit query, and the Hamming distance of bit codes. Integer arithmetic is exact, so
//! every fast version must return exactly what the portable one does (the tests check it);
//! the fastest one the CPU supports is picked once, at run time.
//!
//! The dot product cannot overflow: a query is quantized to at most `query_limit(dim)` in
//! magnitude, so `255 * limit * dim` stays within an `i32`.

/// An 8-bit code against a 16-bit query.
pub type DotU8I16 = fn(&[u8], &[i16]) -> i32;
/// Differing bits of two bit codes, whose lengths are multiples of 8 bytes.
pub type Hamming = fn(&[u8], &[u8]) -> u32;

/// The largest query magnitude for `dim` dimensions: the sum of `dim` products of a code
/// (at most 255) and the query stays within `i32`.
pub fn query_limit(dim: usize) -> i32 {
    let bound = i32::MAX as usize / (255 * dim.max(1));
    bound.min(i16::MAX as usize) as i32
}

/// The fastest dot product this CPU runs, with its name (shown by `info`).
pub fn dot_u8_i16_kernel() -> (DotU8I16, &'static str) {
    dot_u8_i16_kernels()[0]
}

/// Every dot product this CPU runs, fastest first; the portable one last.
pub fn dot_u8_i16_kernels() -> Vec<(DotU8I16, &'static str)> {
    let mut out: Vec<(DotU8I16, &'static str)> = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512bw") && std::is_x86_feature_detected!("avx512vnni") {
            out.push((x86::dot_avx512_vnni_checked, "avx512-vnni"));
        }
        if std::is_x86_feature_detected!("avx2") {
            out.push((x86::dot_avx2_checked, "avx2"));
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        if std::arch::is_aarch64_feature_detected!("neon") {
            out.push((arm::dot_neon_checked, "neon"));
        }
    }
    out.push((dot_u8_i16_portable, "portable"));
    out
}

/// The fastest Hamming distance this CPU runs, with its name.
pub fn hamming_kernel() -> (Hamming, &'static str) {
    hamming_kernels()[0]
}

/// Every Hamming distance this CPU runs, fastest first; the portable one last.
pub fn hamming_kernels() -> Vec<(Hamming, &'static str)> {
    let mut out: Vec<(Hamming, &'static str)> = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("popcnt") {
            out.push((x86::hamming_popcnt_checked, "popcnt"));
        }
    }
    // On aarch64 `count_ones` compiles to NEON's byte count (`cnt`) already.
    out.push((hamming_portable, "portable"));
    out
}

/// Four independent accumulators, so the compiler can vectorise the loop.
pub fn dot_u8_i16_portable(a: &[u8], b: &[i16]) -> i32 {
    let n = a.len().min(b.len());
    let mut acc = [0i32; 4];
    let mut i = 0;
    while i + 4 <= n {
        for j in 0..4 {
            acc[j] += a[i + j] as i32 * b[i + j] as i32;
        }
        i += 4;
    }
    let mut sum = acc.iter().sum::<i32>();
    while i < n {
        sum += a[i] as i32 * b[i] as i32;
        i += 1;
    }
    sum
}

#[inline(always)]
fn word(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes.try_into().expect("8 bytes"))
}

pub fn hamming_portable(a: &[u8], b: &[u8]) -> u32 {
    a.chunks_exact(8).zip(b.chunks_exact(8)).map(|(x, y)| (word(x) ^ word(y)).count_ones()).sum()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    pub fn dot_avx2_checked(a: &[u8], b: &[i16]) -> i32 {
        // SAFETY: this function is handed out only after AVX2 was detected.
        unsafe { dot_avx2(a, b) }
    }

    pub fn dot_avx512_vnni_checked(a: &[u8], b: &[i16]) -> i32 {
        // SAFETY: handed out only after AVX-512 BW and VNNI were detected.
        unsafe { dot_avx512_vnni(a, b) }
    }

    pub fn hamming_popcnt_checked(a: &[u8], b: &[u8]) -> u32 {
        // SAFETY: handed out only after POPCNT was detected.
        unsafe { hamming_popcnt(a, b) }
    }

    /// 16 dimensions a step: the codes widened to 16 bits, multiplied with the query and
    /// summed in pairs into 32-bit lanes (`vpmaddwd`), exact for codes below 256.
    #[target_feature(enable = "avx2")]
    unsafe fn dot_avx2(a: &[u8], b: &[i16]) -> i32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc0 = _mm256_setzero_si256();
        let mut acc1 = _mm256_setzero_si256();
        let mut i = 0;
        // SAFETY (whole body): every load reads 16 codes (bytes) and 16 query values at
        // i..i+16 with i + 16 <= n, inside both slices; loads are unaligned.
        unsafe {
            while i + 32 <= n {
                let c0 = _mm256_cvtepu8_epi16(_mm_loadu_si128(pa.add(i).cast()));
                let c1 = _mm256_cvtepu8_epi16(_mm_loadu_si128(pa.add(i + 16).cast()));
                acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(c0, _mm256_loadu_si256(pb.add(i).cast())));
                acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(c1, _mm256_loadu_si256(pb.add(i + 16).cast())));
                i += 32;
            }
            if i + 16 <= n {
                let c0 = _mm256_cvtepu8_epi16(_mm_loadu_si128(pa.add(i).cast()));
                acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(c0, _mm256_loadu_si256(pb.add(i).cast())));
                i += 16;
            }
            let acc = _mm256_add_epi32(acc0, acc1);
            let s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
            let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b01_00_11_10));
            let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b10_11_00_01));
            let mut sum = _mm_cvtsi128_si32(s);
            while i < n {
                sum += *pa.add(i) as i32 * *pb.add(i) as i32;
                i += 1;
            }
            sum
        }
    }

    /// 32 dimensions a step: widened codes and the query multiplied and accumulated in one
    /// instruction (`vpdpwssd`).
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn dot_avx512_vnni(a: &[u8], b: &[i16]) -> i32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc0 = _mm512_setzero_si512();
        let mut acc1 = _mm512_setzero_si512();
        let mut i = 0;
        // SAFETY (whole body): every load reads 32 codes and 32 query values at i..i+32 with
        // i + 32 <= n, inside both slices; loads are unaligned.
        unsafe {
            while i + 64 <= n {
                let c0 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(pa.add(i).cast()));
                let c1 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(pa.add(i + 32).cast()));
                acc0 = _mm512_dpwssd_epi32(acc0, c0, _mm512_loadu_si512(pb.add(i).cast()));
                acc1 = _mm512_dpwssd_epi32(acc1, c1, _mm512_loadu_si512(pb.add(i + 32).cast()));
                i += 64;
            }
            if i + 32 <= n {
                let c0 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(pa.add(i).cast()));
                acc0 = _mm512_dpwssd_epi32(acc0, c0, _mm512_loadu_si512(pb.add(i).cast()));
                i += 32;
            }
            let mut sum = _mm512_reduce_add_epi32(_mm512_add_epi32(acc0, acc1));
            while i < n {
                sum += *pa.add(i) as i32 * *pb.add(i) as i32;
                i += 1;
            }
            sum
        }
    }

    #[target_feature(enable = "popcnt")]
    unsafe fn hamming_popcnt(a: &[u8], b: &[u8]) -> u32 {
        let mut sum = 0u32;
        for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
            sum += _popcnt64((super::word(x) ^ super::word(y)) as i64) as u32;
        }
        sum
    }
}

#[cfg(target_arch = "aarch64")]
mod arm {
    use std::arch::aarch64::*;

    pub fn dot_neon_checked(a: &[u8], b: &[i16]) -> i32 {
        // SAFETY: handed out only after NEON was detected.
        unsafe { dot_neon(a, b) }
    }

    /// 8 dimensions a step: codes widened to 16 bits, multiplied with the query and
    /// accumulated into 32-bit lanes (`smlal`).
    #[target_feature(enable = "neon")]
    unsafe fn dot_neon(a: &[u8], b: &[i16]) -> i32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc0 = vdupq_n_s32(0);
        let mut acc1 = vdupq_n_s32(0);
        let mut i = 0;
        // SAFETY (whole body): every load reads 8 codes and 8 query values at i..i+8 with
        // i + 8 <= n, inside both slices.
        unsafe {
            while i + 8 <= n {
                let c = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(pa.add(i))));
                let q = vld1q_s16(pb.add(i));
                acc0 = vmlal_s16(acc0, vget_low_s16(c), vget_low_s16(q));
                acc1 = vmlal_high_s16(acc1, c, q);
                i += 8;
            }
            let mut sum = vaddvq_s32(vaddq_s32(acc0, acc1));
            while i < n {
                sum += *pa.add(i) as i32 * *pb.add(i) as i32;
                i += 1;
            }
            sum
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(n: usize, seed: u64) -> Vec<u8> {
        let mut s = seed;
        (0..n).map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 56) as u8
        }).collect()
    }

    #[test]
    fn every_dot_product_kernel_equals_the_portable_one_at_every_length() {
        for (fast, name) in dot_u8_i16_kernels() {
        for n in [0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 384, 1000, 1536, 4099] {
            let codes = bytes(n, n as u64);
            let limit = query_limit(n);
            let raw = bytes(2 * n, 7 + n as u64);
            let query: Vec<i16> = raw.chunks(2).map(|p| (((p[0] as i32) << 8 | p[1] as i32) % (2 * limit + 1) - limit) as i16).collect();
            assert_eq!(fast(&codes, &query), dot_u8_i16_portable(&codes, &query), "{name}, n = {n}");
            // The extremes: every code 255 against the query limit, both signs.
            let (full, top) = (vec![255u8; n], vec![limit as i16; n]);
            let bottom = vec![-limit as i16; n];
            assert_eq!(fast(&full, &top), 255 * limit * n as i32, "{name}, n = {n}");
            assert_eq!(fast(&full, &bottom), -255 * limit * n as i32, "{name}, n = {n}");
        }
        }
    }

    #[test]
    fn every_hamming_kernel_equals_the_portable_one() {
        for (fast, name) in hamming_kernels() {
        for words in [0, 1, 2, 6, 16, 33] {
            let (a, b) = (bytes(8 * words, 1), bytes(8 * words, 2));
            assert_eq!(fast(&a, &b), hamming_portable(&a, &b), "{name}");
            assert_eq!(fast(&a, &a), 0);
            let inverted: Vec<u8> = a.iter().map(|x| !x).collect();
            assert_eq!(fast(&a, &inverted), 64 * words as u32);
        }
        }
    }

    #[test]
    fn the_query_limit_keeps_the_largest_sum_in_range() {
        for dim in [1, 2, 384, 1024, 4096, 65_536] {
            let limit = query_limit(dim) as i64;
            assert!(limit >= 1 && 255 * limit * dim as i64 <= i32::MAX as i64, "dim {dim}");
        }
        assert_eq!(query_limit(8), i16::MAX as i32);
    }
}
