//! An int8 space's codes as the graph build reads them. Building on the codes instead of
//! the float32 vectors reads a quarter of the bytes per comparison and, above all, leaves
//! the float32 vectors untouched: they can stay in the file (or the spill file of vectors
//! written since), so a build holds the codes and the links in memory, not the vectors.
//! USearch builds its `i8` indexes the same way. Every comparison is an estimate: a node's
//! neighbourhood search scores its decoded code against the others' codes, as the
//! neighbour heuristic does between candidates. Searches still rescore with float32.

use super::Codes;
use crate::vector::distance::Metric;
use crate::vector::hnsw::{Scorer, SliceSpace, Space};

/// The codes of a space for its graph build; `floats` are its vectors, which the build
/// does not read (`score` and `vector` answer exactly, for any other caller).
pub struct CodeSpace<'a> {
    pub codes: &'a Codes,
    pub floats: SliceSpace<'a>,
}

impl Space for CodeSpace<'_> {
    fn dim(&self) -> usize {
        self.floats.dim
    }
    fn score(&self, query: &[f32], inv_norm_query: f32, id: u32) -> f32 {
        self.floats.score(query, inv_norm_query, id)
    }
    fn vector(&self, id: u32) -> &[f32] {
        self.floats.vector(id)
    }
    fn inv_norm(&self, id: u32) -> f32 {
        self.floats.inv_norm(id)
    }
    fn metric(&self) -> Metric {
        self.floats.metric
    }
    fn node_scorer(&self, id: u32) -> Box<dyn Scorer + '_> {
        Box::new(NodeScorer::new(self.codes, self.floats.metric, self.floats.inv_norms, id))
    }
}

/// A stored node's decoded code `q` against other nodes' codes, in float arithmetic: with
/// `x = low + step * code`, `q·x = Σ q·low + Σ (q * step) * code`, so a comparison is one
/// pass over the other code's bytes and the preparation no more than a pass over the
/// dimensions (a build prepares one for every candidate the heuristic weighs, so the
/// integer query of a search's `CodeScorer`, costlier to prepare, would not pay here).
struct NodeScorer<'a> {
    codes: &'a Codes,
    metric: Metric,
    inv_norms: &'a [f32],
    /// Dot product and L2: `q * step` per dimension; manhattan: `q - low`.
    weights: Vec<f32>,
    /// Dot product and L2: `Σ q·low`.
    bias: f32,
    norm2_q: f32,
    inv_q: f32,
}

impl<'a> NodeScorer<'a> {
    fn new(codes: &'a Codes, metric: Metric, inv_norms: &'a [f32], id: u32) -> NodeScorer<'a> {
        let code = codes.code(id);
        let (mut bias, mut norm2_q) = (0.0f32, 0.0f32);
        let weights = (code.iter().zip(&codes.low).zip(&codes.step))
            .map(|((&c, &l), &s)| {
                let q = l + s * c as f32;
                norm2_q += q * q;
                bias += q * l;
                if metric == Metric::Manhattan {
                    q - l
                } else {
                    q * s
                }
            })
            .collect();
        let inv_q = if norm2_q > 0.0 { 1.0 / norm2_q.sqrt() } else { 0.0 };
        NodeScorer { codes, metric, inv_norms, weights, bias, norm2_q, inv_q }
    }
}

impl Scorer for NodeScorer<'_> {
    #[inline]
    fn score(&self, id: u32) -> f32 {
        let code = self.codes.code(id);
        if self.metric == Metric::Manhattan {
            return -l1_u8(&self.weights, &self.codes.step, code);
        }
        let dot = self.bias + dot_u8(&self.weights, code);
        super::score_from_dot(self.metric, dot, self.inv_q, self.norm2_q, self.inv_norms[id as usize])
    }
    #[inline]
    fn prefetch(&self, id: u32) {
        crate::vector::hnsw::prefetch_bytes(self.codes.code(id));
    }
}

/// `Σ w * code`, in eight independent lanes so it vectorises.
#[inline]
fn dot_u8(w: &[f32], code: &[u8]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ws, cs) = (w.chunks_exact(8), code.chunks_exact(8));
    let tail: f32 = ws.remainder().iter().zip(cs.remainder()).map(|(&w, &c)| w * c as f32).sum();
    for (w, c) in ws.zip(cs) {
        for i in 0..8 {
            acc[i] += w[i] * c[i] as f32;
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// `Σ |at - step * code|` (manhattan from `at = q - low`), in eight lanes.
#[inline]
fn l1_u8(at: &[f32], step: &[f32], code: &[u8]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ats, ss, cs) = (at.chunks_exact(8), step.chunks_exact(8), code.chunks_exact(8));
    let tail: f32 = ats.remainder().iter().zip(ss.remainder()).zip(cs.remainder()).map(|((&a, &s), &c)| (a - s * c as f32).abs()).sum();
    for ((a, s), c) in ats.zip(ss).zip(cs) {
        for i in 0..8 {
            acc[i] += (a[i] - s[i] * c[i] as f32).abs();
        }
    }
    acc.iter().sum::<f32>() + tail
}
