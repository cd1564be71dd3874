//! EDF on one processor: the processor-demand test, per-task response-time
//! bounds ([`response`]) and the blocking terms of shared resources.
//!
//! A set of sporadic tasks is EDF-schedulable on one processor if and only if
//! `U <= 1` and the demand `h(t) <= t` for every `t`, where
//!
//! ```text
//! h(t) = Σ_i max(0, ⌊(t + J_i + T_i - D_i) / T_i⌋) C_i
//! ```
//!
//! is the execution time of all jobs that are ready and due within any
//! window of length `t` (S. Baruah, A. Mok and L. Rosier, RTSS 1990; with
//! release jitter, M. Spuri, "Analysis of deadline scheduled real-time
//! systems", INRIA RR-2772, 1996: jitter shortens the effective deadline to
//! `D_i - J_i`). It suffices to check absolute deadlines `t < L`:
//!
//! - `L_a = max(D_1 - T_1, ..., D_n - T_n, Σ (T_i - D_i) U_i / (1 - U))`
//!   for `U < 1`,
//! - `L_b` the synchronous busy period `w = Σ ⌈w / T_i⌉ C_i`,
//! - `L = min(L_a, L_b)` for `U < 1` and `L = L_b` for `U = 1`
//!
//! (F. Zhang and A. Burns, "Schedulability analysis for real-time systems
//! with EDF scheduling", IEEE Transactions on Computers 58(9), 2009), with
//! `D_i - J_i` in place of `D_i`. [`qpa`] is their Quick Processor-demand
//! Analysis, which walks backwards from `L` and usually checks a handful of
//! points instead of every deadline:
//!
//! ```text
//! t <- max{d | d < L}
//! while h(t) <= t and h(t) > d_min:
//!     t <- h(t) if h(t) < t else max{d | d < t}
//! schedulable <=> h(t) <= d_min
//! ```
//!
//! `U` is compared with 1 exactly ([`super::ratio`]) and `L_a` is computed
//! in exact integers (skipped, leaving `L_b`, if it does not fit 128 bits).
//!
//! With blocking, [`demand_test_with_blocking`] checks `h(t) + b(t) <= t` at
//! every absolute deadline below the busy period (including the initial
//! blocking; for `U = 1`, up to one hyperperiod past the last point where
//! `b` or the `max(0, ·)` clamps change):
//!
//! - non-preemptive EDF: `b(t) = max{C_j - 1 : D_j > t}` (L. George, N.
//!   Rivierre and M. Spuri, "Preemptive and non-preemptive real-time
//!   uniprocessor scheduling", INRIA RR-2966, 1996, in integer time);
//! - shared resources under the stack resource policy (T. P. Baker,
//!   "Stack-based scheduling of realtime processes", Real-Time Systems 3(1),
//!   1991), the EDF counterpart of the immediate ceiling, and under deadline
//!   inheritance (the job-level counterpart of the priority-inheritance
//!   bound of Sha, Rajkumar & Lehoczky 1990), re-derived for release
//!   jitter in the `blocking` submodule.
//!
//! Partitioned systems are analysed CPU by CPU (the `partitioned`
//! submodule): the demand test, every task's response-time bound, whether
//! a rejection proves a miss of the configured releases (`conditions`) and
//! the witness of that miss (`witness`).
//!
//! All arithmetic is in integers with checks; every loop is capped at
//! [`STEP_CAP`] steps and reports [`Undecided`] rather than hanging.

use std::cmp::Ordering;

use super::{Timing, utilization};
use crate::time::Duration;
use horizon::horizon;

mod blocking;
mod conditions;
mod horizon;
mod partitioned;
mod per_task;
pub mod response;
#[cfg(test)]
mod system_tests;
mod witness;

pub(crate) use partitioned::run;

/// The most demand evaluations one test may make (2^20).
pub const STEP_CAP: u64 = 1 << 20;

/// The verdict of a demand test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Demand {
    /// `U > 1`: the backlog grows without end.
    Overload,
    /// Every absolute deadline below `horizon` passed.
    Feasible {
        /// The bound `L` on the deadlines that needed checking (exclusive),
        /// nanoseconds.
        horizon: Duration,
        /// Demand evaluations made.
        steps: u64,
    },
    /// At `at` (a window length, nanoseconds) the demand, blocking included,
    /// is `demand > at`.
    Miss {
        /// The window length.
        at: Duration,
        /// The demand in that window (saturated at 2^64 - 1 ns).
        demand: Duration,
        /// Demand evaluations made.
        steps: u64,
    },
}

/// Why a demand test could not decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Undecided {
    /// A time, the busy period or the hyperperiod, exceeded 2^64 ns.
    Overflow,
    /// [`STEP_CAP`] steps were not enough.
    IterationCap,
}

