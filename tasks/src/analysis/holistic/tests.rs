//! Hand-computed holistic analyses (every figure in nanoseconds), the
//! fixed point's termination, and the policies it does not cover.

use super::{Holistic, ROUND_CAP};
use crate::analysis::analyze;
use crate::model::{Policy, System, SystemBuilder};
use crate::time::Duration;

fn ns(v: u64) -> Duration {
    Duration::from_nanos(v)
}

/// One CPU: `hog` (T 50, C 10) above the chain camera (T 200, C 10) ->
/// detect (C 20) -> plan (C 15), priorities decreasing along the chain.
fn one_cpu_pipeline() -> System {
    SystemBuilder::new("vision")
        .task("hog", ns(50), ns(10))
        .priority(4)
        .task("camera", ns(200), ns(10))
        .priority(3)
        .task("detect", ns(200), ns(20))
        .priority(2)
        .triggered_by("camera")
        .task("plan", ns(200), ns(15))
        .priority(1)
        .triggered_by("detect")
        .chain("vision", &["camera", "detect", "plan"], Some(ns(150)))
        .build()
}

#[test]
fn three_stage_chain_on_one_cpu_matches_the_hand_computation() {
    // R(hog) = 10; R(camera) = 10 + ⌈w/50⌉10 = 20 (never jittered).
    // Round 1, J(detect) = J(plan) = 0:
    //   detect: w = 20 + ⌈w/50⌉10 + ⌈w/200⌉10 = 40, R = 40
    //   plan:   w = 15 + ⌈w/50⌉10 + ⌈w/200⌉10 + ⌈w/200⌉20: 55 -> 65 -> 65, R = 65
    //   -> J(detect) = R(camera) = 20, J(plan) = R(detect) = 40
    // Round 2: detect: w = 40, R = 40 + 20 = 60 (<= T: one job)
    //          plan: w = 15 + 2*10 + 10 + ⌈(w + 20)/200⌉20 = 65, R = 65 + 40 = 105
    //   -> J(plan) = 60
    // Round 3: detect 60; plan: w = 65, R = 65 + 60 = 125; nothing changes.
    let system = one_cpu_pipeline();
    let h = Holistic::compute(&system);
    assert!(h.converged);
    assert_eq!(h.rounds, 3);
    let j: Vec<Option<u64>> = h.jitter.iter().map(|j| j.map(Duration::as_nanos)).collect();
    assert_eq!(j, [Some(0), Some(0), Some(20), Some(60)]);
    let r: Vec<Option<u64>> = h
        .from_source
        .iter()
        .map(|r| r.map(Duration::as_nanos))
        .collect();
    assert_eq!(r, [Some(10), Some(20), Some(60), Some(125)]);

    let analysis = analyze(&system);
    // From their own release (one job in each busy period): R - J.
    let own: Vec<Option<u64>> = analysis.tasks.iter().map(|t| t.wcrt_ns).collect();
    assert_eq!(own, [Some(10), Some(20), Some(40), Some(65)]);
    assert_eq!(analysis.schedulable, Some(true));
    assert_eq!(analysis.tasks[3].jitter_ns, 0);
    assert!(
        analysis.tasks[3]
            .note
            .as_deref()
            .unwrap()
            .contains("activation jitter 60ns after `camera`'s release, response 125ns from it")
    );
    // Sufficient only, and the utilization bounds do not apply.
    let rta = &analysis.tests[2];
    assert_eq!(rta.kind, crate::analysis::TestKind::Sufficient);
    assert!(rta.detail.contains("triggered tasks: holistic analysis"));
    assert!(!analysis.tests[0].applies);
    assert!(
        analysis.tests[0]
            .detail
            .contains("released by `camera`'s completions")
    );
    // The chain: min(R(plan from camera) = 125, 20 + 40 + 65 = 125) <= 150.
    // (The synchronous release gives 65: hog 0-10, camera 10-20, detect
    // 20-40, plan 40-50, hog 50-60, plan 60-65; the bound is pessimistic.)
    let chain = &analysis.chains[0];
    assert_eq!(chain.bound_ns, Some(125));
    assert_eq!(chain.method, "holistic");
    assert_eq!(chain.schedulable, Some(true));
    assert_eq!(chain.data_age_bound_ns, None);
    assert_eq!(
        chain.detail,
        "end-to-end <= R(plan from `camera`) 125ns; 125ns <= deadline 150ns"
    );
}

