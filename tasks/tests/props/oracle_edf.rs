//! EDF response-time bounds against the `response-time-analysis` crate
//! (Bozhko & Brandenburg's abstract RTA instantiated for EDF and verified
//! in Prosa), and against the demand tests and a unit-time simulation.
//!
//! - Jitter-free sets: rtlab's bound equals the crate's, preemptive and
//!   non-preemptive.
//! - With release jitter the two models differ. The crate measures from
//!   the arrival and gives each job a deadline relative to its arrival;
//!   rtlab (and its simulator) measures from the nominal release and gives
//!   a job the deadline nominal release + D, so a job that arrives late is
//!   more urgent relative to its arrival. Fed the same `T, C, D, J`, the
//!   crate never exceeds rtlab's bound, and rtlab's never exceeds the
//!   crate's plus `J_i` when no other task has jitter. With
//!   other tasks' jitter rtlab's bound can exceed the crate's plus `J_i`,
//!   and is right to: [`the_crate_misses_a_reachable_response_when_others_jitter`]
//!   shows the schedule. The crate given the effective deadlines `D - J`
//!   bounds rtlab's from above (plus `J_i`), preemptive.
//! - The demand test accepts exactly when every bound is within its
//!   deadline (independent jitter-free tasks, preemptive or not); with
//!   jitter, an accepted set has every bound within its deadline.
//! - No job of a simulated periodic schedule (any offsets, jitter
//!   patterns) responds later than its bound.
//!
//! `PROPTEST_CASES` scales every property (default 256 each).

use proptest::prelude::*;
use response_time_analysis as rta_crate;
use rta_crate::arrival::Sporadic;
use rta_crate::demand::RBF;
use rta_crate::edf::{fully_nonpreemptive, fully_preemptive};
use rta_crate::time::{Duration as CrateDuration, Service};
use rta_crate::wcet::Scalar;
use rtlab_tasks::analysis::edf::response::{NoBound, busy_period, response_time};
use rtlab_tasks::analysis::edf::{self, Demand};
use rtlab_tasks::analysis::rta::Dispatch;
use rtlab_tasks::analysis::{Timing, utilization};
use rtlab_tasks::time::Duration;

fn ns(v: u64) -> Duration {
    Duration::from_nanos(v)
}

/// The crate's divergence limit: far above every busy period compared
/// (and above 100 000, where its debug builds re-check each fixed point by
/// brute force, which would take minutes here).
const LIMIT: u64 = 1_000_000;

/// 1 to 8 tasks, periods 2..=40 ns, arbitrary deadlines `C..=3T`, jitter
/// up to `max_jitter` (clamped to the deadline). WCETs lean small (most
/// sets have several tasks and U <= 1, trimmed to fit) unless `overload`,
/// where they are uniform and the set is kept whatever its utilization.
fn task_set(max_jitter: u64, overload: bool) -> impl Strategy<Value = Vec<Timing>> {
    prop::collection::vec(
        (2_u64..=40, 1_u64..=100, 0_u64..=100, 0_u64..=max_jitter),
        1..=8,
    )
    .prop_map(move |raw| {
        let mut set: Vec<Timing> = raw
            .into_iter()
            .map(|(t, c_pct, d_pct, j)| {
                let c = if overload {
                    t * c_pct / 100
                } else {
                    t * c_pct * c_pct / 20_000
                };
                let c = c.clamp(1, t);
                let d = c + (3 * t - c) * d_pct / 100;
                Timing::new(ns(c), ns(t), ns(d)).with_jitter(ns(j.min(d)))
            })
            .collect();
        if !overload {
            while set.len() > 1 && utilization::compare(&set, 1).is_gt() {
                set.pop();
            }
        }
        set
    })
}

/// A set with `U > 1`: one task of utilization 1 and 1 to 8 others.
fn overloaded() -> impl Strategy<Value = Vec<Timing>> {
    task_set(0, true).prop_map(|mut set| {
        let t = set[0].period;
        set.insert(0, Timing::new(t, t, t));
        set
    })
}

