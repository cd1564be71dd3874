//! Whole-system tests of partitioned EDF through [`crate::analysis::analyze`]:
//! the per-task bounds, and the regressions of issue 9 (sound verdicts).

use crate::analysis::{Analysis, TestKind, analyze};
use crate::model::{Execution, Locking, OnMiss, Overrun, Policy, System, SystemBuilder};
use crate::time::Duration;

fn ns(v: u64) -> Duration {
    Duration::from_nanos(v)
}

fn wcrts(analysis: &Analysis) -> Vec<Option<u64>> {
    analysis.tasks.iter().map(|t| t.wcrt_ns).collect()
}

#[test]
fn every_edf_task_gets_a_response_time_bound() {
    // rm-vs-edf: (1,4), (2,6), (3,8) misses under RM (R3 = 10 > 8) but
    // U = 23/24 <= 1 is fine under EDF (course notes following Buttazzo).
    // Spuri's bounds: 3, 5, 7 (c at a = 0: τa's job due at 8 counts, ties
    // broken either way).
    let build = |policy| {
        SystemBuilder::new("rm-vs-edf")
            .policy(policy)
            .task("a", ns(4), ns(1))
            .task("b", ns(6), ns(2))
            .task("c", ns(8), ns(3))
            .build()
    };
    let fp = analyze(&build(Policy::FixedPriority));
    assert_eq!(fp.schedulable, Some(false));
    assert_eq!(fp.tasks[2].wcrt_ns, Some(10));
    let edf = analyze(&build(Policy::Edf));
    assert_eq!(edf.schedulable, Some(true));
    assert_eq!(edf.tests[0].name, "edf-demand");
    assert_eq!(edf.tests[0].kind, TestKind::Exact);
    assert_eq!(wcrts(&edf), [Some(3), Some(5), Some(7)]);
    let slack: Vec<Option<i64>> = edf.tasks.iter().map(|t| t.slack_ns).collect();
    assert_eq!(slack, [Some(1), Some(1), Some(1)]);
    assert!(edf.tasks.iter().all(|t| t.schedulable == Some(true)));
    assert!(
        edf.tests[0]
            .detail
            .starts_with("U = 0.958 < 1; no deadline lies below the bound L = 0ns")
    );
    assert!(
        edf.tests[0].detail.ends_with(
            "per-task bounds (Spuri 1996): every R <= D, tightest R(a) = 3ns <= D = 4ns"
        ),
        "{}",
        edf.tests[0].detail
    );
    assert_eq!(
        edf.tasks[2].note.as_deref(),
        Some(
            "worst case: the job arriving 0ns after its deadline busy period starts (Spuri 1996; 5 offsets examined below L = 16ns)"
        )
    );
}

#[test]
fn srp_blocking_enters_the_demand_and_the_bounds() {
    // a (1, 4, 3) and b (4, 20, 20) share r; b holds it for 3. At t = 3:
    // h = 1, b(3) = 3 (D_b = 20 > 3 + 1 and a, with D_a = 3 <= 3, uses r):
    // 4 > 3, a miss; R(a) = 3 + 1 = 4.
    let system = SystemBuilder::new("srp")
        .policy(Policy::Edf)
        .locking(Locking::Ceiling)
        .task("a", ns(4), ns(1))
        .deadline(ns(3))
        .section("r", ns(0), ns(1))
        .task("b", ns(20), ns(4))
        .section("r", ns(0), ns(3))
        .build();
    let analysis = analyze(&system);
    assert_eq!(analysis.tests[0].schedulable, Some(false));
    assert_eq!(analysis.tests[0].kind, TestKind::Sufficient);
    assert_eq!(analysis.schedulable, None);
    assert_eq!(analysis.tasks[0].blocking_ns, Some(3));
    assert_eq!(
        analysis.tasks[0].blocking_detail.as_deref(),
        Some("`b` holds `r` for 3ns (stack resource policy: at most one section)")
    );
    assert_eq!(wcrts(&analysis), [Some(4), Some(6)]);
    assert_eq!(analysis.tasks[0].witness, None);
    assert!(analysis.tests[0].detail.contains("h(3ns) = 4ns > 3ns"));
}

