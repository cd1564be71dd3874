//! FIFO and round-robin on one processor: sufficient response-time bounds.
//!
//! Neither policy has an exact test here; both bounds are sufficient.
//!
//! - **Busy window.** Both policies are work-conserving: the processor never
//!   idles while a job is ready. Every job released within a busy window
//!   completes by its end, and no busy window is longer than the synchronous
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
//!   or `A = k T_j - J_j`; only those offsets are evaluated. Under
//!   `overrun = "skip"` a task has at most one job pending, so a job waits
//!   for at most one job of every other task: `R_i <= J_i + Σ_j C_j`, at
//!   any utilization ([`skip_bound`]).
//!
//! Both bounds hold for any phasing (offsets), any release jitter up to
//! `J`, and any run with less work than the request bounds (shorter jobs,
//! skipped releases, jobs aborted at their deadline). They hold with
//! resources shared on the CPU: a job waiting for a lock does not break
//! work conservation (the holder is ready, or waits in turn for a ready
//! holder), and FIFO never preempts, so no job there ever waits for a
//! lock at all. They do not hold when a resource is also locked on
//! another CPU (a job waits for a remote holder while its CPU idles or
//! lets later jobs overtake it), nor under round-robin when nested
//! sections take locks in a cyclic order (a quantum can end inside one
//! section and the next job take the other lock: deadlock); those CPUs
//! are undecided (see the `cpu` submodule).
//!
//! Neither bound is exact for the configured system: the FIFO bound is
//! reached by some sporadic arrival pattern (with ties served last), and
//! the synchronous periodic release reaches it only for the task served
//! last at the worst offset; the busy-window bound is coarser still.

use std::cmp::Ordering;

use super::{Group, Run, TaskVerdict, Timing, utilization};
use crate::model::System;
use crate::time::Duration;

mod cpu;

use cpu::Rule;

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

/// The FIFO bound under `overrun = "skip"`, `Σ_j C_j` in nanoseconds from
/// the ready instant, at any utilization: a release that finds its task's
/// job unfinished is dropped, so a ready job waits for at most one job of
/// every other task (those ready before it, or at the same instant and
/// listed first).
pub fn skip_bound(tasks: &[Timing]) -> Result<Duration, NoBound> {
    tasks
        .iter()
        .try_fold(Duration::ZERO, |acc, t| acc.checked_add(t.wcet))
        .ok_or(NoBound::Overflow)
}

/// The `fifo-rta` test of a partitioned FIFO system.
pub(crate) fn run_fifo(system: &System, groups: &[Group], out: &mut [TaskVerdict]) -> Run {
    cpu::run(system, groups, out, Rule::Fifo)
}

/// The `busy-window` test of a partitioned round-robin system.
pub(crate) fn run_round_robin(system: &System, groups: &[Group], out: &mut [TaskVerdict]) -> Run {
    cpu::run(system, groups, out, Rule::RoundRobin)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(skip_bound(&set), Ok(ns(6)));
        // Jitter moves releases earlier in the window: (1, 4, J 3) alone:
        // L = 1 + ... ⌈(L + 3)/4⌉: 1 -> 1; bound = rbf(1) = ⌈4/4⌉ = 1.
        let j = [Timing::new(ns(1), ns(4), ns(4)).with_jitter(ns(3))];
        assert_eq!(fifo_bound(&j), Ok(ns(1)));
        let over = [
            Timing::new(ns(3), ns(4), ns(4)),
            Timing::new(ns(2), ns(4), ns(4)),
        ];
        assert_eq!(busy_window(&over), Err(NoBound::Overload));
        assert_eq!(skip_bound(&over), Ok(ns(5)));
    }

    #[test]
    fn fifo_bound_is_the_prosa_example() {
        // fifo_rta_ex1 of the response-time-analysis crate (the Prosa
        // FIFO RTA): (C, T) = (79, 120), (11, 34), (1, 190): 91.
        let set: Vec<Timing> = [(79, 120), (11, 34), (1, 190)]
            .iter()
            .map(|&(c, t)| Timing::new(ns(c), ns(t), ns(t)))
            .collect();
        assert_eq!(fifo_bound(&set), Ok(ns(91)));
    }

    #[test]
    fn jitter_beyond_the_period_counts_early_jobs_at_offset_zero() {
        // a (C 2, T 5, J 12), b (C 1, T 4): L = 16 (3, 7, 10, 13, 14, 16).
        // A = 0: rbf(1) = ⌈13/5⌉ 2 + 1 = 7 (three jobs of a ready at once);
        // a steps at A = 3, 8, 13 (k T - J), b at 4, 8, 12: 9 - 3, 10 - 4,
        // 13 - 8, 14 - 12, 16 - 13 are all smaller: 7.
        let set = [
            Timing::new(ns(2), ns(5), ns(5)).with_jitter(ns(12)),
            Timing::new(ns(1), ns(4), ns(4)),
        ];
        assert_eq!(busy_window(&set), Ok(ns(16)));
        assert_eq!(fifo_bound(&set), Ok(ns(7)));
    }
}
