//! What several integration tests share. Each test binary uses a part of it.
#![allow(dead_code)]

use std::ops::Deref;
use std::path::{Path, PathBuf};

/// A small deterministic generator (xorshift64): the same seed gives the same workload.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A path in a directory of its own under the system temp directory, removed with
/// everything in it when this is dropped: at the end of the test, and while a failing test
/// unwinds. Reads as the path (`&path`, `path.join(..)`).
pub struct TempPath {
    root: PathBuf,
    path: PathBuf,
}

impl TempPath {
    /// An empty directory named after `tag` and this process.
    pub fn dir(tag: &str) -> TempPath {
        let root = std::env::temp_dir().join(format!("{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        TempPath { path: root.clone(), root }
    }

    /// `file` in an empty directory of its own (the file is not created).
    pub fn file(tag: &str, file: &str) -> TempPath {
        let mut dir = TempPath::dir(tag);
        dir.path = dir.root.join(file);
        dir
    }
}

impl Deref for TempPath {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for TempPath {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