#[test]
fn a_resource_shared_across_cpus_leaves_edf_undecided() {
    // Issue 9, case 1: 14ns of `r` every 10ns, 99 of 100 jobs of each miss
    // in simulation; each CPU alone looked schedulable.
    let build = |extra: bool| {
        let b = SystemBuilder::new("remote")
            .cpus(&[0, 1])
            .policy(Policy::Edf)
            .locking(Locking::Inherit)
            .task("a", ns(10), ns(5))
            .deadline(ns(6))
            .cpu(0)
            .section("r", ns(0), ns(5))
            .task("b", ns(10), ns(9))
            .cpu(1)
            .section("r", ns(0), ns(9));
        if extra {
            b.task("c", ns(10), ns(2)).cpu(1).build()
        } else {
            b.build()
        }
    };
    let analysis = analyze(&build(false));
    assert_eq!(analysis.schedulable, None);
    assert_eq!(analysis.tests[0].schedulable, None);
    assert_eq!(analysis.tests[0].kind, TestKind::Sufficient);
    assert_eq!(wcrts(&analysis), [None, None]);
    assert_eq!(analysis.tasks[0].schedulable, None);
    assert_eq!(
        analysis.tasks[0].note.as_deref(),
        Some(
            "`r` is also locked by `b` on another CPU: remote blocking is not analysed, no bound; ignoring it, R = 5ns"
        )
    );
    assert!(analysis.tests[0].detail.contains(
        "cpu 0: undecided: `r` is shared with `b` on another CPU and remote blocking is not analysed"
    ));
    // An overloaded CPU is a proof whatever the remote blocking.
    let analysis = analyze(&build(true));
    assert_eq!(analysis.schedulable, Some(false));
    assert!(analysis.tasks[2].witness.is_some());
    assert_eq!(analysis.tasks[0].schedulable, None);
}

/// Issue 9, case 3: x (T 100, C 10, D 25, J 10), k (C 1, D 24, offset 50,
/// r for 1), j (C 13, offset 5, r for 13), stack resource policy.
fn srp_with_jitter() -> System {
    SystemBuilder::new("srp-jitter")
        .policy(Policy::Edf)
        .locking(Locking::Ceiling)
        .task("x", ns(100), ns(10))
        .deadline(ns(25))
        .jitter(ns(10))
        .task("k", ns(100), ns(1))
        .deadline(ns(24))
        .offset(ns(50))
        .section("r", ns(0), ns(1))
        .task("j", ns(100), ns(13))
        .offset(ns(5))
        .section("r", ns(0), ns(13))
        .build()
}

#[test]
fn srp_counts_the_section_that_a_jittered_job_cannot_preempt() {
    // While j holds r, x (level D = 25 at or below r's ceiling 24) may not
    // start: x misses 455 of 1000 jobs in simulation, worst response 28.
    // The old blocking term read r's ceiling against x's D - J = 15 and
    // found 0, and accepted the set.
    let analysis = analyze(&srp_with_jitter());
    assert_ne!(analysis.schedulable, Some(true));
    assert_eq!(analysis.tests[0].schedulable, Some(false));
    assert_eq!(analysis.tasks[0].blocking_ns, Some(13));
    // R(x) = J 10 + blocking 13 + C 10 = 33 >= the simulated 28.
    assert_eq!(analysis.tasks[0].wcrt_ns, Some(33));
    assert_eq!(analysis.tasks[0].schedulable, Some(false));
    assert_eq!(analysis.tasks[0].witness, None);
}

/// a (2, 4, 3) and b (3, 8, 4): U = 7/8, h(4) = 5 > 4.
fn first_miss_at_4() -> SystemBuilder {
    SystemBuilder::new("miss")
        .policy(Policy::Edf)
        .task("a", ns(4), ns(2))
        .deadline(ns(3))
        .task("b", ns(8), ns(3))
        .deadline(ns(4))
}

#[test]
fn a_synchronous_miss_is_proven_with_its_witness() {
    let analysis = analyze(&first_miss_at_4().build());
    assert_eq!(analysis.schedulable, Some(false));
    assert_eq!(analysis.tests[0].kind, TestKind::Exact);
    let b = &analysis.tasks[1];
    assert_eq!(b.schedulable, Some(false));
    assert_eq!(
        b.witness.as_deref(),
        Some(
            "synchronous release at 0ns, every job running its WCET: the jobs due by 4ns need 5ns of CPU time, \
             more than the 4ns there is (h(t) > t); none due earlier misses, and EDF runs job 1 (released at 0ns, \
             due at 4ns) last among those due then, so it completes after its deadline"
        )
    );
    assert!(analysis.tests[0].detail.ends_with(
        "(proven: with the synchronous release at 0ns, `b` misses its deadline at 4ns)"
    ));
    // a's bound (a = 1: released 1 after b, due at 5 after b's 4) is 4 > 3:
    // a miss for sporadic releases, not one the periodic releases show.
    let a = &analysis.tasks[0];
    assert_eq!(
        (a.wcrt_ns, a.schedulable, a.witness.as_deref()),
        (Some(4), Some(false), None)
    );
}

