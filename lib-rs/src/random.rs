//! Unpredictable numbers without a crate: std's `RandomState` is seeded from the operating
//! system's random source once per process; hashing a counter, the clock and the process id
//! with a fresh one gives values another process cannot guess. Used for database and
//! snapshot identities and for temporary file names, never for cryptography.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A random, non-zero u64 (zero is kept for "no identity" in files of format version 1).
pub fn random_u64() -> u64 {
    loop {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
        h.write_u32(std::process::id());
        let v = h.finish();
        if v != 0 {
            return v;
        }
    }
}

/// 16 random bytes, not all zero.
pub fn random_id() -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&random_u64().to_le_bytes());
    out[8..].copy_from_slice(&random_u64().to_le_bytes());
    out
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_differ_and_are_never_zero() {
        let values: std::collections::HashSet<u64> = (0..10_000).map(|_| random_u64()).collect();
        assert_eq!(values.len(), 10_000);
        assert!(!values.contains(&0));
        assert_ne!(random_id(), random_id());
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }
}