#[test]
fn two_cpu_chain_propagates_jitter_across_cpus() {
    // CPU 0: hog (T 40, C 10, prio 3), camera (T 200, C 20, prio 2),
    // plan (C 10, prio 1, triggered by detect). CPU 1: detect (C 30,
    // prio 2, triggered by camera), logger (T 60, C 15, prio 1).
    // R(hog) = 10, R(camera) = 20 + ⌈w/40⌉10 = 30.
    // Round 1 (no jitter): plan 10 + 10 + 20 = 40 (⌈40/40⌉ = 1), R 40;
    //   detect 30; logger 15 + ⌈w/200⌉30 = 45.
    //   -> J(detect) = 30, J(plan) = R(detect) = 30.
    // Round 2: detect 30 + 30 = 60; logger 15 + ⌈(w + 30)/200⌉30 = 45;
    //   plan 40 + 30 = 70. -> J(plan) = 60.
    // Round 3: plan 40 + 60 = 100; nothing changes.
    let system = SystemBuilder::new("two")
        .cpus(&[0, 1])
        .task("hog", ns(40), ns(10))
        .cpu(0)
        .priority(3)
        .task("camera", ns(200), ns(20))
        .cpu(0)
        .priority(2)
        .task("detect", ns(200), ns(30))
        .cpu(1)
        .priority(2)
        .triggered_by("camera")
        .task("logger", ns(60), ns(15))
        .cpu(1)
        .priority(1)
        .task("plan", ns(200), ns(10))
        .cpu(0)
        .priority(1)
        .triggered_by("detect")
        .chain("pipe", &["camera", "detect", "plan"], Some(ns(90)))
        .build();
    let h = Holistic::compute(&system);
    assert_eq!((h.converged, h.rounds), (true, 3));
    let r: Vec<Option<u64>> = h
        .from_source
        .iter()
        .map(|r| r.map(Duration::as_nanos))
        .collect();
    assert_eq!(r, [Some(10), Some(30), Some(60), Some(45), Some(100)]);
    let analysis = analyze(&system);
    let own: Vec<Option<u64>> = analysis.tasks.iter().map(|t| t.wcrt_ns).collect();
    assert_eq!(own, [Some(10), Some(30), Some(30), Some(45), Some(40)]);
    assert_eq!(analysis.schedulable, Some(true));
    // min(100, 30 + 30 + 40) = 100 > 90: not proven, and not a proven
    // miss either (an upper bound only).
    let chain = &analysis.chains[0];
    assert_eq!(chain.bound_ns, Some(100));
    assert_eq!(chain.schedulable, None);
    assert!(
        chain
            .detail
            .ends_with("100ns > deadline 90ns: an upper bound, not a proven miss")
    );
}

#[test]
fn a_diverging_iteration_ends_without_a_bound() {
    // CPU 0: a (T 100, C 30, prio 1) and c (C 60, prio 2, triggered by
    // b); CPU 1: b (C 10, triggered by a). J(c) = R(b from a) = R(a) + 10
    // and R(a) >= 30 + 60⌈(R(a) + J(c))/100⌉ grows by more than J(c) does
    // (gain 2 * 60/100 > 1): no finite solution, the jitters grow until
    // the cap, and a and c get no bound (b, alone on CPU 1, keeps one
    // from its own activation only while its jitter is bounded).
    let system = SystemBuilder::new("loop")
        .cpus(&[0, 1])
        .task("a", ns(100), ns(30))
        .cpu(0)
        .priority(1)
        .task("b", ns(100), ns(10))
        .cpu(1)
        .priority(1)
        .triggered_by("a")
        .task("c", ns(100), ns(60))
        .cpu(0)
        .priority(2)
        .triggered_by("b")
        .chain("loop", &["a", "b", "c"], Some(ns(1000)))
        .build();
    let h = Holistic::compute(&system);
    assert!(h.rounds <= ROUND_CAP);
    assert_eq!(h.jitter[2], None);
    assert_eq!(h.from_source[0], None);
    let analysis = analyze(&system);
    assert_eq!(analysis.schedulable, None);
    for name in ["a", "c"] {
        let t = analysis.tasks.iter().find(|t| t.name == name).unwrap();
        assert_eq!((t.wcrt_ns, t.schedulable), (None, None), "{name}");
    }
    assert_eq!(analysis.chains[0].bound_ns, None);
    assert_eq!(analysis.chains[0].schedulable, None);
}

