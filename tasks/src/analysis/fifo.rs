//! FIFO and round-robin on one processor: sufficient response-time bounds.
//!
//! Neither policy has an exact test here; both bounds are sufficient.
//!
//! - **Busy window.** Both policies are work-conserving: the processor never
//!   idles while a job is ready. Every job released within a busy window
//!   completes by its end, and the longest busy window is the synchronous
//!   one, `L = Σ ⌈(L + J_j) / T_j⌉ C_j`. So `R_i <= L + J_i` (from the
//!   nominal release). This is the `busy-window` bound for round-robin.
//! - **FIFO** (the response-time analysis of FIFO scheduling verified in
//!   Prosa: K. Bedarkar, M. Vardishvili, S. Bozhko, M. Maida and B. B.
//!   Brandenburg, "From intuition to Coq: a case study in verified
//!   response-time analysis of FIFO scheduling", RTSS 2022): jobs run to
//!   completion in the order they become ready. A job ready at offset `A`
//!   of a busy window finishes once all work ready in `[0, A]` is done, so
//!   in integer time (ready instants `0..=A`, ties served in any order)
//!
//!   ```text
//!   R_i <= J_i + max_{0 <= A < L} (Σ_j rbf_j(A + 1) - A),
//!   rbf_j(Δ) = ⌈(Δ + J_j) / T_j⌉ C_j.
//!   ```
//!
//!   The maximum is reached where some `rbf_j(A + 1)` steps up, at `A = 0`
//!   or `A = k T_j - J_j`; only those offsets are evaluated.
//!
//! Jobs that wait for a lock do not break work conservation (the holder is
//! ready), and FIFO never preempts, so a lock is never held while another job
//! of the CPU runs. Deadlocks (lock-order cycles) are outside these bounds.

use std::cmp::Ordering;

use super::{
    Group, Run, TaskVerdict, TestKind, TestVerdict, Timing, cpu_prefix, has_offsets, timings,
    utilization,
};
use crate::model::System;
use crate::time::Duration;

/// The most fixed-point steps or candidate offsets one bound may take (2^20).
pub const STEP_CAP: u64 = 1 << 20;

/// Why a FIFO or busy-window bound does not exist or was not computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoBound {
    /// `U > 1`, or `U = 1` with release jitter: the busy window never ends.
    Overload,
    /// A time exceeded 2^64 ns.
    Overflow,
    /// [`STEP_CAP`] steps were not enough.
    IterationCap,
}

impl NoBound {
    fn describe(self) -> String {
        match self {
            NoBound::Overload => {
                "the busy window never ends (U > 1, or U = 1 with release jitter)".to_string()
            }
            NoBound::Overflow => "time overflow: the busy window exceeds 2^64 ns".to_string(),
            NoBound::IterationCap => {
                format!("undecided: the step cap ({STEP_CAP}) was reached")
            }
        }
    }
}

/// The request bound `⌈(Δ + J) / T⌉ C` of one task over a window of `delta`
/// ns, checked.
fn rbf(task: &Timing, delta: u64) -> Option<u64> {
    delta
        .checked_add(task.jitter.as_nanos())?
        .div_ceil(task.period.as_nanos())
        .checked_mul(task.wcet.as_nanos())
}

/// The longest (synchronous) busy window `L = Σ ⌈(L + J_j)/T_j⌉ C_j` of a
/// processor, nanoseconds.
pub fn busy_window(tasks: &[Timing]) -> Result<Duration, NoBound> {
    match utilization::compare(tasks, 1) {
        Ordering::Greater => return Err(NoBound::Overload),
        Ordering::Equal if tasks.iter().any(|t| !t.jitter.is_zero()) => {
            return Err(NoBound::Overload);
        }
        _ => {}
    }
    let mut l = tasks
        .iter()
        .try_fold(0_u64, |acc, t| acc.checked_add(t.wcet.as_nanos()))
        .ok_or(NoBound::Overflow)?;
    for _ in 0..STEP_CAP {
        let next = tasks
            .iter()
            .try_fold(0_u64, |acc, t| acc.checked_add(rbf(t, l)?))
            .ok_or(NoBound::Overflow)?;
        if next <= l {
            return Ok(Duration::from_nanos(l));
        }
        l = next;
    }
    Err(NoBound::IterationCap)
}

