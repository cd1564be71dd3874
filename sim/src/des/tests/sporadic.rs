//! Sporadic and Poisson releases in the simulator: job by job where the
//! ledger's arrivals put them, the same in every run of one seed.

use super::*;
use crate::ledger::Arrivals;

/// A sporadic `s` (1 ms of work every 5-20 ms) above a periodic `p`.
const SPORADIC: &str = "[scheduler]\npriorities = \"explicit\"\n\
    [[task]]\nname = \"s\"\nwcet = \"1ms\"\npriority = 2\n\
    arrival = { model = \"sporadic\", min = \"5ms\", max = \"20ms\" }\n\
    [[task]]\nname = \"p\"\nperiod = \"10ms\"\nwcet = \"4ms\"\npriority = 1\n";

#[test]
fn sporadic_jobs_are_released_at_the_drawn_gaps_and_run_at_once() {
    let system = set(SPORADIC);
    let (outcome, sink) = run(&system, 1_000);
    let mut planned = Arrivals::new(&system.tasks[0], 1, 1_000 * MS);
    let mut releases = 0;
    let mut last = None;
    for e in sink.events.iter().filter(|e| e.task == system.tasks[0].id) {
        if e.kind != EventKind::Release {
            continue;
        }
        let job = planned.take();
        assert_eq!((e.job, e.time_ns), (job.k, job.release));
        if let Some(l) = last {
            assert!((5 * MS..=20 * MS).contains(&(e.time_ns - l)));
        }
        last = Some(e.time_ns);
        releases += 1;
    }
    assert!(
        planned.next_release().is_none(),
        "every planned job released"
    );
    assert_eq!(outcome.tasks[0].jobs, releases);
    // Roughly one job per 12.5 ms over 1 s.
    assert!((60..=100).contains(&releases), "{releases}");
    // Highest priority and alone in its priority: each job runs on release.
    let s = &outcome.tasks[0];
    assert_eq!((s.deadline_misses, s.response_time.max_ns), (0, Some(MS)));
}

#[test]
fn a_poisson_task_is_deterministic_per_seed() {
    let system = set(&SPORADIC.replace(
        "model = \"sporadic\", min = \"5ms\", max = \"20ms\"",
        "model = \"poisson\", mean = \"8ms\", min = \"2ms\"",
    ));
    let (a, sa) = run(&system, 500);
    let (b, sb) = run(&system, 500);
    assert_eq!(sa.events, sb.events);
    assert_eq!(a.tasks[0].jobs, b.tasks[0].jobs);
    let other = simulate(
        &system,
        &Options {
            horizon: Duration::from_millis(500).unwrap(),
            seed: 2,
        },
        None,
    )
    .unwrap();
    assert_ne!(
        (a.tasks[0].jobs, a.tasks[1].response_time.mean_ns),
        (other.tasks[0].jobs, other.tasks[1].response_time.mean_ns)
    );
}
