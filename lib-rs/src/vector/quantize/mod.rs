//! Quantized codes: a compact copy of a vector space's vectors that the graph walk and the
//! scan read instead of the float32 vectors, so they touch 4x (int8) or 32x (binary) fewer
//! bytes. Codes only rank candidates: the best `k x rescore` are scored again with the
//! float32 vectors (`VectorSpace::search`), so the scores a search returns are exact.
//!
//! - int8: per dimension, `x ≈ low + step * code` with `low`, `step` learned from the data
//!   (the range of the vectors it is learned from, widened by a margin for vectors written
//!   later). A vector that
//!   falls well outside the learned ranges clamps; it is an outlier, which every search
//!   scores exactly, until the codes are learned again. A query is scaled by `step` and rounded to 16 bits, so a dot
//!   product is one integer kernel (`kernels.rs`) plus a constant: `q·x ≈ Σ q_d low_d +
//!   s Σ qi_d code_d`. Cosine and L2 use the stored exact norms around that dot product;
//!   manhattan sums `step_d · |(q_d − low_d) / step_d − code_d|` per dimension instead.
//! - binary: one bit per dimension, set when the value is above the dimension's mean;
//!   candidates are ranked by Hamming distance (an estimate of the angle). Meant for
//!   1024 and more dimensions, where the bits keep enough of the ranking.

pub mod code_space;
pub mod kernels;
pub mod settings;

pub use settings::Quantizations;

use super::distance::Metric;
use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};
use crate::storage::mapping::MappedSlice;
use kernels::{DotU8I16, Hamming};

/// How a vector space keeps the codes its searches walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quantization {
    /// No codes: searches read the float32 vectors.
    #[default]
    None,
    Int8,
    Binary,
}

impl Quantization {
    pub fn parse(name: &str) -> Result<Quantization> {
        match name {
            "none" => Ok(Quantization::None),
            "int8" => Ok(Quantization::Int8),
            "binary" => Ok(Quantization::Binary),
            other => Err(Error::invalid(format!("quantization must be \"none\", \"int8\" or \"binary\", found {other:?}"))),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Quantization::None => "none",
            Quantization::Int8 => "int8",
            Quantization::Binary => "binary",
        }
    }
    pub fn code(self) -> u8 {
        match self {
            Quantization::None => 0,
            Quantization::Int8 => 1,
            Quantization::Binary => 2,
        }
    }
    pub fn from_code(code: u8) -> Option<Quantization> {
        match code {
            0 => Some(Quantization::None),
            1 => Some(Quantization::Int8),
            2 => Some(Quantization::Binary),
            _ => None,
        }
    }
    /// Candidates rescored per result when a search sets no `rescore`: measured with
    /// `bench/ann.ts` (int8 keeps recall@10 within 0.005 of float32 at 4; binary codes
    /// rank coarsely, so it reads more).
    pub fn default_rescore(self) -> usize {
        match self {
            Quantization::None => 1,
            Quantization::Int8 => 4,
            Quantization::Binary => 10,
        }
    }
}

/// What `Codes::train_from` hands its caller: called with each vector to learn from.
pub type Learn<'a> = &'a mut dyn FnMut(&[f32]);

/// The largest `rescore` multiple a search accepts.
pub const MAX_RESCORE: usize = 1024;

/// How much wider than the data's range an int8 range is, on each side.
const RANGE_MARGIN: f32 = 0.05;
/// A vector clamped by more than this many code steps in a dimension is an outlier.
const OUTLIER_STEPS: f32 = 2.0;

/// The codes of one vector space, slot-major (`stride` bytes a slot), and what they were
/// learned from.
#[derive(Debug, Clone)]
pub struct Codes {
    kind: Quantization,
    dim: usize,
    stride: usize,
    /// The codes of slots `0..base_slots` in place in a map of the snapshot, when loaded
    /// from one; never written (as the slots' vectors are not).
    base: Option<MappedSlice<u8>>,
    base_slots: usize,
    /// The codes of the slots after those, in memory.
    bytes: Vec<u8>,
    /// int8: the value of code 0 per dimension; binary: the threshold per dimension.
    low: Vec<f32>,
    /// int8: the value one code step adds, per dimension (0 for a constant dimension).
    step: Vec<f32>,
    /// Live vectors when the parameters were learned: they are learned again once the
    /// space has doubled.
    trained_on: usize,
    /// Slots whose code clamped far (possibly dead or rewritten since).
    outliers: Vec<u32>,
}