fn crate_duration(v: Duration) -> CrateDuration {
    CrateDuration::from(v.as_nanos())
}

/// The crate's preemptive EDF bound of task `i` (from the arrival), each
/// task's deadline relative to its arrival given by `deadline`.
fn crate_preemptive(
    set: &[Timing],
    i: usize,
    deadline: impl Fn(&Timing) -> Duration,
) -> Option<u64> {
    let rbfs: Vec<RBF<Sporadic, Scalar>> = set
        .iter()
        .map(|t| {
            RBF::new(
                Sporadic::new(crate_duration(t.period), crate_duration(t.jitter)),
                Scalar::new(Service::from(t.wcet.as_nanos())),
            )
        })
        .collect();
    let task = |k: usize| fully_preemptive::Task {
        rbf: &rbfs[k],
        deadline: crate_duration(deadline(&set[k])),
    };
    let others: Vec<_> = (0..set.len()).filter(|&k| k != i).map(task).collect();
    fully_preemptive::dedicated_uniproc_rta(&task(i), &others, CrateDuration::from(LIMIT))
        .ok()
        .map(u64::from)
}

/// The crate's non-preemptive EDF bound of task `i` (from the arrival).
fn crate_non_preemptive(
    set: &[Timing],
    i: usize,
    deadline: impl Fn(&Timing) -> Duration,
) -> Option<u64> {
    let arrivals: Vec<Sporadic> = set
        .iter()
        .map(|t| Sporadic::new(crate_duration(t.period), crate_duration(t.jitter)))
        .collect();
    let task = |k: usize| fully_nonpreemptive::Task {
        wcet: Scalar::new(Service::from(set[k].wcet.as_nanos())),
        arrivals: &arrivals[k],
        deadline: crate_duration(deadline(&set[k])),
    };
    let others: Vec<_> = (0..set.len()).filter(|&k| k != i).map(task).collect();
    fully_nonpreemptive::dedicated_uniproc_rta(&task(i), &others, CrateDuration::from(LIMIT))
        .ok()
        .map(u64::from)
}

/// The crate's bound with rtlab's deadlines taken as relative to the
/// arrival.
fn crate_bound(set: &[Timing], i: usize, dispatch: Dispatch) -> Option<u64> {
    match dispatch {
        Dispatch::Preemptive => crate_preemptive(set, i, |t| t.deadline),
        Dispatch::NonPreemptive => crate_non_preemptive(set, i, |t| t.deadline),
    }
}

/// rtlab's bounds of every task (`Err` where there is none).
fn bounds(set: &[Timing], dispatch: Dispatch) -> Vec<Result<u64, NoBound>> {
    (0..set.len())
        .map(|i| response_time(set, i, dispatch, |_| Duration::ZERO).map(|r| r.wcrt.as_nanos()))
        .collect()
}

/// True when both analyses can finish: the busy period is below the
/// crate's limit (rtlab's `NoBound::Overload` and the crate's divergence
/// are compared separately).
fn comparable(set: &[Timing]) -> bool {
    busy_period(set).is_ok_and(|l| l.as_nanos() < LIMIT / 4)
}