/// The FIFO bound `max_{0 <= A < L} (Σ_j rbf_j(A + 1) - A)` in nanoseconds,
/// from the instant a job becomes ready; add the task's own jitter for the
/// response time from its nominal release.
pub fn fifo_bound(tasks: &[Timing]) -> Result<Duration, NoBound> {
    let l = busy_window(tasks)?.as_nanos();
    let value = |a: u64| -> Result<u64, NoBound> {
        let total = tasks
            .iter()
            .try_fold(0_u64, |acc, t| acc.checked_add(rbf(t, a.checked_add(1)?)?))
            .ok_or(NoBound::Overflow)?;
        Ok(total.saturating_sub(a))
    };
    let mut best = value(0)?;
    let mut evaluated = 1_u64;
    for task in tasks {
        let (t, j) = (task.period.as_nanos(), task.jitter.as_nanos());
        // Offsets A = k T - J in (0, L): rbf_j(A + 1) steps up there.
        let mut k = (j / t).saturating_add(1);
        while let Some(a) = k.checked_mul(t).map(|v| v - j.min(v)) {
            if a >= l {
                break;
            }
            evaluated += 1;
            if evaluated > STEP_CAP {
                return Err(NoBound::IterationCap);
            }
            if a > 0 {
                best = best.max(value(a)?);
            }
            k += 1;
        }
    }
    Ok(Duration::from_nanos(best))
}

/// Shared driver of the two tests: `bound(tasks)` is the bound from the
/// ready instant, common to all tasks of the CPU.
fn run_with(
    system: &System,
    groups: &[Group],
    out: &mut [TaskVerdict],
    name: &str,
    intro: &str,
    bound: fn(&[Timing]) -> Result<Duration, NoBound>,
) -> Run {
    let mut lines = Vec::new();
    let mut verdicts = Vec::new();
    let mut refutes = false;
    for group in groups {
        let prefix = cpu_prefix(groups, group);
        let tasks = timings(system, &group.tasks);
        match bound(&tasks) {
            Ok(b) => {
                let mut misses = Vec::new();
                for (n, id) in group.tasks.iter().enumerate() {
                    let r = b.checked_add(tasks[n].jitter).unwrap_or(Duration::MAX);
                    let v = &mut out[id.0];
                    v.set_wcrt(r);
                    // Every job's wait is inside the bound, none apart.
                    v.blocking_ns = Some(0);
                    if r > tasks[n].deadline {
                        misses.push(format!(
                            "R({}) <= {} > D = {}",
                            system.tasks[id.0].name, r, tasks[n].deadline
                        ));
                    }
                }
                let ok = misses.is_empty();
                verdicts.push(Some(ok));
                lines.push(if ok {
                    format!("{prefix}every response <= {b} + jitter <= D")
                } else {
                    format!("{prefix}{}", misses.join("; "))
                });
            }
            Err(e) => {
                if e == NoBound::Overload {
                    // The backlog grows without end: some job misses.
                    refutes |= utilization::compare(&tasks, 1) == Ordering::Greater;
                    verdicts.push(Some(false));
                } else {
                    verdicts.push(None);
                }
                lines.push(format!("{prefix}no bound: {}", e.describe()));
                for id in &group.tasks {
                    out[id.0].add_note(e.describe());
                }
            }
        }
        if has_offsets(system, &group.tasks) {
            lines.push(format!(
                "{prefix}offsets are ignored (a synchronous release is assumed)"
            ));
        }
    }
    let schedulable = if verdicts.contains(&Some(false)) {
        Some(false)
    } else if verdicts.iter().all(|v| *v == Some(true)) {
        Some(true)
    } else {
        None
    };
    Run {
        test: TestVerdict {
            name: name.to_string(),
            kind: TestKind::Sufficient,
            applies: true,
            schedulable,
            detail: format!("{intro}: {}", lines.join("; ")),
        },
        refutes,
    }
}