impl Codes {
    /// Learns the parameters from all of `vectors` (one pass, dimension-wise minimum,
    /// maximum and sum: the data it learns from never lands outside a range) and encodes
    /// nothing yet. `kind` is Int8 or Binary.
    pub fn train(kind: Quantization, dim: usize, vectors: &[&[f32]]) -> Codes {
        Codes::train_from(kind, dim, &mut |learn| vectors.iter().for_each(|v| learn(v)))
    }

    /// `train` from vectors handed over one at a time: `each` calls its argument with every
    /// vector to learn from.
    pub fn train_from(kind: Quantization, dim: usize, each: &mut dyn FnMut(Learn<'_>)) -> Codes {
        debug_assert!(kind != Quantization::None);
        let mut min = vec![f32::INFINITY; dim];
        let mut max = vec![f32::NEG_INFINITY; dim];
        let mut sum = vec![0.0f64; dim];
        let mut count = 0usize;
        each(&mut |v: &[f32]| {
            count += 1;
            for (d, &x) in v.iter().enumerate() {
                min[d] = min[d].min(x);
                max[d] = max[d].max(x);
                sum[d] += x as f64;
            }
        });
        let mut low = vec![0.0f32; dim];
        let mut step = vec![0.0f32; dim];
        if count > 0 {
            for d in 0..dim {
                match kind {
                    Quantization::Binary => low[d] = (sum[d] / count as f64) as f32,
                    _ => {
                        let margin = (max[d] - min[d]) * RANGE_MARGIN;
                        low[d] = min[d] - margin;
                        step[d] = if max[d] > min[d] { (max[d] - min[d] + 2.0 * margin) / 255.0 } else { 0.0 };
                    }
                }
            }
        }
        let stride = match kind {
            Quantization::Binary => dim.div_ceil(64) * 8,
            _ => dim,
        };
        Codes { kind, dim, stride, base: None, base_slots: 0, bytes: Vec::new(), low, step, trained_on: count, outliers: Vec::new() }
    }

    pub fn kind(&self) -> Quantization {
        self.kind
    }

    pub fn trained_on(&self) -> usize {
        self.trained_on
    }

    /// Slots whose vector fell far outside the learned ranges: their codes rank them
    /// badly, so searches score them exactly (the list may hold slots dead since).
    pub fn outliers(&self) -> &[u32] {
        &self.outliers
    }

    /// Bytes held in memory: the codes not in a map, and the parameters.
    pub fn memory_bytes(&self) -> usize {
        self.bytes.capacity() + 8 * self.dim
    }

    /// Codes in place in a map of the snapshot file.
    pub fn mapped_slots(&self) -> usize {
        self.base_slots
    }

    /// Makes room for `slots` slots in all.
    pub fn reserve_slots(&mut self, slots: usize) {
        let in_memory = slots.saturating_sub(self.base_slots) * self.stride;
        self.bytes.reserve(in_memory.saturating_sub(self.bytes.len()));
    }

    /// Stores the code of `v` at `slot` (never a mapped one), growing the array when the
    /// slot is new.
    pub fn set(&mut self, slot: u32, v: &[f32]) {
        debug_assert!(slot as usize >= self.base_slots, "a mapped code is never written");
        let start = (slot as usize - self.base_slots) * self.stride;
        if self.bytes.len() < start + self.stride {
            self.bytes.resize(start + self.stride, 0);
        }
        let (kind, low, step) = (self.kind, &self.low, &self.step);
        if encode(kind, low, step, v, &mut self.bytes[start..start + self.stride]) {
            self.outliers.push(slot);
        }
    }

    /// The vector an int8 code stands for (`low + step * code` per dimension), into `out`.
    /// Binary codes keep too little to stand for a vector: `out` gets the thresholds.
    pub fn decode_into(&self, slot: u32, out: &mut [f32]) {
        let code = self.code(slot);
        match self.kind {
            Quantization::Int8 => {
                for (((o, &c), &l), &s) in out.iter_mut().zip(code).zip(&self.low).zip(&self.step) {
                    *o = l + s * c as f32;
                }
            }
            _ => out.copy_from_slice(&self.low),
        }
    }

    /// Writes the parameters (kind, dimension, ranges or thresholds, how many vectors they
    /// were learned from); the snapshot then lists the outliers and the codes themselves.
    pub fn encode_params(&self, w: &mut Writer) {
        w.u8(self.kind.code());
        w.varint(self.dim as u64);
        w.f32s(&self.low);
        w.f32s(&self.step);
        w.varint(self.trained_on as u64);
    }

    /// Reads what `encode_params` wrote, for a space of `dim` dimensions, with no codes yet.
    pub fn decode_params(r: &mut Reader, dim: usize) -> Result<Codes> {
        let code = r.u8()?;
        let kind = Quantization::from_code(code).filter(|k| *k != Quantization::None).ok_or_else(|| r.corrupt(&format!("unknown code kind {code}")))?;
        if r.varint()? != dim as u64 {
            return Err(r.corrupt("codes of another dimension"));
        }
        let (mut low, mut step) = (Vec::new(), Vec::new());
        r.f32s_into(dim, &mut low)?;
        r.f32s_into(dim, &mut step)?;
        if low.iter().chain(&step).any(|x| !x.is_finite()) || step.iter().any(|s| *s < 0.0) {
            return Err(r.corrupt("code parameters out of range"));
        }
        let trained_on = r.varint()? as usize;
        let stride = match kind {
            Quantization::Binary => dim.div_ceil(64) * 8,
            _ => dim,
        };
        Ok(Codes { kind, dim, stride, base: None, base_slots: 0, bytes: Vec::new(), low, step, trained_on, outliers: Vec::new() })
    }

    /// Bytes of one code.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Appends stored codes (whole codes, slot after slot), read into memory.
    pub fn extend_stored(&mut self, bytes: &[u8]) {
        debug_assert_eq!(bytes.len() % self.stride, 0);
        self.bytes.extend_from_slice(bytes);
    }

    /// Uses `mapped`, equal to every code held in memory now, instead of them.
    pub fn replace_with_mapped(&mut self, mapped: MappedSlice<u8>) {
        self.bytes = Vec::new();
        self.use_mapped(mapped);
    }

    /// Asks for huge pages under the codes in place in a map (see
    /// `MappedSlice::advise_huge_pages`).
    pub fn advise_huge_pages(&self) {
        if let Some(base) = &self.base {
            base.advise_huge_pages();
        }
    }

    /// Uses stored codes in place in a map: the first slots' (before any in memory).
    pub fn use_mapped(&mut self, base: MappedSlice<u8>) {
        debug_assert!(self.bytes.is_empty() && base.len().is_multiple_of(self.stride.max(1)));
        self.base_slots = base.len() / self.stride.max(1);
        self.base = Some(base);
    }

    pub fn push_outlier(&mut self, slot: u32) {
        self.outliers.push(slot);
    }

    /// Slots that hold a code.
    pub fn slots(&self) -> usize {
        self.base_slots + self.bytes.len() / self.stride.max(1)
    }

    /// The code at `slot`.
    #[inline]
    pub fn code(&self, slot: u32) -> &[u8] {
        let (s, stride) = (slot as usize, self.stride);
        match &self.base {
            Some(base) if s < self.base_slots => &base.as_slice()[s * stride..(s + 1) * stride],
            _ => {
                let start = (s - self.base_slots) * stride;
                &self.bytes[start..start + stride]
            }
        }
    }

    /// The query prepared for scoring against these codes; `inv_norms` are the space's
    /// exact inverse norms, slot-indexed.
    pub fn scorer<'a>(&'a self, metric: Metric, query: &[f32], inv_norms: &'a [f32]) -> CodeScorer<'a> {
        let inv_q = super::distance::inverse_norm(query);
        let norm2_q = super::distance::dot(query, query);
        let prepared = match self.kind {
            Quantization::Binary => {
                let mut bits = vec![0u8; self.stride];
                encode(Quantization::Binary, &self.low, &self.step, query, &mut bits);
                Prepared::Binary { bits, kernel: kernels::hamming_kernel().0 }
            }
            _ if metric == Metric::Manhattan => {
                // |q - x| with x = low + code * step is step * |(q - low) / step - code| on a
                // dimension that varies, and the constant |q - low| on one that does not.
                let mut bias = 0.0f32;
                let at: Vec<f32> = (query.iter().zip(&self.low).zip(&self.step))
                    .map(|((&q, &l), &s)| {
                        if s > 0.0 {
                            (q - l) / s
                        } else {
                            bias += (q - l).abs();
                            0.0
                        }
                    })
                    .collect();
                Prepared::Int8L1 { at, bias }
            }
            _ => {
                let scaled: Vec<f32> = query.iter().zip(&self.step).map(|(q, s)| q * s).collect();
                let largest = scaled.iter().fold(0.0f32, |m, x| m.max(x.abs()));
                let limit = kernels::query_limit(self.dim) as f32;
                let unit = if largest > 0.0 { largest / limit } else { 0.0 };
                let ints: Vec<i16> = scaled.iter().map(|x| if unit > 0.0 { (x / unit).round().clamp(-limit, limit) as i16 } else { 0 }).collect();
                let bias = query.iter().zip(&self.low).map(|(q, l)| *q as f64 * *l as f64).sum::<f64>() as f32;
                Prepared::Int8 { ints, unit, bias, kernel: kernels::dot_u8_i16_kernel().0 }
            }
        };
        CodeScorer { codes: self, metric, inv_q, norm2_q, inv_norms, prepared }
    }
}

/// Encodes `v` into `out`; true when an int8 value clamped by more than `OUTLIER_STEPS`.
fn encode(kind: Quantization, low: &[f32], step: &[f32], v: &[f32], out: &mut [u8]) -> bool {
    match kind {
        Quantization::Binary => {
            out.fill(0);
            for (d, (&x, &t)) in v.iter().zip(low).enumerate() {
                if x > t {
                    out[d / 8] |= 1 << (d % 8);
                }
            }
            false
        }
        _ => {
            let mut far = false;
            for (((o, &x), &l), &s) in out.iter_mut().zip(v).zip(low).zip(step) {
                let raw = if s > 0.0 { (x - l) / s } else if x == l { 0.0 } else { f32::INFINITY };
                far |= !(-OUTLIER_STEPS..=255.0 + OUTLIER_STEPS).contains(&raw);
                *o = if s > 0.0 { raw.round().clamp(0.0, 255.0) as u8 } else { 0 };
            }
            far
        }
    }
}

enum Prepared {
    Int8 { ints: Vec<i16>, unit: f32, bias: f32, kernel: DotU8I16 },
    /// Manhattan on int8 codes: the query in code units per dimension (see `scorer`).
    Int8L1 { at: Vec<f32>, bias: f32 },
    Binary { bits: Vec<u8>, kernel: Hamming },
}

/// One query against a space's codes: an estimate of `distance::score` (higher is better)
/// for ranking candidates.
pub struct CodeScorer<'a> {
    codes: &'a Codes,
    metric: Metric,
    inv_q: f32,
    norm2_q: f32,
    inv_norms: &'a [f32],
    prepared: Prepared,
}

