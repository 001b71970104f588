//! The write-ahead log `<name>.vdb-wal`.
//!
//! Layout: a 48-byte header, then frames. The header names the snapshot the log continues,
//! so a log is never replayed onto another database or another generation of this one:
//!
//! ```text
//!  0  magic "VECTWAL1"                          8
//!  8  WAL version u32 (= 2)                     4
//! 12  database id (the snapshot header's)      16
//! 28  snapshot id u64 (the snapshot's)          8
//! 36  base sequence u64: the snapshot's last    8  (the first frame is base + 1)
//! 44  CRC32C of bytes 0..44                     4
//! ```
//!
//! (Version 1, still read: a 16-byte header of magic, version and CRC32C, naming no snapshot.)
//! Frames:
//!
//! ```text
//! [payload length u32][crc32c u32][sequence u64][kind u8][payload]
//! ```
//!
//! The CRC covers length, sequence, kind and payload. Sequences rise by one per frame across
//! the life of the database (the snapshot header records the last one it contains, so frames
//! already folded into the snapshot are skipped on replay). A transaction is its operation
//! frames followed by a commit frame; recovery applies committed transactions only.
//!
//! Every append writes at the end of the last good frame (not at the file's end), so the
//! remains of a failed write are overwritten by the next one instead of hiding it.

use crate::checksum::crc32c_append;
use crate::codec::Writer;
use crate::error::{Error, Result};
use crate::record::WalOp;
use super::vfs::{Vfs, VfsFile};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub const MAGIC: &[u8; 8] = b"VECTWAL1";
pub const VERSION: u32 = 2;
pub const HEADER_LEN: u64 = 48;
/// The header length of WAL version 1.
pub const HEADER_LEN_V1: u64 = 16;
pub const FRAME_HEADER_LEN: usize = 17;
pub const KIND_COMMIT: u8 = 3;
/// A frame larger than this is treated as damage, not allocated.
pub const MAX_FRAME_PAYLOAD: u32 = 1 << 30;

/// With `sync: "normal"` a background thread fsyncs the log this often while writes are
/// pending (and close / compact sync at once), so at most this much is lost on power loss.
pub const NORMAL_SYNC_INTERVAL: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// fsync before a write is acknowledged.
    Full,
    /// fsync in batches: a power loss may drop the last moments of writes, never corrupt.
    Normal,
}

/// The snapshot a log continues: its identities and the last sequence folded into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalBase {
    pub database: [u8; 16],
    pub snapshot: u64,
    pub seq: u64,
}

/// The header of a log that continues `base`.
pub fn header_bytes(base: &WalBase) -> [u8; HEADER_LEN as usize] {
    let mut h = [0u8; HEADER_LEN as usize];
    h[..8].copy_from_slice(MAGIC);
    h[8..12].copy_from_slice(&VERSION.to_le_bytes());
    h[12..28].copy_from_slice(&base.database);
    h[28..36].copy_from_slice(&base.snapshot.to_le_bytes());
    h[36..44].copy_from_slice(&base.seq.to_le_bytes());
    let crc = crc32c_append(0, &h[..44]);
    h[44..48].copy_from_slice(&crc.to_le_bytes());
    h
}

/// The header of a version 1 log.
pub fn header_bytes_v1() -> [u8; HEADER_LEN_V1 as usize] {
    let mut h = [0u8; HEADER_LEN_V1 as usize];
    h[..8].copy_from_slice(MAGIC);
    h[8..12].copy_from_slice(&1u32.to_le_bytes());
    let crc = crc32c_append(0, &h[..12]);
    h[12..16].copy_from_slice(&crc.to_le_bytes());
    h
}

/// The CRC of a frame, over its length, sequence, kind and payload.
pub fn frame_crc(len: u32, seq: u64, kind: u8, payload: &[u8]) -> u32 {
    let mut crc = crc32c_append(0, &len.to_le_bytes());
    crc = crc32c_append(crc, &seq.to_le_bytes());
    crc = crc32c_append(crc, &[kind]);
    crc32c_append(crc, payload)
}

fn push_frame(w: &mut Writer, seq: u64, kind: u8, payload: &[u8]) {
    let len = payload.len() as u32;
    w.u32(len);
    w.u32(frame_crc(len, seq, kind, payload));
    w.u64(seq);
    w.u8(kind);
    w.buf.extend_from_slice(payload);
}


