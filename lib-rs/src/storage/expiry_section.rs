//! The EXPIRY section: when the records given a time to live expire. Per namespace that
//! has any, in RECORDS order: name, varint entry count, then per entry the varint RECORDS
//! position (strictly increasing) and the instant as u64 epoch milliseconds.

use super::format::{find_namespace, LoadedNamespace};
use crate::codec::{Reader, Writer};
use crate::error::Result;
use crate::expiry::MAX_INSTANT;
use crate::namespace::Namespace;

/// The section's bytes for the namespaces a snapshot stores, or None when no record of
/// them expires (the section is left out).
pub fn encode(live: &[(&String, &Namespace)]) -> Option<Vec<u8>> {
    let expiring: Vec<&(&String, &Namespace)> = live.iter().filter(|(_, ns)| !ns.expiry().is_empty()).collect();
    if expiring.is_empty() {
        return None;
    }
    let mut w = Writer::new();
    w.varint(expiring.len() as u64);
    for (name, ns) in expiring {
        w.str(name);
        let entries: Vec<(usize, i64)> = ns.slots().enumerate().filter_map(|(position, slot)| Some((position, ns.expiry().get(slot)?))).collect();
        w.varint(entries.len() as u64);
        for (position, at) in entries {
            w.varint(position as u64);
            w.u64(at as u64);
        }
    }
    Some(w.buf)
}

/// Reads the section into the loaded namespaces' `expiry`.
pub fn read(r: &mut Reader, namespaces: &mut [LoadedNamespace]) -> Result<()> {
    for _ in 0..r.len(2)? {
        let name = r.str()?.to_string();
        let ns = find_namespace(namespaces, &name).ok_or_else(|| r.corrupt(&format!("expiry of namespace {name:?}, which RECORDS does not hold")))?;
        if !ns.expiry.is_empty() {
            return Err(r.corrupt(&format!("expiry of namespace {name:?} repeated")));
        }
        let count = r.len(9)?;
        let mut entries = Vec::with_capacity(count);
        for _ in 0..count {
            let position = r.varint()?;
            let at = r.u64()? as i64;
            let after_previous = entries.last().is_none_or(|&(p, _)| position > p as u64);
            if position >= ns.records.len() as u64 || !after_previous || !(0..=MAX_INSTANT).contains(&at) {
                return Err(r.corrupt(&format!("expiry entry of namespace {name:?}: position {position}, instant {at}")));
            }
            entries.push((position as u32, at));
        }
        ns.expiry = entries;
    }
    if !r.at_end() {
        return Err(r.corrupt("EXPIRY section holds more data than it describes"));
    }
    Ok(())
}
