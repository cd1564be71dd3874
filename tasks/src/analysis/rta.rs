//! Response-time analysis (RTA) for fixed priorities on one processor.
//!
//! **Preemptive** (M. Joseph and P. Pandya, "Finding response times in a
//! real-time system", The Computer Journal 29(5), 1986; N. Audsley, A.
//! Burns, M. Richardson, K. Tindell and A. Wellings, "Applying new
//! scheduling theory to static priority pre-emptive scheduling", Software
//! Engineering Journal 8(5), 1993), with release jitter and arbitrary
//! deadlines examined job by job over the level-i busy period (J. P.
//! Lehoczky, "Fixed priority scheduling of periodic task sets with
//! arbitrary deadlines", RTSS 1990; K. Tindell, A. Burns and A. Wellings,
//! "An extendible approach for analyzing fixed priority hard real-time
//! tasks", Real-Time Systems 6(2), 1994):
//!
//! ```text
//! L     = B_i + Σ_{j ∈ hep(i)} ⌈(L + J_j) / T_j⌉ C_j          (busy period)
//! w(q)  = B_i + (q + 1) C_i + Σ_{j ∈ hp(i)} ⌈(w(q) + J_j) / T_j⌉ C_j
//! R(q)  = w(q) - q T_i + J_i,        q = 0 .. ⌈(L + J_i) / T_i⌉ - 1
//! R_i   = max_q R(q)
//! ```
//!
//! Response times are measured from the nominal release, so they include
//! the task's own jitter `J_i` (the convention of schedcat's test of the
//! Audsley et al. 1993 example; the paper's table lists `w` without it).
//!
//! **Non-preemptive** dispatching follows R. I. Davis, A. Burns, R. J. Bril
//! and J. J. Lukkien, "Controller Area Network (CAN) schedulability analysis:
//! refuted, revisited and revised", Real-Time Systems 35(3), 2007 (see the
//! `non_preemptive` submodule), over the same busy period, with `B_i`
//! including the longest lower-priority job minus one tick (see
//! [`super::blocking`]).
//!
//! Tasks of equal priority interfere with each other like higher-priority
//! ones (safe whatever the tie-breaking). The fixed-point iterations keep
//! going past the deadline, so a response time above the deadline is
//! reported, not just "miss". A bound does not exist when the utilization
//! at and above the task's priority exceeds 1, or equals 1 with jitter or
//! blocking (the busy period never ends); utilizations are compared exactly
//! ([`super::ratio`]). Every computation is capped at [`ITERATION_CAP`]
//! fixed-point steps and uses checked arithmetic: it ends, with a bound or
//! with the reason there is none.

use std::cmp::Ordering;

use super::blocking;
use super::{Timing, ratio};
use crate::model::{System, TaskId};
use crate::time::Duration;

mod non_preemptive;
mod partitioned;
mod task;
mod verdict;
pub mod window;
pub mod witness;

pub(crate) use partitioned::run;
pub(crate) use task::analyse_task;
pub use task::{TaskResponse, response_times};
pub use verdict::all_meet_deadlines;

/// The most fixed-point steps one response-time computation may take (all
/// jobs of the busy period together). 2^20: a set that needs more (a busy
/// period of millions of jobs, e.g. utilization 1 with coprime periods) is
/// reported as undecided rather than hanging a sweep.
pub const ITERATION_CAP: u64 = 1 << 20;

/// How jobs are dispatched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dispatch {
    /// A more urgent job preempts a running one.
    Preemptive,
    /// A started job runs to completion.
    NonPreemptive,
}

/// A worst-case response time and how it was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Response {
    /// The bound, in nanoseconds from the nominal release.
    pub wcrt: Duration,
    /// The job (0 = the first of the busy period) with the longest response.
    pub worst_job: u64,
    /// How many jobs of the task the busy period holds (all were examined).
    pub jobs: u64,
    /// Length of the level-i busy period, nanoseconds (only the first job's
    /// completion when that already ends the busy period).
    pub busy_period: Duration,
}