/// Encodes a transaction (its operations, then a commit frame) starting at sequence `seq`,
/// handing it to `write` in pieces of at least `piece_bytes` (but the last). Returns the next
/// free sequence, or the first error `write` returned.
pub fn encode_transaction_pieces(
    ops: &[WalOp],
    mut seq: u64,
    piece_bytes: usize,
    mut write: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<u64> {
    let mut out = Writer::with_capacity((64 * ops.len() + 32).min(piece_bytes + (64 << 10)));
    let mut payload = Writer::new();
    for op in ops {
        payload.buf.clear();
        op.encode_payload(&mut payload);
        push_frame(&mut out, seq, op.kind(), &payload.buf);
        seq += 1;
        if out.buf.len() >= piece_bytes {
            write(&out.buf)?;
            out.buf.clear();
        }
    }
    push_frame(&mut out, seq, KIND_COMMIT, &(ops.len() as u32).to_le_bytes());
    write(&out.buf)?;
    Ok(seq + 1)
}

/// Encodes a transaction as one buffer. Returns the bytes and the next free sequence.
pub fn encode_transaction(ops: &[WalOp], seq: u64) -> (Vec<u8>, u64) {
    let mut bytes = Vec::new();
    let next = encode_transaction_pieces(ops, seq, usize::MAX, |piece| {
        bytes.extend_from_slice(piece);
        Ok(())
    })
    .expect("writing into a Vec cannot fail");
    (bytes, next)
}

pub struct Wal {
    file: Arc<dyn VfsFile>,
    path: PathBuf,
    /// The snapshot this log continues (written in its header).
    base: WalBase,
    /// How much of a transaction is encoded before it is written (`Vfs::write_piece_bytes`).
    piece_bytes: usize,
    /// End of the last good frame: where the next append goes.
    len: u64,
    sync: SyncMode,
    last_sync: Instant,
    unsynced: bool,
    flusher: Option<Flusher>,
}

/// The background fsync of `sync: "normal"`: wakes every interval and syncs if a write
/// landed since the last sync. Stopped (and joined) when the WAL is dropped.
struct Flusher {
    dirty: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Flusher {
    fn start(file: Arc<dyn VfsFile>) -> Flusher {
        let dirty = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (d, s) = (dirty.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("vectlite-wal-flush".into())
            .spawn(move || {
                while !s.load(Ordering::Acquire) {
                    std::thread::park_timeout(NORMAL_SYNC_INTERVAL);
                    if d.swap(false, Ordering::AcqRel) {
                        // A failure here resurfaces at the next foreground sync (close/compact).
                        let _ = file.sync();
                    }
                }
            })
            .ok();
        Flusher { dirty, stop, thread }
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

impl Wal {
    /// Opens the log for appending after recovery found `valid_len` good bytes; anything
    /// beyond them (a torn tail) is cut off first. A log with no frames to keep (missing,
    /// empty, or continuing an older snapshot whose writes are all folded in: `valid_len`
    /// 0) is started afresh with a header naming `base`, and the directory is synced so that
    /// a new file itself survives a power loss.
    pub fn open(fs: &dyn Vfs, path: &Path, valid_len: u64, base: WalBase, sync: SyncMode) -> Result<Wal> {
        let shown = super::show(path);
        let existed = fs.exists(path);
        let file = fs.open_rw(path).map_err(|e| Error::io("cannot open WAL", &shown, e))?;
        let flusher = match sync {
            SyncMode::Normal => Some(Flusher::start(file.clone())),
            SyncMode::Full => None,
        };
        let mut wal = Wal {
            file,
            path: path.to_path_buf(),
            base,
            piece_bytes: fs.write_piece_bytes(),
            len: valid_len,
            sync,
            last_sync: Instant::now(),
            unsynced: false,
            flusher,
        };
        let on_disk = wal.file.size().map_err(|e| Error::io("cannot stat WAL", &shown, e))?;
        if valid_len < HEADER_LEN {
            wal.reset()?;
        } else if on_disk != valid_len {
            wal.file.set_len(valid_len).map_err(|e| Error::io("cannot truncate torn WAL tail of", &shown, e))?;
            wal.file.sync().map_err(|e| Error::io("cannot fsync WAL", &shown, e))?;
        }
        if !existed {
            let dir = path.parent().unwrap_or(Path::new("."));
            fs.sync_dir(dir).map_err(|e| Error::io("cannot fsync directory", &super::show(dir), e))?;
        }
        Ok(wal)
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len <= HEADER_LEN
    }

    fn shown(&self) -> String {
        super::show(&self.path)
    }

    /// Appends encoded frames. With `SyncMode::Full` they are on disk when this returns.
    /// On failure (a short write, a full disk, a failed fsync) the log is cut back to its
    /// last good length, so a write reported as failed never reappears at the next open,
    /// and the error is `IO`; the log stays usable for the next append.
    pub fn append(&mut self, bytes: &[u8]) -> Result<()> {
        self.append_with(|write| write(bytes)).map(|_| ())
    }

    /// Appends a transaction starting at sequence `seq`, as `append` does, encoding and
    /// writing it piece by piece; returns the next free sequence. A crash between pieces
    /// leaves frames without their commit frame, which recovery drops.
    pub fn append_transaction(&mut self, ops: &[WalOp], seq: u64) -> Result<u64> {
        let mut next = seq;
        let piece_bytes = self.piece_bytes;
        self.append_with(|write| {
            next = encode_transaction_pieces(ops, seq, piece_bytes, write)?;
            Ok(())
        })?;
        Ok(next)
    }

    /// Runs `fill`, which hands bytes to the writer it is given (written back to back at
    /// the end of the log), then syncs as the mode asks; returns how many bytes landed.
    fn append_with(
        &mut self,
        fill: impl FnOnce(&mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<()>,
    ) -> Result<u64> {
        if self.len < HEADER_LEN {
            // A reset that failed after truncating (a full disk) left no header: write it
            // first, or these frames would sit where the header belongs.
            self.reset()?;
        }
        let (file, start) = (self.file.clone(), self.len);
        let mut at = start;
        let mut write = |piece: &[u8]| -> io::Result<()> {
            file.write_at(piece, at)?;
            at += piece.len() as u64;
            Ok(())
        };
        let written = fill(&mut write).map_err(|e| ("cannot write WAL", e));
        let synced = written.and_then(|_| match self.sync {
            SyncMode::Full => self.file.sync().map_err(|e| ("cannot fsync WAL", e)),
            _ => Ok(()),
        });
        if let Err((what, e)) = synced {
            let _ = self.file.set_len(self.len);
            return Err(Error::io(what, &self.shown(), e));
        }
        let total = at - start;
        self.len += total;
        match self.sync {
            SyncMode::Full => {
                self.last_sync = Instant::now();
            }
            SyncMode::Normal if self.last_sync.elapsed() >= NORMAL_SYNC_INTERVAL || self.flusher.is_none() => {
                self.unsynced = true;
                self.sync().inspect_err(|_| {
                    // Drop this append only: earlier ones were acknowledged already.
                    self.len -= total;
                    let _ = self.file.set_len(self.len);
                })?;
            }
            SyncMode::Normal => {
                self.unsynced = true;
                if let Some(f) = &self.flusher {
                    f.dirty.store(true, Ordering::Release);
                }
            }
        }
        Ok(total)
    }

    /// Makes every appended frame durable.
    pub fn sync(&mut self) -> Result<()> {
        if self.unsynced {
            self.file.sync().map_err(|e| Error::io("cannot fsync WAL", &self.shown(), e))?;
            self.unsynced = false;
        }
        self.last_sync = Instant::now();
        Ok(())
    }

    /// Empties the log, which from now on continues the snapshot `base` (after the log's
    /// contents were folded into it).
    pub fn reset_to(&mut self, base: WalBase) -> Result<()> {
        self.base = base;
        self.reset()
    }

    /// Empties the log and writes its header. Until that has fully succeeded the log counts
    /// as empty, so a failure part way (a full disk) makes the next append start it again
    /// rather than add frames after a header that names another snapshot.
    fn reset(&mut self) -> Result<()> {
        let shown = self.shown();
        self.len = 0;
        self.file.set_len(0).map_err(|e| Error::io("cannot truncate WAL", &shown, e))?;
        let header = header_bytes(&self.base);
        self.file.write_at(&header, 0).map_err(|e| Error::io("cannot write WAL header", &shown, e))?;
        self.len = HEADER_LEN;
        self.file.sync().map_err(|e| Error::io("cannot fsync WAL", &shown, e))?;
        self.unsynced = false;
        Ok(())
    }
}
