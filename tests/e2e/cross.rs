//! Engines checked against each other: the simulator against the
//! analysis, where the theory says they are equal.

use proptest::prelude::*;

use rtlab_sim::des::{Options, simulate};
use rtlab_tasks::analysis::analyze;
use rtlab_tasks::model::{Policy, PriorityOrder, System, SystemBuilder};
use rtlab_tasks::time::{Duration, hyperperiod};

/// Periods (ms) whose hyperperiod stays small (at most 120 ms).
const PERIODS: &[u64] = &[2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 24, 30, 40, 60];

/// 2..=5 tasks with constrained deadlines (C <= D <= T), constant
/// execution, synchronous release, in whole 100 µs steps.
fn task_set() -> impl Strategy<Value = Vec<(u64, u64, u64)>> {
    prop::collection::vec(
        (0..PERIODS.len(), 1u64..=100, 0u64..=100).prop_map(|(p, c_pct, d_pct)| {
            let t = PERIODS[p] * 10; // in 100 µs units
            let c = (t * c_pct / 100).max(1);
            let d = c + (t - c) * d_pct / 100;
            (t, c, d)
        }),
        2..=5,
    )
}

fn system(set: &[(u64, u64, u64)], policy: Policy) -> System {
    let unit = |v: u64| Duration::from_nanos(v * 100_000);
    let mut b = SystemBuilder::new("cross")
        .policy(policy)
        .priorities(PriorityOrder::DeadlineMonotonic);
    for (i, &(t, c, d)) in set.iter().enumerate() {
        b = b.task(&format!("t{i}"), unit(t), unit(c)).deadline(unit(d));
    }
    b.build()
}

fn run(system: &System) -> rtlab_tasks::outcome::Outcome {
    let h = hyperperiod(system.tasks.iter().map(|t| t.period)).unwrap();
    let options = Options {
        horizon: Duration::from_nanos(2 * h.as_nanos()),
        seed: 1,
    };
    simulate(system, &options, None).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
    ))]

    /// Synchronous, independent, preemptive fixed priorities with D <= T and
    /// constant execution times: the worst response the simulator sees over
    /// two hyperperiods equals the RTA bound for every task that has one
    /// (the critical instant is the synchronous release at 0).
    #[test]
    fn simulated_worst_response_equals_the_rta_bound(set in task_set()) {
        let s = system(&set, Policy::FixedPriority);
        let analysis = analyze(&s);
        let outcome = run(&s);
        for (a, o) in analysis.tasks.iter().zip(&outcome.tasks) {
            if let Some(bound) = a.wcrt_ns {
                prop_assert_eq!(o.response_time.max_ns, Some(bound), "task {}", a.name);
            }
        }
        // And the verdicts agree: a miss in simulation iff RTA says so.
        let misses = outcome.deadline_misses() > 0;
        prop_assert_eq!(analysis.schedulable, Some(!misses));
    }

    /// EDF on synchronous sets with D <= T: no miss over the horizon when
    /// the processor-demand test accepts, a miss when it rejects.
    #[test]
    fn edf_misses_exactly_when_the_demand_test_rejects(set in task_set()) {
        let s = system(&set, Policy::Edf);
        let analysis = analyze(&s);
        let outcome = run(&s);
        let misses = outcome.deadline_misses() > 0;
        prop_assert_eq!(analysis.schedulable, Some(!misses));
    }
}

fn system_with(
    set: &[(u64, u64, u64)],
    policy: Policy,
    preemptive: bool,
    cpus: &[u32],
    global: bool,
) -> System {
    let unit = |v: u64| Duration::from_nanos(v * 100_000);
    let mut b = SystemBuilder::new("cross")
        .policy(policy)
        .preemptive(preemptive)
        .cpus(cpus)
        .placement(if global {
            rtlab_tasks::model::Placement::Global
        } else {
            rtlab_tasks::model::Placement::Partitioned
        })
        .priorities(PriorityOrder::DeadlineMonotonic);
    for (i, &(t, c, d)) in set.iter().enumerate() {
        b = b.task(&format!("t{i}"), unit(t), unit(c)).deadline(unit(d));
    }
    b.build()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(128)
    ))]

    /// Non-preemptive fixed priorities: every simulated response stays
    /// within the analysis' bound (Davis et al. 2007), and a task the
    /// analysis accepts never misses.
    #[test]
    fn non_preemptive_responses_stay_within_the_bound(set in task_set()) {
        let s = system_with(&set, Policy::FixedPriority, false, &[0], false);
        let analysis = analyze(&s);
        let outcome = run(&s);
        for (a, o) in analysis.tasks.iter().zip(&outcome.tasks) {
            if let (Some(bound), Some(max)) = (a.wcrt_ns, o.response_time.max_ns) {
                prop_assert!(max <= bound, "task {}: simulated {} > bound {}", a.name, max, bound);
            }
            if a.schedulable == Some(true) {
                prop_assert_eq!(o.deadline_misses, 0, "task {}", a.name);
            }
        }
    }

    /// Global placement on two CPUs: when the labelled sufficient test
    /// accepts (global FP: Bertogna & Cirinei; global EDF: GFB), the
    /// simulation meets every deadline, and FP responses stay within the
    /// bound.
    #[test]
    fn global_sufficient_tests_are_sound_in_simulation(set in task_set(), edf in any::<bool>()) {
        let policy = if edf { Policy::Edf } else { Policy::FixedPriority };
        let s = system_with(&set, policy, true, &[0, 1], true);
        let analysis = analyze(&s);
        let outcome = run(&s);
        if analysis.schedulable == Some(true) {
            prop_assert_eq!(outcome.deadline_misses(), 0);
        }
        for (a, o) in analysis.tasks.iter().zip(&outcome.tasks) {
            if let (Some(bound), Some(max)) = (a.wcrt_ns, o.response_time.max_ns) {
                prop_assert!(max <= bound, "task {}: simulated {} > bound {}", a.name, max, bound);
            }
        }
    }
}