#[test]
fn jitters_never_decrease_from_round_to_round() {
    // Each round's jitters are at least the last round's (the
    // iteration takes the maximum), and a fixed point is a fixed point of
    // the response computation itself: one more round changes nothing.
    let system = one_cpu_pipeline();
    let groups = crate::analysis::groups(&system);
    let stuck = vec![false; system.tasks.len()];
    let mut jitter = vec![Some(Duration::ZERO); system.tasks.len()];
    for _ in 0..5 {
        let r = super::responses(&system, &groups, &stuck, &jitter);
        let next = super::next_jitters(&system, &jitter, &r);
        for (a, b) in jitter.iter().zip(&next) {
            assert!(b.is_none() || (a.is_some() && b >= a), "{a:?} -> {b:?}");
        }
        jitter = next;
    }
    let h = Holistic::compute(&system);
    assert_eq!(jitter, h.jitter);
    let again = super::responses(&system, &groups, &stuck, &h.jitter);
    assert_eq!(super::next_jitters(&system, &h.jitter, &again), h.jitter);
}

#[test]
fn a_busy_period_of_two_jobs_keeps_the_bound_from_the_source() {
    // hog (T 50, C 10, prio 3), camera (T 100, C 10, prio 2), detect
    // (C 40, prio 1, triggered by camera). R(camera) = 20, J(detect) = 20.
    // detect: w = 40 + ⌈w/50⌉10 + ⌈w/100⌉10: 60 -> 70 -> 70;
    // R = 70 + 20 = 90 <= 100 = T: one job, own bound 70.
    // With camera's release jitter 40: R(camera) = 20 + 40 = 60 = J(detect);
    // detect: w = 40 + ⌈w/50⌉10 + ⌈(w + 40)/100⌉10: 60 -> 70 -> 80 -> 80,
    // R(0) = 80 + 60 = 140 > T. Busy period L = ⌈L/50⌉10 +
    // ⌈(L + 40)/100⌉10 + ⌈(L + 60)/100⌉40: 80 -> 120 -> 130 -> 130, two
    // jobs; job 2: w = 80 + ⌈w/50⌉10 + ⌈(w + 40)/100⌉10 = 130, R(1) =
    // 130 - 100 + 60 = 90. R = 140, from camera's nominal release, stays
    // the bound (> D = 100: not proven, no witness for a triggered task).
    let build = |jitter| {
        SystemBuilder::new("two-jobs")
            .task("hog", ns(50), ns(10))
            .priority(3)
            .task("camera", ns(100), ns(10))
            .priority(2)
            .jitter(ns(jitter))
            .task("detect", ns(100), ns(40))
            .priority(1)
            .triggered_by("camera")
            .build()
    };
    let one = analyze(&build(0));
    assert_eq!(one.tasks[2].wcrt_ns, Some(70));
    assert_eq!(one.tasks[2].jobs_examined, Some(1));
    let two = analyze(&build(40));
    assert_eq!(two.tasks[1].wcrt_ns, Some(60));
    assert_eq!(two.tasks[2].jobs_examined, Some(2));
    assert_eq!(two.tasks[2].wcrt_ns, Some(140));
    assert_eq!(two.tasks[2].schedulable, None);
}

