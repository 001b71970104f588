//! Inserting nodes: Algorithm 1 of the paper (descend greedily to the node's level, then
//! on each level below search with ef_construction, pick neighbours with the heuristic of
//! Algorithm 4 and link both ways, shrinking a neighbour's list with the same heuristic
//! when it overflows), single-threaded or on several threads at once.

use super::search::{with_scratch, Near, Scorer, Scratch};
use super::{HnswGraph, Space};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Algorithm 4's keepPrunedConnections: fill a list up to its bound with the closest
/// candidates the heuristic discarded, so nodes keep their full degree.
const KEEP_PRUNED: bool = true;

impl HnswGraph {
    /// Inserts node `id` (ids may arrive in any order; skipped ids leave empty slots that
    /// are never linked). Inserting an id that is already present (a reused slot whose
    /// vector changed) relinks it from its new vector and makes it live again.
    pub fn insert(&mut self, id: u32, space: &dyn Space) {
        let fresh = self.prepare(id);
        with_scratch(|s| self.link(id, fresh, space, s));
    }

    /// Inserts many nodes using `threads` OS threads. Levels are drawn in the order of
    /// `ids` before any linking, so with one thread this equals inserting one by one;
    /// with more, the graph depends on thread timing. Repeated ids are inserted once.
    pub fn insert_many(&mut self, ids: &[u32], space: &dyn Space, threads: usize) {
        let Some(&max) = ids.iter().max() else { return };
        self.grow_to(max as usize + 1);
        let mut seen = vec![false; max as usize + 1];
        let order: Vec<(u32, bool)> = ids
            .iter()
            .filter(|&&id| !std::mem::replace(&mut seen[id as usize], true))
            .map(|&id| (id, self.prepare(id)))
            .collect();
        let threads = threads.clamp(1, order.len());
        let this = &*self;
        if threads == 1 {
            with_scratch(|s| order.iter().for_each(|&(id, fresh)| this.link(id, fresh, space, s)));
            return;
        }
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    with_scratch(|s| {
                        while let Some(&(id, fresh)) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                            this.link(id, fresh, space, s);
                        }
                    })
                });
            }
        });
    }

    /// Links a prepared node into the graph. Takes `&self`: several threads link at once,
    /// each list written under its node's lock. A `fresh` node keeps the links other
    /// builders added to it meanwhile (it can be found on a level as a seed from the level
    /// above before its own list there is written); a relinked one gets new lists.
    pub(super) fn link(&self, id: u32, fresh: bool, space: &dyn Space, s: &mut Scratch) {
        let level = self.levels[id as usize] as usize;
        let q = space.node_scorer(id);
        let q: &dyn Scorer = &*q;
        // A node that raises the top level holds the entry lock for its whole insertion,
        // so a second such node waits and then starts from the first.
        let mut entry = self.entry_point();
        let mut raise = None;
        if entry.is_none_or(|(_, top)| level > top) {
            raise = Some(self.entry_lock.lock().unwrap_or_else(|e| e.into_inner()));
            entry = self.entry_point();
        }
        let Some((ep, top)) = entry else {
            self.set_entry_point(Some((id, level)));
            return;
        };
        if level <= top {
            raise = None;
        }
        let mut cur = Near { score: q.score(ep), id: ep };
        let mut scored = 0;
        for lc in (level + 1..=top).rev() {
            cur = self.greedy(q, cur, lc, &mut scored);
        }
        let mut found = std::mem::take(&mut s.found);
        let mut neighbours = std::mem::take(&mut s.neighbours);
        found.clear();
        found.push(cur);
        for lc in (0..=level.min(top)).rev() {
            self.search_layer(q, &found, self.params.ef_construction, lc, s, |n| n != id);
            s.take_results(&mut found);
            select_neighbours(space, &found, self.params.m, &mut neighbours, &mut s.pruned);
            self.set_own_links(id, lc, fresh, &neighbours, space, s);
            for &n in &neighbours {
                self.add_link(n, id, lc, space, s);
            }
            if found.is_empty() {
                // A relinked node with no other node on this level: go on from itself.
                found.push(Near { score: f32::INFINITY, id });
            }
        }
        s.found = found;
        s.neighbours = neighbours;
        if raise.is_some() {
            self.set_entry_point(Some((id, level)));
        }
    }

    /// Writes the list chosen for a node being linked; for a fresh node, merged with the
    /// links others added to it since it was prepared (pruned if that overflows).
    fn set_own_links(&self, id: u32, level: usize, fresh: bool, chosen: &[u32], space: &dyn Space, s: &mut Scratch) {
        let _guard = self.lock(id);
        let current = self.links(id, level);
        if !fresh || current.is_empty() {
            self.write_links(id, level, chosen);
            return;
        }
        let q = space.node_scorer(id);
        s.scored.clear();
        for n in current.iter().map(|l| l.load(Ordering::Relaxed)).chain(chosen.iter().copied()) {
            if !s.scored.iter().any(|c| c.id == n) {
                s.scored.push(Near { score: q.score(n), id: n });
            }
        }
        s.scored.sort_unstable_by(|a, b| b.cmp(a));
        s.selected.clear();
        if s.scored.len() <= self.max_links(level) {
            s.selected.extend(s.scored.iter().map(|c| c.id));
        } else {
            select_neighbours(space, &s.scored, self.max_links(level), &mut s.selected, &mut s.pruned);
        }
        self.write_links(id, level, &s.selected);
    }

    /// Adds the link `node -> new` at `level`; a full list is shrunk back to its bound with
    /// the heuristic, seen from `node`.
    fn add_link(&self, node: u32, new: u32, level: usize, space: &dyn Space, s: &mut Scratch) {
        let _guard = self.lock(node);
        let links = self.links(node, level);
        if links.iter().any(|l| l.load(Ordering::Relaxed) == new) {
            return;
        }
        let max = self.max_links(level);
        if links.len() < max {
            let block = self.block_to_write(node, level);
            block[1 + links.len()].store(new, Ordering::Relaxed);
            block[0].store(links.len() as u32 + 1, Ordering::Release);
            return;
        }
        let q = space.node_scorer(node);
        s.scored.clear();
        for id in links.iter().map(|l| l.load(Ordering::Relaxed)).chain(std::iter::once(new)) {
            s.scored.push(Near { score: q.score(id), id });
        }
        s.scored.sort_unstable_by(|a, b| b.cmp(a));
        select_neighbours(space, &s.scored, max, &mut s.selected, &mut s.pruned);
        self.write_links(node, level, &s.selected);
    }
}

/// Algorithm 4 (without extendCandidates): walking `candidates` best first (scores are
/// against the base node), keep one only if it is closer to the base than to every node
/// kept so far, which spreads links over directions instead of one dense cluster.
pub(super) fn select_neighbours(space: &dyn Space, candidates: &[Near], max: usize, out: &mut Vec<u32>, pruned: &mut Vec<u32>) {
    out.clear();
    pruned.clear();
    for c in candidates {
        if out.len() >= max {
            break;
        }
        let q = space.node_scorer(c.id);
        if out.iter().all(|&r| q.score(r) < c.score) {
            out.push(c.id);
        } else {
            pruned.push(c.id);
        }
    }
    if KEEP_PRUNED {
        let room = max - out.len();
        out.extend(pruned.iter().take(room));
    }
}