/// A unit-time schedule of the jobs released in `[0, horizon)`: job `k` of
/// task `i` is released at `r = offsets[i] + k T_i`, ready at `r +
/// jitter(i, k)` and due at `r + D_i`, under EDF with rtlab's ties
/// (earlier ready time, then task order), preemptive or not; each task's
/// largest response from the nominal release.
fn simulate(
    set: &[Timing],
    offsets: &[u64],
    jitter: impl Fn(usize, u64) -> u64,
    preemptive: bool,
    horizon: u64,
) -> Vec<u64> {
    let n = set.len();
    let mut arrivals: Vec<(u64, usize, u64)> = Vec::new(); // (ready, task, release)
    for (i, t) in set.iter().enumerate() {
        let p = t.period.as_nanos();
        let mut k = 0;
        let mut last = 0;
        while offsets[i] + k * p < horizon {
            let release = offsets[i] + k * p;
            // Releases of one task keep their order whatever the jitter
            // (as in rtlab's simulator).
            last = (release + jitter(i, k).min(t.jitter.as_nanos())).max(last);
            arrivals.push((last, i, release));
            k += 1;
        }
    }
    arrivals.sort_unstable();
    // Per task: (release, ready, remaining), in release order.
    let mut queue: Vec<std::collections::VecDeque<(u64, u64, u64)>> = vec![Default::default(); n];
    let mut worst = vec![0; n];
    let mut running: Option<usize> = None;
    let mut next = 0;
    let mut now = 0;
    while next < arrivals.len() || queue.iter().any(|q| !q.is_empty()) {
        while next < arrivals.len() && arrivals[next].0 <= now {
            let (ready, i, release) = arrivals[next];
            queue[i].push_back((release, ready, set[i].wcet.as_nanos()));
            next += 1;
        }
        // A job of a task is ready once it and its predecessors arrived.
        let pick = match running {
            Some(i) if !preemptive => Some(i),
            _ => (0..n).filter(|&i| !queue[i].is_empty()).min_by_key(|&i| {
                let (release, ready, _) = queue[i][0];
                (release + set[i].deadline.as_nanos(), ready, i)
            }),
        };
        running = None;
        if let Some(i) = pick {
            let head = queue[i].front_mut().expect("picked a task with a job");
            head.2 -= 1;
            if head.2 == 0 {
                let (release, _, _) = queue[i].pop_front().expect("non-empty");
                worst[i] = worst[i].max(now + 1 - release);
            } else {
                running = Some(i);
            }
        }
        now += 1;
    }
    worst
}

/// QPA, or the non-preemptive demand test (George, Rivierre & Spuri).
fn demand_test(set: &[Timing], np: bool) -> Result<Demand, edf::Undecided> {
    if np {
        let max_b = set
            .iter()
            .map(|t| t.wcet.saturating_sub(ns(1)))
            .max()
            .unwrap_or(ns(0));
        let settles = set.iter().map(|t| t.deadline).max().unwrap_or(ns(0));
        edf::demand_test_with_blocking(
            set,
            |t| edf::non_preemptive_blocking(set, t),
            max_b,
            settles,
        )
    } else {
        edf::qpa(set)
    }
}

fn dispatch_of(np: bool) -> Dispatch {
    if np {
        Dispatch::NonPreemptive
    } else {
        Dispatch::Preemptive
    }
}

