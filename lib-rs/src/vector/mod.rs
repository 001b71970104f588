//! Dense vectors: distance kernels and the exact (flat) scan.

pub mod distance;
pub mod flat;

pub use distance::Metric;
