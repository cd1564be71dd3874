//! Scheduling decisions as pure functions, shared by the simulator and the
//! live engine.
//!
//! A job competing for a CPU is described by a [`Candidate`]; the policy
//! orders candidates with [`key`] (smaller = more urgent, a total order) and
//! decides preemption with [`preempts`] (strict on the policy's own
//! criterion only, so equal priority or equal deadline never preempts).
//!
//! The order is fixed and documented, and the simulator's tests pin it:
//!
//! - fixed priority: higher effective priority first, then the earlier
//!   release, then the task listed first;
//! - EDF: earlier effective absolute deadline first, then the earlier
//!   release, then the task listed first;
//! - FIFO: earlier release first, then the task listed first; never
//!   preempts;
//! - round-robin: queue order (a sequence number taken when the job joins
//!   the back of the queue: at release, after its quantum expires, after it
//!   unblocks), then the task listed first; preempts only at the end of a
//!   quantum.

use rtlab_tasks::model::Policy;

/// What the policy needs to know about a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Index of the task in the config (file order).
    pub task: usize,
    /// Effective priority (higher = more urgent; includes inheritance and
    /// ceilings).
    pub priority: u32,
    /// Effective absolute deadline, in nanoseconds (includes deadline
    /// inheritance under EDF).
    pub deadline: u64,
    /// Release time (nominal release plus jitter), in nanoseconds.
    pub release: u64,
    /// Round-robin queue position (larger = later).
    pub sequence: u64,
}

/// The ordering key of a candidate under `policy`: smaller is more urgent.
/// Distinct tasks never get equal keys.
#[inline]
pub fn key(policy: Policy, c: &Candidate) -> (u64, u64, usize) {
    match policy {
        Policy::FixedPriority => (u64::from(u32::MAX - c.priority), c.release, c.task),
        Policy::Edf => (c.deadline, c.release, c.task),
        Policy::Fifo => (c.release, 0, c.task),
        Policy::RoundRobin => (c.sequence, 0, c.task),
    }
}

/// True if `ready` should take the CPU from `running` at once. Only
/// preemptive fixed-priority and EDF preempt, and only on a strictly higher
/// priority or strictly earlier deadline.
#[inline]
pub fn preempts(policy: Policy, preemptive: bool, ready: &Candidate, running: &Candidate) -> bool {
    preemptive
        && match policy {
            Policy::FixedPriority => ready.priority > running.priority,
            Policy::Edf => ready.deadline < running.deadline,
            Policy::Fifo | Policy::RoundRobin => false,
        }
}

/// True if the policy uses task priorities (and so priority inheritance
/// and ceilings mean something).
pub fn uses_priorities(policy: Policy) -> bool {
    matches!(policy, Policy::FixedPriority)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(task: usize, priority: u32, deadline: u64, release: u64, sequence: u64) -> Candidate {
        Candidate {
            task,
            priority,
            deadline,
            release,
            sequence,
        }
    }

    #[test]
    fn fixed_priority_ties_go_to_earlier_release_then_file_order() {
        let p = Policy::FixedPriority;
        assert!(key(p, &c(1, 5, 0, 0, 0)) < key(p, &c(0, 4, 0, 0, 0)));
        assert!(key(p, &c(1, 5, 0, 3, 0)) < key(p, &c(0, 5, 0, 4, 0)));
        assert!(key(p, &c(0, 5, 0, 3, 0)) < key(p, &c(1, 5, 0, 3, 0)));
        // Equal priority never preempts.
        assert!(!preempts(p, true, &c(0, 5, 0, 0, 0), &c(1, 5, 0, 9, 0)));
        assert!(preempts(p, true, &c(0, 6, 0, 0, 0), &c(1, 5, 0, 9, 0)));
        assert!(!preempts(p, false, &c(0, 6, 0, 0, 0), &c(1, 5, 0, 9, 0)));
    }

    #[test]
    fn edf_orders_by_deadline_and_never_preempts_on_a_tie() {
        let p = Policy::Edf;
        assert!(key(p, &c(1, 0, 10, 5, 0)) < key(p, &c(0, 0, 11, 0, 0)));
        assert!(key(p, &c(1, 0, 10, 4, 0)) < key(p, &c(0, 0, 10, 5, 0)));
        assert!(!preempts(p, true, &c(0, 0, 10, 9, 0), &c(1, 0, 10, 0, 0)));
        assert!(preempts(p, true, &c(0, 0, 9, 9, 0), &c(1, 0, 10, 0, 0)));
    }

    #[test]
    fn fifo_and_round_robin_never_preempt() {
        for p in [Policy::Fifo, Policy::RoundRobin] {
            assert!(!preempts(p, true, &c(0, 99, 0, 0, 0), &c(1, 1, 99, 9, 9)));
        }
        assert!(key(Policy::Fifo, &c(1, 0, 0, 3, 0)) < key(Policy::Fifo, &c(0, 0, 0, 4, 0)));
        assert!(
            key(Policy::RoundRobin, &c(1, 0, 0, 9, 2)) < key(Policy::RoundRobin, &c(0, 0, 0, 0, 3))
        );
    }
}