proptest! {
    #[test]
    fn jitter_free_bounds_equal_the_verified_crate(set in task_set(0, false), np in any::<bool>()) {
        prop_assume!(comparable(&set));
        let dispatch = dispatch_of(np);
        for (i, ours) in bounds(&set, dispatch).into_iter().enumerate() {
            let theirs = crate_bound(&set, i, dispatch);
            prop_assert_eq!(ours.ok(), theirs, "task {} of {:?} ({:?})", i, set, dispatch);
        }
    }

    #[test]
    fn overload_has_no_bound_in_either(set in overloaded(), np in any::<bool>()) {
        let dispatch = dispatch_of(np);
        for (i, ours) in bounds(&set, dispatch).into_iter().enumerate() {
            prop_assert_eq!(ours, Err(NoBound::Overload));
            prop_assert_eq!(crate_bound(&set, i, dispatch), None);
        }
    }

    #[test]
    fn jittered_bounds_are_at_least_the_crates(set in task_set(20, false), np in any::<bool>()) {
        prop_assume!(comparable(&set));
        let dispatch = dispatch_of(np);
        for (i, ours) in bounds(&set, dispatch).into_iter().enumerate() {
            let ours = ours.expect("U <= 1 and a finite busy period: a bound");
            let theirs = crate_bound(&set, i, dispatch).expect("the crate's bound");
            prop_assert!(theirs <= ours, "task {} of {:?} ({:?}): crate {}, rtlab {}", i, set, dispatch, theirs, ours);
        }
    }

    #[test]
    fn a_bound_exceeds_the_crates_by_at_most_the_jitter_when_only_its_task_jitters(
        set in task_set(20, false),
        which in any::<prop::sample::Index>(),
        np in any::<bool>(),
    ) {
        prop_assume!(comparable(&set));
        let i = which.index(set.len());
        let set: Vec<Timing> = set
            .iter()
            .enumerate()
            .map(|(k, t)| if k == i { *t } else { t.with_jitter(ns(0)) })
            .collect();
        let dispatch = dispatch_of(np);
        let ours = response_time(&set, i, dispatch, |_| Duration::ZERO)
            .expect("a bound")
            .wcrt
            .as_nanos();
        let theirs = crate_bound(&set, i, dispatch).expect("the crate's bound");
        let jitter = set[i].jitter.as_nanos();
        prop_assert!(
            theirs <= ours && ours <= theirs + jitter,
            "task {} of {:?} ({:?}): crate {} (from arrival), rtlab {}, J {}", i, set, dispatch, theirs, ours, jitter
        );
    }

    #[test]
    fn a_bound_is_at_most_the_crates_with_effective_deadlines_plus_the_jitter(set in task_set(20, false)) {
        prop_assume!(comparable(&set));
        for (i, ours) in bounds(&set, Dispatch::Preemptive).into_iter().enumerate() {
            let ours = ours.expect("a bound");
            let effective = crate_preemptive(&set, i, |t| t.deadline.saturating_sub(t.jitter))
                .expect("the crate's bound");
            let jitter = set[i].jitter.as_nanos();
            prop_assert!(
                ours <= effective + jitter,
                "task {} of {:?}: rtlab {} > crate(D - J) {} + J {}", i, set, ours, effective, jitter
            );
        }
    }

    #[test]
    fn the_demand_test_accepts_exactly_when_every_bound_is_within_its_deadline(
        set in task_set(0, false),
        np in any::<bool>(),
    ) {
        prop_assume!(comparable(&set));
        let accepted = matches!(demand_test(&set, np), Ok(Demand::Feasible { .. }));
        let within = bounds(&set, dispatch_of(np))
            .iter()
            .zip(&set)
            .all(|(r, t)| r.is_ok_and(|r| r <= t.deadline.as_nanos()));
        prop_assert_eq!(accepted, within, "{:?} (non-preemptive: {})", set, np);
    }

    #[test]
    fn an_accepted_set_has_every_bound_within_its_deadline(
        set in task_set(20, false),
        np in any::<bool>(),
    ) {
        prop_assume!(comparable(&set));
        let accepted = demand_test(&set, np);
        if !matches!(accepted, Ok(Demand::Feasible { .. })) {
            return Ok(());
        }
        for (i, r) in bounds(&set, dispatch_of(np)).into_iter().enumerate() {
            let r = r.expect("a bound");
            prop_assert!(r <= set[i].deadline.as_nanos(), "task {}: R = {} > D of {:?}", i, r, set);
        }
    }

    #[test]
    fn no_simulated_job_exceeds_its_bound(
        set in task_set(6, false),
        offsets in prop::collection::vec(0_u64..40, 8),
        pattern in prop::collection::vec(0_u64..=6, 64),
        synchronous in any::<bool>(),
        np in any::<bool>(),
    ) {
        prop_assume!(comparable(&set));
        let offsets = if synchronous { vec![0; set.len()] } else { offsets[..set.len()].to_vec() };
        let jitter = |i: usize, k: u64| pattern[(i * 13 + k as usize) % pattern.len()];
        let worst = simulate(&set, &offsets, jitter, !np, 240);
        for (i, r) in bounds(&set, dispatch_of(np)).into_iter().enumerate() {
            let r = r.expect("a bound");
            prop_assert!(
                worst[i] <= r,
                "task {}: simulated {} > bound {} ({:?}, offsets {:?})", i, worst[i], r, set, offsets
            );
        }
    }
}

