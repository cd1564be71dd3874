//! One test on one task set, and its breakdown utilization by bisection.

use std::cmp::Ordering;

use rtlab_tasks::analysis::rta::{self, Dispatch};
use rtlab_tasks::analysis::{Timing, edf, global, utilization};
use rtlab_tasks::config::worst_fit;
use rtlab_tasks::model::{Placement, Policy, PriorityOrder, SystemBuilder};
use rtlab_tasks::time::{Duration, hyperperiod};

use super::Test;
use crate::des::{self, Options};

/// The `sim-*` tests simulate the hyperperiod, or at most this many times
/// the set's longest period when the hyperperiod is longer (unless the plan
/// gives its own cap).
pub const SIM_HORIZON_PERIODS: u64 = 10;

/// Execution times are scaled by `k / 2^BREAKDOWN_BITS` in the breakdown
/// bisection: the breakdown utilization is found to within `U / 2^16` of
/// the set's full utilization.
pub const BREAKDOWN_BITS: u32 = 16;

/// A test's verdict on one set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The test accepts the set.
    Schedulable,
    /// The test does not accept it.
    NotSchedulable,
    /// The test could not decide (iteration cap, overflow); counted as not
    /// accepted.
    Undecided,
}

impl Verdict {
    fn of(b: Option<bool>) -> Verdict {
        match b {
            Some(true) => Verdict::Schedulable,
            Some(false) => Verdict::NotSchedulable,
            None => Verdict::Undecided,
        }
    }

    /// `self` for every CPU: the worst of the verdicts.
    fn and(self, other: Verdict) -> Verdict {
        match (self, other) {
            (Verdict::NotSchedulable, _) | (_, Verdict::NotSchedulable) => Verdict::NotSchedulable,
            (Verdict::Undecided, _) | (_, Verdict::Undecided) => Verdict::Undecided,
            _ => Verdict::Schedulable,
        }
    }
}

/// Deadline-monotonic order (ties: generation order), most urgent first.
fn by_deadline(set: &[Timing]) -> Vec<Timing> {
    let mut v = set.to_vec();
    v.sort_by_key(|t| t.deadline);
    v
}

/// The tasks of each CPU after worst-fit decreasing placement (one group
/// on one CPU).
fn partition(set: &[Timing], cpus: u32) -> Vec<Vec<Timing>> {
    if cpus <= 1 {
        return vec![set.to_vec()];
    }
    let pairs: Vec<(u64, u64)> = set
        .iter()
        .map(|t| (t.wcet.as_nanos(), t.period.as_nanos()))
        .collect();
    let mut groups = vec![Vec::new(); cpus as usize];
    for (t, cpu) in set.iter().zip(worst_fit(&pairs, cpus as usize)) {
        groups[cpu].push(*t);
    }
    groups
}

/// Runs `test` on `set` on `cpus` identical CPUs (see the module docs of
/// [`super`] for partitioned and global tests). `sim_horizon` caps the
/// simulated time of the `sim-*` tests (`None`: [`SIM_HORIZON_PERIODS`]
/// times the longest period).
pub fn check(test: Test, set: &[Timing], cpus: u32, sim_horizon: Option<Duration>) -> Verdict {
    match test {
        Test::GlobalRta => {
            let ordered = by_deadline(set);
            let ok = global::bertogna_cirinei(&ordered, cpus)
                .iter()
                .zip(&ordered)
                .all(|(r, t)| r.is_some_and(|r| r <= t.deadline));
            Verdict::of(Some(ok))
        }
        Test::Gfb => Verdict::of(Some(global::gfb(set, cpus))),
        Test::SimFp | Test::SimEdf => simulate(test, set, cpus, sim_horizon),
        _ => partition(set, cpus)
            .iter()
            .map(|group| uniprocessor(test, group))
            .fold(Verdict::Schedulable, Verdict::and),
    }
}

/// A uniprocessor analysis on the tasks of one CPU.
fn uniprocessor(test: Test, group: &[Timing]) -> Verdict {
    if group.is_empty() {
        return Verdict::Schedulable;
    }
    match test {
        Test::LiuLayland => Verdict::of(Some(utilization::liu_layland(group))),
        Test::Hyperbolic => Verdict::of(Some(utilization::hyperbolic(group))),
        Test::Rta => Verdict::of(rta::all_meet_deadlines(
            &by_deadline(group),
            Dispatch::Preemptive,
        )),
        Test::EdfDemand => match edf::qpa(group) {
            Ok(edf::Demand::Feasible { .. }) => Verdict::Schedulable,
            Ok(_) => Verdict::NotSchedulable,
            Err(_) => Verdict::Undecided,
        },
        // Not uniprocessor tests: `check` handles them.
        Test::SimFp | Test::SimEdf | Test::GlobalRta | Test::Gfb => Verdict::Undecided,
    }
}

