//! Reading the WAL back at open: committed transactions are replayed, an uncommitted or
//! torn tail is dropped. Damage in the middle of the log (a bad frame followed by good
//! ones) is `CORRUPT`, not a silent loss of the committed frames after it.
//!
//! A log is replayed only onto its own database (its header names the database, the
//! snapshot it continues and that snapshot's last sequence, its base). Beside the snapshot
//! it names, it replays what follows. Beside a newer snapshot of the same database (a
//! compaction renamed the new file into place and then stopped, or failed to sync the
//! directory, before emptying the log) the frames the snapshot holds are skipped: a log
//! with nothing more is started afresh, and one with more replays it only if the snapshot
//! was compacted from the one the log names (its parent), so a log of a copy that went its
//! own way never continues another copy. Anything else is `CORRUPT`, naming both files: a
//! log from another database, an older copy of the `.vdb` put back beside a log that
//! continues a newer snapshot (whose writes the old file lacks), a log of another lineage.

use super::format::SnapshotIdentity;
use super::wal::{frame_crc, header_bytes_v1, WalBase, FRAME_HEADER_LEN, HEADER_LEN, HEADER_LEN_V1, KIND_COMMIT, MAGIC, MAX_FRAME_PAYLOAD, VERSION};
use crate::checksum::crc32c_append;
use crate::codec::Reader;
use crate::error::{Code, Error, Result};
use crate::random::hex;
use crate::record::WalOp;

/// The snapshot a log is read beside.
pub struct Beside<'a> {
    /// The snapshot file, for messages.
    pub file: &'a str,
    pub identity: SnapshotIdentity,
    /// The last sequence folded into the snapshot.
    pub seq: u64,
}

/// What the log holds.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Committed transactions newer than the snapshot, in order.
    pub transactions: Vec<Vec<WalOp<'static>>>,
    /// Bytes up to the end of the last commit frame: the log is cut back to this. 0 when the
    /// log holds nothing to keep (missing, a torn header, or all of it folded into the
    /// snapshot): it is then started afresh.
    pub valid_len: u64,
    /// The last sequence seen in a committed transaction (or the snapshot's).
    pub last_seq: u64,
    /// Bytes dropped as a torn or uncommitted tail.
    pub dropped: u64,
    /// How many committed transactions follow the snapshot (`transactions.len()` once
    /// they are taken out to be applied).
    pub transactions_replayed: usize,
}

struct Frame<'a> {
    seq: u64,
    kind: u8,
    payload: &'a [u8],
    end: usize,
}

/// Reads the frame at `pos`, or None if it is incomplete or fails its checksum.
fn frame_at(bytes: &[u8], pos: usize) -> Option<Frame<'_>> {
    let head = bytes.get(pos..pos + FRAME_HEADER_LEN)?;
    let len = u32::from_le_bytes(head[0..4].try_into().ok()?);
    let crc = u32::from_le_bytes(head[4..8].try_into().ok()?);
    let seq = u64::from_le_bytes(head[8..16].try_into().ok()?);
    let kind = head[16];
    if len > MAX_FRAME_PAYLOAD {
        return None;
    }
    let start = pos + FRAME_HEADER_LEN;
    let payload = bytes.get(start..start + len as usize)?;
    if frame_crc(len, seq, kind, payload) != crc {
        return None;
    }
    Some(Frame { seq, kind, payload, end: start + len as usize })
}

