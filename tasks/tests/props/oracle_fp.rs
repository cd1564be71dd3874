//! Fixed-priority and FIFO bounds against the `response-time-analysis`
//! crate (B. B. Brandenburg; the analyses verified in the Prosa project).
//!
//! Random uniprocessor sets (1 to 8 independent tasks, periods from a few
//! nanoseconds to tens of milliseconds, deadlines below, at and above the
//! period, distinct explicit priorities, utilization mostly at most 1, some
//! sets above 1 and some exactly 1) are built with [`SystemBuilder`] and
//! analysed with [`analyze`], as a user gets them; each task's `wcrt_ns`
//! is compared with the crate's bound for the same task:
//!
//! - fixed priority, preemptive: `fixed_priority::fully_preemptive`;
//! - fixed priority, non-preemptive: `fixed_priority::fully_nonpreemptive`,
//!   with the priority inversion bound `max C_lower - 1 ns` of Prosa's
//!   fully non-preemptive model;
//! - FIFO: `fifo::dedicated_uniproc_rta`.
//!
//! The crate measures a response from the job's *arrival after jitter* (its
//! ready time), rtlab from the nominal release, so rtlab's bound must lie in
//! `[crate, crate + J_i]` (equal for a task without jitter). Whether the
//! task's busy window exists is decided here, independently of both (exact
//! utilization): where it does not (`U > 1`, or `U = 1` with jitter or
//! blocking), both must give no bound, rtlab saying the busy period never
//! ends; where it does, both must give one. rtlab's "undecided" (iteration
//! cap, overflow) makes no claim and is only counted, as are the rare busy
//! windows too long for the crate to search in a test.
//!
//! Each property runs 3000 cases by default (`PROPTEST_CASES=N` for more)
//! and prints its tally (`--nocapture`).

use std::cell::RefCell;
use std::cmp::Ordering;
use std::fmt::Write as _;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use response_time_analysis::arrival::Sporadic;
use response_time_analysis::demand::{RBF, Slice};
use response_time_analysis::fifo;
use response_time_analysis::fixed_point::SearchFailure;
use response_time_analysis::fixed_priority::{fully_nonpreemptive, fully_preemptive};
use response_time_analysis::time::{Duration as RtaDuration, Service};
use response_time_analysis::wcet::Scalar;
use rtlab_tasks::analysis::{TaskVerdict, analyze};
use rtlab_tasks::model::{Policy, System, SystemBuilder};
use rtlab_tasks::time::Duration;

/// The crate's divergence limit, ns. Above 100 000 so that the crate's
/// debug build skips its brute-force cross-check (far too slow here).
const LIMIT: u64 = 1 << 44;

/// The limit where no busy window exists: the crate's search creeps up by
/// as little as `Σ J C / T` per step at `U = 1`, so a smaller limit.
const ENDLESS_LIMIT: u64 = 1 << 17;

/// One task as generated: all times in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Spec {
    c: u64,
    t: u64,
    d: u64,
    j: u64,
    /// Higher = more urgent; distinct within a set.
    prio: u32,
}

/// The analysis compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Preemptive,
    NonPreemptive,
    Fifo,
}

/// What the comparisons of one property found, task by task.
#[derive(Debug, Default)]
struct Tally {
    cases: u64,
    tasks: u64,
    /// Task without jitter: both bounds equal.
    equal: u64,
    /// Task with jitter, rtlab = crate.
    at_crate: u64,
    /// Task with jitter, rtlab = crate + J.
    at_crate_plus_jitter: u64,
    /// Task with jitter, crate < rtlab < crate + J.
    strictly_between: u64,
    /// Neither has a bound (the busy period never ends).
    both_unbounded: u64,
    /// rtlab undecided (iteration cap, overflow): no claim.
    rtlab_undecided: u64,
    /// Busy window too long to compare in a test (see [`Window::TooLong`]).
    too_long: u64,
}

fn ns(v: u64) -> Duration {
    Duration::from_nanos(v)
}

fn gcd(a: u128, b: u128) -> u128 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Raw draws of one task: base period, perturbation, utilization weight,
/// deadline kind and fraction, jitter fraction (per mille of T), priority
/// key.
type Raw = (u64, u64, u64, u8, u64, u64, u32);

fn raw_task() -> impl Strategy<Value = Raw> {
    (
        1_u64..=40,
        any::<u64>(),
        1_u64..=100,
        0_u8..3,
        0_u64..=1000,
        prop_oneof![Just(0_u64), 0_u64..=2000],
        0_u32..1000,
    )
}