#[test]
fn unsupported_policies_leave_the_triggered_scheduler_undecided() {
    // EDF: `b` (triggered) and `a` share CPU 0 and get no bound; `c` on
    // CPU 1 keeps its bound; the set is never accepted.
    let system = SystemBuilder::new("edf")
        .policy(Policy::Edf)
        .cpus(&[0, 1])
        .task("a", ns(100), ns(10))
        .cpu(0)
        .task("b", ns(100), ns(10))
        .cpu(0)
        .triggered_by("a")
        .task("c", ns(100), ns(10))
        .cpu(1)
        .chain("ab", &["a", "b"], Some(ns(100)))
        .build();
    let analysis = analyze(&system);
    assert_eq!(analysis.schedulable, None);
    assert_eq!(analysis.tasks[0].wcrt_ns, None);
    assert_eq!(analysis.tasks[1].schedulable, None);
    assert!(
        analysis.tasks[1]
            .note
            .as_deref()
            .unwrap()
            .contains("triggered tasks")
    );
    assert_eq!(analysis.tasks[2].wcrt_ns, Some(10));
    assert_eq!(analysis.tasks[2].schedulable, Some(true));
    assert!(analysis.tests.iter().all(|t| t.schedulable != Some(true)));
    assert_eq!(analysis.chains[0].bound_ns, None);
    // Global fixed priority: every task.
    let global = SystemBuilder::new("global")
        .placement(crate::model::Placement::Global)
        .cpus(&[0, 1])
        .task("a", ns(100), ns(10))
        .task("b", ns(100), ns(10))
        .triggered_by("a")
        .task("c", ns(100), ns(10))
        .build();
    let analysis = analyze(&global);
    assert_eq!(analysis.schedulable, None);
    assert!(
        analysis
            .tasks
            .iter()
            .all(|t| t.wcrt_ns.is_none() && t.schedulable.is_none())
    );
}

#[test]
fn a_proven_miss_of_a_periodic_task_survives_a_triggered_neighbour() {
    // low (T 20, C 12, D 20) under hi (T 10, C 6): job 1 completes at 24
    // whatever the triggered task `t` (C 1, below hi) does: the witness
    // counts only the periodic task above it. `t` gets no witness.
    let system = SystemBuilder::new("miss")
        .task("hi", ns(10), ns(6))
        .priority(3)
        .task("low", ns(20), ns(12))
        .priority(1)
        .task("t", ns(10), ns(1))
        .priority(2)
        .triggered_by("hi")
        .build();
    let analysis = analyze(&system);
    assert_eq!(analysis.schedulable, Some(false));
    assert_eq!(analysis.tasks[1].schedulable, Some(false));
    let witness = analysis.tasks[1].witness.as_deref().unwrap();
    assert!(witness.contains("`hi` released with it"), "{witness}");
    assert!(!witness.contains("`t`"), "{witness}");
    assert_eq!(analysis.tasks[2].witness, None);
}

/// The soundness harness' counterexample (seed 17): under non-preemptive
/// EDF, `c` is triggered on CPU 1, so CPU 1's synchronous-release proof
/// does not hold; `a` on CPU 0 has a bound above its deadline but no proof
/// (non-preemptive EDF's bound is sufficient only). The set must not be
/// "NOT schedulable": the simulation meets every deadline.
#[test]
fn a_bound_above_a_deadline_elsewhere_does_not_make_a_triggered_cpus_rejection_a_proof() {
    let text = "name = \"s\"\n[platform]\ncpus = [0, 1]\n\
        [scheduler]\npolicy = \"edf\"\npreemptive = false\n\
        [[task]]\nname = \"a\"\nwcet = \"2ns\"\nperiod = \"12ns\"\ncpu = 0\n\
        [[task]]\nname = \"b\"\nwcet = \"1ns\"\ndeadline = \"1ns\"\nperiod = \"2ns\"\n\
        [[task]]\nname = \"c\"\nwcet = \"1ns\"\ndeadline = \"1ns\"\ntrigger = \"b\"\n\
        [[task]]\nname = \"d\"\nwcet = \"12ns\"\nperiod = \"24ns\"\ncpu = 0\n";
    let system = crate::config::load_str(text, "s.toml").unwrap().system;
    let analysis = analyze(&system);
    assert_ne!(analysis.schedulable, Some(false), "{}", analysis.reason);
    assert!(analysis.tests.iter().all(|t| t.schedulable != Some(true)));
}