#[test]
fn a_miss_is_not_a_proof_when_the_releases_cannot_reach_it() {
    let cases: Vec<(SystemBuilder, &str)> = vec![
        (
            first_miss_at_4().jitter(ns(1)),
            "release jitter: exact for sporadic arrivals; your periodic releases may do better",
        ),
        (
            first_miss_at_4().offset(ns(1)),
            "offsets: exact for sporadic arrivals with any phasing; your periodic releases from offsets may do better",
        ),
        (
            first_miss_at_4().execution(Execution::Uniform {
                min: ns(1),
                max: ns(2),
            }),
            "`b` never runs the full WCET (execution model)",
        ),
    ];
    let mut skip = first_miss_at_4().build();
    skip.scheduler.overrun = Overrun::Skip;
    let mut abort = first_miss_at_4().build();
    abort.scheduler.on_miss = OnMiss::Abort;
    let mut faults = first_miss_at_4().build();
    faults.tasks[0].faults.panic_every = 2;
    let systems = cases.into_iter().map(|(b, why)| (b.build(), why)).chain([
        (
            skip,
            "overrun = skip drops a release that finds its predecessor unfinished",
        ),
        (abort, "on_miss = abort ends a late job at its deadline"),
        (faults, "fault injection ends some jobs early"),
    ]);
    for (system, why) in systems {
        let analysis = analyze(&system);
        let test = &analysis.tests[0];
        assert_eq!(test.schedulable, Some(false), "{why}: {}", test.detail);
        assert_eq!(test.kind, TestKind::Sufficient, "{why}");
        assert_eq!(analysis.schedulable, None, "{why}: {}", test.detail);
        assert!(test.detail.contains(why), "{why}: {}", test.detail);
        assert!(analysis.tasks.iter().all(|t| t.witness.is_none()), "{why}");
    }
}

#[test]
fn a_non_preemptive_miss_needs_a_blocking_job_the_releases_never_start() {
    // Issue 9, case 6: a (T 4, C 1, D 2), b (T 12, C 3): a job of b started
    // a tick before a's release makes a miss, but with both released
    // together a runs first: no miss in simulation.
    let system = SystemBuilder::new("np")
        .policy(Policy::Edf)
        .preemptive(false)
        .task("a", ns(4), ns(1))
        .deadline(ns(2))
        .task("b", ns(12), ns(3))
        .build();
    let analysis = analyze(&system);
    assert_eq!(analysis.tests[0].schedulable, Some(false));
    assert_eq!(analysis.tests[0].kind, TestKind::Sufficient);
    assert_eq!(analysis.schedulable, None);
    assert_eq!(wcrts(&analysis), [Some(3), Some(4)]);
    assert_eq!(
        analysis.tasks[0].blocking_detail.as_deref(),
        Some("`b` runs on for up to 2ns (non-preemptive: its WCET - 1ns)")
    );
    // Without any blocking the demand already fails: that is a proof for
    // the synchronous release, whatever the order the jobs run in.
    let system = first_miss_at_4().preemptive(false).build();
    let analysis = analyze(&system);
    assert_eq!(analysis.tests[0].kind, TestKind::Sufficient);
    assert_eq!(analysis.schedulable, Some(false));
    assert!(analysis.tests[0].detail.contains(
        "(proven: with the synchronous release at 0ns, the jobs due by 4ns need 5ns of CPU time, so one of them misses whatever the order)"
    ));
}

#[test]
fn utilization_one_with_jitter_has_no_bound_and_no_exact_verdict() {
    // U = 1 with jitter: the busy period never ends, the demand test is
    // only sufficient.
    let system = SystemBuilder::new("full")
        .policy(Policy::Edf)
        .task("a", ns(10), ns(5))
        .jitter(ns(1))
        .task("b", ns(10), ns(5))
        .build();
    let analysis = analyze(&system);
    assert_eq!(analysis.tests[0].kind, TestKind::Sufficient);
    assert_eq!(wcrts(&analysis), [None, None]);
    assert!(
        analysis.tasks[0]
            .note
            .as_deref()
            .unwrap()
            .contains("U = 1 with release jitter: the busy period never ends")
    );
}