/// Random sets: `jitter` false gives jitter-free sets.
fn task_set(jitter: bool) -> impl Strategy<Value = Vec<Spec>> {
    (
        prop_oneof![4 => Just(1_u64), 1 => Just(10), 2 => Just(1000), 2 => Just(1_000_000)],
        prop::collection::vec(raw_task(), 1..=8),
        // Total utilization target, per mille: mostly <= 1, some above.
        prop_oneof![8 => 50_u64..=1000, 1 => 1001_u64..=1300],
        // Make the utilization exactly 1 (where the periods allow).
        prop::bool::weighted(0.1),
    )
        .prop_map(move |(scale, raws, per_mille, fill)| {
            build(scale, &raws, per_mille, fill, jitter)
        })
}

fn build(scale: u64, raws: &[Raw], per_mille: u64, fill: bool, jitter: bool) -> Vec<Spec> {
    let weights: u64 = raws.iter().map(|r| r.2).sum();
    let mut specs: Vec<Spec> = raws
        .iter()
        .enumerate()
        .map(|(i, &(base, pert, w, dkind, dfrac, jfrac, _))| {
            let t = base * scale + if scale > 1 { pert % scale } else { 0 };
            let c = (u128::from(t) * u128::from(per_mille) * u128::from(w)
                / (1000 * u128::from(weights))) as u64;
            let c = c.max(1);
            let j = if jitter { t * jfrac / 1000 } else { 0 };
            // Priorities: rank of (key, index), distinct, 1 = least urgent.
            let key = (raws[i].6, i);
            let prio = 1 + raws
                .iter()
                .enumerate()
                .filter(|&(k, r)| (r.6, k) < key)
                .count() as u32;
            Spec {
                c,
                t,
                d: deadline(c, t, dkind, dfrac),
                j,
                prio,
            }
        })
        .collect();
    if fill && specs.len() >= 2 {
        fill_to_one(&mut specs, raws);
    }
    specs
}

/// A deadline of the given kind: constrained, implicit or above the period
/// (up to 3 T), never below C.
fn deadline(c: u64, t: u64, kind: u8, frac: u64) -> u64 {
    match kind {
        0 => c + t.saturating_sub(c) * frac / 1000,
        1 => t.max(c),
        _ => (t + 2 * t * frac / 1000).max(c).max(t + 1),
    }
}

/// Gives the last task the period `H` (the hyperperiod of the others) and
/// the execution time that makes the total utilization exactly 1, when `H`
/// is small enough to analyse and the others leave room.
fn fill_to_one(specs: &mut [Spec], raws: &[Raw]) {
    let (last, others) = specs.split_last_mut().expect("at least two tasks");
    let h = others.iter().try_fold(1_u128, |l, s| {
        let p = u128::from(s.t);
        Some(l / gcd(l, p))
            .filter(|&v| v <= 1 << 40)?
            .checked_mul(p)
    });
    let min_t = others.iter().map(|s| s.t).min().unwrap_or(1);
    let Some(h) = h.filter(|&h| h <= 1 << 24 && h / u128::from(min_t) <= 4096) else {
        return;
    };
    let used: u128 = others
        .iter()
        .map(|s| u128::from(s.c) * (h / u128::from(s.t)))
        .sum();
    if used >= h {
        return;
    }
    let (t, c) = (h as u64, (h - used) as u64);
    let r = raws.last().expect("at least two tasks");
    let j = if last.j > 0 { t * r.5 / 1000 } else { 0 };
    *last = Spec {
        c,
        t,
        d: deadline(c, t, r.3, r.4),
        j,
        prio: last.prio,
    };
}

/// The set as a system: one CPU, explicit priorities, no resources.
fn system(specs: &[Spec], policy: Policy, preemptive: bool) -> System {
    let mut b = SystemBuilder::new("oracle")
        .policy(policy)
        .preemptive(preemptive);
    for (i, s) in specs.iter().enumerate() {
        b = b
            .task(&format!("t{i}"), ns(s.t), ns(s.c))
            .deadline(ns(s.d))
            .jitter(ns(s.j))
            .priority(s.prio);
    }
    b.build()
}

fn rbf(s: &Spec) -> RBF<Sporadic, Scalar> {
    RBF::new(
        Sporadic::new(RtaDuration::from(s.t), RtaDuration::from(s.j)),
        Scalar::new(Service::from(s.c)),
    )
}