impl Undecided {
    fn describe(self) -> String {
        match self {
            Undecided::Overflow => {
                "undecided: time overflow (busy period or hyperperiod beyond 2^64 ns)".to_string()
            }
            Undecided::IterationCap => {
                format!("undecided: the step cap ({STEP_CAP} demand evaluations) was reached")
            }
        }
    }
}

/// A task as the demand test sees it: jitter folded into the deadline.
#[derive(Clone, Copy, Debug)]
struct Job {
    c: u64,
    t: u64,
    /// `D - J`, at least `C`.
    d: u64,
}

/// The demand `h(t)` in nanoseconds: the execution time of the jobs that
/// can be both ready and due within a window of `t` nanoseconds.
pub fn demand(tasks: &[Timing], t: Duration) -> u128 {
    let t = i128::from(t.as_nanos());
    tasks
        .iter()
        .map(|task| {
            let slack =
                t + i128::from(task.jitter.as_nanos()) - i128::from(task.deadline.as_nanos());
            if slack < 0 {
                0
            } else {
                let jobs = slack / i128::from(task.period.as_nanos()) + 1;
                jobs.unsigned_abs() * u128::from(task.wcet.as_nanos())
            }
        })
        .sum()
}

fn demand_of(jobs: &[Job], t: u64) -> u128 {
    jobs.iter()
        .filter(|j| t >= j.d)
        .map(|j| u128::from((t - j.d) / j.t + 1) * u128::from(j.c))
        .sum()
}

/// Folds jitter into deadlines; a task whose `D - J < C` misses at once.
fn prepare(tasks: &[Timing]) -> Result<Vec<Job>, Demand> {
    let mut jobs = Vec::with_capacity(tasks.len());
    for task in tasks {
        let (c, d, j) = (
            task.wcet.as_nanos(),
            task.deadline.as_nanos(),
            task.jitter.as_nanos(),
        );
        match d.checked_sub(j) {
            Some(dj) if dj >= c => jobs.push(Job {
                c,
                t: task.period.as_nanos(),
                d: dj,
            }),
            other => {
                let at = Duration::from_nanos(other.unwrap_or(0));
                return Err(Demand::Miss {
                    at,
                    demand: saturate(demand(tasks, at)),
                    steps: 1,
                });
            }
        }
    }
    Ok(jobs)
}

fn saturate(v: u128) -> Duration {
    Duration::from_nanos(u64::try_from(v).unwrap_or(u64::MAX))
}

/// The largest absolute deadline strictly below `x`.
fn last_deadline_below(jobs: &[Job], x: u64) -> Option<u64> {
    jobs.iter()
        .filter(|j| x > j.d)
        .map(|j| j.d + (x - 1 - j.d) / j.t * j.t)
        .max()
}

/// The smallest absolute deadline strictly above `x`.
fn next_deadline_after(jobs: &[Job], x: u64) -> Option<u64> {
    jobs.iter()
        .filter_map(|j| {
            if x < j.d {
                Some(j.d)
            } else {
                ((x - j.d) / j.t + 1)
                    .checked_mul(j.t)
                    .and_then(|v| v.checked_add(j.d))
            }
        })
        .min()
}

/// Zhang & Burns' QPA: the exact EDF test for preemptive sporadic tasks
/// with arbitrary deadlines and release jitter on one processor.
pub fn qpa(tasks: &[Timing]) -> Result<Demand, Undecided> {
    let jobs = match prepare(tasks) {
        Ok(jobs) => jobs,
        Err(miss) => return Ok(miss),
    };
    let load = utilization::compare(tasks, 1);
    if load == Ordering::Greater {
        return Ok(Demand::Overload);
    }
    let mut steps = 0;
    let l = horizon(
        &jobs,
        tasks.iter().map(|t| t.period),
        load,
        0,
        0,
        &mut steps,
    )?;
    let mut steps = 0;
    let feasible = |steps| Demand::Feasible {
        horizon: Duration::from_nanos(l),
        steps,
    };
    let d_min = jobs.iter().map(|j| j.d).min().unwrap_or(0);
    let Some(mut t) = last_deadline_below(&jobs, l) else {
        return Ok(feasible(0));
    };
    loop {
        steps += 1;
        if steps > STEP_CAP {
            return Err(Undecided::IterationCap);
        }
        let h = demand_of(&jobs, t);
        if h > u128::from(t) {
            return Ok(Demand::Miss {
                at: Duration::from_nanos(t),
                demand: saturate(h),
                steps,
            });
        }
        if h <= u128::from(d_min) {
            return Ok(feasible(steps));
        }
        // h < 2^64 here since h <= t.
        let h = h as u64;
        if h < t {
            t = h;
        } else {
            match last_deadline_below(&jobs, t) {
                Some(prev) => t = prev,
                None => return Ok(feasible(steps)),
            }
        }
    }
}