/// Why a response time has no bound or was not computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoBound {
    /// The utilization at and above the task's priority exceeds 1.
    Overload,
    /// That utilization is exactly 1 and there is jitter or blocking: the
    /// busy period never ends.
    Saturated,
    /// A time exceeded 2^64 ns.
    Overflow,
    /// [`ITERATION_CAP`] fixed-point steps were not enough.
    IterationCap,
    /// Plain mutexes: the tasks that can run while this one is held up
    /// (down to the given lowest holder, see [`window`]) load the CPU to 1
    /// or more, so their busy window has no bound. Not a proof of a miss.
    WindowOverload(TaskId),
}

impl NoBound {
    /// A readable reason.
    pub fn describe(&self, system: &System) -> String {
        match self {
            NoBound::Overload => {
                "utilization at and above its priority exceeds 1: the busy period never ends"
                    .to_string()
            }
            NoBound::Saturated => {
                "utilization at and above its priority is exactly 1 and there is \
                 release jitter or blocking: the busy period never ends"
                    .to_string()
            }
            NoBound::Overflow => "time overflow: the busy period exceeds 2^64 ns".to_string(),
            NoBound::IterationCap => format!(
                "undecided: the iteration cap ({ITERATION_CAP} fixed-point steps) was reached"
            ),
            NoBound::WindowOverload(lowest) => format!(
                "priority inversion, no protocol: the tasks that can run while it is held up \
                 (down to `{}`) load the CPU to 100% or more, so their busy window has no bound",
                system.tasks[lowest.0].name
            ),
        }
    }

    /// True when the lack of a bound proves a deadline can be missed (the
    /// backlog grows without end).
    pub fn is_overload(&self) -> bool {
        matches!(self, NoBound::Overload | NoBound::Saturated)
    }
}

/// The worst-case response time of `task` with blocking `blocking`
/// (nanoseconds) when `higher` (every task of equal or higher priority on
/// its processor, in any order) interferes with it.
///
/// For [`Dispatch::NonPreemptive`], `blocking` must include the longest
/// lower-priority execution time minus 1 ns.
pub fn response_time(
    task: &Timing,
    blocking: Duration,
    higher: &[Timing],
    dispatch: Dispatch,
) -> Result<Response, NoBound> {
    response_time_jobs(task, blocking, higher, dispatch, |_, _| {})
}

/// [`response_time`], also calling `job(q, R(q))` for every job `q` of the
/// busy period with its response time (to show which job is the worst).
pub fn response_time_jobs(
    task: &Timing,
    blocking: Duration,
    higher: &[Timing],
    dispatch: Dispatch,
    job: impl FnMut(u64, Duration),
) -> Result<Response, NoBound> {
    busy_period_ends(task, blocking, higher)?;
    let mut budget = ITERATION_CAP;
    let b = blocking.as_nanos();
    match dispatch {
        Dispatch::Preemptive => preemptive(task, b, higher, &mut budget, job),
        Dispatch::NonPreemptive => non_preemptive::response(task, b, higher, &mut budget, job),
    }
}

/// `Ok` when the level-i busy period ends: the utilization of the task and
/// of `higher` is below 1, or exactly 1 without blocking or jitter.
fn busy_period_ends(task: &Timing, blocking: Duration, higher: &[Timing]) -> Result<(), NoBound> {
    let load = ratio::sum_cmp(
        std::iter::once(task)
            .chain(higher)
            .map(|t| (u128::from(t.wcet.as_nanos()), t.period.as_nanos())),
        1,
    );
    match load {
        Ordering::Greater => Err(NoBound::Overload),
        Ordering::Equal
            if !blocking.is_zero()
                || std::iter::once(task)
                    .chain(higher)
                    .any(|t| !t.jitter.is_zero()) =>
        {
            Err(NoBound::Saturated)
        }
        _ => Ok(()),
    }
}

