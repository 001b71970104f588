//! Reading the WAL back at open: committed transactions are replayed, an uncommitted or
//! torn tail is dropped. Damage in the middle of the log (a bad frame followed by good
//! ones) is `CORRUPT`, not a silent loss of the committed frames after it.

use super::wal::{frame_crc, header_bytes, FRAME_HEADER_LEN, HEADER_LEN, KIND_COMMIT, MAX_FRAME_PAYLOAD};
use crate::codec::Reader;
use crate::error::{Error, Result};
use crate::record::WalOp;

/// What the log holds.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Committed transactions newer than the snapshot, in order.
    pub transactions: Vec<Vec<WalOp<'static>>>,
    /// Bytes up to the end of the last commit frame: the log is cut back to this.
    pub valid_len: u64,
    /// The last sequence seen in a committed transaction (or `after_seq`).
    pub last_seq: u64,
    /// Bytes dropped as a torn or uncommitted tail.
    pub dropped: u64,
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

/// Parses a whole log. `after_seq` is the last sequence inside the snapshot.
pub fn read_wal(bytes: &[u8], file: &str, after_seq: u64) -> Result<Recovered> {
    let mut out = Recovered { last_seq: after_seq, ..Recovered::default() };
    let header = header_bytes();
    if (bytes.len() as u64) < HEADER_LEN {
        // A log whose creation was interrupted: nothing was ever committed to it.
        if header.starts_with(bytes) {
            out.dropped = bytes.len() as u64;
            return Ok(out);
        }
        return Err(Error::corrupt(file, 0, "not a vectlite WAL (bad header)"));
    }
    if bytes[..HEADER_LEN as usize] != header {
        return Err(Error::corrupt(file, 0, "not a vectlite WAL, or an unsupported WAL version"));
    }
    let mut pos = HEADER_LEN as usize;
    out.valid_len = HEADER_LEN;
    let mut pending: Vec<WalOp> = Vec::new();
    let mut expected_seq: Option<u64> = None;
    while pos < bytes.len() {
        let frame = match frame_at(bytes, pos) {
            Some(f) if expected_seq.is_none_or(|s| f.seq == s) => f,
            _ => {
                let seq = expected_seq.unwrap_or(0);
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
            if frame.seq > after_seq && !pending.is_empty() {
                out.transactions.push(std::mem::take(&mut pending));
            }
            pending.clear();
            out.last_seq = out.last_seq.max(frame.seq);
            out.valid_len = frame.end as u64;
        } else if frame.seq > after_seq {
            let mut r = Reader::new(frame.payload, (pos + FRAME_HEADER_LEN) as u64, file);
            pending.push(WalOp::decode_payload(frame.kind, &mut r)?);
        }
        pos = frame.end;
    }
    out.dropped = bytes.len() as u64 - out.valid_len;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::wal::encode_transaction;
    use super::*;

    fn delete(id: &str) -> WalOp<'static> {
        WalOp::Delete { namespace: String::new(), id: id.into() }
    }

    fn log_of(txns: &[Vec<WalOp>]) -> Vec<u8> {
        let mut bytes = header_bytes().to_vec();
        let mut seq = 1;
        for t in txns {
            let (b, next) = encode_transaction(t, seq);
            bytes.extend_from_slice(&b);
            seq = next;
        }
        bytes
    }

    #[test]
    fn replays_committed_transactions() {
        let txns = vec![vec![delete("a")], vec![delete("b"), delete("c")]];
        let r = read_wal(&log_of(&txns), "w", 0).unwrap();
        assert_eq!(r.transactions, txns);
        assert_eq!(r.dropped, 0);
        assert_eq!(r.last_seq, 5);
    }

    #[test]
    fn every_torn_tail_keeps_the_committed_prefix() {
        let first = log_of(&[vec![delete("a")]]);
        let full = log_of(&[vec![delete("a")], vec![delete("b"), delete("c")]]);
        for cut in first.len()..full.len() {
            let r = read_wal(&full[..cut], "w", 0).unwrap();
            assert_eq!(r.transactions, vec![vec![delete("a")]], "cut at {cut}");
            assert_eq!(r.valid_len, first.len() as u64);
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
        let mut log = header_bytes().to_vec();
        for p in &pieces[..pieces.len() - 1] {
            log.extend_from_slice(p);
            assert!(read_wal(&log, "w", 0).unwrap().transactions.is_empty());
        }
        log.extend_from_slice(pieces.last().unwrap());
        assert_eq!(read_wal(&log, "w", 0).unwrap().transactions, vec![ops]);
    }

    #[test]
    fn skips_frames_already_in_the_snapshot() {
        let txns = vec![vec![delete("a")], vec![delete("b")]];
        let r = read_wal(&log_of(&txns), "w", 2).unwrap();
        assert_eq!(r.transactions, vec![vec![delete("b")]]);
    }

    #[test]
    fn damage_before_good_frames_is_corrupt() {
        let mut bytes = log_of(&[vec![delete("a")], vec![delete("b")]]);
        bytes[HEADER_LEN as usize + 20] ^= 0x40;
        let err = read_wal(&bytes, "w", 0).unwrap_err();
        assert_eq!(err.code, crate::error::Code::Corrupt);
    }
}
