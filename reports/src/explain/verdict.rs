//! A run's verdict, counted once: how many deadlines were missed, by how
//! many tasks, how late the latest job was, and whether the run
//! deadlocked or was interrupted. The report's verdict headline and the
//! column titles of the side-by-side figures both say it from here, in
//! the same words.

use rtlab_tasks::outcome::{Outcome, TaskOutcome};

use crate::format;

/// What a run's verdict rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tally {
    /// Deadlines missed, all tasks.
    pub misses: u64,
    /// Tasks that missed at least one deadline.
    pub tasks_missed: usize,
    /// The largest tardiness of any task, in nanoseconds (see
    /// [`worst_tardiness_ns`]); 0 without a miss.
    pub worst_tardiness_ns: u64,
    /// The run ended in a deadlock.
    pub deadlock: bool,
    /// The run was interrupted (the figures cover what ran).
    pub interrupted: bool,
    /// The run's length, in nanoseconds.
    pub duration_ns: u64,
    /// End-to-end deadlines missed, all chains.
    pub chain_misses: u64,
    /// Chains that missed at least one end-to-end deadline.
    pub chains_missed: usize,
}

/// The largest tardiness of `t`, in nanoseconds: how far past its
/// deadline its latest job finished (or the end of the run, for one that
/// never did), from the kept misses, the tardiness metric and the exact
/// largest lateness; 0 without a miss.
pub fn worst_tardiness_ns(t: &TaskOutcome) -> u64 {
    t.misses
        .iter()
        .map(|m| m.lateness_ns)
        .chain(t.tardiness.max_ns)
        .chain(t.lateness_max_ns.and_then(|l| u64::try_from(l).ok()))
        .max()
        .unwrap_or(0)
}

/// Counts the verdict of `o`.
pub fn tally(o: &Outcome) -> Tally {
    let missed = o.tasks.iter().filter(|t| t.deadline_misses > 0);
    Tally {
        misses: o.tasks.iter().map(|t| t.deadline_misses).sum(),
        tasks_missed: missed.clone().count(),
        worst_tardiness_ns: missed.map(worst_tardiness_ns).max().unwrap_or(0),
        deadlock: o.deadlock.is_some(),
        interrupted: o.interrupted,
        duration_ns: o.duration_ns,
        chain_misses: o.chains.iter().map(|c| c.deadline_misses).sum(),
        chains_missed: o.chains.iter().filter(|c| c.deadline_misses > 0).count(),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Tally {
    /// Whether every deadline (of a task or a chain) was met and nothing
    /// deadlocked.
    pub fn ok(&self) -> bool {
        self.misses == 0 && self.chain_misses == 0 && !self.deadlock
    }

    /// The report's verdict line: `no deadline missed in 2.00 s`, `40
    /// deadlines missed by 1 task in 2.00 s`, `95 end-to-end deadlines
    /// missed by 1 chain in 10.0 s` (both, joined by `;`, when tasks and
    /// chains missed).
    pub fn headline(&self) -> String {
        let length = format::duration(self.duration_ns);
        if self.misses == 0 && self.chain_misses == 0 {
            return format!("no deadline missed in {length}");
        }
        let mut parts = Vec::new();
        if self.misses > 0 {
            parts.push(format!(
                "{} missed by {}",
                plural(self.misses, "deadline", "deadlines"),
                plural(self.tasks_missed as u64, "task", "tasks")
            ));
        }
        if self.chain_misses > 0 {
            parts.push(format!(
                "{} missed by {}",
                plural(
                    self.chain_misses,
                    "end-to-end deadline",
                    "end-to-end deadlines"
                ),
                plural(self.chains_missed as u64, "chain", "chains")
            ));
        }
        format!("{} in {length}", parts.join("; "))
    }

    /// The verdict in a few words, for a column title: `all deadlines
    /// met`, `40 misses, worst +12.6 ms`, `deadlock`; `(interrupted)`
    /// after it when the run was.
    pub fn short(&self) -> String {
        let mut parts = Vec::new();
        if self.deadlock {
            parts.push("deadlock".to_string());
        }
        if self.misses > 0 {
            parts.push(format!(
                "{}, worst +{}",
                plural(self.misses, "miss", "misses"),
                format::duration(self.worst_tardiness_ns)
            ));
        }
        if self.chain_misses > 0 {
            parts.push(plural(self.chain_misses, "chain miss", "chain misses"));
        }
        if parts.is_empty() {
            parts.push("all deadlines met".to_string());
        }
        let text = parts.join("; ");
        if self.interrupted {
            format!("{text} (interrupted)")
        } else {
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(misses: u64, tasks_missed: usize, worst_ns: u64) -> Tally {
        Tally {
            misses,
            tasks_missed,
            worst_tardiness_ns: worst_ns,
            deadlock: false,
            interrupted: false,
            duration_ns: 2_000_000_000,
            chain_misses: 0,
            chains_missed: 0,
        }
    }

    #[test]
    fn the_headline_and_the_short_verdict_say_the_same_counts() {
        let met = tally(0, 0, 0);
        assert_eq!(met.headline(), "no deadline missed in 2.00 s");
        assert_eq!(met.short(), "all deadlines met");
        let one = tally(1, 1, 800_000);
        assert_eq!(one.headline(), "1 deadline missed by 1 task in 2.00 s");
        assert_eq!(one.short(), "1 miss, worst +800 µs");
        let many = tally(40, 2, 12_600_000);
        assert_eq!(many.headline(), "40 deadlines missed by 2 tasks in 2.00 s");
        assert_eq!(many.short(), "40 misses, worst +12.6 ms");
    }

    #[test]
    fn a_deadlock_or_an_interruption_is_said() {
        let stuck = Tally {
            deadlock: true,
            ..tally(0, 0, 0)
        };
        assert!(!stuck.ok());
        assert_eq!(stuck.short(), "deadlock");
        let cut = Tally {
            interrupted: true,
            ..tally(3, 1, 1_000_000)
        };
        assert_eq!(cut.short(), "3 misses, worst +1.00 ms (interrupted)");
    }

    #[test]
    fn a_chain_that_missed_fails_the_verdict_and_is_counted_apart_from_tasks() {
        let chains_only = Tally {
            chain_misses: 95,
            chains_missed: 1,
            ..tally(0, 0, 0)
        };
        assert!(!chains_only.ok());
        assert_eq!(
            chains_only.headline(),
            "95 end-to-end deadlines missed by 1 chain in 2.00 s"
        );
        assert_eq!(chains_only.short(), "95 chain misses");
        let both = Tally {
            chain_misses: 1,
            chains_missed: 1,
            ..tally(13, 1, 553_000)
        };
        assert_eq!(
            both.headline(),
            "13 deadlines missed by 1 task; 1 end-to-end deadline missed by 1 chain in 2.00 s"
        );
        assert_eq!(both.short(), "13 misses, worst +553 µs; 1 chain miss");
    }
}
