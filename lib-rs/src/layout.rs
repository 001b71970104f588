//! Slot layouts: which numbering of a namespace's slots a list cursor refers to. A
//! namespace's slots keep their records until a compaction renumbers them densely (in the same
//! order); each numbering has an id, unique in the process and unlikely to repeat across
//! processes (the ids start at a random point). The layout remembers which slots its last
//! `HISTORY` compactions dropped, so that a cursor taken before them still finds its place.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

fn next_id() -> u64 {
    static NEXT: OnceLock<AtomicU64> = OnceLock::new();
    NEXT.get_or_init(|| AtomicU64::new(crate::random::random_u64() >> 1)).fetch_add(1, Ordering::Relaxed)
}

/// Earlier numberings a layout remembers.
pub const HISTORY: usize = 16;

/// A namespace's slot numbering, and the ones before it.
#[derive(Debug)]
pub struct Layout {
    pub id: u64,
    /// Earlier numberings, oldest first: each one's id and the slots (of that numbering,
    /// ascending) the compaction that ended it dropped.
    history: VecDeque<(u64, Vec<u32>)>,
}

impl Default for Layout {
    fn default() -> Self {
        Layout { id: next_id(), history: VecDeque::new() }
    }
}

impl Layout {
    /// The numbering after a compaction of this one that dropped `dropped` (ascending).
    pub fn after_compaction(&mut self, dropped: Vec<u32>) -> Layout {
        let mut history = std::mem::take(&mut self.history);
        history.push_back((self.id, dropped));
        if history.len() > HISTORY {
            history.pop_front();
        }
        Layout { id: next_id(), history }
    }

    /// Where to go on after `slot` of numbering `layout`: the first slot of this numbering
    /// that comes after it. None when `layout` is neither this numbering nor one it
    /// remembers.
    pub fn resume_after(&self, layout: u64, slot: u32) -> Option<u32> {
        let mut next = slot.checked_add(1)?;
        if layout == self.id {
            return Some(next);
        }
        let from = self.history.iter().position(|(id, _)| *id == layout)?;
        // Through each compaction since: the slots before `next` that it dropped are gone.
        for (_, dropped) in self.history.iter().skip(from) {
            next -= dropped.partition_point(|&d| d < next) as u32;
        }
        Some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_finds_its_place_through_the_compactions_remembered() {
        let mut before = Layout::default();
        assert_eq!(before.resume_after(before.id, 4), Some(5));
        // Slots 1 and 3 dropped: old 0,2,4,5 become 0,1,2,3.
        let mut after = before.after_compaction(vec![1, 3]);
        assert_ne!(after.id, before.id);
        assert_eq!(after.resume_after(before.id, 0), Some(1), "after old 0 comes old 2, now 1");
        assert_eq!(after.resume_after(before.id, 1), Some(1), "old 1 was dropped: old 2 (now 1) is next");
        assert_eq!(after.resume_after(before.id, 4), Some(3), "after old 4 comes old 5, now 3");
        assert_eq!(after.resume_after(after.id, 2), Some(3));
        // Then new 0 dropped: old 2,4,5 (new 1,2,3) become 0,1,2.
        let mut later = after.after_compaction(vec![0]);
        assert_eq!(later.resume_after(before.id, 0), Some(0), "after old 0 comes old 2, now 0");
        assert_eq!(later.resume_after(before.id, 4), Some(2));
        assert_eq!(later.resume_after(after.id, 0), Some(0));
        assert_eq!(later.resume_after(12345, 0), None);
        let first = before.id;
        for _ in 0..HISTORY {
            later = later.after_compaction(vec![]);
        }
        assert_eq!(later.resume_after(first, 0), None, "forgotten after HISTORY compactions");
    }
}