#[test]
fn overload_is_proven_for_every_task_unless_releases_are_skipped() {
    // (2, 4, 3), (3, 6, 4), (1, 12, 4): U = 13/12. The synchronous release
    // shows c's first job late at 4 (b's too, run before it).
    let build = || {
        SystemBuilder::new("over")
            .policy(Policy::Edf)
            .task("a", ns(4), ns(2))
            .deadline(ns(3))
            .task("b", ns(6), ns(3))
            .deadline(ns(4))
            .task("c", ns(12), ns(1))
            .deadline(ns(4))
    };
    let analysis = analyze(&build().build());
    assert_eq!(analysis.schedulable, Some(false));
    assert!(analysis.tasks.iter().all(|t| t.schedulable == Some(false)));
    assert!(
        analysis.tasks[0]
            .witness
            .as_deref()
            .unwrap()
            .contains("the backlog grows without end")
    );
    assert!(
        analysis.tasks[2]
            .witness
            .as_deref()
            .unwrap()
            .ends_with("; `b` also has a job due then, released earlier or listed earlier")
    );
    let mut skip = build().build();
    skip.scheduler.overrun = Overrun::Skip;
    let analysis = analyze(&skip);
    assert_eq!(analysis.schedulable, None);
    assert!(analysis.tasks.iter().all(|t| t.witness.is_none()));
}

#[test]
fn a_possible_deadlock_under_inheritance_is_undecided() {
    // Issue 9, case 4 under EDF: a takes r1 then r2, b (offset 1) r2 then r1.
    let system = SystemBuilder::new("deadlock")
        .policy(Policy::Edf)
        .locking(Locking::Inherit)
        .task("a", ns(100), ns(5))
        .section("r1", ns(0), ns(4))
        .section("r2", ns(2), ns(1))
        .task("b", ns(100), ns(5))
        .offset(ns(1))
        .section("r2", ns(0), ns(4))
        .section("r1", ns(1), ns(1))
        .build();
    let analysis = analyze(&system);
    assert_eq!(analysis.schedulable, None);
    assert_eq!(wcrts(&analysis), [None, None]);
    assert!(analysis.tests[0].detail.contains(
        "undecided: possible deadlock: lock order cycle r1 -> r2 -> r1 (`a` takes r1 then r2; `b` takes r2 then r1)"
    ));
    // The stack resource policy never lets a job wait for a lock.
    let mut srp = system.clone();
    srp.scheduler.locking = Locking::Ceiling;
    assert_eq!(analyze(&srp).schedulable, Some(true));
}

#[test]
fn srp_blocks_a_jittered_job_on_a_resource_only_the_holder_locks() {
    // t2 alone locks r1 (6ns), its ceiling is its D = 15. A job of t1 (D 16,
    // J 4) that arrives late, due before t2's running job, has a level
    // below that ceiling and may not start: simulated worst response 16,
    // which a bound without blocking (14) missed.
    let system = SystemBuilder::new("one-user")
        .policy(Policy::Edf)
        .locking(Locking::Ceiling)
        .task("t0", ns(37), ns(12))
        .deadline(ns(48))
        .offset(ns(8))
        .task("t1", ns(18), ns(6))
        .deadline(ns(16))
        .offset(ns(15))
        .jitter(ns(4))
        .task("t2", ns(27), ns(7))
        .deadline(ns(15))
        .offset(ns(18))
        .section("r1", ns(1), ns(6))
        .build();
    let analysis = analyze(&system);
    assert_eq!(analysis.tasks[1].blocking_ns, Some(6));
    assert_eq!(analysis.tasks[1].wcrt_ns, Some(16));
    // Without jitter a resource nobody else locks blocks no one.
    let mut plain = system.clone();
    plain.tasks[1].release_jitter = Duration::ZERO;
    let analysis = analyze(&plain);
    assert!(analysis.tasks.iter().all(|t| t.blocking_ns == Some(0)));
    assert_eq!(analysis.tests[0].kind, TestKind::Sufficient); // offsets
}

#[test]
fn inheritance_counts_a_lock_handed_to_a_job_queued_before_the_window() {
    // l2 queues on r behind l1; x takes r from l1 and the unlock hands it
    // to l2 before h asks for it: h waits for l1 (through x) and for l2,
    // 11ns in simulation. "One section per resource" said 10.
    let system = SystemBuilder::new("handoff")
        .policy(Policy::Edf)
        .locking(Locking::Inherit)
        .task("l1", ns(100), ns(5))
        .section("r", ns(0), ns(5))
        .task("l2", ns(100), ns(3))
        .deadline(ns(90))
        .offset(ns(1))
        .section("r", ns(0), ns(3))
        .task("x", ns(100), ns(2))
        .deadline(ns(10))
        .offset(ns(2))
        .section("r", ns(0), ns(1))
        .task("h", ns(100), ns(3))
        .deadline(ns(20))
        .offset(ns(2))
        .section("r", ns(2), ns(1))
        .build();
    let analysis = analyze(&system);
    assert_eq!(analysis.tasks[3].blocking_ns, Some(8));
    assert_eq!(analysis.tasks[3].wcrt_ns, Some(13));
}
