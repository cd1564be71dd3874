//! The order in which nested critical sections take locks, its cycles, and
//! whether they can deadlock the configured system.
//!
//! A task whose section on `a` contains a section on `b` takes `a` then `b`:
//! an edge `a -> b`. A cycle of such edges taken by two or more tasks is a
//! possible deadlock: each holds one lock of the cycle and waits for the
//! next. One CPU under FIFO, under the immediate ceiling (or the stack
//! resource policy) or under non-preemptive dispatching never deadlocks: a
//! job that holds a lock of the cycle runs until it has released it before
//! any other job that takes one may start. Everywhere else (inheritance,
//! plain mutexes, round-robin, takers on different CPUs, global placement)
//! the cycle can close.

use std::collections::BTreeMap;

use super::{Locking, Placement, Policy, ResourceId, System, Task, TaskId};

/// A cycle in the lock order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockCycle {
    /// The resources of the cycle, from its smallest id; the cycle closes
    /// back to the first.
    pub resources: Vec<ResourceId>,
    /// For each edge `resources[n] -> resources[n + 1]` (the last back to
    /// the first), the first task that takes it.
    pub takers: Vec<TaskId>,
}

/// Every elementary cycle of the lock order of `tasks` over `resources`
/// resources, each once (from its smallest resource id), in a
/// deterministic order.
pub fn lock_order_cycles(tasks: &[Task], resources: usize) -> Vec<LockCycle> {
    // Edge outer -> inner, remembering the first task that takes it.
    let mut edges: BTreeMap<(usize, usize), TaskId> = BTreeMap::new();
    for task in tasks {
        for (a, sa) in task.sections.iter().enumerate() {
            // Sections are in order of their start: an inner one follows
            // its outer one.
            for sb in &task.sections[a + 1..] {
                if sa.resource != sb.resource && sa.contains(sb) {
                    edges
                        .entry((sa.resource.0, sb.resource.0))
                        .or_insert(task.id);
                }
            }
        }
    }
    let mut cycles = Vec::new();
    for start in 0..resources {
        // Depth-first search for a path back to `start` through resources
        // with larger ids.
        let mut stack = vec![vec![start]];
        while let Some(path) = stack.pop() {
            let node = *path.last().expect("paths are never empty");
            for (&(_, b), _) in edges.range((node, 0)..=(node, usize::MAX)) {
                if b == start {
                    let takers = path
                        .iter()
                        .zip(path.iter().skip(1).chain(std::iter::once(&start)))
                        .map(|(&x, &y)| edges[&(x, y)])
                        .collect();
                    let cycle = LockCycle {
                        resources: path.iter().map(|&r| ResourceId(r)).collect(),
                        takers,
                    };
                    if !cycles.contains(&cycle) {
                        cycles.push(cycle);
                    }
                } else if b > start && !path.contains(&b) {
                    let mut next = path.clone();
                    next.push(b);
                    stack.push(next);
                }
            }
        }
    }
    cycles
}

impl System {
    /// A lock-order cycle that can deadlock this system (see the module
    /// docs), if any.
    pub fn possible_deadlock(&self) -> Option<LockCycle> {
        let one_cpu_safe = |cycle: &LockCycle| {
            let s = &self.scheduler;
            // FIFO never switches jobs; round-robin switches at the end of
            // a quantum, inside a section too; the ceiling keeps a job that
            // could take a lock of the cycle from starting.
            let protected = match s.policy {
                Policy::Fifo => true,
                Policy::RoundRobin => !s.preemptive,
                Policy::FixedPriority | Policy::Edf => {
                    s.locking == Locking::Ceiling || !s.preemptive
                }
            };
            let cpu = self.tasks[cycle.takers[0].0].cpu;
            protected
                && s.placement == Placement::Partitioned
                && cpu.is_some()
                && cycle.resources.iter().all(|r| {
                    self.resources[r.0]
                        .users
                        .iter()
                        .all(|u| self.tasks[u.0].cpu == cpu)
                })
        };
        lock_order_cycles(&self.tasks, self.resources.len())
            .into_iter()
            .find(|c| {
                let mut takers = c.takers.clone();
                takers.sort_unstable();
                takers.dedup();
                takers.len() >= 2 && !one_cpu_safe(c)
            })
    }

    /// A cycle in a sentence: "r1 -> r2 -> r1 (`a` takes r1 then r2; `b`
    /// takes r2 then r1)".
    pub fn describe_cycle(&self, cycle: &LockCycle) -> String {
        let name = |r: ResourceId| self.resource_name(r);
        let mut names: Vec<&str> = cycle.resources.iter().map(|&r| name(r)).collect();
        names.push(name(cycle.resources[0]));
        let how: Vec<String> = cycle
            .takers
            .iter()
            .enumerate()
            .map(|(n, t)| {
                format!(
                    "`{}` takes {} then {}",
                    self.tasks[t.0].name,
                    names[n],
                    names[n + 1]
                )
            })
            .collect();
        format!("{} ({})", names.join(" -> "), how.join("; "))
    }
}