/// The crate's bound for task `i` (from its ready time), searching up to
/// `limit` ns.
fn oracle(specs: &[Spec], i: usize, kind: Kind, limit: u64) -> Result<u64, SearchFailure> {
    let limit = RtaDuration::from(limit);
    let me = &specs[i];
    let higher: Vec<RBF<Sporadic, Scalar>> =
        specs.iter().filter(|s| s.prio > me.prio).map(rbf).collect();
    let bound = match kind {
        Kind::Preemptive => fully_preemptive::dedicated_uniproc_rta(&rbf(me), &higher, limit),
        Kind::NonPreemptive => {
            let arrivals = Sporadic::new(RtaDuration::from(me.t), RtaDuration::from(me.j));
            let tua = fully_nonpreemptive::TaskUnderAnalysis {
                wcet: Scalar::new(Service::from(me.c)),
                arrivals: &arrivals,
                blocking_bound: Service::from(inversion(specs, i)),
            };
            fully_nonpreemptive::dedicated_uniproc_rta(&tua, &higher, limit)
        }
        Kind::Fifo => {
            let all: Vec<RBF<Sporadic, Scalar>> = specs.iter().map(rbf).collect();
            fifo::dedicated_uniproc_rta(&Slice::of(&all), limit)
        }
    };
    bound.map(u64::from)
}

/// Prosa's priority inversion bound of fully non-preemptive FP:
/// `max C_lower - 1 ns`, 0 without lower tasks.
fn inversion(specs: &[Spec], i: usize) -> u64 {
    specs
        .iter()
        .filter(|s| s.prio < specs[i].prio)
        .map(|s| s.c - 1)
        .max()
        .unwrap_or(0)
}

/// The busy window of task `i` under `kind`, worked out here,
/// independently of both analyses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Window {
    /// `L = B + Σ ⌈(L + J)/T⌉ C` has no solution: `U > 1`, or `U = 1` with
    /// jitter or blocking (then `Σ rbf(x) >= U x + Σ J C / T > x`).
    Endless,
    /// A solution exists but it (or the number of offsets the crate would
    /// examine in it) is too large to compare in a test.
    TooLong,
    /// The least solution, ns.
    Length(u64),
}

fn window(specs: &[Spec], i: usize, kind: Kind) -> Window {
    let (members, blocking): (Vec<Spec>, u64) = match kind {
        Kind::Fifo => (specs.to_vec(), 0),
        Kind::Preemptive => (hep(specs, i), 0),
        Kind::NonPreemptive => (hep(specs, i), inversion(specs, i)),
    };
    match utilization_cmp(&members) {
        Ordering::Greater => return Window::Endless,
        Ordering::Equal if blocking > 0 || members.iter().any(|s| s.j > 0) => {
            return Window::Endless;
        }
        _ => {}
    }
    let rbf = |x: u128| -> u128 {
        members
            .iter()
            .map(|s| (x + u128::from(s.j)).div_ceil(u128::from(s.t)) * u128::from(s.c))
            .sum::<u128>()
            + u128::from(blocking)
    };
    let mut l: u128 = 1;
    for _ in 0..1 << 16 {
        let next = rbf(l);
        if next <= l {
            // The crate examines one offset per step of the (total) request
            // bound below L.
            let stepping: &[Spec] = if kind == Kind::Fifo {
                &members
            } else {
                &specs[i..=i]
            };
            let offsets: u128 = stepping
                .iter()
                .map(|s| (l + u128::from(s.j)) / u128::from(s.t) + 1)
                .sum();
            return if offsets > 20_000 {
                Window::TooLong
            } else {
                Window::Length(l as u64)
            };
        }
        if next > u128::from(LIMIT) {
            return Window::TooLong;
        }
        l = next;
    }
    Window::TooLong
}

/// Task `i` and every more urgent task.
fn hep(specs: &[Spec], i: usize) -> Vec<Spec> {
    specs
        .iter()
        .copied()
        .filter(|s| s.prio >= specs[i].prio)
        .collect()
}

/// Compares rtlab's verdict for task `i` with the crate's bound.
fn check_task(
    specs: &[Spec],
    i: usize,
    verdict: &TaskVerdict,
    kind: Kind,
    tally: &mut Tally,
) -> Result<(), TestCaseError> {
    let j = specs[i].j;
    tally.tasks += 1;
    let note = verdict.note.as_deref().unwrap_or("");
    if verdict.wcrt_ns.is_none() && note.contains("undecided") {
        tally.rtlab_undecided += 1;
        return Ok(());
    }
    match window(specs, i, kind) {
        Window::Endless => {
            // No limit lets the crate find a solution that does not exist;
            // a small one keeps its search short.
            let crate_bound = oracle(specs, i, kind, ENDLESS_LIMIT);
            prop_assert!(
                crate_bound.is_err(),
                "t{i}: the crate bounds it by {crate_bound:?}"
            );
            prop_assert!(
                verdict.wcrt_ns.is_none() && note.contains("never ends"),
                "t{i}: the busy window never ends, yet rtlab says {:?} ({note})",
                verdict.wcrt_ns
            );
            tally.both_unbounded += 1;
        }
        Window::TooLong => tally.too_long += 1,
        Window::Length(_) => {
            let o = match oracle(specs, i, kind, LIMIT) {
                Ok(o) => o,
                Err(e) => return Err(TestCaseError::fail(format!("t{i}: the crate fails: {e}"))),
            };
            let Some(r) = verdict.wcrt_ns else {
                return Err(TestCaseError::fail(format!(
                    "t{i}: the crate bounds it by {o}, rtlab finds no bound: {note}"
                )));
            };
            prop_assert!(
                o <= r && r <= o + j,
                "t{i}: rtlab {r} not in [crate {o}, crate + J = {}]",
                o + j
            );
            if j == 0 {
                tally.equal += 1;
            } else if r == o {
                tally.at_crate += 1;
            } else if r == o + j {
                tally.at_crate_plus_jitter += 1;
            } else {
                tally.strictly_between += 1;
            }
        }
    }
    Ok(())
}

