//! Deadlock detection on the wait-for graph, for both engines.
//!
//! Each task waits for at most one resource, and each resource has at most
//! one holder, so the wait-for graph is a functional graph: following
//! "waits for a resource held by" from a task either ends (someone is not
//! waiting) or comes back to a task already seen. A deadlock is a cycle.

/// One edge of the wait-for graph: `task` waits for `resource`, held by
/// `holder` (indices in the config).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitEdge {
    /// The waiting task.
    pub task: usize,
    /// The resource it waits for.
    pub resource: usize,
    /// The task holding it.
    pub holder: usize,
}

/// A cycle of the wait-for graph among `n` tasks, where `waits(t)` is the
/// (resource, holder) task `t` waits for. With `from = Some(t)` only a
/// cycle through `t` is looked for (the simulator asks when `t` blocks);
/// with `None`, any cycle, reported from its task with the smallest index
/// (the live engine polls). The cycle starts at that task.
pub fn wait_for_cycle(
    n: usize,
    from: Option<usize>,
    waits: impl Fn(usize) -> Option<(usize, usize)>,
) -> Option<Vec<WaitEdge>> {
    let through = |start: usize| -> Option<Vec<WaitEdge>> {
        let mut path = Vec::new();
        let mut t = start;
        // A cycle has at most n edges; a path longer than that cannot come
        // back to `start` any more.
        for _ in 0..n {
            let (resource, holder) = waits(t)?;
            path.push(WaitEdge {
                task: t,
                resource,
                holder,
            });
            if holder == start {
                return Some(path);
            }
            // Scanning every start: a cycle through a smaller index was
            // already found from there.
            if from.is_none() && holder < start {
                return None;
            }
            t = holder;
        }
        None
    };
    match from {
        Some(t) => through(t),
        None => (0..n).find_map(through),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_cycle_from_its_smallest_task_and_ignores_chains() {
        // 0 -> (r0) 1 -> (r1) 2 -> (r2) 1: a cycle 1 <-> 2 with a tail 0.
        let waits = |t: usize| match t {
            0 => Some((0, 1)),
            1 => Some((1, 2)),
            2 => Some((2, 1)),
            _ => None,
        };
        let cycle = wait_for_cycle(4, None, waits).unwrap();
        let tasks: Vec<usize> = cycle.iter().map(|e| e.task).collect();
        assert_eq!(tasks, vec![1, 2]);
        assert_eq!(wait_for_cycle(4, Some(0), waits), None);
        assert_eq!(wait_for_cycle(4, Some(2), waits).unwrap()[0].holder, 1);
        // A chain that ends is no deadlock.
        let chain = |t: usize| (t < 3).then_some((t, t + 1));
        assert_eq!(wait_for_cycle(4, None, chain), None);
    }
}
