//! Explicit transactions: a list of upserts, inserts, deletes and metadata updates that
//! commits as one WAL
//! transaction (its frames plus one commit frame), so after a crash all of it is there or
//! none. The TypeScript `Transaction` buffers the operations and sends them at commit;
//! `abi/input.rs` reads them into `TxnOp`s.

use crate::db::Database;
use crate::error::{Code, Error, Result};
use crate::record::{Upsert, WalOp};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub enum TxnOp<'a> {
    Upsert { item: Upsert<'a>, insert_only: bool },
    Delete { namespace: String, id: String },
    UpdateMetadata { namespace: String, id: String, patch: crate::json::Json },
    /// Sets (None: clears) when the record expires, in epoch milliseconds.
    SetExpiry { namespace: String, id: String, at: Option<i64> },
}

impl Database {
    /// Validates every operation against the database as it will be when the earlier
    /// operations of the transaction have applied, then logs and applies them at once.
    /// Returns the number of operations that changed something.
    pub fn commit_transaction(&mut self, ops: Vec<TxnOp>) -> Result<usize> {
        let upserts: Vec<Upsert> = ops
            .iter()
            .filter_map(|op| match op {
                TxnOp::Upsert { item, .. } => Some(item.clone()),
                TxnOp::Delete { .. } | TxnOp::UpdateMetadata { .. } | TxnOp::SetExpiry { .. } => None,
            })
            .collect();
        self.validate_upserts(&upserts, false)?;
        let now = crate::expiry::now_ms();
        // Existence as seen by each operation: the database overlaid with earlier operations.
        let mut overlay: HashMap<(&str, &str), bool> = HashMap::new();
        let mut log = Vec::with_capacity(ops.len());
        let mut changed = 0;
        for (i, op) in ops.iter().enumerate() {
            let (ns, id) = match op {
                TxnOp::Upsert { item, .. } => (item.namespace.as_str(), item.record.id.as_str()),
                TxnOp::Delete { namespace, id } | TxnOp::UpdateMetadata { namespace, id, .. } | TxnOp::SetExpiry { namespace, id, .. } => {
                    (namespace.as_str(), id.as_str())
                }
            };
            // An expired record is gone: it can be inserted again, and is not there to update.
            let stored = self.namespaces.get(ns).is_some_and(|n| n.contains(id));
            let exists = match overlay.get(&(ns, id)) {
                Some(&e) => e,
                None => self.namespaces.get(ns).is_some_and(|n| n.visible_slot(id, now).is_some()),
            };
            match op {
                TxnOp::Upsert { item, insert_only } => {
                    if *insert_only && exists {
                        return Err(Error::new(
                            Code::DuplicateId,
                            format!("transaction operation {i}: id {id:?} already exists in namespace {ns:?}"),
                        )
                        .with_id(id));
                    }
                    // A write already expired leaves no record for the later operations to see.
                    overlay.insert((ns, id), item.expires_at.is_none_or(|at| at > now));
                    log.push(WalOp::Upsert(item.clone()));
                }
                TxnOp::Delete { namespace, id: del } => {
                    // An expired record is deleted too (it was gone for reads already), but
                    // does not count as a change.
                    if exists || (stored && !overlay.contains_key(&(ns, id))) {
                        log.push(WalOp::Delete { namespace: namespace.clone(), id: del.clone() });
                        changed += usize::from(exists);
                    }
                    overlay.insert((ns, id), false);
                    continue;
                }
                TxnOp::UpdateMetadata { namespace, id: target, patch } => {
                    if !exists {
                        continue;
                    }
                    log.push(WalOp::UpdateMetadata { namespace: namespace.clone(), id: target.clone(), patch: patch.clone() });
                }
                TxnOp::SetExpiry { namespace, id: target, at } => {
                    if !exists {
                        continue;
                    }
                    log.push(WalOp::SetExpiry { namespace: namespace.clone(), id: target.clone(), at: *at });
                }
            }
            changed += 1;
        }
        self.commit(log)?;
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::OpenOptions;
    use crate::json::Json;
    use crate::record::Record;
    use crate::storage::wal::SyncMode;

    fn up(id: &str, insert_only: bool) -> TxnOp<'static> {
        TxnOp::Upsert {
            item: Upsert {
                namespace: String::new(),
                record: Record { id: id.into(), metadata: Json::Object(vec![]), sparse: vec![], vectors: vec![] },
                vector: vec![1.0, 2.0].into(),
                expires_at: None,
                multi: Vec::new(),
            },
            insert_only,
        }
    }

    fn del(id: &str) -> TxnOp<'static> {
        TxnOp::Delete { namespace: String::new(), id: id.into() }
    }

    #[test]
    fn sees_earlier_operations_and_is_all_or_nothing() {
        let dir = std::env::temp_dir().join(format!("vl-txn-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.vdb");
        let opts = OpenOptions { dimension: Some(2), metric: None, read_only: false, sync: SyncMode::Full, ..Default::default() };
        let mut db = Database::open(&path, opts.clone()).unwrap();
        assert_eq!(db.commit_transaction(vec![up("a", true), del("a"), up("a", true), up("b", false)]).unwrap(), 4);
        let err = db.commit_transaction(vec![up("c", true), up("a", true)]).unwrap_err();
        assert_eq!(err.code, Code::DuplicateId);
        assert!(!db.namespaces[""].contains("c"), "a failed transaction applied part of itself");
        assert_eq!(db.commit_transaction(vec![del("zz")]).unwrap(), 0);
        drop(db);
        let mut db = Database::open(&path, OpenOptions { dimension: None, ..opts.clone() }).unwrap();
        assert_eq!(db.total_records(), 2);
        // A metadata update of a record an earlier operation wrote, and of one that is gone.
        let patch = |id: &str, p: &str| TxnOp::UpdateMetadata { namespace: String::new(), id: id.into(), patch: crate::json::parse(p.as_bytes(), "t").unwrap() };
        assert_eq!(db.commit_transaction(vec![up("n", true), patch("n", r#"{"k":1}"#), patch("b", r#"{"j":[2]}"#), patch("gone", "{}")]).unwrap(), 3);
        let metadata = |db: &Database, id: &str| {
            let ns = &db.namespaces[""];
            ns.record(ns.slot_of(id).unwrap()).unwrap().metadata.to_json()
        };
        assert_eq!((metadata(&db, "n"), metadata(&db, "b")), (r#"{"k":1}"#.to_string(), r#"{"j":[2]}"#.to_string()));
        drop(db);
        let db = Database::open(&path, OpenOptions { dimension: None, ..opts }).unwrap();
        assert_eq!((metadata(&db, "n"), metadata(&db, "b")), (r#"{"k":1}"#.to_string(), r#"{"j":[2]}"#.to_string()), "replayed from the WAL");
        // Windows removes no directory while a file in it is open: close every handle first.
        drop(db);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
