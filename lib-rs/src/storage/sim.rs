//! A simulated disk for the reliability tests (lib-rs/tests/crash_consistency.rs). Every file has a "live" image
//! (what a running process reads back) and a "durable" image (what survives a power cut):
//! `sync` makes a file's contents durable, `sync_dir` makes creations, renames and removals
//! durable, as POSIX promises and no more. Writes not yet synced are kept in order, so a
//! crash image can hold any prefix of them, the last one torn in half.
//!
//! Faults: the power is cut at the Nth mutating operation (a write, truncation, fsync,
//! creation, rename, removal or directory fsync; it fails, and so does everything after
//! it), one operation fails with an errno (EIO), or writes fail with ENOSPC until
//! `free_space` (a full disk).

use super::source::{SliceSource, Source};
use super::vfs::{Vfs, VfsFile};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

pub const EIO: i32 = 5;
pub const ENOSPC: i32 = 28;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// The power is cut at this operation (numbered from 1).
    CrashAt(u64),
    /// This operation fails with the errno; later ones work.
    FailAt(u64, i32),
    /// From this operation on, every write fails with ENOSPC until `free_space`.
    DiskFullFrom(u64),
}

#[derive(Clone)]
enum Pending {
    Write { ino: usize, offset: u64, bytes: Vec<u8> },
    SetLen { ino: usize, len: u64 },
    Link { path: PathBuf, ino: usize },
    Rename { from: PathBuf, to: PathBuf },
    Unlink { path: PathBuf },
}

#[derive(Default, Clone)]
struct Inode {
    live: Vec<u8>,
    durable: Vec<u8>,
}

#[derive(Default)]
struct State {
    inodes: Vec<Inode>,
    live_dir: BTreeMap<PathBuf, usize>,
    durable_dir: BTreeMap<PathBuf, usize>,
    /// Mutations not yet durable, in the order they were made.
    pending: Vec<Pending>,
    ops: u64,
    fault: Option<Fault>,
    crashed: bool,
}

fn errno(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

fn write_into(buf: &mut Vec<u8>, offset: u64, bytes: &[u8]) {
    let end = offset as usize + bytes.len();
    if buf.len() < end {
        buf.resize(end, 0);
    }
    buf[offset as usize..end].copy_from_slice(bytes);
}

impl State {
    /// Counts one mutating operation and decides whether it may happen.
    fn begin(&mut self, is_write: bool) -> io::Result<()> {
        if self.crashed {
            return Err(errno(EIO));
        }
        self.ops += 1;
        match self.fault.unwrap_or(Fault::None) {
            Fault::CrashAt(n) if self.ops >= n => {
                self.crashed = true;
                Err(errno(EIO))
            }
            Fault::FailAt(n, code) if self.ops == n => Err(errno(code)),
            Fault::DiskFullFrom(n) if is_write && self.ops >= n => Err(errno(ENOSPC)),
            _ => Ok(()),
        }
    }

    fn link(&mut self, path: &Path, ino: usize) {
        self.live_dir.insert(path.to_path_buf(), ino);
        self.pending.push(Pending::Link { path: path.to_path_buf(), ino });
    }

    fn new_inode(&mut self) -> usize {
        self.inodes.push(Inode::default());
        self.inodes.len() - 1
    }
}

/// A simulated disk shared by a database and the test that watches it.
#[derive(Clone, Default)]
pub struct SimVfs {
    state: Arc<Mutex<State>>,
}

struct SimFile {
    state: Arc<Mutex<State>>,
    ino: usize,
}

impl SimVfs {
    pub fn new() -> SimVfs {
        SimVfs::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_fault(&self, fault: Fault) {
        self.lock().fault = Some(fault);
    }

    /// Ends a `DiskFullFrom` (space was freed).
    pub fn free_space(&self) {
        self.lock().fault = None;
    }

    /// Whether a `DiskFullFrom` fault is in force now.
    pub fn disk_full(&self) -> bool {
        let s = self.lock();
        matches!(s.fault, Some(Fault::DiskFullFrom(n)) if s.ops + 1 >= n)
    }

    /// Mutating operations performed so far.
    pub fn ops(&self) -> u64 {
        self.lock().ops
    }

    pub fn crashed(&self) -> bool {
        self.lock().crashed
    }

    /// Unsynced mutations a crash could keep part of.
    pub fn pending_count(&self) -> usize {
        self.lock().pending.len()
    }

    /// The disk after a power cut: the durable state plus the first `kept` unsynced
    /// mutations (in order), the last of them torn in half when `torn` and it is a write.
    /// `kept = 0` is the strict POSIX outcome; `kept = pending_count()` is "everything the
    /// process wrote reached the disk".
    pub fn crash_image(&self, kept: usize, torn: bool) -> SimVfs {
        let s = self.lock();
        let mut files: Vec<Vec<u8>> = s.inodes.iter().map(|i| i.durable.clone()).collect();
        let mut dir = s.durable_dir.clone();
        let kept = kept.min(s.pending.len());
        for (i, p) in s.pending[..kept].iter().enumerate() {
            match p {
                Pending::Write { ino, offset, bytes } => {
                    let part = if torn && i + 1 == kept { &bytes[..bytes.len() / 2] } else { &bytes[..] };
                    write_into(&mut files[*ino], *offset, part);
                }
                Pending::SetLen { ino, len } => files[*ino].resize(*len as usize, 0),
                Pending::Link { path, ino } => {
                    dir.insert(path.clone(), *ino);
                }
                Pending::Rename { from, to } => {
                    if let Some(ino) = dir.remove(from) {
                        dir.insert(to.clone(), ino);
                    }
                }
                Pending::Unlink { path } => {
                    dir.remove(path);
                }
            }
        }
        let inodes = files.into_iter().map(|b| Inode { live: b.clone(), durable: b }).collect();
        let state = State { inodes, live_dir: dir.clone(), durable_dir: dir, ..Default::default() };
        SimVfs { state: Arc::new(Mutex::new(state)) }
    }

    /// The live bytes of a file (for tests that damage or inspect it).
    pub fn contents(&self, path: &Path) -> Option<Vec<u8>> {
        let s = self.lock();
        s.live_dir.get(path).map(|&ino| s.inodes[ino].live.clone())
    }
}

impl VfsFile for SimFile {
    fn size(&self) -> io::Result<u64> {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        Ok(s.inodes[self.ino].live.len() as u64)
    }
    fn write_at(&self, bytes: &[u8], offset: u64) -> io::Result<()> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.begin(true)?;
        write_into(&mut s.inodes[self.ino].live, offset, bytes);
        s.pending.push(Pending::Write { ino: self.ino, offset, bytes: bytes.to_vec() });
        Ok(())
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.begin(false)?;
        s.inodes[self.ino].live.resize(len as usize, 0);
        s.pending.push(Pending::SetLen { ino: self.ino, len });
        Ok(())
    }
    fn sync(&self) -> io::Result<()> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.begin(false)?;
        let ino = self.ino;
        let node = &mut s.inodes[ino];
        node.durable = node.live.clone();
        s.pending.retain(|p| !matches!(p, Pending::Write { ino: i, .. } | Pending::SetLen { ino: i, .. } if *i == ino));
        Ok(())
    }
}

