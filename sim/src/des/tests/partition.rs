//! The ledger's partition is exact in simulation: for every job, the sum
//! of own execution, waiting by task, blocking by resource and holder,
//! queueing and release jitter is its response time, whatever the policy,
//! placement, protocol, overrun and miss handling (property test over
//! random configs with shared resources, nested sections, faults and
//! jitter).

use proptest::prelude::*;

use rtlab_tasks::model::System;
use rtlab_tasks::outcome::MissKind;
use rtlab_tasks::time::Duration;

use super::super::Options;
use super::super::engine::Engine;
use super::load;

/// One task: period, wcet (µs, wcet <= period = deadline), sections as
/// (resource, after, hold) in µs, whether its execution time varies, its
/// jitter.
#[derive(Clone, Debug)]
struct Spec {
    period: u64,
    wcet: u64,
    sections: Vec<(usize, u64, u64)>,
    uniform: bool,
    jitter: u64,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        4u64..40,
        1u64..100,
        0usize..3,
        any::<bool>(),
        0u64..4,
        0usize..2,
    )
        .prop_flat_map(|(period, wpct, nsec, uniform, jitter, r0)| {
            let wcet = (period * wpct / 100).max(1);
            // Up to two sections: disjoint, or the second nested in the
            // first (on the other resource).
            (0..=wcet, 0..=wcet, any::<bool>()).prop_map(move |(a, b, nested)| {
                let (lo, hi) = (a.min(b), a.max(b));
                let mut sections = Vec::new();
                if nsec >= 1 && hi > lo {
                    sections.push((r0, lo, hi - lo));
                    if nsec == 2 && hi - lo >= 2 && nested {
                        sections.push((1 - r0, lo + 1, (hi - lo - 1) / 2));
                    } else if nsec == 2 && wcet > hi {
                        sections.push((1 - r0, hi, wcet - hi));
                    }
                }
                sections.retain(|s| s.2 > 0);
                Spec {
                    period,
                    wcet,
                    sections,
                    uniform,
                    jitter,
                }
            })
        })
}

/// A config text: the scheduler's keys, two CPUs when `cpus == 2`.
fn config(
    tasks: &[Spec],
    policy: &str,
    locking: &str,
    cpus: usize,
    global: bool,
    options: (bool, bool, bool),
) -> String {
    let (preemptive, skip, abort) = options;
    let mut t = format!(
        "name = \"p\"\n[platform]\ncpus = {}\n[scheduler]\npolicy = \"{policy}\"\nlocking = \"{locking}\"\n\
         placement = \"{}\"\npreemptive = {preemptive}\nquantum = \"3us\"\noverrun = \"{}\"\non_miss = \"{}\"\n",
        if cpus == 2 { "[0, 1]" } else { "[0]" },
        if global { "global" } else { "partitioned" },
        if skip { "skip" } else { "queue" },
        if abort { "abort" } else { "continue" },
    );
    for (i, s) in tasks.iter().enumerate() {
        t.push_str(&format!(
            "[[task]]\nname = \"t{i}\"\nperiod = \"{}us\"\nwcet = \"{}us\"\nrelease_jitter = \"{}us\"\n",
            s.period, s.wcet, s.jitter
        ));
        if cpus == 2 && !global {
            t.push_str(&format!("cpu = {}\n", i % 2));
        }
        if s.uniform {
            t.push_str(&format!(
                "execution = {{ model = \"uniform\", min = \"{}us\", max = \"{}us\" }}\n",
                s.wcet.div_ceil(2),
                s.wcet
            ));
        }
        if i == 1 {
            t.push_str("faults = { panic_every = 7 }\n");
        }
        if !s.sections.is_empty() {
            let list: Vec<String> = s
                .sections
                .iter()
                .map(|&(r, after, hold)| {
                    format!("{{ resource = \"r{r}\", after = \"{after}us\", hold = \"{hold}us\" }}")
                })
                .collect();
            t.push_str(&format!("sections = [ {} ]\n", list.join(", ")));
        }
    }
    t
}

/// Runs `system` for 2 ms and checks that every completed job's parts sum
/// to its response, and every kept miss's parts to its span.
fn check(system: &System) -> Result<(), TestCaseError> {
    let horizon = 2_000_000;
    let options = Options {
        horizon: Duration::from_nanos(horizon),
        seed: 3,
    };
    let run = Engine::new(system, &options, None).run();
    let mut jobs = 0;
    for (t, audit) in run.ledger.audits().iter().enumerate() {
        for &(k, total, response) in audit.iter() {
            prop_assert_eq!(total, response, "task t{} job {}", t, k);
            jobs += 1;
        }
    }
    let end = run.end_ns;
    let outcome = run.into_outcome(system, 3);
    for task in &outcome.tasks {
        for m in &task.misses {
            let span = match m.kind {
                MissKind::Late => m.finish_ns.unwrap_or(0) - m.release_ns,
                MissKind::Aborted => (m.deadline_ns - m.release_ns).max(m.release_jitter_ns),
                MissKind::Incomplete => end - m.release_ns,
            };
            prop_assert_eq!(
                m.explained_ns(),
                span,
                "{} job {}: {:?}",
                task.name,
                m.job,
                m
            );
            prop_assert_eq!(m.unexplained_ns, 0);
        }
    }
    prop_assert!(jobs > 0 || outcome.deadline_misses() > 0 || outcome.interrupted);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn every_jobs_parts_sum_to_its_response(
        tasks in prop::collection::vec(spec(), 2..5),
        policy in prop::sample::select(vec!["fixed-priority", "edf", "fifo", "round-robin"]),
        locking in prop::sample::select(vec!["none", "inherit", "ceiling"]),
        cpus in 1usize..3,
        global in any::<bool>(),
        options in (prop::bool::weighted(0.8), any::<bool>(), any::<bool>()),
    ) {
        let text = config(&tasks, policy, locking, cpus, global, options);
        let system = load(&text);
        check(&system)?;
    }
}
