//! The sparse (keyword) side of search: an inverted index per namespace over the records'
//! sparse terms, scored with Okapi BM25 (Robertson et al.).
//!
//! A record's sparse terms are term frequencies (from `sparseTerms(text)` or supplied by the
//! caller); its length is their sum. For a query with term weights `q_t`:
//!
//! ```text
//! score(d) = Σ_t  q_t · idf(t) · tf(t,d) · (K1 + 1) / (tf(t,d) + K1 · (1 − B + B · len(d) / avglen))
//! idf(t)   = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))
//! ```
//!
//! `N` and `avglen` count the namespace's records that have sparse terms. The index is
//! updated on every write and delete, stored in the snapshot by `compact` (persist.rs) and
//! loaded at open; without a stored index (a namespace compacted with tombstones, an older
//! file) it is rebuilt from the records' terms.

pub mod index;
mod persist;

pub use index::InvertedIndex;

/// BM25 term-frequency saturation.
pub const K1: f64 = 1.2;
/// BM25 length normalisation.
pub const B: f64 = 0.75;

/// BM25's inverse document frequency (the "+1" keeps it positive for common terms).
pub fn idf(n: usize, df: usize) -> f64 {
    let (n, df) = (n as f64, df as f64);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// One term's contribution for a document with frequency `tf` and length `len`.
pub fn term_score(idf: f64, tf: f64, len: f64, avg_len: f64) -> f64 {
    let norm = if avg_len > 0.0 { len / avg_len } else { 1.0 };
    idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * norm))
}