/// The processor-demand test with blocking: `h(t) + b(t) <= t` at every
/// absolute deadline `t` up to the busy period (see the module docs).
///
/// `blocking(t)` gives `b(t)` in nanoseconds; it must be zero for `t` at or
/// beyond `settles` (e.g. the longest relative deadline) and at most
/// `max_blocking` everywhere.
pub fn demand_test_with_blocking(
    tasks: &[Timing],
    blocking: impl Fn(Duration) -> Duration,
    max_blocking: Duration,
    settles: Duration,
) -> Result<Demand, Undecided> {
    let jobs = match prepare(tasks) {
        Ok(jobs) => jobs,
        Err(miss) => return Ok(miss),
    };
    let load = utilization::compare(tasks, 1);
    if load == Ordering::Greater {
        return Ok(Demand::Overload);
    }
    let mut steps = 0;
    let l = horizon(
        &jobs,
        tasks.iter().map(|t| t.period),
        load,
        max_blocking.as_nanos(),
        settles.as_nanos(),
        &mut steps,
    )?;
    let mut steps = 0;
    let mut next = jobs.iter().map(|j| j.d).min();
    while let Some(t) = next.filter(|&t| t < l) {
        steps += 1;
        if steps > STEP_CAP {
            return Err(Undecided::IterationCap);
        }
        let at = Duration::from_nanos(t);
        let total = demand_of(&jobs, t) + u128::from(blocking(at).as_nanos());
        if total > u128::from(t) {
            return Ok(Demand::Miss {
                at,
                demand: saturate(total),
                steps,
            });
        }
        next = next_deadline_after(&jobs, t);
    }
    Ok(Demand::Feasible {
        horizon: Duration::from_nanos(l),
        steps,
    })
}