/// The preemptive response time, job by job over the busy period, with
/// blocking `b` (nanoseconds); `job` is called with each job's response.
fn preemptive(
    task: &Timing,
    b: u64,
    higher: &[Timing],
    budget: &mut u64,
    mut job: impl FnMut(u64, Duration),
) -> Result<Response, NoBound> {
    let (c, t, j) = (
        task.wcet.as_nanos(),
        task.period.as_nanos(),
        task.jitter.as_nanos(),
    );
    let w0 = fixed_point(
        b.checked_add(c).ok_or(NoBound::Overflow)?,
        higher,
        budget,
        0,
    )?;
    let r0 = w0.checked_add(j).ok_or(NoBound::Overflow)?;
    job(0, Duration::from_nanos(r0));
    if r0 <= t {
        // The first job completes before the second is ready: the
        // busy period ends with it.
        return Ok(Response {
            wcrt: Duration::from_nanos(r0),
            worst_job: 0,
            jobs: 1,
            busy_period: Duration::from_nanos(w0),
        });
    }
    let busy = busy_period(task, b, higher, w0, budget)?;
    let jobs = jobs_in(busy, j, t)?;
    let mut worst = (r0, 0);
    let mut w = w0;
    for q in 1..jobs {
        let base = (q + 1)
            .checked_mul(c)
            .and_then(|v| v.checked_add(b))
            .ok_or(NoBound::Overflow)?;
        // w(q) >= w(q-1) + C_i, a valid start below the fixed point.
        w = fixed_point(
            base,
            higher,
            budget,
            w.saturating_add(c).saturating_sub(base),
        )?;
        let r = response_of(w, j, q, t, 0)?;
        job(q, Duration::from_nanos(r));
        if r > worst.0 {
            worst = (r, q);
        }
    }
    Ok(Response {
        wcrt: Duration::from_nanos(worst.0),
        worst_job: worst.1,
        jobs,
        busy_period: Duration::from_nanos(busy),
    })
}

/// `w + J_i - q T_i + extra`, the response of job `q` finishing at `w`
/// (plus `extra`, the non-preemptive execution of the job itself).
fn response_of(w: u64, j: u64, q: u64, t: u64, extra: u64) -> Result<u64, NoBound> {
    let end = w
        .checked_add(j)
        .and_then(|v| v.checked_add(extra))
        .ok_or(NoBound::Overflow)?;
    // Job q is ready at q T_i - J_i, inside the busy period, and finishes
    // after that: the subtraction cannot go below zero.
    Ok(end.saturating_sub(q.checked_mul(t).ok_or(NoBound::Overflow)?))
}

/// `⌈(L + J_i) / T_i⌉`, the number of jobs of the task in a busy period.
fn jobs_in(busy: u64, j: u64, t: u64) -> Result<u64, NoBound> {
    Ok(busy.checked_add(j).ok_or(NoBound::Overflow)?.div_ceil(t))
}

/// Charges one fixed-point step.
fn spend(budget: &mut u64) -> Result<(), NoBound> {
    *budget = budget.checked_sub(1).ok_or(NoBound::IterationCap)?;
    Ok(())
}

/// Preemptive interference `Σ ⌈(w + J_j) / T_j⌉ C_j`.
fn interference(higher: &[Timing], w: u64) -> Result<u64, NoBound> {
    let mut sum: u64 = 0;
    for h in higher {
        let n = w
            .checked_add(h.jitter.as_nanos())
            .ok_or(NoBound::Overflow)?
            .div_ceil(h.period.as_nanos());
        sum = n
            .checked_mul(h.wcet.as_nanos())
            .and_then(|v| v.checked_add(sum))
            .ok_or(NoBound::Overflow)?;
    }
    Ok(sum)
}

/// The least `w >= base + from` with `w = base + Σ ⌈(w + J_j)/T_j⌉ C_j`
/// (`from` must not pass the least fixed point).
fn fixed_point(base: u64, higher: &[Timing], budget: &mut u64, from: u64) -> Result<u64, NoBound> {
    let mut w = base.checked_add(from).ok_or(NoBound::Overflow)?;
    loop {
        spend(budget)?;
        let next = base
            .checked_add(interference(higher, w)?)
            .ok_or(NoBound::Overflow)?;
        if next <= w {
            return Ok(w);
        }
        w = next;
    }
}