/// The `fifo-rta` test of a partitioned FIFO system.
pub(crate) fn run_fifo(system: &System, groups: &[Group], out: &mut [TaskVerdict]) -> Run {
    run_with(
        system,
        groups,
        out,
        "fifo-rta",
        "no exact test for FIFO; sufficient bound (FIFO RTA, Bedarkar et al. 2022)",
        fifo_bound,
    )
}

/// The `busy-window` test of a partitioned round-robin system.
pub(crate) fn run_round_robin(system: &System, groups: &[Group], out: &mut [TaskVerdict]) -> Run {
    run_with(
        system,
        groups,
        out,
        "busy-window",
        "no exact test for round-robin; sufficient bound (every job ends with its busy window)",
        busy_window,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyze;
    use crate::model::{Policy, SystemBuilder};

    fn ns(v: u64) -> Duration {
        Duration::from_nanos(v)
    }

    #[test]
    fn busy_window_and_fifo_bound_hand_derived() {
        // (C, T): (1, 4), (2, 6), (3, 10): L = 10 (6 -> 7 -> 9 -> 10).
        // FIFO: A = 0: 1 + 2 + 3 = 6; A = 4: rbf(5) = 2 + 2 + 3 = 7, 7 - 4 = 3;
        // A = 6: 2 + 4 + 3 - 6 = 3; A = 8: 3 + 4 + 3 - 8 = 2: bound 6.
        let set: Vec<Timing> = [(1, 4), (2, 6), (3, 10)]
            .iter()
            .map(|&(c, t)| Timing::new(ns(c), ns(t), ns(t)))
            .collect();
        assert_eq!(busy_window(&set), Ok(ns(10)));
        assert_eq!(fifo_bound(&set), Ok(ns(6)));
        // Jitter moves releases earlier in the window: (1, 4, J 3) alone:
        // L = 1 + ... ⌈(L + 3)/4⌉: 1 -> 1; bound = rbf(1) = ⌈4/4⌉ = 1.
        let j = [Timing::new(ns(1), ns(4), ns(4)).with_jitter(ns(3))];
        assert_eq!(fifo_bound(&j), Ok(ns(1)));
        let over = [
            Timing::new(ns(3), ns(4), ns(4)),
            Timing::new(ns(2), ns(4), ns(4)),
        ];
        assert_eq!(busy_window(&over), Err(NoBound::Overload));
    }

    #[test]
    fn policies_get_their_bound() {
        let build = |policy| {
            SystemBuilder::new("q")
                .policy(policy)
                .task("a", ns(4), ns(1))
                .task("b", ns(6), ns(2))
                .task("c", ns(10), ns(3))
                .build()
        };
        let fifo = analyze(&build(Policy::Fifo));
        assert_eq!(fifo.tests[0].name, "fifo-rta");
        assert_eq!(fifo.tests[0].kind, TestKind::Sufficient);
        // a's bound 6 > D = 4: not accepted, but that proves nothing.
        assert_eq!(fifo.tests[0].schedulable, Some(false));
        assert_eq!(fifo.schedulable, None);
        assert_eq!(fifo.tasks[2].wcrt_ns, Some(6));
        let rr = analyze(&build(Policy::RoundRobin));
        assert_eq!(rr.tests[0].name, "busy-window");
        assert_eq!(rr.tasks[0].wcrt_ns, Some(10));
        assert_eq!(rr.schedulable, None);
        // A light set passes both.
        let light = SystemBuilder::new("light")
            .policy(Policy::Fifo)
            .task("a", ns(100), ns(10))
            .task("b", ns(100), ns(20))
            .build();
        assert_eq!(analyze(&light).schedulable, Some(true));
    }
}
