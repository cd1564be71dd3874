//! Lock-order cycles among nested critical sections.
//!
//! Where the scheduler can switch jobs inside a critical section
//! (round-robin at the end of a quantum), two jobs that take the same locks
//! in opposite orders can each hold one and wait for the other: a
//! deadlock, after which no job of the CPU completes and no bound holds.

use crate::model::{ResourceId, System, TaskId};

/// A cycle `r0 -> r1 -> ... -> r0` in the order the nested sections of
/// `tasks` take their locks (an edge `a -> b` when a task locks `b` inside
/// its section on `a`), listed from the resource where the search first
/// meets it; `None` when the order is acyclic.
pub(super) fn lock_order_cycle(system: &System, tasks: &[TaskId]) -> Option<Vec<ResourceId>> {
    let n = system.resources.len();
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); n];
    for id in tasks {
        // Sections are in locking order: an outer one before its inner ones.
        let sections = &system.tasks[id.0].sections;
        for (a, outer) in sections.iter().enumerate() {
            for inner in &sections[a + 1..] {
                let (from, to) = (outer.resource.0, inner.resource.0);
                if from != to && outer.contains(inner) && !next[from].contains(&to) {
                    next[from].push(to);
                }
            }
        }
    }
    let mut state = vec![Visit::New; n];
    for start in 0..n {
        if state[start] == Visit::New {
            let mut path = Vec::new();
            if let Some(cycle) = search(&next, start, &mut state, &mut path) {
                return Some(cycle.into_iter().map(ResourceId).collect());
            }
        }
    }
    None
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Visit {
    New,
    /// On the current depth-first path.
    Open,
    /// Fully explored: no cycle through it.
    Done,
}

/// Depth-first search from `node`; `path` holds the open nodes. Returns
/// the first cycle met, from its first node on the path.
fn search(
    next: &[Vec<usize>],
    node: usize,
    state: &mut [Visit],
    path: &mut Vec<usize>,
) -> Option<Vec<usize>> {
    state[node] = Visit::Open;
    path.push(node);
    for &to in &next[node] {
        match state[to] {
            Visit::Open => {
                let from = path.iter().position(|&r| r == to).unwrap_or(0);
                return Some(path[from..].to_vec());
            }
            Visit::New => {
                if let Some(cycle) = search(next, to, state, path) {
                    return Some(cycle);
                }
            }
            Visit::Done => {}
        }
    }
    path.pop();
    state[node] = Visit::Done;
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SystemBuilder;
    use crate::time::Duration;

    fn ns(v: u64) -> Duration {
        Duration::from_nanos(v)
    }

    fn ids(system: &System) -> Vec<TaskId> {
        system.tasks.iter().map(|t| t.id).collect()
    }

    #[test]
    fn opposite_nesting_orders_form_a_cycle() {
        // Issue 9, case 4: a takes r1 then r2, b takes r2 then r1.
        let system = SystemBuilder::new("cycle")
            .task("a", ns(100), ns(5))
            .section("r1", ns(0), ns(4))
            .section("r2", ns(2), ns(1))
            .task("b", ns(100), ns(5))
            .section("r2", ns(0), ns(4))
            .section("r1", ns(1), ns(1))
            .build();
        assert_eq!(
            lock_order_cycle(&system, &ids(&system)),
            Some(vec![ResourceId(0), ResourceId(1)])
        );
        // Each task alone takes its locks in one order.
        assert_eq!(lock_order_cycle(&system, &[TaskId(0)]), None);
    }

    #[test]
    fn one_order_and_disjoint_sections_are_acyclic() {
        // r1 -> r2 -> r3 in both tasks, and b also takes r3 then r1 one
        // after the other (disjoint sections): no cycle.
        let system = SystemBuilder::new("order")
            .task("a", ns(100), ns(6))
            .section("r1", ns(0), ns(5))
            .section("r2", ns(1), ns(3))
            .section("r3", ns(2), ns(1))
            .task("b", ns(100), ns(6))
            .section("r2", ns(0), ns(2))
            .section("r3", ns(1), ns(1))
            .section("r1", ns(3), ns(2))
            .build();
        assert_eq!(lock_order_cycle(&system, &ids(&system)), None);
    }

    #[test]
    fn a_three_resource_cycle_is_found() {
        let system = SystemBuilder::new("three")
            .task("a", ns(100), ns(3))
            .section("x", ns(0), ns(2))
            .section("y", ns(1), ns(1))
            .task("b", ns(100), ns(3))
            .section("y", ns(0), ns(2))
            .section("z", ns(1), ns(1))
            .task("c", ns(100), ns(3))
            .section("z", ns(0), ns(2))
            .section("x", ns(1), ns(1))
            .build();
        let cycle = lock_order_cycle(&system, &ids(&system)).unwrap();
        assert_eq!(cycle.len(), 3);
    }
}
