//! Undoing a bulk ingest. An ingest writes many transactions, each durable when it lands;
//! when its caller aborts it, the database must end as if it had never been issued. So while
//! it runs, each commit first records the inverse of its operations (a record that did not
//! exist: its deletion; one that did: its old version, vectors and all), and an abort writes
//! those inverses, newest first, as one more transaction. What is kept is small for new
//! records (their ids) and a copy of each record the ingest replaced.

use super::Database;
use crate::error::{Code, Error, Result};
use crate::record::{Upsert, WalOp};
use std::borrow::Cow;

impl Database {
    /// Starts recording how to undo the writes that follow.
    pub fn begin_undo(&mut self) -> Result<()> {
        if self.undo.is_some() {
            return Err(Error::new(Code::Transaction, "a bulk ingest is already running on this handle"));
        }
        self.undo = Some(Vec::new());
        Ok(())
    }

    /// Stops recording; with `apply`, undoes every write recorded since `begin_undo` (one
    /// transaction, durable like any other). Returns how many operations that wrote.
    pub fn end_undo(&mut self, apply: bool) -> Result<usize> {
        let Some(undo) = self.undo.take() else { return Ok(0) };
        if !apply {
            return Ok(0);
        }
        let ops: Vec<WalOp> = undo.into_iter().rev().collect();
        let n = ops.len();
        self.commit(ops)?;
        Ok(n)
    }

    /// Records the inverse of `ops`, about to be applied (see the module's text).
    pub(super) fn record_undo(&mut self, ops: &[WalOp]) {
        let Some(undo) = self.undo.as_mut() else { return };
        for op in ops {
            let (namespace, id) = match op {
                WalOp::Upsert(u) => (&u.namespace, &u.record.id),
                WalOp::Delete { namespace, id } => (namespace, id),
            };
            let old = self.namespaces.get(namespace).and_then(|ns| {
                let slot = ns.slot_of(id)?;
                Some((ns.record(slot)?.clone(), ns.vector(slot).to_vec()))
            });
            undo.push(match old {
                Some((record, vector)) => WalOp::Upsert(Upsert { namespace: namespace.clone(), record, vector: Cow::Owned(vector) }),
                None => WalOp::Delete { namespace: namespace.clone(), id: id.clone() },
            });
        }
    }
}
