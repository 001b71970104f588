//! The HNSW graph (Malkov & Yashunin). Being written; see the module docs once it lands.
