//! Dropping deleted nodes without rebuilding: every kept node keeps its level and its kept
//! links; a list that lost links is refilled from the nodes the dropped ones linked to
//! (walking through chains of dropped nodes), scored and pruned with the heuristic. A final
//! pass relinks any node that level 0 no longer reaches from the entry point.

use super::build::select_neighbours;
use super::search::{with_scratch, Near, Scratch};
use super::{HnswGraph, Space, ABSENT};
use std::sync::atomic::Ordering;

/// How many dropped nodes a repair walks through, per list: enough to refill a list when
/// a whole neighbourhood was deleted, bounded so one list cannot cost a graph walk.
const REPAIR_WALK: usize = 48;
/// Candidates (best first) that go into the heuristic, as a multiple of the list bound.
const REPAIR_POOL_FACTOR: usize = 3;

/// What a repair needs besides the old graph: the new id of each kept node and the
/// vectors under the new ids.
struct Renumbering<'a> {
    kept: &'a (dyn Fn(u32) -> Option<u32> + Sync),
    space: &'a dyn Space,
}

impl HnswGraph {
    /// A new graph without deleted nodes, ids renumbered by `remap[old] = Some(new)`.
    /// A node is kept when it is live and mapped (a deleted node is dropped even if
    /// mapped); `space_after` holds the vectors under the new ids.
    pub fn compacted(&self, remap: &[Option<u32>], space_after: &dyn Space) -> HnswGraph {
        let kept = |old: u32| if self.contains(old) { remap.get(old as usize).copied().flatten() } else { None };
        let mut old_of_new: Vec<u32> = Vec::new();
        for old in 0..self.len() as u32 {
            if let Some(new) = kept(old) {
                let new = new as usize;
                if new >= old_of_new.len() {
                    old_of_new.resize(new + 1, u32::MAX);
                }
                // Two nodes mapped to one id would be a caller bug: the first one wins.
                if old_of_new[new] == u32::MAX {
                    old_of_new[new] = old;
                }
            }
        }
        let mut g = HnswGraph::new(self.params, 0);
        g.rng = self.rng;
        g.grow_to(old_of_new.len());
        for (new, &old) in old_of_new.iter().enumerate() {
            if old != u32::MAX {
                g.place(new as u32, self.levels[old as usize] as usize);
            }
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
        let chunk = old_of_new.len().div_ceil(threads).max(1);
        let graph = &g;
        let renumbering = Renumbering { kept: &kept, space: space_after };
        let renumbering = &renumbering;
        std::thread::scope(|scope| {
            for (part, olds) in old_of_new.chunks(chunk).enumerate() {
                scope.spawn(move || {
                    with_scratch(|s| {
                        for (i, &old) in olds.iter().enumerate() {
                            if old != u32::MAX {
                                let new = (part * chunk + i) as u32;
                                self.repair_node(graph, old, new, renumbering, s);
                            }
                        }
                    })
                });
            }
        });
        g.set_entry_point(self.new_entry(&g, &kept));
        with_scratch(|s| g.relink_unreachable(space_after, s));
        g
    }

    /// Writes the lists of `old` (now `new`) into `g`, repairing those that lost links.
    fn repair_node(&self, g: &HnswGraph, old: u32, new: u32, r: &Renumbering, s: &mut Scratch) {
        let mut list = std::mem::take(&mut s.neighbours);
        for level in 0..=self.levels[old as usize] as usize {
            let links = self.links(old, level);
            list.clear();
            list.extend(links.iter().filter_map(|l| (r.kept)(l.load(Ordering::Relaxed))));
            if list.len() < links.len() {
                self.repaired_list((old, new), level, r, s, &mut list);
            }
            g.write_links(new, level, &list);
        }
        s.neighbours = list;
    }

    /// Candidates for a list that lost links: its kept links plus the kept nodes reached
    /// through its dropped ones; the best of them go through the heuristic.
    fn repaired_list(&self, (old, new): (u32, u32), level: usize, r: &Renumbering, s: &mut Scratch, out: &mut Vec<u32>) {
        s.visited.reset(self.len());
        s.visited.insert(old);
        let mut walk: Vec<u32> = Vec::new();
        let mut candidates: Vec<u32> = Vec::new();
        let mut visit = |id: u32, walk: &mut Vec<u32>, s: &mut Scratch| {
            if s.visited.insert(id) {
                match (r.kept)(id) {
                    Some(n) => candidates.push(n),
                    None => walk.push(id),
                }
            }
        };
        for l in self.links(old, level) {
            visit(l.load(Ordering::Relaxed), &mut walk, s);
        }
        let mut walked = 0;
        while walked < walk.len() && walked < REPAIR_WALK {
            let dropped = walk[walked];
            walked += 1;
            for l in self.links(dropped, level) {
                visit(l.load(Ordering::Relaxed), &mut walk, s);
            }
        }
        let (space, q) = (r.space, r.space.node_scorer(new));
        s.scored.clear();
        s.scored.extend(candidates.iter().map(|&id| Near { score: q.score(id), id }));
        s.scored.sort_unstable_by(|a, b| b.cmp(a));
        let max = self.max_links(level);
        s.scored.truncate(max * REPAIR_POOL_FACTOR);
        select_neighbours(space, &s.scored, max, out, &mut s.pruned);
    }

    /// The old entry point if kept, else the kept node with the highest level (lowest id
    /// among equals).
    fn new_entry(&self, g: &HnswGraph, kept: &dyn Fn(u32) -> Option<u32>) -> Option<(u32, usize)> {
        if let Some(new) = self.entry_point().and_then(|(e, _)| kept(e)) {
            return Some((new, g.levels[new as usize] as usize));
        }
        let mut best: Option<(u32, usize)> = None;
        for (id, &level) in g.levels.iter().enumerate() {
            if level != ABSENT && best.is_none_or(|(_, b)| level as usize > b) {
                best = Some((id as u32, level as usize));
            }
        }
        best
    }

    /// Relinks (search from the entry point, link both ways) every node that level 0 does
    /// not reach from the entry point, so deletions cannot leave islands.
    fn relink_unreachable(&self, space: &dyn Space, s: &mut Scratch) {
        let Some((entry, _)) = self.entry_point() else { return };
        let mut reached = vec![false; self.len()];
        let mut stack = Vec::new();
        self.mark_reachable(entry, &mut reached, &mut stack);
        for id in 0..self.len() as u32 {
            if self.levels[id as usize] != ABSENT && !reached[id as usize] {
                self.link(id, false, space, s);
                self.mark_reachable(id, &mut reached, &mut stack);
            }
        }
    }

    fn mark_reachable(&self, from: u32, reached: &mut [bool], stack: &mut Vec<u32>) {
        reached[from as usize] = true;
        stack.push(from);
        while let Some(id) = stack.pop() {
            for l in self.links(id, 0) {
                let n = l.load(Ordering::Relaxed);
                if !std::mem::replace(&mut reached[n as usize], true) {
                    stack.push(n);
                }
            }
        }
    }
}