/// The `sim-*` tests: a synchronous release of the partitioned set,
/// simulated over the hyperperiod or the cap, passes when no deadline is
/// missed. A CPU with utilization above 1 fails without simulation.
///
/// The simulation stops early, at the end of the longest synchronous busy
/// period of the CPUs (the first instant each CPU is idle), when that comes
/// before the horizon: no verdict changes. With synchronous releases and
/// `D <= T`, each task's first job is its worst under fixed priorities
/// (Liu & Layland's critical instant) and completes within that busy
/// period; under EDF, a set with `U <= 1` that misses a deadline misses
/// one within it (George, Rivierre & Spuri 1996). A busy period the
/// analysis cannot bound (utilization exactly 1 with a long hyperperiod)
/// keeps the horizon.
fn simulate(test: Test, set: &[Timing], cpus: u32, cap: Option<Duration>) -> Verdict {
    let groups = partition(set, cpus);
    if groups
        .iter()
        .any(|g| utilization::compare(g, 1) == Ordering::Greater)
    {
        return Verdict::NotSchedulable;
    }
    let longest = set.iter().map(|t| t.period).max().unwrap_or(Duration::ZERO);
    let cap = cap.unwrap_or_else(|| {
        longest
            .checked_mul(SIM_HORIZON_PERIODS)
            .unwrap_or(Duration::MAX)
    });
    let horizon = match hyperperiod(set.iter().map(|t| t.period)) {
        Ok(h) if h <= cap => h,
        _ => cap,
    };
    let busy = groups.iter().try_fold(Duration::ZERO, |longest, g| {
        edf::response::busy_period(g).ok().map(|b| longest.max(b))
    });
    let horizon = match busy {
        Some(b) if !b.is_zero() && b < horizon => b,
        _ => horizon,
    };
    let policy = if test == Test::SimEdf {
        Policy::Edf
    } else {
        Policy::FixedPriority
    };
    let cpu_ids: Vec<u32> = (0..cpus.max(1)).collect();
    let mut builder = SystemBuilder::new("sweep")
        .policy(policy)
        .priorities(PriorityOrder::DeadlineMonotonic)
        .placement(Placement::Partitioned)
        .cpus(&cpu_ids);
    let mut index = 0;
    for (cpu, group) in groups.iter().enumerate() {
        for t in group {
            builder = builder
                .task(&format!("t{index}"), t.period, t.wcet)
                .deadline(t.deadline)
                .cpu(cpu as u32);
            index += 1;
        }
    }
    let system = builder.build();
    match des::deadline_misses(&system, &Options { horizon, seed: 1 }) {
        Ok(misses) => Verdict::of(Some(misses == 0)),
        Err(_) => Verdict::Undecided,
    }
}

/// The set with every execution time scaled by `k / 2^BREAKDOWN_BITS`
/// (rounded down, at least 1 ns); periods and deadlines unchanged.
fn scaled(set: &[Timing], k: u64) -> Vec<Timing> {
    set.iter()
        .map(|t| {
            let c = (u128::from(t.wcet.as_nanos()) * u128::from(k)) >> BREAKDOWN_BITS;
            let c = u64::try_from(c).unwrap_or(u64::MAX).max(1);
            Timing::new(Duration::from_nanos(c), t.period, t.deadline)
        })
        .collect()
}

/// `Σ C_i / T_i` in billionths (rounded to the nearest).
fn utilization_ppb(set: &[Timing]) -> u64 {
    (set.iter().map(Timing::utilization).sum::<f64>() * 1e9).round() as u64
}

/// The breakdown utilization of `set` under `test`, in billionths: the
/// utilization `Σ C_i / T_i` of the most scaled-up version of the set that
/// the test still accepts, execution times scaled by `k / 2^16` for the
/// largest integer `k` found by bisection (`set` itself is `k = 2^16`; a
/// test is assumed to accept every set with smaller execution times than
/// one it accepts). 0 when even `k = 1` is not accepted.
pub fn breakdown(test: Test, set: &[Timing], cpus: u32, sim_horizon: Option<Duration>) -> u64 {
    let ok = |k: u64| check(test, &scaled(set, k), cpus, sim_horizon) == Verdict::Schedulable;
    let full = 1_u64 << BREAKDOWN_BITS;
    if ok(full) {
        return utilization_ppb(set);
    }
    if !ok(1) {
        return 0;
    }
    let (mut lo, mut hi) = (1, full);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    utilization_ppb(&scaled(set, lo))
}