/// After a bad frame at `pos` expected to carry `seq`: is there a good later frame? Only
/// offsets whose sequence field is plausible are checksummed, so a long torn tail is cheap.
fn good_frame_after(bytes: &[u8], pos: usize, seq: u64) -> Option<usize> {
    let mut at = pos + 1;
    while at + FRAME_HEADER_LEN <= bytes.len() {
        let s = u64::from_le_bytes(bytes[at + 8..at + 16].try_into().ok()?);
        if s >= seq && s < seq.saturating_add(1 << 24) && frame_at(bytes, at).is_some() {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// The log's header: its length and the snapshot it continues (None for version 1, which
/// names none). `Ok(None)` for a header whose writing was cut short: nothing was ever
/// committed to such a log.
fn read_header(bytes: &[u8], file: &str) -> Result<Option<(usize, Option<WalBase>)>> {
    let magic_len = bytes.len().min(MAGIC.len());
    if bytes[..magic_len] != MAGIC[..magic_len] {
        return Err(Error::corrupt(file, 0, "not a vectlite WAL (bad magic)"));
    }
    if bytes.len() < 12 {
        return Ok(None);
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or([0; 4]));
    let header_len = match version {
        1 => HEADER_LEN_V1 as usize,
        VERSION => HEADER_LEN as usize,
        v if v > VERSION => {
            return Err(Error::new(Code::Corrupt, format!("{file}: WAL version {v} is newer than this library reads ({VERSION}); upgrade vectlite")))
        }
        _ => return Err(Error::corrupt(file, 8, "unknown WAL version")),
    };
    if bytes.len() < header_len {
        return Ok(None);
    }
    if version == 1 {
        if bytes[..header_len] != header_bytes_v1() {
            return Err(Error::corrupt(file, 0, "bad WAL header"));
        }
        return Ok(Some((header_len, None)));
    }
    let stored = u32::from_le_bytes(bytes[44..48].try_into().unwrap_or([0; 4]));
    if crc32c_append(0, &bytes[..44]) != stored {
        return Err(Error::corrupt(file, 44, "WAL header checksum mismatch"));
    }
    let mut database = [0u8; 16];
    database.copy_from_slice(&bytes[12..28]);
    let snapshot = u64::from_le_bytes(bytes[28..36].try_into().unwrap_or([0; 8]));
    let seq = u64::from_le_bytes(bytes[36..44].try_into().unwrap_or([0; 8]));
    Ok(Some((header_len, Some(WalBase { database, snapshot, seq }))))
}

/// Parses a whole log read beside the snapshot `beside`.
pub fn read_wal(bytes: &[u8], file: &str, beside: &Beside) -> Result<Recovered> {
    let mut out = Recovered { last_seq: beside.seq, ..Recovered::default() };
    let Some((header_len, base)) = read_header(bytes, file)? else {
        out.dropped = bytes.len() as u64;
        return Ok(out);
    };
    let continues = match &base {
        Some(b) => b.database == beside.identity.database && b.snapshot == beside.identity.snapshot,
        None => beside.identity.is_legacy(),
    };
    if let (true, Some(b)) = (continues, &base) {
        if b.seq != beside.seq {
            return Err(mismatch(file, beside, format!("the log continues write {} of that snapshot, which holds writes up to {}", b.seq, beside.seq)));
        }
    }
    // A log continuing this snapshot replays what follows it; a version 1 log (which names
    // no snapshot) skips the frames the snapshot already holds.
    let first_seq = base.map_or(1, |b| b.seq + 1);
    let mut pos = header_len;
    let mut valid_len = header_len as u64;
    let mut pending: Vec<WalOp> = Vec::new();
    let mut transactions = Vec::new();
    let mut last_committed = base.map_or(0, |b| b.seq);
    let mut expected_seq: Option<u64> = base.map(|b| b.seq + 1);
    while pos < bytes.len() {
        let frame = match frame_at(bytes, pos) {
            Some(f) if expected_seq.is_none_or(|s| f.seq == s) => f,
            _ => {
                let seq = expected_seq.unwrap_or(first_seq);
                if let Some(at) = good_frame_after(bytes, pos, seq) {
                    return Err(Error::corrupt(
                        file,
                        pos as u64,
                        format!("damaged WAL frame followed by a valid frame at offset {at}"),
                    ));
                }
                break;
            }
        };
        expected_seq = Some(frame.seq + 1);
        if frame.kind == KIND_COMMIT {
            if frame.seq > beside.seq && !pending.is_empty() {
                transactions.push(std::mem::take(&mut pending));
            }
            pending.clear();
            last_committed = frame.seq;
            valid_len = frame.end as u64;
        } else if frame.seq > beside.seq {
            let mut r = Reader::new(frame.payload, (pos + FRAME_HEADER_LEN) as u64, file);
            pending.push(WalOp::decode_payload(frame.kind, &mut r)?);
        }
        pos = frame.end;
    }
    if !continues {
        // Another snapshot's log: only a newer snapshot of the same database may take it.
        let base_seq = base.map_or(0, |b| b.seq);
        if base.is_some_and(|b| b.database != beside.identity.database) {
            return Err(mismatch(file, beside, "the log belongs to another database".to_string()));
        }
        if base_seq > beside.seq {
            return Err(mismatch(
                file,
                beside,
                format!("the snapshot holds writes up to {}, older than the log, which continues write {base_seq} (an older copy of the database file?)", beside.seq),
            ));
        }
        if last_committed <= beside.seq {
            out.dropped = bytes.len() as u64;
            return Ok(out);
        }
        if base.is_none_or(|b| b.snapshot != beside.identity.parent) {
            return Err(mismatch(
                file,
                beside,
                format!("the log holds writes up to {last_committed} past the snapshot's {}, and the snapshot was not compacted from the one the log continues (a copy that went its own way?)", beside.seq),
            ));
        }
    }
    out.transactions_replayed = transactions.len();
    out.transactions = transactions;
    out.last_seq = last_committed.max(beside.seq);
    out.valid_len = valid_len;
    out.dropped = bytes.len() as u64 - valid_len;
    Ok(out)
}

fn mismatch(file: &str, beside: &Beside, why: String) -> Error {
    let ids = if beside.identity.is_legacy() {
        "format version 1".to_string()
    } else {
        format!("database {}, snapshot {:016x}", hex(&beside.identity.database), beside.identity.snapshot)
    };
    Error::new(
        Code::Corrupt,
        format!("{file} does not continue {} ({ids}): {why}; nothing was replayed (move one of the two files away to open the other)", beside.file),
    )
}

#[cfg(test)]
mod tests {
    use super::super::wal::{encode_transaction, header_bytes};
    use super::*;

    const DB: [u8; 16] = [5; 16];

    fn delete(id: &str) -> WalOp<'static> {
        WalOp::Delete { namespace: String::new(), id: id.into() }
    }

    /// The snapshot `snapshot` (compacted from `snapshot - 1`) at sequence `seq`.
    fn beside(snapshot: u64, seq: u64) -> Beside<'static> {
        Beside { file: "s.vdb", identity: SnapshotIdentity { database: DB, snapshot, parent: snapshot - 1 }, seq }
    }

    /// A log continuing snapshot `snapshot` at sequence `base`.
    fn log_on(snapshot: u64, base: u64, txns: &[Vec<WalOp>]) -> Vec<u8> {
        let mut bytes = header_bytes(&WalBase { database: DB, snapshot, seq: base }).to_vec();
        let mut seq = base + 1;
        for t in txns {
            let (b, next) = encode_transaction(t, seq);
            bytes.extend_from_slice(&b);
            seq = next;
        }
        bytes
    }

    fn log_of(txns: &[Vec<WalOp>]) -> Vec<u8> {
        log_on(1, 0, txns)
    }

    #[test]
    fn replays_committed_transactions() {
        let txns = vec![vec![delete("a")], vec![delete("b"), delete("c")]];
        let r = read_wal(&log_of(&txns), "w", &beside(1, 0)).unwrap();
        assert_eq!(r.transactions, txns);
        assert_eq!(r.dropped, 0);
        assert_eq!(r.last_seq, 5);
    }

    #[test]
    fn every_torn_tail_keeps_the_committed_prefix() {
        let first = log_of(&[vec![delete("a")]]);
        let full = log_of(&[vec![delete("a")], vec![delete("b"), delete("c")]]);
        for cut in first.len()..full.len() {
            let r = read_wal(&full[..cut], "w", &beside(1, 0)).unwrap();
            assert_eq!(r.transactions, vec![vec![delete("a")]], "cut at {cut}");
            assert_eq!(r.valid_len, first.len() as u64);
        }
        // A header cut short holds nothing.
        for cut in 0..HEADER_LEN as usize {
            let r = read_wal(&full[..cut], "w", &beside(1, 0)).unwrap();
            assert!(r.transactions.is_empty() && r.valid_len == 0, "cut at {cut}");
        }
    }

    #[test]
    fn a_transaction_written_in_pieces_is_the_same_bytes_and_replays_whole() {
        let ops: Vec<WalOp> = (0..20).map(|i| delete(&format!("id{i}"))).collect();
        let mut pieces: Vec<Vec<u8>> = Vec::new();
        let next = super::super::wal::encode_transaction_pieces(&ops, 1, 64, |p| {
            pieces.push(p.to_vec());
            Ok(())
        })
        .unwrap();
        assert!(pieces.len() > 5, "expected many pieces, got {}", pieces.len());
        let (whole, whole_next) = encode_transaction(&ops, 1);
        assert_eq!((pieces.concat(), next), (whole, whole_next));
        // Every prefix made of whole pieces but the last (the commit frame) replays nothing.
        let mut log = log_of(&[]);
        for p in &pieces[..pieces.len() - 1] {
            log.extend_from_slice(p);
            assert!(read_wal(&log, "w", &beside(1, 0)).unwrap().transactions.is_empty());
        }
        log.extend_from_slice(pieces.last().unwrap());
        assert_eq!(read_wal(&log, "w", &beside(1, 0)).unwrap().transactions, vec![ops]);
    }

    #[test]
    fn a_version_1_log_skips_frames_already_in_its_snapshot() {
        let mut bytes = header_bytes_v1().to_vec();
        bytes.extend_from_slice(&encode_transaction(&[delete("a")], 1).0);
        bytes.extend_from_slice(&encode_transaction(&[delete("b")], 3).0);
        let legacy = Beside { file: "s.vdb", identity: SnapshotIdentity::default(), seq: 2 };
        let r = read_wal(&bytes, "w", &legacy).unwrap();
        assert_eq!(r.transactions, vec![vec![delete("b")]]);
        assert_eq!((r.last_seq, r.valid_len), (4, bytes.len() as u64));
    }

    #[test]
    fn damage_before_good_frames_is_corrupt() {
        let mut bytes = log_of(&[vec![delete("a")], vec![delete("b")]]);
        bytes[HEADER_LEN as usize + 20] ^= 0x40;
        let err = read_wal(&bytes, "w", &beside(1, 0)).unwrap_err();
        assert_eq!(err.code, Code::Corrupt);
    }

    #[test]
    fn a_log_of_another_database_is_refused_naming_both_files() {
        let mut bytes = log_of(&[vec![delete("a")]]);
        bytes[12] ^= 1; // another database id, header checksum made to match
        let crc = crc32c_append(0, &bytes[..44]);
        bytes[44..48].copy_from_slice(&crc.to_le_bytes());
        let err = read_wal(&bytes, "w.vdb-wal", &beside(1, 0)).unwrap_err();
        assert_eq!(err.code, Code::Corrupt);
        assert!(err.message.contains("w.vdb-wal") && err.message.contains("s.vdb") && err.message.contains("another database"), "{}", err.message);
    }

    #[test]
    fn an_older_snapshot_beside_a_newer_log_is_refused() {
        // The log continues snapshot 2 (writes up to 10); the file beside it is snapshot 1 at 4.
        let bytes = log_on(2, 10, &[vec![delete("a")]]);
        let err = read_wal(&bytes, "w", &beside(1, 4)).unwrap_err();
        assert!(err.message.contains("older"), "{}", err.message);
        // Even an empty log tells that the snapshot is older than the one it continues.
        assert_eq!(read_wal(&log_on(2, 10, &[]), "w", &beside(1, 4)).unwrap_err().code, Code::Corrupt);
    }

    #[test]
    fn beside_a_newer_snapshot_of_its_database_a_log_replays_what_follows_it() {
        // Snapshot 3 holds writes up to 5; the log of snapshot 2 (at 3) has writes 4..8.
        let bytes = log_on(2, 3, &[vec![delete("a")], vec![delete("b"), delete("c")]]);
        let r = read_wal(&bytes, "w", &beside(3, 5)).unwrap();
        assert_eq!(r.transactions, vec![vec![delete("b"), delete("c")]]);
        assert_eq!((r.valid_len, r.last_seq), (bytes.len() as u64, 8));
        // Snapshot 4 holds the same writes, but was compacted from snapshot 3, not 2: the
        // log belongs to another lineage of the database (a copy that went its own way).
        let err = read_wal(&bytes, "w", &beside(4, 5)).unwrap_err();
        assert!(err.message.contains("not compacted from"), "{}", err.message);
    }

    #[test]
    fn a_log_folded_into_a_newer_snapshot_is_started_afresh() {
        // A compaction renamed snapshot 3 (writes up to 8) into place and stopped before
        // emptying the log of snapshot 2, whose writes 4..8 it holds.
        let bytes = log_on(2, 3, &[vec![delete("a")], vec![delete("b"), delete("c")]]);
        let r = read_wal(&bytes, "w", &beside(3, 8)).unwrap();
        assert!(r.transactions.is_empty());
        assert_eq!((r.valid_len, r.last_seq), (0, 8));

    }

    #[test]
    fn a_log_of_this_snapshot_at_another_sequence_is_refused() {
        let bytes = log_on(1, 3, &[vec![delete("a")]]);
        assert_eq!(read_wal(&bytes, "w", &beside(1, 5)).unwrap_err().code, Code::Corrupt);
    }
}