/// `b(t)` of non-preemptive EDF: `max{C_j - 1 ns : D_j > t}`.
pub fn non_preemptive_blocking(tasks: &[Timing], t: Duration) -> Duration {
    tasks
        .iter()
        .filter(|j| j.deadline > t)
        .map(|j| j.wcet.saturating_sub(Duration::from_nanos(1)))
        .max()
        .unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::horizon::{busy, la_bound};
    use super::*;

    fn ns(v: u64) -> Duration {
        Duration::from_nanos(v)
    }

    /// (C, T, D) tasks.
    fn tasks(ctd: &[(u64, u64, u64)]) -> Vec<Timing> {
        ctd.iter()
            .map(|&(c, t, d)| Timing::new(ns(c), ns(t), ns(d)))
            .collect()
    }

    /// Every absolute deadline up to `limit`, checked one by one.
    fn brute_force(set: &[Timing], limit: u64) -> bool {
        (1..=limit).all(|t| demand(set, ns(t)) <= u128::from(t))
    }

    fn prepared(set: &[Timing]) -> Vec<Job> {
        prepare(set).unwrap()
    }

    /// Schedcat tests/edf.py::Test_QPA (an 8-task set with one arbitrary
    /// deadline, τ6 (2, 12, 16)); figures recomputed with exact rationals.
    fn schedcat() -> Vec<Timing> {
        tasks(&[
            (6000, 31000, 18000),
            (2000, 9800, 9000),
            (1000, 17000, 12000),
            (90, 4200, 3000),
            (8, 96, 78),
            (2, 12, 16),
            (10, 280, 120),
            (26, 660, 160),
        ])
    }

    #[test]
    fn zhang_burns_qpa_schedulable() {
        // L_a = 51563644450/3357671 = 15356.97 < L_b = 16984: L = L_a; QPA
        // walks (15352, 8282) (8282, 2884) (2884, 950) (950, 318) (318, 112)
        // (112, 26) (26, 2): 2 <= d_min = 16 after 7 evaluations.
        let set = schedcat();
        let jobs = prepared(&set);
        assert_eq!(la_bound(&jobs), Some(15357));
        assert_eq!(busy(&jobs, 0, None, &mut 0), Ok(Some(16984)));
        assert_eq!(last_deadline_below(&jobs, 15357), Some(15352));
        assert_eq!(
            qpa(&set),
            Ok(Demand::Feasible {
                horizon: ns(15357),
                steps: 7
            })
        );
        assert!(brute_force(&set, 16984));
    }

    #[test]
    fn zhang_burns_qpa_unschedulable() {
        // Schedcat's second set adds (10, 100, 15): U = 0.903, L = L_b =
        // 25480; QPA passes the equality branch at t = 19902 and stops at
        // h(19900) = 19902 > 19900 after 15 evaluations.
        let mut set = schedcat();
        set.push(Timing::new(ns(10), ns(100), ns(15)));
        assert_eq!(busy(&prepared(&set), 0, None, &mut 0), Ok(Some(25480)));
        assert_eq!(
            qpa(&set),
            Ok(Demand::Miss {
                at: ns(19900),
                demand: ns(19902),
                steps: 15
            })
        );
        // The first violation over all deadlines (processor demand
        // analysis) is earlier.
        assert_eq!(demand(&set, ns(18800)), 19364);
        assert!(!brute_force(&set, 25480));
    }

    #[test]
    fn lecture_examples() {
        // embs-book lecture 15 (EDF, Zhang & Burns PDA/QPA): (1, 3, 2),
        // (2, 5, 4), (3, 14, 12): L = L_b = 14; h(2, 4, 5, 8, 9, 11, 12, 14)
        // = 1, 3, 4, 5, 7, 8, 11, 14; QPA from d < 14: (12, 11) (11, 8)
        // (8, 5) (5, 4) (4, 3) (3, 1): schedulable in 6 evaluations.
        let set = tasks(&[(1, 3, 2), (2, 5, 4), (3, 14, 12)]);
        let h: Vec<u128> = [2, 4, 5, 8, 9, 11, 12, 14]
            .iter()
            .map(|&t| demand(&set, ns(t)))
            .collect();
        assert_eq!(h, [1, 3, 4, 5, 7, 8, 11, 14]);
        assert_eq!(
            qpa(&set),
            Ok(Demand::Feasible {
                horizon: ns(14),
                steps: 6
            })
        );
        // Italian course notes (EDF): (2, 6, 5), (2, 8, 4), (4, 12, 8):
        // tight at 8, 12, 20; L = L_b = 12; QPA (11, 10) (10, 8) (8, 8 ->
        // previous deadline) (5, 4): 4 <= d_min = 4, schedulable.
        let set = tasks(&[(2, 6, 5), (2, 8, 4), (4, 12, 8)]);
        assert_eq!(
            qpa(&set),
            Ok(Demand::Feasible {
                horizon: ns(12),
                steps: 4
            })
        );
    }

    #[test]
    fn utilization_one_and_above() {
        // Harmonic, U = 1, implicit deadlines: feasible.
        let full = tasks(&[(40, 80, 80), (10, 40, 40), (5, 20, 20)]);
        assert!(matches!(qpa(&full), Ok(Demand::Feasible { .. })));
        // U = 1 with a constrained deadline: h(19) = 5 + ... let the brute
        // force decide and QPA agree.
        let tight = tasks(&[(40, 80, 80), (10, 40, 40), (5, 20, 19)]);
        let expected = brute_force(&tight, 160);
        assert_eq!(matches!(qpa(&tight), Ok(Demand::Feasible { .. })), expected);
        let over = tasks(&[(6, 10, 10), (5, 10, 10)]);
        assert_eq!(qpa(&over), Ok(Demand::Overload));
    }

    #[test]
    fn jitter_shortens_the_deadline() {
        // C 3, D 4, J 2: D - J = 2 < C: a miss at t = 2.
        let set = vec![Timing::new(ns(3), ns(10), ns(4)).with_jitter(ns(2))];
        assert_eq!(
            qpa(&set),
            Ok(Demand::Miss {
                at: ns(2),
                demand: ns(3),
                steps: 1
            })
        );
        // C 2, D 4, J 2 alone: fine.
        let set = vec![Timing::new(ns(2), ns(10), ns(4)).with_jitter(ns(2))];
        assert!(matches!(qpa(&set), Ok(Demand::Feasible { .. })));
    }

    #[test]
    fn non_preemptive_edf() {
        // A long job with a late deadline blocks a short one: (1, 4, 2) and
        // (3, 12, 12). b(2) = 3 - 1 = 2: h(2) + b(2) = 1 + 2 = 3 > 2.
        let set = tasks(&[(1, 4, 2), (3, 12, 12)]);
        let got =
            demand_test_with_blocking(&set, |t| non_preemptive_blocking(&set, t), ns(2), ns(12));
        assert_eq!(
            got,
            Ok(Demand::Miss {
                at: ns(2),
                demand: ns(3),
                steps: 1
            })
        );
        // With D = 3 it fits: 1 + 2 <= 3, and later deadlines pass.
        let set = tasks(&[(1, 4, 3), (3, 12, 12)]);
        let got =
            demand_test_with_blocking(&set, |t| non_preemptive_blocking(&set, t), ns(2), ns(12));
        assert!(matches!(got, Ok(Demand::Feasible { .. })), "{got:?}");
    }
}