/// `Σ C / T` compared with 1, exactly: `Less`, `Equal` or `Greater`.
fn utilization_cmp(set: &[Spec]) -> Ordering {
    let lcm = set.iter().try_fold(1_u128, |l, s| {
        let p = u128::from(s.t);
        (l / gcd(l, p)).checked_mul(p)
    });
    // C <= 1.3 T and at most 8 tasks: Σ C (L / T) < 11 L.
    match lcm.filter(|&l| l < u128::MAX / 32) {
        Some(l) => {
            let demand: u128 = set
                .iter()
                .map(|s| u128::from(s.c) * (l / u128::from(s.t)))
                .sum();
            demand.cmp(&l)
        }
        None => {
            // Coprime periods in the millions: no exact hyperperiod; such a
            // set is never generated at exactly 1, so floats decide.
            let u: f64 = set.iter().map(|s| s.c as f64 / s.t as f64).sum();
            u.partial_cmp(&1.0).unwrap_or(Ordering::Greater)
        }
    }
}

/// One case: analyse the set with rtlab and compare every task.
fn check_set(specs: &[Spec], kind: Kind, tally: &mut Tally) -> Result<(), TestCaseError> {
    tally.cases += 1;
    let (policy, preemptive) = match kind {
        Kind::Preemptive => (Policy::FixedPriority, true),
        Kind::NonPreemptive => (Policy::FixedPriority, false),
        Kind::Fifo => (Policy::Fifo, true),
    };
    let analysis = analyze(&system(specs, policy, preemptive));
    for (i, verdict) in analysis.tasks.iter().enumerate() {
        check_task(specs, i, verdict, kind, tally)?;
    }
    Ok(())
}

/// A counterexample as an rtlab config.
fn describe(specs: &[Spec], kind: Kind) -> String {
    let (policy, preemptive) = match kind {
        Kind::Preemptive => ("fixed-priority", true),
        Kind::NonPreemptive => ("fixed-priority", false),
        Kind::Fifo => ("fifo", true),
    };
    let mut text = format!(
        "name = \"oracle\"\n[scheduler]\npolicy = \"{policy}\"\npreemptive = {preemptive}\npriorities = \"explicit\"\n"
    );
    for (i, s) in specs.iter().enumerate() {
        let _ = write!(
            text,
            "[[task]]\nname = \"t{i}\"\nperiod = \"{}ns\"\nwcet = \"{}ns\"\ndeadline = \"{}ns\"\nrelease_jitter = \"{}ns\"\npriority = {}\n",
            s.t, s.c, s.d, s.j, s.prio
        );
    }
    text
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

/// Runs `cases()` random sets (half of them with jitter) through `kind`,
/// shrinking any disagreement to a minimal config, and prints the tally
/// (which also counts the shrinking steps of a failure).
fn run(kind: Kind) {
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let tally = RefCell::new(Tally::default());
    let strategy = prop_oneof![task_set(false), task_set(true)];
    let result = runner.run(&strategy, |specs| {
        check_set(&specs, kind, &mut tally.borrow_mut())
    });
    println!("{kind:?} against the crate: {:#?}", tally.borrow());
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, specs)) => {
            panic!("{kind:?}: {why}\nminimal set:\n{}", describe(&specs, kind))
        }
        Err(e) => panic!("{kind:?}: {e}"),
    }
}

#[test]
fn fixed_priority_preemptive_bounds_match_the_verified_crate() {
    run(Kind::Preemptive);
}

#[test]
fn fixed_priority_non_preemptive_bounds_match_the_verified_crate() {
    run(Kind::NonPreemptive);
}

#[test]
fn fifo_bounds_match_the_verified_crate() {
    run(Kind::Fifo);
}
