//! When records expire: a namespace's map from record slot to an instant in epoch
//! milliseconds. Only records given a time to live pay for it (a database without expiry
//! holds an empty map); an expired record stays stored, invisible to every read from its
//! instant on, until a compaction drops it. Reads take the clock once per call and ask
//! `is_due`; the common case, no record due yet, costs one comparison per namespace.

use std::collections::HashMap;

/// Now, in epoch milliseconds (0 if the clock is before 1970).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// The latest instant a record may be given: JavaScript's last valid `Date` (year 275760).
pub const MAX_INSTANT: i64 = 8_640_000_000_000_000;

#[derive(Debug, Clone, Default)]
pub struct Expiry {
    at: HashMap<u32, i64>,
    /// No instant in `at` is earlier (a lower bound: removals leave it as it was, so a read
    /// may check a few slots for nothing until the next compaction rebuilds the map).
    earliest: i64,
}

impl Expiry {
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }

    pub fn len(&self) -> usize {
        self.at.len()
    }

    /// The instant of the record at `slot`, if it has one.
    pub fn get(&self, slot: u32) -> Option<i64> {
        self.at.get(&slot).copied()
    }

    /// Gives the record at `slot` an instant, or (None) takes it away.
    pub fn set(&mut self, slot: u32, at: Option<i64>) {
        match at {
            Some(t) => {
                self.earliest = if self.at.is_empty() { t } else { self.earliest.min(t) };
                self.at.insert(slot, t);
            }
            None => {
                self.at.remove(&slot);
            }
        }
    }

    /// Whether any record may be expired at `now` (false: no slot needs checking).
    #[inline]
    pub fn any_due(&self, now: i64) -> bool {
        !self.at.is_empty() && self.earliest <= now
    }

    /// Whether the record at `slot` is expired at `now`: from its instant on.
    #[inline]
    pub fn is_due(&self, slot: u32, now: i64) -> bool {
        self.any_due(now) && self.at.get(&slot).is_some_and(|&t| t <= now)
    }

    /// How many records are expired at `now`.
    pub fn due_count(&self, now: i64) -> usize {
        if !self.any_due(now) {
            return 0;
        }
        self.at.values().filter(|&&t| t <= now).count()
    }

    /// The map carried to new slot numbers (`remap[old]`, None: the slot is dropped).
    pub fn remapped(&self, remap: &[Option<u32>]) -> Expiry {
        let mut out = Expiry::default();
        for (&slot, &t) in &self.at {
            if let Some(Some(new)) = remap.get(slot as usize) {
                out.set(*new, Some(t));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_due_from_its_instant_on_and_only_then() {
        let mut e = Expiry::default();
        assert!(!e.any_due(i64::MAX));
        e.set(3, Some(100));
        e.set(7, Some(50));
        assert!(!e.is_due(3, 99) && e.is_due(3, 100) && e.is_due(7, 50) && !e.is_due(1, 1000));
        assert_eq!((e.due_count(49), e.due_count(50), e.due_count(100)), (0, 1, 2));
        e.set(7, None);
        assert!(!e.is_due(7, 1000));
        assert_eq!(e.due_count(1000), 1);
        let moved = e.remapped(&[None, None, None, Some(0)]);
        assert_eq!((moved.get(0), moved.len()), (Some(100), 1));
        assert!(Expiry::default().remapped(&[]).is_empty());
    }
}