impl Vfs for SimVfs {
    fn exists(&self, path: &Path) -> bool {
        self.lock().live_dir.contains_key(path)
    }
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        let s = self.lock();
        if s.crashed {
            return Err(errno(EIO));
        }
        Ok(s.live_dir.get(path).map(|&ino| s.inodes[ino].live.clone()))
    }
    fn open_source(&self, path: &Path) -> io::Result<Option<Box<dyn Source>>> {
        Ok(self.read(path)?.map(|bytes| Box::new(OwnedSource(bytes)) as Box<dyn Source>))
    }
    fn open_rw(&self, path: &Path) -> io::Result<Arc<dyn VfsFile>> {
        let mut s = self.lock();
        let ino = match s.live_dir.get(path) {
            Some(&ino) => ino,
            None => {
                s.begin(false)?;
                let ino = s.new_inode();
                s.link(path, ino);
                ino
            }
        };
        Ok(Arc::new(SimFile { state: self.state.clone(), ino }))
    }
    fn create_new(&self, path: &Path) -> io::Result<Arc<dyn VfsFile>> {
        let mut s = self.lock();
        if s.live_dir.contains_key(path) {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        s.begin(false)?;
        let ino = s.new_inode();
        s.link(path, ino);
        Ok(Arc::new(SimFile { state: self.state.clone(), ino }))
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut s = self.lock();
        s.begin(false)?;
        let ino = s.live_dir.remove(from).ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        s.live_dir.insert(to.to_path_buf(), ino);
        s.pending.push(Pending::Rename { from: from.to_path_buf(), to: to.to_path_buf() });
        Ok(())
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        let mut s = self.lock();
        if !s.live_dir.contains_key(path) {
            return Ok(());
        }
        s.begin(false)?;
        s.live_dir.remove(path);
        s.pending.push(Pending::Unlink { path: path.to_path_buf() });
        Ok(())
    }
    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        let s = self.lock();
        if s.crashed {
            return Err(errno(EIO));
        }
        let names = s.live_dir.keys().filter(|p| p.parent() == Some(dir));
        Ok(names.filter_map(|p| p.file_name()?.to_str().map(str::to_string)).collect())
    }
    fn write_piece_bytes(&self) -> usize {
        64
    }
    fn sync_dir(&self, _dir: &Path) -> io::Result<()> {
        // One directory holds every file of a test database.
        let mut s = self.lock();
        s.begin(false)?;
        s.durable_dir = s.live_dir.clone();
        s.pending.retain(|p| matches!(p, Pending::Write { .. } | Pending::SetLen { .. }));
        Ok(())
    }
}

/// A snapshot read from the simulated disk (a copy taken at open).
struct OwnedSource(Vec<u8>);

impl Source for OwnedSource {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        SliceSource(&self.0).read_at(offset, buf)
    }
}
