//! vectlite: an embedded vector database core, loaded through a C ABI by Bun, Deno and
//! Node.js.
//!
//! One `.vdb` file per database (plus a write-ahead log beside it while writes are pending):
//! dense vectors searched exactly or through HNSW graphs, BM25 keyword and hybrid search,
//! metadata filters, namespaces, named vectors and sparse terms. The modules are laid out so a newcomer finds each concern in one place:
//! the WAL in `storage/wal.rs`, the filter language in `filter/`, the C ABI in `abi/`.

#![deny(unsafe_op_in_unsafe_fn)]

pub mod abi;
pub mod backup;
pub mod catch_up;
pub mod checksum;
pub mod codec;
pub mod db;
pub mod expiry;
pub mod error;
pub mod filter;
pub mod hash;
pub mod id_index;
pub mod json;
pub mod json_key;
pub mod layout;
pub mod multi_vector;
pub mod named_space;
pub mod namespace;
pub mod progress;
pub mod random;
pub mod record;
pub mod record_store;
pub mod search;
pub mod sparse;
pub mod storage;
pub mod text;
pub mod txn;
pub mod validate;
pub mod vector;
