//! Transitive dependencies: everything a program links (computed on demand, for the few
//! programs), and the units whose compile interface (public include dirs, system libraries)
//! each unit sees (for every unit, as bit sets over only the units that have one, so a chain of
//! 50,000 modules without public include dirs costs nothing, and one of 1,000 with them costs
//! 1,000 × 1,000 bits).

use super::{UnitId, Units};

/// The closures of a project's units.
pub(super) struct Closures {
    /// Each unit's position in topological order (dependencies first).
    position: Vec<usize>,
    /// The units with a compile interface, in topological order.
    interfaces: Vec<UnitId>,
    /// For each unit, the interface units it depends on transitively, as bits indexing
    /// `interfaces`.
    interface_sets: Vec<Vec<u64>>,
}

impl Closures {
    /// The closures of `units`; `has_interface` says which units have a compile interface.
    pub(super) fn new(units: &Units, has_interface: impl Fn(UnitId) -> bool) -> Closures {
        let n = units.len();
        let mut position = vec![0usize; n];
        for (i, &u) in units.topo().iter().enumerate() {
            position[u.index()] = i;
        }
        let interfaces: Vec<UnitId> = units.topo().iter().copied().filter(|&u| has_interface(u)).collect();
        let mut bit = vec![usize::MAX; n];
        for (i, &u) in interfaces.iter().enumerate() {
            bit[u.index()] = i;
        }
        // A union is a word-wise OR: linear in words, not in tree insertions.
        let words = interfaces.len().div_ceil(64);
        let mut interface_sets: Vec<Vec<u64>> = vec![Vec::new(); n];
        if words > 0 {
            for &u in units.topo() {
                let mut set = vec![0u64; words];
                for d in units.deps(u) {
                    if let Some(&b) = bit.get(d.unit.index()).filter(|&&b| b != usize::MAX) {
                        set[b / 64] |= 1 << (b % 64);
                    }
                    for (w, dw) in set.iter_mut().zip(&interface_sets[d.unit.index()]) {
                        *w |= dw;
                    }
                }
                interface_sets[u.index()] = set;
            }
        }
        Closures { position, interfaces, interface_sets }
    }

    /// Every unit `u` depends on, transitively, nearest first (dependents before their
    /// dependencies: link order). Iterative, linear in the closure's edges.
    pub(super) fn all(&self, units: &Units, u: UnitId) -> Vec<UnitId> {
        let mut seen = vec![false; units.len()];
        let mut members = Vec::new();
        let mut stack: Vec<UnitId> = units.deps(u).iter().map(|d| d.unit).collect();
        while let Some(d) = stack.pop() {
            if !std::mem::replace(&mut seen[d.index()], true) {
                members.push(d);
                stack.extend(units.deps(d).iter().map(|e| e.unit));
            }
        }
        members.sort_unstable_by_key(|&m| std::cmp::Reverse(self.position[m.index()]));
        members
    }

    /// The units with a compile interface that `u` depends on transitively, nearest first.
    pub(super) fn interfaces(&self, u: UnitId) -> Vec<UnitId> {
        let mut members = Vec::new();
        for (wi, &w) in self.interface_sets[u.index()].iter().enumerate().rev() {
            let mut w = w;
            while w != 0 {
                let bit = 63 - w.leading_zeros() as usize;
                members.push(self.interfaces[wi * 64 + bit]);
                w &= !(1u64 << bit);
            }
        }
        members
    }
}