/// The level-i busy period `L = B + Σ_{hep} ⌈(L + J)/T⌉ C`, iterated from
/// `start` (at most its least fixed point).
fn busy_period(
    task: &Timing,
    blocking: u64,
    higher: &[Timing],
    start: u64,
    budget: &mut u64,
) -> Result<u64, NoBound> {
    let mut l = start;
    loop {
        spend(budget)?;
        let own = interference(std::slice::from_ref(task), l)?;
        let others = interference(higher, l)?;
        let next = blocking
            .checked_add(own)
            .and_then(|v| v.checked_add(others))
            .ok_or(NoBound::Overflow)?;
        if next <= l {
            return Ok(l);
        }
        l = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SystemBuilder;

    fn ns(v: u64) -> Duration {
        Duration::from_nanos(v)
    }

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v).unwrap()
    }

    /// (C, T, D) tasks, most urgent first.
    fn tasks(ctd: &[(u64, u64, u64)]) -> Vec<Timing> {
        ctd.iter()
            .map(|&(c, t, d)| Timing::new(ns(c), ns(t), ns(d)))
            .collect()
    }

    /// Response times of every task of a priority-ordered list.
    fn wcrts(set: &[Timing], dispatch: Dispatch) -> Vec<u64> {
        (0..set.len())
            .map(|i| {
                let r = response_time(&set[i], ns(0), &set[..i], dispatch);
                r.unwrap().wcrt.as_nanos()
            })
            .collect()
    }

    #[test]
    fn burns_wellings_task_set_d() {
        // Burns & Wellings, Real-Time Systems and Programming Languages,
        // 4th ed., ch. 11 (RTA example): a (T 7, C 3), b (12, 3), c (20, 5)
        // -> R = 3, 6, 20. In milliseconds, through the whole system path.
        let system = SystemBuilder::new("bw-d")
            .task("a", ms(7), ms(3))
            .task("b", ms(12), ms(3))
            .task("c", ms(20), ms(5))
            .build();
        let r: Vec<u64> = response_times(&system, 0)
            .iter()
            .map(|t| t.response.unwrap().wcrt.as_nanos())
            .collect();
        assert_eq!(r, [3_000_000, 6_000_000, 20_000_000]);
    }

    #[test]
    fn burns_wellings_task_sets_a_and_c() {
        // Task set A (c > b > a by RM): R = 10, 20, 52; a misses (D = 50) and
        // the bound above the deadline is reported.
        let a = tasks(&[(10, 30, 30), (10, 40, 40), (12, 50, 50)]);
        assert_eq!(wcrts(&a, Dispatch::Preemptive), [10, 20, 52]);
        // Task set C: U = 1 with harmonic periods: R = 5, 15, 80 <= D.
        let c = tasks(&[(5, 20, 20), (10, 40, 40), (40, 80, 80)]);
        assert_eq!(wcrts(&c, Dispatch::Preemptive), [5, 15, 80]);
    }

    #[test]
    fn buttazzo_example() {
        // (C, T) = (1, 4), (2, 6), (3, 10): R3 = 10 = D3 (Italian course
        // notes following Buttazzo, Hard Real-Time Computing Systems; see
        // also utilization.rs for the failed bounds).
        let s = tasks(&[(1, 4, 4), (2, 6, 6), (3, 10, 10)]);
        assert_eq!(wcrts(&s, Dispatch::Preemptive), [1, 3, 10]);
    }

    #[test]
    fn audsley_et_al_1993_table_3() {
        // Audsley, Burns, Richardson, Tindell & Wellings, "Applying new
        // scheduling theory to static priority pre-emptive scheduling",
        // Software Engineering Journal 8(5), 1993, Table 3 (as transcribed
        // in schedcat tests/fp.py and the response-time-analysis crate):
        // (C, T, D, B, J, R), most urgent first. Task 12's published 99550
        // excludes its own jitter; from the nominal release it is 100550.
        let table: [(u64, u64, u64, u64, u64, u64); 18] = [
            (51, 1000, 1000, 0, 0, 51),
            (3000, 2_000_000, 5000, 300, 0, 3504),
            (2000, 25000, 25000, 600, 0, 5906),
            (5000, 25000, 25000, 900, 0, 11512),
            (1000, 40000, 40000, 1350, 0, 13064),
            (3000, 50000, 50000, 1350, 0, 16217),
            (5000, 50000, 50000, 750, 0, 20821),
            (8000, 59000, 59000, 750, 0, 36637),
            (9000, 80000, 80000, 1350, 0, 47798),
            (2000, 80000, 80000, 450, 0, 48949),
            (5000, 100_000, 100_000, 1050, 0, 99150),
            (1000, 200_000, 200_000, 450, 1000, 99550 + 1000),
            (3000, 200_000, 200_000, 450, 0, 140_641),
            (1000, 200_000, 200_000, 450, 0, 141_692),
            (1000, 200_000, 200_000, 1350, 0, 143_694),
            (3000, 1_000_000, 1_000_000, 0, 0, 145_446),
            (1000, 1_000_000, 1_000_000, 0, 0, 146_497),
            (1000, 1_000_000, 1_000_000, 0, 0, 147_548),
        ];
        let set: Vec<Timing> = table
            .iter()
            .map(|&(c, t, d, _, j, _)| Timing::new(ns(c), ns(t), ns(d)).with_jitter(ns(j)))
            .collect();
        for (i, &(_, _, _, b, _, r)) in table.iter().enumerate() {
            let got = response_time(&set[i], ns(b), &set[..i], Dispatch::Preemptive).unwrap();
            assert_eq!(got.wcrt.as_nanos(), r, "task {}", i + 1);
        }
    }

    #[test]
    fn jitter_enters_interference_and_response() {
        // Synthetic (the Audsley table does not exercise ⌈(w + J_j)/T_j⌉):
        // hp: C 2, T 10, J 5; task: C 4, T 20. w = 4 + ⌈(w + 5)/10⌉ 2:
        // 6 -> 8 -> 8: R = 8. With J_i = 3: R = 11.
        let hp = Timing::new(ns(2), ns(10), ns(10)).with_jitter(ns(5));
        let me = Timing::new(ns(4), ns(20), ns(20));
        let r = response_time(&me, ns(0), &[hp], Dispatch::Preemptive).unwrap();
        assert_eq!(r.wcrt, ns(8));
        let r = response_time(&me.with_jitter(ns(3)), ns(0), &[hp], Dispatch::Preemptive).unwrap();
        assert_eq!(r.wcrt, ns(11));
    }

    #[test]
    fn lehoczky_1990_example_2() {
        // Lehoczky, "Fixed priority scheduling of periodic task sets with
        // arbitrary deadlines", RTSS 1990, Example 2 (as cited by the
        // response-time-analysis crate tests): τ1 (C 52, T 100), τ2 (52,
        // 140), D = 1.1 T = 110, 154.
        let t1 = Timing::new(ns(52), ns(100), ns(110));
        let t2 = Timing::new(ns(52), ns(140), ns(154));
        // RM order: τ2's first job finishes at 156 > 154.
        let r2 = response_time(&t2, ns(0), &[t1], Dispatch::Preemptive).unwrap();
        assert_eq!((r2.wcrt, r2.worst_job, r2.jobs), (ns(156), 0, 2));
        assert_eq!(r2.busy_period, ns(260));
        // Reversed: τ1's jobs respond in 104, 108, 60: WCRT 108 <= 110.
        let mut jobs = Vec::new();
        let r1 = response_time_jobs(&t1, ns(0), &[t2], Dispatch::Preemptive, |q, r| {
            jobs.push((q, r.as_nanos()));
        })
        .unwrap();
        assert_eq!(jobs, [(0, 104), (1, 108), (2, 60)]);
        assert_eq!((r1.wcrt, r1.worst_job, r1.jobs), (ns(108), 1, 3));
        assert_eq!(r1.busy_period, ns(260));
        let top = response_time(&t2, ns(0), &[], Dispatch::Preemptive).unwrap();
        assert_eq!(top.wcrt, ns(52));
    }

    #[test]
    fn lehoczky_1990_example_3() {
        // Same paper, Example 3: τ1 (26, 70), τ2 (62, 100): τ2's seven jobs
        // in a busy period of 694 respond in 114, 102, 116, 104, 118, 106,
        // 94 (also J. W. S. Liu, Real-Time Systems, 2000, ch. 6).
        let t1 = Timing::new(ns(26), ns(70), ns(70));
        let t2 = Timing::new(ns(62), ns(100), ns(100));
        let mut jobs = Vec::new();
        let r = response_time_jobs(&t2, ns(0), &[t1], Dispatch::Preemptive, |_, r| {
            jobs.push(r.as_nanos());
        })
        .unwrap();
        assert_eq!(jobs, [114, 102, 116, 104, 118, 106, 94]);
        assert_eq!(
            (r.wcrt, r.worst_job, r.jobs, r.busy_period),
            (ns(118), 4, 7, ns(694))
        );
    }

    #[test]
    fn no_bound_cases() {
        let half = Timing::new(ns(5), ns(10), ns(10));
        // U = 1.1 > 1.
        let big = Timing::new(ns(6), ns(10), ns(10));
        assert_eq!(
            response_time(&big, ns(0), &[half], Dispatch::Preemptive),
            Err(NoBound::Overload)
        );
        // U = 1 exactly: bounded without jitter/blocking, not with them.
        assert_eq!(
            response_time(&half, ns(0), &[half], Dispatch::Preemptive)
                .unwrap()
                .wcrt,
            ns(10)
        );
        assert_eq!(
            response_time(&half, ns(1), &[half], Dispatch::Preemptive),
            Err(NoBound::Saturated)
        );
        assert_eq!(
            response_time(
                &half.with_jitter(ns(1)),
                ns(0),
                &[half],
                Dispatch::Preemptive
            ),
            Err(NoBound::Saturated)
        );
        // A busy period that takes ~1.5 million fixed-point steps (U = 1 -
        // 10^-6 above a long task) hits the cap instead of running on.
        let hp = Timing::new(ns(999_999), ns(1_000_000), ns(1_000_000));
        let long = Timing::new(
            ns(2_000_000),
            ns(10_000_000_000_000),
            ns(10_000_000_000_000),
        );
        assert_eq!(
            response_time(&long, ns(0), &[hp], Dispatch::Preemptive),
            Err(NoBound::IterationCap)
        );
        // Time overflow is reported, not wrapped.
        let huge = Timing::new(Duration::MAX, Duration::MAX, Duration::MAX);
        let other = Timing::new(ns(1), ns(u64::MAX / 2), ns(u64::MAX / 2));
        assert_eq!(
            response_time(&huge, ns(0), &[other], Dispatch::Preemptive),
            Err(NoBound::Overload)
        );
        let a = Timing::new(ns(u64::MAX / 2), ns(u64::MAX), ns(u64::MAX));
        assert_eq!(
            response_time(&a, ns(u64::MAX / 2 + 2), &[], Dispatch::Preemptive),
            Err(NoBound::Overflow)
        );
    }

    #[test]
    fn all_meet_deadlines_matches_the_detailed_path() {
        let ok = tasks(&[(1, 4, 4), (2, 6, 6), (3, 10, 10)]);
        assert_eq!(all_meet_deadlines(&ok, Dispatch::Preemptive), Some(true));
        let late = tasks(&[(10, 30, 30), (10, 40, 40), (12, 50, 50)]);
        assert_eq!(all_meet_deadlines(&late, Dispatch::Preemptive), Some(false));
    }
}
