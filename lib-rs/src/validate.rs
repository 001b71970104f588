//! Checks a write passes before anything is logged: ids, namespaces, dimensions, finite
//! values, duplicates for inserts. A refusal names the record (in the message and as data).

use crate::db::{Database, MAX_DIMENSION, MAX_ID_LEN};
use crate::error::{Code, Error, Result};
use crate::record::Upsert;
use std::collections::BTreeMap;

impl Database {
    /// Checks records before anything is logged: dimensions, finite values, ids.
    pub fn validate_upserts(&self, items: &[Upsert], insert_only: bool) -> Result<()> {
        let now = crate::expiry::now_ms();
        let mut batch_dims: BTreeMap<&str, usize> = BTreeMap::new();
        let mut batch_multi: BTreeMap<&str, usize> = BTreeMap::new();
        let mut seen = std::collections::HashSet::new();
        for u in items {
            let id = &u.record.id;
            // Every refusal names the record, in the message and as data.
            let named = |e: Error| e.with_id(id);
            validate_id(id).map_err(named)?;
            validate_write_namespace(&u.namespace).map_err(named)?;
            if u.vector.len() != self.dimension {
                return Err(named(Error::new(
                    Code::DimensionMismatch,
                    format!("record {id:?}: vector has {} values, the database has dimension {}", u.vector.len(), self.dimension),
                )));
            }
            if u.vector.iter().any(|x| !x.is_finite()) {
                check_finite(&u.vector, &format!("record {id:?}: vector")).map_err(named)?; // builds the message only on failure
            }
            for (name, v) in &u.record.vectors {
                let fixed = self.named_dims.get(name).copied().or_else(|| batch_dims.get(name.as_str()).copied());
                match fixed {
                    Some(d) if d != v.len() => {
                        return Err(named(Error::new(
                            Code::DimensionMismatch,
                            format!("record {id:?}: named vector {name:?} has {} values, its space has dimension {d}", v.len()),
                        )))
                    }
                    None if v.is_empty() || v.len() > MAX_DIMENSION => {
                        return Err(named(Error::invalid(format!("record {id:?}: named vector {name:?} has {} values", v.len()))))
                    }
                    _ => {}
                }
                batch_dims.insert(name, v.len());
                if v.iter().any(|x| !x.is_finite()) {
                    check_finite(v, &format!("record {id:?}: named vector {name:?}")).map_err(named)?;
                }
            }
            for (term, w) in &u.record.sparse {
                if !w.is_finite() {
                    return Err(named(Error::invalid(format!("record {id:?}: sparse term {term:?} has a non-finite weight"))));
                }
            }
            for (i, m) in u.multi.iter().enumerate() {
                let name = m.name.as_str();
                let what = format!("record {id:?}: multi-vector space {name:?}");
                if name.is_empty() || u.multi[..i].iter().any(|o| o.name == name) {
                    return Err(named(Error::invalid(format!("record {id:?}: multi-vector space names must be non-empty and unique, found {name:?}"))));
                }
                let count = m.count();
                if m.dim == 0 || m.dim > MAX_DIMENSION || m.values.len() != count * m.dim {
                    return Err(named(Error::invalid(format!("{what}: vectors of {} values", m.dim))));
                }
                if count == 0 || count > crate::multi_vector::MAX_TOKENS {
                    return Err(named(Error::invalid(format!("{what} must hold 1 to {} vectors, found {count}", crate::multi_vector::MAX_TOKENS))));
                }
                let fixed = self.multi_dims.get(name).copied().or_else(|| batch_multi.get(name).copied());
                if let Some(d) = fixed.filter(|&d| d != m.dim) {
                    return Err(named(Error::new(Code::DimensionMismatch, format!("{what}: vectors have {} values, the space has dimension {d}", m.dim))));
                }
                batch_multi.insert(name, m.dim);
                if m.values.iter().any(|x| !x.is_finite()) {
                    check_finite(&m.values, &what).map_err(named)?;
                }
            }
            if let Some(at) = u.expires_at {
                if !(0..=crate::expiry::MAX_INSTANT).contains(&at) {
                    return Err(named(Error::invalid(format!("record {id:?}: expiresAt must be from 0 to {} (epoch milliseconds), found {at}", crate::expiry::MAX_INSTANT))));
                }
            }
            if insert_only {
                // An expired record is gone for every read: inserting its id again is allowed.
                let exists = self.namespaces.get(&u.namespace).is_some_and(|ns| ns.visible_slot(id, now).is_some());
                if exists || !seen.insert((u.namespace.as_str(), id.as_str())) {
                    return Err(named(Error::new(
                        Code::DuplicateId,
                        format!("id {id:?} already exists in namespace {:?}", u.namespace),
                    )));
                }
            }
        }
        Ok(())
    }
}

/// "*" names every namespace in reads, so no record may be written into a namespace of
/// that name.
pub fn validate_write_namespace(namespace: &str) -> Result<()> {
    if namespace == "*" {
        return Err(Error::invalid("namespace \"*\" means every namespace: it cannot be written to"));
    }
    Ok(())
}

pub fn validate_id(id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::invalid("id must be a non-empty string"));
    }
    if id.len() > MAX_ID_LEN {
        return Err(Error::invalid(format!("id is {} bytes long, the limit is {MAX_ID_LEN}", id.len())));
    }
    Ok(())
}

pub fn check_finite(v: &[f32], what: &str) -> Result<()> {
    match v.iter().position(|x| !x.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::invalid(format!("{what} has a non-finite value ({}) at index {i}", v[i]))),
    }
}
