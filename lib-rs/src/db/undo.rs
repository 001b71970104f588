//! Undoing a bulk ingest. An ingest writes many transactions, each durable when it lands;
//! when its caller aborts it, the database must end as if it had never been issued. So while
//! an ingest that can be aborted runs, each commit first records the inverse of its
//! operations (a record that did not exist: its deletion; one that did: its old version,
//! vectors and all), and an abort writes those inverses, newest first, as one more
//! transaction. A new record costs its id and a namespace index (a few dozen bytes); a
//! replaced one a copy of its old version.
//!
//! One thing an undo cannot take back: the dimension of a named vector space the ingest
//! introduced stays fixed (the WAL holds the ingest's records with it, and replaying them must
//! find the same dimension).

use super::Database;
use crate::error::{Code, Error, Result};
use crate::record::{Upsert, WalOp};
use std::borrow::Cow;

/// How to undo one operation.
#[derive(Debug)]
enum Inverse {
    /// Delete this id (the operation created it) from the namespace at this index.
    Remove { namespace: u32, id: Box<str> },
    /// Write back this old version (the operation replaced or deleted it).
    Restore(Box<Upsert<'static>>),
}

/// The inverses recorded since `begin_undo`, oldest first.
#[derive(Debug, Default)]
pub(super) struct UndoLog {
    namespaces: Vec<String>,
    inverses: Vec<Inverse>,
}

impl UndoLog {
    fn namespace_index(&mut self, name: &str) -> u32 {
        // Ingests write one namespace, or a few: the last ones are the likely matches.
        match self.namespaces.iter().rposition(|n| n == name) {
            Some(i) => i as u32,
            None => {
                self.namespaces.push(name.to_string());
                (self.namespaces.len() - 1) as u32
            }
        }
    }
}

impl Database {
    /// Starts recording how to undo the writes that follow.
    pub fn begin_undo(&mut self) -> Result<()> {
        if self.undo.is_some() {
            return Err(Error::new(Code::Transaction, "a bulk ingest is already running on this handle"));
        }
        self.undo = Some(UndoLog::default());
        Ok(())
    }

    /// Stops recording and forgets what was recorded.
    pub fn end_undo(&mut self) {
        self.undo = None;
    }

    /// Stops recording and undoes every write recorded since `begin_undo`, as one transaction
    /// (durable like any other). Returns how many operations that wrote.
    pub fn apply_undo(&mut self) -> Result<usize> {
        let Some(log) = self.undo.take() else { return Ok(0) };
        let UndoLog { namespaces, inverses } = log;
        let ops: Vec<WalOp> = inverses
            .into_iter()
            .rev()
            .map(|inverse| match inverse {
                Inverse::Remove { namespace, id } => WalOp::Delete { namespace: namespaces[namespace as usize].clone(), id: id.into() },
                Inverse::Restore(upsert) => WalOp::Upsert(*upsert),
            })
            .collect();
        let n = ops.len();
        self.commit(ops)?;
        Ok(n)
    }

    /// Records the inverse of `ops`, about to be applied (see the module's text).
    pub(super) fn record_undo(&mut self, ops: &[WalOp]) {
        let Some(log) = self.undo.as_mut() else { return };
        for op in ops {
            let (namespace, id) = match op {
                WalOp::Upsert(u) => (&u.namespace, &u.record.id),
                WalOp::Delete { namespace, id } | WalOp::UpdateMetadata { namespace, id, .. } | WalOp::SetExpiry { namespace, id, .. } | WalOp::SetMultiVectors { namespace, id, .. } => (namespace, id),
            };
            let old = self.namespaces.get(namespace).and_then(|ns| {
                let slot = ns.slot_of(id)?;
                Some((ns.record(slot)?.into_owned(), ns.vector(slot).to_vec(), ns.expiry().get(slot), ns.multi_of(slot)))
            });
            let inverse = match old {
                Some((record, vector, expires_at, multi)) => Inverse::Restore(Box::new(Upsert { namespace: namespace.clone(), record, vector: Cow::Owned(vector), expires_at, multi })),
                None => Inverse::Remove { namespace: log.namespace_index(namespace), id: id.as_str().into() },
            };
            log.inverses.push(inverse);
        }
    }
}
