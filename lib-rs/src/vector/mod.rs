//! Dense vectors: distance kernels, vector spaces (vectors, slots, the exact scan and the
//! HNSW graph behind one search) and the top-k they report into.

pub mod distance;
pub mod floats;
pub mod hnsw;
pub mod quantize;
pub mod space;
pub mod topk;

pub use distance::Metric;