/// Two tasks: i (C 1, T 15, D 17) and j (C 1, T 14, D 18, J 2). j's job
/// released at 0 that becomes ready at 2, when i releases a job, is due at
/// 18 < 19 (i's deadline) and runs first: i responds in 2. The crate, which
/// dates j's deadline from the arrival (2 + 18 = 20 > 19), bounds i by 1.
#[test]
fn the_crate_misses_a_reachable_response_when_others_jitter() {
    let set = vec![
        Timing::new(ns(1), ns(15), ns(17)),
        Timing::new(ns(1), ns(14), ns(18)).with_jitter(ns(2)),
    ];
    let worst = simulate(
        &set,
        &[2, 0],
        |i, k| if (i, k) == (1, 0) { 2 } else { 0 },
        true,
        20,
    );
    assert_eq!(worst[0], 2);
    let ours = response_time(&set, 0, Dispatch::Preemptive, |_| Duration::ZERO).unwrap();
    assert_eq!(ours.wcrt, ns(2));
    assert_eq!(crate_bound(&set, 0, Dispatch::Preemptive), Some(1));
    // With deadlines D - J the crate is pessimistic enough again.
    assert_eq!(
        crate_preemptive(&set, 0, |t| t.deadline.saturating_sub(t.jitter)),
        Some(2)
    );
}

/// A uniprocessor EDF system with shared resources: 1 to 6 tasks, each
/// with up to two sections on `r0` / `r1` (disjoint, at the start and the
/// end of the job), release jitter, stack resource policy or deadline
/// inheritance.
fn system_with_resources() -> impl Strategy<Value = rtlab_tasks::model::System> {
    use rtlab_tasks::model::{Locking, Policy, SystemBuilder};
    let task = (
        task_set(6, false),
        any::<bool>(),
        prop::collection::vec((0_u8..4, 1_u64..=100), 8),
    );
    task.prop_map(|(set, inherit, sections)| {
        let mut b = SystemBuilder::new("props")
            .policy(Policy::Edf)
            .locking(if inherit {
                Locking::Inherit
            } else {
                Locking::Ceiling
            });
        for (n, t) in set.iter().enumerate() {
            b = b
                .task(&format!("t{n}"), t.period, t.wcet)
                .deadline(t.deadline)
                .jitter(t.jitter);
            let (which, pct) = sections[n];
            let c = t.wcet.as_nanos();
            let hold = (c * pct / 100).clamp(1, c);
            // 0: none, 1: r0 at the start, 2: r1 at the end, 3: both
            // (disjoint when they fit, else only r0).
            if which & 1 == 1 {
                b = b.section("r0", ns(0), ns(hold.min(c / 2).max(1)));
            }
            if which & 2 == 2 && (which & 1 == 0 || c >= 2) {
                let h = if which & 1 == 1 {
                    (c - c / 2).min(hold).max(1)
                } else {
                    hold
                };
                b = b.section("r1", ns(c - h), ns(h));
            }
        }
        b.build()
    })
}

proptest! {
    #[test]
    fn with_resources_an_accepted_demand_test_means_every_bound_is_within_its_deadline(
        system in system_with_resources(),
    ) {
        let analysis = rtlab_tasks::analysis::analyze(&system);
        let detail = &analysis.tests[0].detail;
        let accepted = detail.contains("demand h(t) <= t at every deadline")
            || detail.contains("no deadline lies below the bound");
        if !accepted {
            return Ok(());
        }
        for t in &analysis.tasks {
            if let Some(r) = t.wcrt_ns {
                prop_assert!(r <= t.deadline_ns, "{}: R = {} > D = {}: {}", t.name, r, t.deadline_ns, detail);
            }
        }
        prop_assert_eq!(analysis.tests[0].schedulable, Some(true));
    }
}
