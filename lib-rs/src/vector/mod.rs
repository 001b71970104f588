//! Dense vectors: distance kernels and the exact (flat) scan.

pub mod distance;
pub mod flat;
pub mod hnsw;

pub use distance::Metric;