impl CodeScorer<'_> {
    #[inline]
    pub fn estimate(&self, slot: u32) -> f32 {
        let code = self.codes.code(slot);
        match &self.prepared {
            Prepared::Binary { bits, kernel } => -(kernel(bits, code) as f32),
            Prepared::Int8L1 { at, bias } => -(bias + l1_in_code_units(at, &self.codes.step, code)),
            Prepared::Int8 { ints, unit, bias, kernel } => {
                let dot = bias + unit * kernel(code, ints) as f32;
                score_from_dot(self.metric, dot, self.inv_q, self.norm2_q, self.inv_norms[slot as usize])
            }
        }
    }

    /// The code of `slot`, to prefetch.
    #[inline]
    pub fn code_ptr(&self, slot: u32) -> &[u8] {
        self.codes.code(slot)
    }
}

/// The score of `metric` from an estimated dot product `q·x`, the query's norms and the
/// stored vector's exact inverse norm. Manhattan is scored apart (per dimension); an L2
/// estimate is the nearest stand-in should one get here.
#[inline]
pub(crate) fn score_from_dot(metric: Metric, dot: f32, inv_q: f32, norm2_q: f32, inv_x: f32) -> f32 {
    match metric {
        Metric::Cosine => dot * inv_q * inv_x,
        Metric::Dot => dot,
        Metric::L2 | Metric::Manhattan => {
            let norm2_x = if inv_x > 0.0 { 1.0 / (inv_x * inv_x) } else { 0.0 };
            -(norm2_q - 2.0 * dot + norm2_x).max(0.0)
        }
    }
}

