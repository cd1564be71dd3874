//! Scheduling decisions as pure functions, shared by the simulator and the
//! live engine: what runs next ([`key`], [`preempts`]), the OS priorities
//! of the live threads ([`os_priorities`]) and the protocol of each lock
//! ([`lock_protocol`]). (The simulator's ceilings are the model's,
//! `System::ceiling`; the live ceilings are the same rule on OS
//! priorities.)
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

use rtlab_tasks::model::{Locking, Policy, PriorityOrder, ResourceId, System};

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

/// The OS priorities (1..=99) of the live engine's threads, in task order,
/// with a note when some must share one:
///
/// - fixed priority and EDF (under SCHED_FIFO / RR): explicit priorities
///   go to the OS as they are; derived orders (RM, DM, Audsley) count down
///   from `live.priority_top` (the most urgent task gets it, the next one
///   less, never below 1);
/// - FIFO and round-robin: every task at `priority_top`, so SCHED_FIFO
///   serves them in order of arrival and SCHED_RR in turns.
pub fn os_priorities(system: &System) -> (Vec<u8>, Option<String>) {
    let top = system.live.priority_top;
    let n = system.tasks.len();
    match system.scheduler.policy {
        Policy::Fifo | Policy::RoundRobin => (vec![top; n], None),
        Policy::FixedPriority | Policy::Edf => {
            if system.scheduler.priorities == PriorityOrder::Explicit {
                let p = system
                    .tasks
                    .iter()
                    .map(|t| t.priority.clamp(1, 99) as u8)
                    .collect();
                return (p, None);
            }
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by_key(|&i| (std::cmp::Reverse(system.tasks[i].priority), i));
            let mut out = vec![1u8; n];
            for (rank, &i) in order.iter().enumerate() {
                out[i] = top.saturating_sub(rank as u8).max(1);
            }
            let note = (n > usize::from(top)).then(|| {
                format!(
                    "{n} tasks but live.priority_top = {top}: the least urgent tasks share OS priority 1"
                )
            });
            (out, note)
        }
    }
}

/// How an engine implements a resource's lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockProtocol {
    /// A plain mutex: waiters do not lend their priority.
    None,
    /// Priority inheritance.
    Inherit,
    /// Immediate priority ceiling at this OS priority (the highest of the
    /// resource's users).
    Ceiling(i32),
}

/// The protocol of resource `r`'s lock in a live run whose threads have
/// `os_priority` (task order; 0 = no real-time priority), with a note when
/// the config's protocol cannot be had: a ceiling needs real-time
/// priorities (inheritance is used instead). FIFO and round-robin ignore
/// priorities: plain mutexes, as in the simulator.
pub fn lock_protocol(
    system: &System,
    r: ResourceId,
    os_priority: &[u8],
) -> (LockProtocol, Option<String>) {
    if !matches!(system.scheduler.policy, Policy::FixedPriority | Policy::Edf) {
        return (LockProtocol::None, None);
    }
    match system.scheduler.locking {
        Locking::None => (LockProtocol::None, None),
        Locking::Inherit => (LockProtocol::Inherit, None),
        Locking::Ceiling => {
            let res = &system.resources[r.0];
            let ceiling = res
                .users
                .iter()
                .map(|t| i32::from(os_priority.get(t.0).copied().unwrap_or(0)))
                .max()
                .unwrap_or(0);
            if ceiling >= 1 {
                (LockProtocol::Ceiling(ceiling), None)
            } else {
                let note = format!(
                    "resource `{}`: a priority ceiling needs real-time priorities; priority inheritance used instead",
                    res.name
                );
                (LockProtocol::Inherit, Some(note))
            }
        }
    }
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

    fn system(scheduler: &str) -> System {
        let text = format!(
            "name = \"p\"\n[scheduler]\n{scheduler}\n[live]\npriority_top = 2\n\
             [[task]]\nname = \"slow\"\nperiod = \"30ms\"\nwcet = \"1ms\"\npriority = 5\n\
             sections = [ {{ resource = \"r\", after = \"0ms\", hold = \"1ms\" }} ]\n\
             [[task]]\nname = \"mid\"\nperiod = \"20ms\"\nwcet = \"1ms\"\npriority = 7\n\
             [[task]]\nname = \"fast\"\nperiod = \"10ms\"\nwcet = \"1ms\"\npriority = 6\n\
             sections = [ {{ resource = \"r\", after = \"0ms\", hold = \"1ms\" }} ]\n"
        );
        rtlab_tasks::config::load_str(&text, "p.toml")
            .unwrap_or_else(|e| panic!("{e:?}"))
            .system
    }

    #[test]
    fn os_priorities_count_down_from_the_top_share_one_and_keep_explicit_ones() {
        // Rate-monotonic with priority_top = 2: fast 2, mid 1, slow shares 1.
        let (p, note) = os_priorities(&system("locking = \"ceiling\""));
        assert_eq!(p, vec![1, 1, 2]);
        assert!(note.is_some_and(|n| n.contains("share OS priority 1")));
        let (p, note) = os_priorities(&system("priorities = \"explicit\""));
        assert_eq!(p, vec![5, 7, 6]);
        assert!(note.is_none());
        let (p, _) = os_priorities(&system("policy = \"fifo\""));
        assert_eq!(p, vec![2, 2, 2]);
    }

    #[test]
    fn a_ceiling_is_the_highest_os_priority_of_the_users_or_inheritance_without_one() {
        let s = system("locking = \"ceiling\"\npriorities = \"explicit\"");
        let r = ResourceId(0);
        assert_eq!(
            lock_protocol(&s, r, &[5, 7, 6]),
            (LockProtocol::Ceiling(6), None)
        );
        let (p, note) = lock_protocol(&s, r, &[0, 0, 0]);
        assert_eq!(p, LockProtocol::Inherit);
        assert!(note.is_some_and(|n| n.contains("`r`")));
        let fifo = system("locking = \"inherit\"\npolicy = \"fifo\"");
        assert_eq!(
            lock_protocol(&fifo, r, &[2, 2, 2]),
            (LockProtocol::None, None)
        );
        let inherit = system("locking = \"inherit\"");
        assert_eq!(
            lock_protocol(&inherit, r, &[1, 1, 2]),
            (LockProtocol::Inherit, None)
        );
    }
}