/// Sum over dimensions of step * |at - code|: eight independent sums, so it vectorises.
#[inline]
fn l1_in_code_units(at: &[f32], step: &[f32], code: &[u8]) -> f32 {
    let mut acc = [0f32; 8];
    let (mut a, mut s, mut c) = (at.chunks_exact(8), step.chunks_exact(8), code.chunks_exact(8));
    for ((a, s), c) in (&mut a).zip(&mut s).zip(&mut c) {
        for i in 0..8 {
            acc[i] += s[i] * (a[i] - c[i] as f32).abs();
        }
    }
    let tail: f32 = a.remainder().iter().zip(s.remainder()).zip(c.remainder()).map(|((a, s), &c)| s * (a - c as f32).abs()).sum();
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector::distance::{inverse_norm, score};

    fn vectors(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                (0..dim)
                    .map(|_| {
                        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn int8_estimates_track_exact_scores_for_every_metric() {
        let data = vectors(2000, 96, 3);
        let refs: Vec<&[f32]> = data.iter().map(|v| v.as_slice()).collect();
        let mut codes = Codes::train(Quantization::Int8, 96, &refs);
        for (slot, v) in data.iter().enumerate() {
            codes.set(slot as u32, v);
        }
        let inv: Vec<f32> = data.iter().map(|v| inverse_norm(v)).collect();
        let query = &vectors(1, 96, 99)[0];
        for metric in [Metric::Cosine, Metric::Dot, Metric::L2, Metric::Manhattan] {
            let scorer = codes.scorer(metric, query, &inv);
            let inv_q = inverse_norm(query);
            for (slot, v) in data.iter().enumerate().take(200) {
                let exact = score(metric, query, inv_q, v, inv[slot]);
                let est = scorer.estimate(slot as u32);
                let (exact, est) = if metric == Metric::L2 { (exact * exact, -est) } else { (exact, est) };
                // The error of a dot product grows with both norms (about 0.0004 |q||x| at
                // one standard deviation here); cosine divides them out, L2 doubles it.
                let norms = match metric {
                    Metric::Cosine => 1.0,
                    Metric::Dot => 1.0 / (inv_q * inv[slot]),
                    Metric::L2 => 2.0 / (inv_q * inv[slot]),
                    // Each dimension is off by at most half a step: about 1% of its range.
                    Metric::Manhattan => 0.5 * codes.step.iter().sum::<f32>() / 0.003,
                };
                let tolerance = 0.003 * norms;
                assert!((exact - est).abs() <= tolerance, "{metric:?}: exact {exact}, estimated {est}");
            }
        }
    }

    #[test]
    fn binary_codes_are_bits_above_the_mean_and_rank_by_hamming_distance() {
        let data = [vec![1.0, -1.0, 3.0], vec![-1.0, 1.0, 1.0]];
        let refs: Vec<&[f32]> = data.iter().map(|v| v.as_slice()).collect();
        let mut codes = Codes::train(Quantization::Binary, 3, &refs);
        codes.set(0, &data[0]);
        codes.set(1, &data[1]);
        assert_eq!((codes.code(0)[0], codes.code(1)[0]), (0b101, 0b010));
        assert_eq!(codes.code(0).len(), 8);
        let scorer = codes.scorer(Metric::Cosine, &[2.0, -2.0, 5.0], &[1.0, 1.0]);
        assert_eq!((scorer.estimate(0), scorer.estimate(1)), (0.0, -3.0));
    }

    #[test]
    fn constant_dimensions_and_outliers_encode_without_overflow() {
        let mut data = vectors(500, 4, 5);
        for v in &mut data {
            v[2] = 7.0;
        }
        data[0][0] = 1e30;
        let refs: Vec<&[f32]> = data.iter().map(|v| v.as_slice()).collect();
        let mut codes = Codes::train(Quantization::Int8, 4, &refs);
        for (slot, v) in data.iter().enumerate() {
            codes.set(slot as u32, v);
        }
        assert_eq!(codes.outliers(), &[] as &[u32], "the learned ranges span the data they were learned from");
        assert_eq!(codes.code(0)[2], 0, "a constant dimension has one code");
        codes.set(500, &[0.0, 3.0, 7.0, 0.0]);
        codes.set(501, &[0.0, 0.0, 7.5, 0.0]);
        codes.set(502, &[0.0, 0.5, 7.0, 0.5]);
        assert_eq!(codes.code(500)[1], 255, "beyond the range: the top code");
        assert_eq!(codes.outliers(), &[500, 501], "far beyond a range, or off a constant dimension");
        let scorer = codes.scorer(Metric::Dot, &[1.0, 1.0, 1.0, 1.0], &[1.0; 503]);
        assert!(scorer.estimate(0).is_finite() && scorer.estimate(500).is_finite());
    }
}
